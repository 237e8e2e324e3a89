"""Overhead of sklvae's training (estimator + skorch) over a raw PyTorch loop, per method.

For each method, both sides train the same module class, built with the constructor
arguments the estimator passes, from the same initial weights (same seed), on the same
uint8 images, with the same batch size, optimizer settings (learning rates, parameter
groups, weight decay), gradient clipping, learning-rate and temperature schedules, and
the adversary step where the method has one.

* The estimator side is ``estimator.fit(X)`` with ``max_steps=steps`` and ``verbose=0``,
  timed as a whole: input validation, building the net, the module and the optimizers,
  the data loader, skorch's callbacks and history -- everything a user pays. ``steps``
  is large enough (60-100 on a CPU) that the one-time set-up is amortised.
* The raw loop is what a careful hand-written loop does: every uint8 batch (a shuffled
  permutation, pre-indexed) is staged on the device beforehand; per step it converts
  uint8 to float / 255 in the module's layout, runs the forward pass under the same
  autocast, sums the weighted ``loss_terms``, steps (gradient scaler for fp16, the same
  norm clipping), steps the adversary on ``module.adversary_loss`` with its own
  optimizer, and sets the cosine learning rate and the Gumbel temperature by the same
  closed forms. There is no ``.item()`` per step; one synchronisation at the end.

Runs alternate (raw, estimator, then estimator, raw, ...) in one process after a warm-up
of each. Repeat ``r`` trains both sides from seed ``r`` along one trajectory: the raw
loop builds the module from the estimator's torch seed, then draws its batches as the
estimator's shuffled ``DataLoader`` does, so initial weights, batches and every later
random draw are the estimator's (the ``loss gap`` column, the relative difference of
the two sides' last loss, is 0 when they are). The best of ``--repeats`` runs of each
side is reported, so that machine noise (other processes, page faults) is filtered out;
a step's cost depends a little on the weights reached, hence one seed per repeat.
images/s = steps x batch / seconds.

The allocator. With glibc's default settings a CPU step pays ~18,000 page faults
(large buffers go back to the system after each step and come back zeroed), and how
many depends on where small long-lived objects happen to sit in the heap: in one
process the estimator's fits then run a few percent faster than the raw loop's for one
method and slower for another, and the signs change from one invocation to the next
(measured: 0.90 to 1.07, both sides on the same trajectory). To measure the loop's
overhead rather than that, keep freed memory in the process:

    MALLOC_MMAP_THRESHOLD_=268435456 MALLOC_TRIM_THRESHOLD_=1073741824 \
        python benchmarks/fit_overhead.py --threads 2

(the faults disappear, both sides get ~25-40% faster, and the ratios settle within a
few percent of 1). The header line prints the allocator settings in effect.

    python benchmarks/fit_overhead.py --threads 2
    python benchmarks/fit_overhead.py --methods beta-vae factorq-vae --steps 40

Prints one row per method and a last line with the smallest ratio estimator / raw.
"""

from __future__ import annotations

import argparse
import itertools
import math
import os
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from skorch.callbacks import GradientNormClipping

from sklvae import MIPETVAE, BetaTCVAE, BetaVAE, FactorQVAE, FactorVAE, GroupActionAE
from sklvae.callbacks import CosineAnnealing, GumbelTemperatureSchedule

#: autocast dtype of each ``precision`` value of the estimators
AUTOCAST_DTYPES = {"32": None, "bf16-mixed": torch.bfloat16, "16-mixed": torch.float16}


@dataclass
class Method:
    """One table row: an estimator class, its settings and the kind of images it gets."""

    label: str
    estimator: type
    params: dict[str, Any] = field(default_factory=dict)
    #: "gray": (n, 64, 64) uint8; "rgb": (n, 64, 64, 3) uint8
    images: str = "gray"
    #: use the estimator's own default batch size instead of ``--batch-size``
    own_batch: bool = False


METHODS = {
    "beta-vae": Method("BetaVAE", BetaVAE, {"beta": 4.0}),
    "beta-tcvae": Method("BetaTCVAE", BetaTCVAE),
    "factor-vae": Method("FactorVAE", FactorVAE),
    "mipet-vae": Method("MIPETVAE", MIPETVAE),
    "factorq-vae": Method("FactorQVAE", FactorQVAE, images="rgb", own_batch=True),
    # the official DALL-E backbone costs ~100 s per step of 512 images on 2 CPU cores, so
    # that the loop's overhead is invisible; the shrunk backbone (the cpu budget of
    # benchmarks/reproduce.py) makes a step ~30x cheaper and the overhead ~30x larger
    "factorq-vae-small": Method(
        "FactorQVAE-small",
        FactorQVAE,
        {"module__backbone_params": {"channel": 8, "hidden_dim": 64, "input_channel": 8}},
        images="rgb",
        own_batch=True,
    ),
    "group-action-ae": Method("GroupActionAE", GroupActionAE),
}


def make_images(kind: str, n: int, size: int = 64, seed: int = 0) -> np.ndarray:
    """Random filled squares as uint8 images: ``(n, size, size)`` or ``(n, size, size, 3)``."""
    rng = np.random.RandomState(seed)
    shape = (n, size, size) if kind == "gray" else (n, size, size, 3)
    images = np.zeros(shape, dtype=np.uint8)
    for i in range(n):
        side = rng.randint(size // 8, size // 3)
        top, left = rng.randint(0, size - side, 2)
        if kind == "gray":
            images[i, top : top + side, left : left + side] = 255
        else:
            images[i] = rng.randint(0, 256, 3)  # background colour
            images[i, top : top + side, left : left + side] = rng.randint(0, 256, 3)
    return images


def make_estimator(
    method: Method, *, steps: int, batch_size: int | None, device: str, precision: str, seed: int
):
    params = dict(
        method.params,
        max_steps=steps,
        random_state=seed,
        verbose=0,
        device=device,
        precision=precision,
    )
    if batch_size is not None:
        params["batch_size"] = batch_size
    return method.estimator(**params)


# --- the raw loop ---------------------------------------------------------------------------


@dataclass
class RawSetup:
    """What the raw loop copies from a fitted estimator's net (read once, before timing)."""

    module_class: type
    module_kwargs: dict[str, Any]
    optimizer_class: type
    adversary_optimizer_class: type | None
    net: Any  # only to read the optimizer settings (learning rates, parameter groups)
    clip_norm: float | None = None
    clip_norm_type: float = 2.0
    #: (T_max, eta_min, net attribute of the optimizer) of each cosine schedule
    cosine: list[tuple[int, float, str]] = field(default_factory=list)
    #: Gumbel temperature: quantizer step = steps_per_batch * step (None: no schedule)
    gumbel_steps_per_batch: int | None = None
    #: the fitted estimator, for the torch seed it draws from a random_state
    estimator: Any = None

    def net_seed(self, random_state: int) -> int:
        """The torch seed the estimator uses with ``random_state`` (its own derivation)."""
        return self.estimator.set_params(random_state=random_state)._seed()


def raw_setup(fitted) -> RawSetup:
    """Read the module arguments, optimizers, clipping and schedules of a fitted estimator."""
    net = fitted.net_
    has_adversary = getattr(net.module_, "adversary", None) is not None
    setup = RawSetup(
        module_class=type(net.module_),
        module_kwargs=net.get_params_for("module"),
        optimizer_class=net.optimizer,
        adversary_optimizer_class=net.optimizer_adversary if has_adversary else None,
        net=net,
        estimator=fitted,
    )
    for _, callback in net.callbacks_:
        if isinstance(callback, GradientNormClipping) and callback.gradient_clip_value is not None:
            setup.clip_norm = callback.gradient_clip_value
            setup.clip_norm_type = callback.gradient_clip_norm_type
        elif isinstance(callback, CosineAnnealing):
            setup.cosine.append((callback.T_max, callback.eta_min, callback.optimizer))
        elif isinstance(callback, GumbelTemperatureSchedule):
            setup.gumbel_steps_per_batch = callback.steps_per_batch
    return setup


def stage_batches(
    images: np.ndarray, steps: int, batch_size: int, device: str
) -> list[torch.Tensor]:
    """The estimator's first ``steps`` uint8 batches, drawn as its loader draws them.

    Called right after the module is built from the estimator's torch seed, it consumes
    the global torch RNG as the estimator's shuffled ``DataLoader`` does before its first
    step (the loader's base seed, then the ``RandomSampler``'s seed), so the batches are
    the estimator's and the module's later random draws (reparameterisation noise,
    permutations, sampled group elements) continue the same stream. ``images`` must hold
    at least ``steps`` full batches: both sides stay in one epoch.
    """
    if len(images) < steps * batch_size:
        raise ValueError(f"{steps} steps of {batch_size} need {steps * batch_size} images")
    loader = torch.utils.data.DataLoader(np.arange(len(images)), batch_size, shuffle=True)
    return [
        torch.from_numpy(images[indices.numpy()]).to(device)
        for indices in itertools.islice(loader, steps)
    ]


def synchronize(device: str) -> None:
    if torch.device(device).type == "cuda":
        torch.cuda.synchronize(device)


def raw_loop(
    setup: RawSetup,
    images: np.ndarray,
    *,
    steps: int,
    batch_size: int,
    device: str,
    precision: str,
    seed: int,
) -> tuple[float, float]:
    """Train a fresh module on the estimator's batches; returns (images/s, last loss)."""
    device_type = torch.device(device).type
    autocast_dtype = AUTOCAST_DTYPES[precision]
    # seeded as the estimator seeds torch before building the module: the same initial
    # weights here (the cost of some modules depends on them)
    torch.manual_seed(setup.net_seed(seed))
    module = setup.module_class(**setup.module_kwargs).to(device)
    module.train()
    batches = stage_batches(images, steps, batch_size, device)
    main_named = [
        (n, p)
        for n, p in module.named_parameters()
        if p.requires_grad and not n.startswith("adversary.")
    ]
    main_params = [p for _, p in main_named]
    args, kwargs = setup.net.get_params_for_optimizer("optimizer", main_named)
    optimizers = {"optimizer_": setup.optimizer_class(*args, **kwargs)}
    adversary = getattr(module, "adversary", None)
    if adversary is not None:
        args, kwargs = setup.net.get_params_for_optimizer(
            "optimizer_adversary", adversary.named_parameters()
        )
        optimizers["optimizer_adversary_"] = setup.adversary_optimizer_class(*args, **kwargs)
    for optimizer in optimizers.values():
        for group in optimizer.param_groups:
            group["initial_lr"] = group["lr"]
    scalers = (
        {name: torch.amp.GradScaler(device_type) for name in optimizers}
        if precision == "16-mixed"
        else None
    )
    # the net's weighting: a term missing from loss_weights counts once, a zero not at all
    weights = dict(module.loss_weights)
    quantizer = getattr(module, "quantizer", None)
    main_optimizer = optimizers["optimizer_"]

    def backward_and_step(loss, optimizer, name, clip):
        if scalers is None:
            loss.backward()
        else:
            scalers[name].scale(loss).backward()
            scalers[name].unscale_(optimizer)
        if clip:
            torch.nn.utils.clip_grad_norm_(main_params, setup.clip_norm, setup.clip_norm_type)
        if scalers is None:
            optimizer.step()
        else:
            scalers[name].step(optimizer)
            scalers[name].update()

    synchronize(device)
    start = time.perf_counter()
    for step, batch in enumerate(batches):
        if setup.gumbel_steps_per_batch is not None:
            quantizer.set_step(setup.gumbel_steps_per_batch * step)
        x = batch.to(torch.float32).div_(255.0)
        x = x.permute(0, 3, 1, 2) if x.ndim == 4 else x.unsqueeze(1)
        x = x.contiguous()
        main_optimizer.zero_grad()
        with torch.autocast(device_type, dtype=autocast_dtype, enabled=autocast_dtype is not None):
            outputs = module(x)
            terms = module.loss_terms(outputs, x)
            loss = sum(
                weight * term.float()
                for name, term in terms.items()
                if (weight := weights.get(name, 1.0)) != 0
            )
        backward_and_step(loss, main_optimizer, "optimizer_", setup.clip_norm is not None)
        if adversary is not None:
            optimizers["optimizer_adversary_"].zero_grad()
            with torch.autocast(
                device_type, dtype=autocast_dtype, enabled=autocast_dtype is not None
            ):
                adversary_loss = module.adversary_loss(outputs, x)
            backward_and_step(
                adversary_loss.float(),
                optimizers["optimizer_adversary_"],
                "optimizer_adversary_",
                False,
            )
        # cosine decay, closed form at the step count (torch's CosineAnnealingLR)
        for t_max, eta_min, attribute in setup.cosine:
            factor = (1 + math.cos(math.pi * (step + 1) / t_max)) / 2
            for group in optimizers[attribute].param_groups:
                group["lr"] = eta_min + (group["initial_lr"] - eta_min) * factor
    final_loss = float(loss.detach())  # the one synchronisation
    elapsed = time.perf_counter() - start
    if not math.isfinite(final_loss):
        raise FloatingPointError("the raw loop diverged")
    return len(batches) * len(batches[0]) / elapsed, final_loss


def estimator_fit(
    method: Method,
    images: np.ndarray,
    *,
    steps: int,
    batch_size: int | None,
    device: str,
    precision: str,
    seed: int,
) -> tuple[float, float]:
    """Time ``fit`` (all of it) with ``max_steps=steps``; returns (images/s, last loss)."""
    estimator = make_estimator(
        method, steps=steps, batch_size=batch_size, device=device, precision=precision, seed=seed
    )
    synchronize(device)
    start = time.perf_counter()
    estimator.fit(images)
    synchronize(device)
    elapsed = time.perf_counter() - start
    assert estimator.n_steps_ == steps, (estimator.n_steps_, steps)
    last_loss = float(estimator.history_[-1, "batches"][-1]["train_loss"])
    return steps * estimator.batch_size / elapsed, last_loss


# --- one row ------------------------------------------------------------------------------


def measure(
    method: Method,
    *,
    steps: int,
    repeats: int,
    batch_size: int,
    device: str,
    precision: str,
    n_samples: int,
    seed: int = 0,
) -> dict[str, Any]:
    """Warm up both sides, then alternate them ``repeats`` times; best images/s of each.

    Repeat ``r`` trains both sides from seed ``seed + r`` along the same trajectory (same
    initial weights, batches and random draws), checked by comparing their last loss.
    """
    batch = None if method.own_batch else batch_size
    warm = make_estimator(
        method, steps=2, batch_size=batch, device=device, precision=precision, seed=seed
    )
    effective_batch = warm.batch_size
    # one epoch holds every step, so that both sides draw all their batches up front
    n = max(n_samples, steps * effective_batch)
    images = make_images(method.images, n, seed=seed)
    warm.fit(images)  # warm-up of the estimator, and the settings of the raw loop
    setup = raw_setup(warm)
    run = dict(batch_size=effective_batch, device=device, precision=precision)
    raw_loop(setup, images, steps=2, seed=seed, **run)  # warm-up
    raw, ours, loss_gaps = [], [], []
    for repeat in range(repeats):
        # One seed per repeat: the cost of a step depends a little on the weights the run
        # has reached (GroupActionAE at one seed ran ~9% slower than at three others, on
        # both sides), so several trajectories keep one from deciding the ratio.
        run_seed = seed + repeat
        losses = {}
        for side in ("raw", "ours") if repeat % 2 == 0 else ("ours", "raw"):
            if side == "raw":
                speed, losses[side] = raw_loop(setup, images, steps=steps, seed=run_seed, **run)
                raw.append(speed)
            else:
                speed, losses[side] = estimator_fit(
                    method,
                    images,
                    steps=steps,
                    batch_size=batch,
                    device=device,
                    precision=precision,
                    seed=run_seed,
                )
                ours.append(speed)
        loss_gaps.append(abs(losses["ours"] - losses["raw"]) / max(abs(losses["raw"]), 1e-12))
    return {
        "method": method.label,
        "precision": precision,
        "batch": effective_batch,
        "shape": "x".join(map(str, images.shape[1:])),
        "steps": steps,
        "raw": max(raw),
        "ours": max(ours),
        "ratio": max(ours) / max(raw),
        "paired_ratios": [o / r for o, r in zip(ours, raw)],
        "loss_gap": max(loss_gaps),
        "raw_runs": raw,
        "ours_runs": ours,
    }


def device_name(device: str) -> str:
    if torch.device(device).type == "cuda":
        return torch.cuda.get_device_name(torch.device(device))
    return f"cpu ({torch.get_num_threads()} threads, {os.cpu_count()} cores)"


def print_table(rows: list[dict[str, Any]], device: str) -> None:
    name = device_name(device)
    print(
        f"{'method':<17} {'precision':<10} {'input':<9} {'batch':>5} {'steps':>5} "
        f"{'est. img/s':>11} {'raw img/s':>10} {'ratio':>6} {'loss gap':>8}  device"
    )
    for row in rows:
        print(
            f"{row['method']:<17} {row['precision']:<10} {row['shape']:<9} {row['batch']:>5} "
            f"{row['steps']:>5} {row['ours']:>11.1f} {row['raw']:>10.1f} "
            f"{row['ratio']:>6.3f} {row['loss_gap']:>8.1e}  {name}"
        )
    if rows:
        worst = min(rows, key=lambda row: row["ratio"])
        print(
            f"minimum ratio estimator / raw loop: {worst['ratio']:.3f} ({worst['method']}, "
            f"{worst['precision']})"
        )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--methods", nargs="+", choices=sorted(METHODS), default=list(METHODS))
    parser.add_argument(
        "--steps",
        type=int,
        default=80,
        help="optimizer steps per timed run (FactorQVAE: a quarter, its batch is 8 times larger)",
    )
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--batch-size",
        type=int,
        default=64,
        help="batch of every method but FactorQVAE (which keeps its own, 512)",
    )
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--precision", nargs="+", default=["32"], choices=sorted(AUTOCAST_DTYPES))
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    parser.add_argument("--n-samples", type=int, default=4096)
    parser.add_argument("--verbose", action="store_true", help="print every run")
    args = parser.parse_args(argv)
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(
        f"sklvae fit vs raw PyTorch loop on {device_name(args.device)}, load average "
        f"{load:.2f}; best of {args.repeats} alternating runs after a warm-up; the "
        "estimator's time is all of fit (set-up included, amortised over the steps)"
    )
    allocator = {
        name: os.environ[name]
        for name in ("MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "GLIBC_TUNABLES")
        if name in os.environ
    }
    print(f"allocator settings: {allocator or 'defaults'}")
    rows = []
    for key in args.methods:
        method = METHODS[key]
        steps = max(4, args.steps // 4) if method.own_batch else args.steps
        for precision in args.precision:
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
            if args.verbose:
                print(
                    f"  {row['method']} {precision}: raw runs "
                    f"{', '.join(f'{v:.0f}' for v in row['raw_runs'])}; estimator runs "
                    f"{', '.join(f'{v:.0f}' for v in row['ours_runs'])}; paired ratios "
                    f"{', '.join(f'{v:.3f}' for v in row['paired_ratios'])}",
                    flush=True,
                )
    print_table(rows, args.device)


if __name__ == "__main__":
    main()
