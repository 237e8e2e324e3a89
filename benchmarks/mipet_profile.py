"""Where a MIPET-VAE training step spends its time: encoder, IPE units, K decodes, the rest.

The module is the estimator's (``MIPETModule``, official backbone, 10 latents, K units),
in training mode, on a batch of 64x64 binary images. Each piece runs forward and backward
on its own, from detached inputs, as often as needed for a stable best-of time:

* the full step: forward, the weighted loss terms, backward;
* the encoder: ``encode(x)`` and a backward from its outputs;
* the IPE units: ``module.ipe(z, eps)`` with the EF-KL, ``L_el`` and ``L_cali`` terms
  and a backward into z and the IPE / EF weights;
* the K decodes: the shared decoder on the (K, B, d) codes, the average of the K means
  and the reconstruction loss, with its backward;
* the rest: the full step less the three pieces (the KL / TC terms, glue).

``--clock cpu`` measures the process's CPU time instead of wall time: with one thread it
is nearly insensitive to other processes on the machine (shares are the figure to compare
across commits on a busy machine).

    python benchmarks/mipet_profile.py --threads 2
    python benchmarks/mipet_profile.py --threads 1 --clock cpu --base beta_tcvae
"""

from __future__ import annotations

import argparse
import os
import time

import torch

from sklvae.nn.gaussian import gaussian_kl
from sklvae.nn.ipe import calibration_loss
from sklvae.nn.mipet import MIPETModule


def best_time(function, calls: int, rounds: int, clock) -> float:
    """Best over ``rounds`` of the mean time of ``calls`` calls, after two warm-up calls."""
    function(), function()
    best = float("inf")
    for _ in range(rounds):
        start = clock()
        for _ in range(calls):
            function()
        best = min(best, (clock() - start) / calls)
    return best


def breakdown(base: str, n_units: int, batch: int, rounds: int, clock) -> dict[str, float]:
    """Seconds per call of the full step and of each piece."""
    torch.manual_seed(0)
    module = MIPETModule((1, 64, 64), 10, base=base, n_units=n_units, dataset_size=737_280)
    module.train()
    x = (torch.rand(batch, 1, 64, 64) > 0.8).float()
    weights = module.loss_weights

    def weighted(terms):
        return sum(weights.get(k, 1.0) * v for k, v in terms.items() if weights.get(k, 1.0))

    with torch.no_grad():
        mu, logvar = module.encode(x)
        eps = torch.randn_like(mu)
        z = mu + torch.exp(0.5 * logvar) * eps
        z_hat = module.ipe(z, eps)["z_hat"]
        gauss = gaussian_kl(mu, logvar).sum(1)

    def full():
        module.zero_grad(set_to_none=True)
        outputs = module(x)
        weighted(module.loss_terms(outputs, x)).backward()

    def encoder():
        module.zero_grad(set_to_none=True)
        mu, logvar = module.encode(x)
        (mu.sum() + logvar.sum()).backward()

    def ipe():
        module.zero_grad(set_to_none=True)
        out = module.ipe(z.clone().requires_grad_(), eps)
        kl = out["ef_kl"].sum((0, 2))
        similarity = out["ef_similarity"].sum(0).mean()
        calibration = calibration_loss(kl, gauss, n_units)
        (out["z_hat"].sum() + similarity + kl.mean() + calibration).backward()

    def decodes():
        module.zero_grad(set_to_none=True)
        outputs = module._averaged_outputs(z_hat.clone().requires_grad_())
        module.reconstruction(outputs, x).mean().backward()

    times = {
        "step": best_time(full, 5, rounds, clock),
        "encoder": best_time(encoder, 5, rounds, clock),
        "IPE units": best_time(ipe, 20, rounds, clock),
        f"{n_units} decodes + reconstruction": best_time(decodes, 3, rounds, clock),
    }
    times["rest"] = times["step"] - sum(v for k, v in times.items() if k != "step")
    return times


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--base", default="beta_vae", choices=["beta_vae", "beta_tcvae"])
    parser.add_argument("--n-units", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--clock", choices=["wall", "cpu"], default="wall")
    args = parser.parse_args(argv)
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    clock = time.process_time if args.clock == "cpu" else time.perf_counter
    times = breakdown(args.base, args.n_units, args.batch_size, args.rounds, clock)
    print(
        f"MIPET step ({args.base}, K = {args.n_units}, batch {args.batch_size}, 64x64, "
        f"official backbone), torch {torch.__version__}, {torch.get_num_threads()} threads, "
        f"{args.clock} clock, load average {os.getloadavg()[0]:.2f}"
    )
    for name, seconds in times.items():
        print(f"  {name:<28} {1000 * seconds:8.2f} ms  {100 * seconds / times['step']:5.1f}%")


if __name__ == "__main__":
    main()
