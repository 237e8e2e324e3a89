"""
Quick start: β-VAE on generated dSprites
========================================

Fit a β-VAE on generated dSprites, score it, draw its latent traversals.

Runs on a CPU in a few minutes with no download:

    python examples/quickstart.py [--steps 3000] [--output quickstart_traversals.png]

It trains :class:`sklvae.BetaVAE` on a random subset of the procedural dSprites grid
(:func:`sklvae.datasets.make_dsprites`), prints MIG, SAP and DCI of the trained model next
to the same architecture left untrained, and writes a PNG of latent traversals.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from sklvae import BetaVAE
from sklvae.datasets import make_dsprites
from sklvae.metrics import dci, mig, sample_latents_and_factors, sap


def scores(model, dataset, seed: int) -> dict[str, float]:
    rng = np.random.RandomState(seed)
    latents, factors = sample_latents_and_factors(model, dataset, 3000, rng)
    test_latents, test_factors = sample_latents_and_factors(model, dataset, 1000, rng)
    return {
        "MIG": mig(latents, factors)["discrete_mig"],
        "SAP": sap(latents, factors, test_latents, test_factors)["SAP_score"],
        "DCI-D": dci(latents, factors, test_latents, test_factors, random_state=seed, n_jobs=2)[
            "disentanglement"
        ],
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--steps", type=int, default=3000)
    parser.add_argument("--n-samples", type=int, default=20000)
    parser.add_argument("--beta", type=float, default=4.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--output", default="quickstart_traversals.png")
    args = parser.parse_args()

    data = make_dsprites(args.n_samples, random_state=args.seed)
    print(
        f"data: {len(data)} generated dSprites images {data.shape[1:]}, factors {data.factor_names}"
    )
    settings = dict(n_latents=10, beta=args.beta, lr=5e-4, batch_size=64, random_state=args.seed)

    start = time.perf_counter()
    model = BetaVAE(**settings, max_steps=args.steps, verbose=0).fit(data)
    elapsed = time.perf_counter() - start
    untrained = BetaVAE(**settings, max_steps=1, optimizer__lr=1e-12).fit(data[:128])
    history = model.history_[-1]
    print(
        f"trained BetaVAE(beta={args.beta:g}) for {model.n_steps_} steps in {elapsed:.0f} s "
        f"({model.n_steps_ * settings['batch_size'] / elapsed:.0f} images/s): "
        f"reconstruction {history['reconstruction']:.1f}, KL {history['kl']:.2f} nats"
    )
    print(
        f"mean ELBO per image: trained {model.score(data[:1000]):.1f}, untrained {untrained.score(data[:1000]):.1f}"
    )
    print(f"{'metric':8s} {'trained':>8s} {'untrained':>10s}")
    trained_scores, untrained_scores = (
        scores(model, data, args.seed),
        scores(untrained, data, args.seed),
    )
    for name in trained_scores:
        print(f"{name:8s} {trained_scores[name]:8.3f} {untrained_scores[name]:10.3f}")

    try:
        from sklvae.plotting import plot_latent_traversals
    except ImportError:  # pragma: no cover
        return
    figure = plot_latent_traversals(model, data[0], n_steps=9, span=2.5)
    figure.savefig(args.output, dpi=80)
    print(f"latent traversals written to {args.output}")


if __name__ == "__main__":
    main()
