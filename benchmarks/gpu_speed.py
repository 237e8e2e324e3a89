"""The prepared GPU speed check: training throughput of sklvae vs a raw PyTorch loop.

One run of at most about 7 minutes on one GPU, then (optionally) the estimator contract
tests with the GPU as the default device (``device="auto"`` resolves to CUDA there).

Rows (best of ``--repeats`` alternating runs after a warm-up, as ``fit_overhead.py``):

* BetaVAE, 64x64 single-channel, batch 256, at ``precision`` "32", "bf16-mixed" and
  "16-mixed";
* FactorQVAE, 64x64x3, its own batch (512), at "bf16-mixed";
* MIPETVAE, 64x64 single-channel, batch 256, at "bf16-mixed".

The goal on an H100: BetaVAE bf16 at 40,000 images/s or more, and at least 0.9 times the
raw loop on the same GPU.

With ``--peers-python`` (the Python of an environment holding pythae, disent and
Lightning, see ``benchmarks/vs_peers.py``) the peer rows of ``benchmarks/vs_peers.py``
follow, on the same device: the seeds' official code (with ``--mipet-repo``,
``--factorq-repo``, ``--group-repo``), pythae and disent, and disent's metrics.

    python benchmarks/gpu_speed.py                       # on the GPU machine
    python benchmarks/gpu_speed.py --device cpu --quick  # checks that the script runs
    python benchmarks/gpu_speed.py --peers-python /work/peers/venv/bin/python \
        --mipet-repo PATH --factorq-repo PATH --group-repo PATH

Prints a table (method, precision, images/s of the estimator and of the raw loop, their
ratio, the device name), a line on the goal, then the contract tests' summary.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fit_overhead import METHODS, device_name, measure, print_table  # noqa: E402

#: (method key, precision) of each row
ROWS = [
    ("beta-vae", "32"),
    ("beta-vae", "bf16-mixed"),
    ("beta-vae", "16-mixed"),
    ("factorq-vae", "bf16-mixed"),
    ("mipet-vae", "bf16-mixed"),
]
GOAL_IMAGES_PER_S = 40_000
GOAL_RATIO = 0.9


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--device", default="cuda")
    parser.add_argument(
        "--steps",
        type=int,
        default=400,
        help="optimizer steps per timed run (FactorQVAE: a quarter)",
    )
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--n-samples", type=int, default=16384)
    parser.add_argument(
        "--quick", action="store_true", help="a few tiny steps: checks the script, measures nothing"
    )
    parser.add_argument(
        "--contract-tests",
        choices=["auto", "yes", "no"],
        default="auto",
        help="run tests/test_estimator_contract.py afterwards (auto: on CUDA)",
    )
    parser.add_argument("--test-timeout", type=int, default=240)
    parser.add_argument(
        "--peers-python", help="Python with the peer libraries: add benchmarks/vs_peers.py rows"
    )
    for name in ("mipet", "factorq", "group"):
        parser.add_argument(f"--{name}-repo", help="official checkout for the peer rows")
    parser.add_argument("--peers-timeout", type=int, default=600)
    args = parser.parse_args(argv)
    if args.quick:
        args.steps, args.repeats, args.batch_size, args.n_samples = 4, 1, 16, 128
    if torch.device(args.device).type == "cuda":
        torch.backends.cudnn.benchmark = True
    print(
        f"sklvae GPU speed check on {device_name(args.device)}: best of {args.repeats} "
        f"alternating runs of {args.steps} steps after a warm-up",
        flush=True,
    )
    rows = []
    start = time.perf_counter()
    for key, precision in ROWS:
        method = METHODS[key]
        steps = max(4, args.steps // 4) if method.own_batch else args.steps
        # FactorQVAE's own batch is 512; the quick check keeps every batch tiny
        if args.quick and method.own_batch:
            method = type(method)(**{**method.__dict__, "own_batch": False})
        row = measure(
            method,
            steps=steps,
            repeats=args.repeats,
            batch_size=args.batch_size,
            device=args.device,
            precision=precision,
            n_samples=args.n_samples,
        )
        rows.append(row)
        print(
            f"  {row['method']} {precision}: estimator {row['ours']:.0f} images/s, raw "
            f"{row['raw']:.0f} images/s ({time.perf_counter() - start:.0f} s so far)",
            flush=True,
        )
    print_table(rows, args.device)
    beta_bf16 = next(r for r in rows if r["method"] == "BetaVAE" and r["precision"] == "bf16-mixed")
    met = beta_bf16["ours"] >= GOAL_IMAGES_PER_S and beta_bf16["ratio"] >= GOAL_RATIO
    print(
        f"goal (BetaVAE bf16 >= {GOAL_IMAGES_PER_S} images/s and >= {GOAL_RATIO} x raw): "
        f"{'met' if met else 'not met'} ({beta_bf16['ours']:.0f} images/s, ratio "
        f"{beta_bf16['ratio']:.3f})",
        flush=True,
    )
    if args.peers_python:
        peer_rows(args)
    run_tests = args.contract_tests == "yes" or (
        args.contract_tests == "auto" and torch.device(args.device).type == "cuda"
    )
    if not run_tests:
        return 0
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    command = [
        sys.executable,
        "-m",
        "pytest",
        "-q",
        "-x",
        "-p",
        "no:cacheprovider",
        "tests/test_estimator_contract.py",
    ]
    print(
        "contract tests with the default device",
        "cuda" if torch.cuda.is_available() else "cpu",
        ":",
        " ".join(command[1:]),
        flush=True,
    )
    try:
        result = subprocess.run(
            command, cwd=root, timeout=args.test_timeout, capture_output=True, text=True
        )
    except subprocess.TimeoutExpired:
        print(f"contract tests: stopped after {args.test_timeout} s")
        return 1
    print("\n".join((result.stdout + result.stderr).strip().splitlines()[-15:]))
    return result.returncode


def peer_rows(args) -> None:
    """Run ``benchmarks/vs_peers.py`` on the same device with the peers' Python."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    command = [args.peers_python, "-m", "benchmarks.vs_peers", "--device", args.device]
    for name in ("mipet", "factorq", "group"):
        path = getattr(args, f"{name}_repo")
        if path:
            command += [f"--{name}-repo", path]
    # on a GPU: bigger steps, so that a step is not only kernel launches
    command += ["--quick"] if args.quick else ["--short", "10", "--long", "60"]
    print("peer rows:", " ".join(command[1:]), flush=True)
    environment = dict(os.environ, PYTHONPATH=root)
    try:
        result = subprocess.run(
            command, cwd=root, env=environment, timeout=args.peers_timeout, text=True
        )
    except subprocess.TimeoutExpired:
        print(f"peer rows: stopped after {args.peers_timeout} s", flush=True)
        return
    if result.returncode:
        print(f"peer rows: exit status {result.returncode}", flush=True)


if __name__ == "__main__":
    sys.exit(main())
