"""
FactorQVAE against its baselines on 3D Shapes
=============================================

FactorQVAE against QVAE, β-VAE and QLAE on generated 3D Shapes, same budget and seeds.

Runs on one CPU core in about ten minutes with no download:

    OMP_NUM_THREADS=1 python examples/factorqvae_shapes3d.py [--steps 300] [--seeds 0]

All four models use the FactorQVAE code's DALL-E-style backbone (``backbone="dalle"``)
**shrunk to fit a CPU budget** (``channel=8, hidden_dim=64, input_channel=8`` instead of
128/128/64) on images **downsampled to 32×32** (2×2 mean) from a random subset of the
procedural 3D Shapes grid (:func:`sklvae.datasets.make_shapes3d`); ``n_latents = 12``
(twice the 6 factors, as the official configs), the official mean-MSE reconstruction on inputs shifted by
-0.5 (``likelihood="mse"``), Adam at lr 1e-3 with one half-cosine over the run, and the
official Shapes3D weights: FactorQVAE β = 1e-3, γ = 1e-4; QVAE β = 1e-3; β-VAE β = 1e-4
(KL summed over latents); QLAE 16 codes per latent with commitment and codebook weights
1e-2. As in the official code, FactorQVAE loads batches twice as large and splits them
between the VAE and the discriminator, so every model's VAE step sees the same number
of images. The Gumbel temperature schedule is compressed to the budget: it ends at
e^-1, as the official 100,000-step schedule does.

Scores follow the official FactorQVAE evaluation on fewer points: DCI with
scikit-learn's default gradient-boosted trees and InfoMEC (plug-in MI on code
**indices** for the discrete models, kNN MI with 3 neighbours and logistic regression
with 500 iterations for the β-VAE's posterior means), on held-out images; MSE is the
mean squared error of the reconstructions of those images in [0, 1] pixel units.

This is a smoke-scale comparison (a few hundred steps instead of 50,000–100,000); its
numbers say the pipeline works, not which method is better.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch

from sklvae import QLAE, QVAE, BetaVAE, FactorQVAE
from sklvae.datasets import make_shapes3d
from sklvae.metrics import dci, infomec


def downsample(images: np.ndarray, factor: int) -> np.ndarray:
    """Mean-pool uint8 images (n, H, W, C) by ``factor`` in both directions."""
    if factor == 1:
        return images
    n, height, width, channels = images.shape
    blocks = images.reshape(n, height // factor, factor, width // factor, factor, channels)
    return np.rint(blocks.mean(axis=(2, 4))).astype(np.uint8)


def make_models(args, seed: int) -> dict:
    backbone = {
        "channel": args.channel,
        "hidden_dim": args.hidden_dim,
        "input_channel": args.channel,
    }
    common = dict(
        n_latents=12,
        backbone="dalle",
        likelihood="mse",
        lr=args.lr,
        max_steps=args.steps,
        random_state=seed,
        module__backbone_params=backbone,
    )
    quantized = dict(common, lr_decay_steps=args.steps, min_lr=1.25e-6)
    # τ = exp(-rate · step) ends at e^-1 after the run (global step: 2 per batch with TC)
    return {
        "FactorQVAE": FactorQVAE(
            beta=1e-3,
            gamma=1e-4,
            discriminator_lr=args.lr,
            temperature_decay=1.0 / (2 * args.steps),
            batch_size=2 * args.batch_size,
            **quantized,
        ),
        "QVAE": QVAE(
            beta=1e-3, temperature_decay=1.0 / args.steps, batch_size=args.batch_size, **quantized
        ),
        "β-VAE": BetaVAE(beta=1e-4, batch_size=args.batch_size, **common),
        "QLAE": QLAE(codebook_size=16, batch_size=args.batch_size, **quantized),
    }


def evaluate(model, X_eval: np.ndarray, factors: np.ndarray, n_dci_train: int) -> dict:
    discrete = hasattr(model, "transform_indices")
    codes = model.transform_indices(X_eval) if discrete else model.transform(X_eval)
    d = dci(
        codes[:n_dci_train],
        factors[:n_dci_train],
        codes[n_dci_train:],
        factors[n_dci_train:],
        random_state=0,
    )
    info = infomec(
        codes, factors, discrete_latents=discrete, n_neighbors=3, max_iter=500, random_state=0
    )
    recon = model.reconstruct(X_eval).astype(np.float64) / 255.0
    mse = float(np.mean((recon - X_eval.astype(np.float64) / 255.0) ** 2))
    return {
        "D": d["disentanglement"],
        "C": d["completeness"],
        "I": d["informativeness_test"],
        "InfoM": info["infom"],
        "InfoE": info["infoe"],
        "InfoC": info["infoc"],
        "MSE": mse,
        "active": int(np.sum(info["active_latents"])),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--steps", type=int, default=300, help="optimizer steps per model")
    parser.add_argument("--n-samples", type=int, default=3000, help="training images")
    parser.add_argument(
        "--n-eval",
        type=int,
        default=1500,
        help="held-out images (DCI: first 2/3 train, last 1/3 test)",
    )
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--size", type=int, default=32, choices=(16, 32, 64))
    parser.add_argument("--channel", type=int, default=8)
    parser.add_argument("--hidden-dim", type=int, default=64)
    args = parser.parse_args()
    torch.set_num_threads(1)

    start = time.perf_counter()
    evaluation = make_shapes3d(args.n_eval, random_state=12345)
    X_eval = downsample(np.asarray(evaluation[:]), 64 // args.size)
    factors_eval = evaluation.factors
    n_dci_train = (2 * args.n_eval) // 3
    print(
        f"rendered {args.n_eval} evaluation images in {time.perf_counter() - start:.0f} s",
        flush=True,
    )

    header = (
        f"{'model':<12}{'seed':>5}{'DCI-D':>8}{'DCI-C':>8}{'DCI-I':>8}{'InfoM':>8}"
        f"{'InfoE':>8}{'InfoC':>8}{'MSE':>9}{'active':>7}{'fit s':>7}"
    )
    rows = []
    for seed in args.seeds:
        start = time.perf_counter()
        data = make_shapes3d(args.n_samples, random_state=seed)
        X = downsample(np.asarray(data[:]), 64 // args.size)
        print(
            f"rendered {args.n_samples} training images in {time.perf_counter() - start:.0f} s",
            flush=True,
        )
        for name, model in make_models(args, seed).items():
            start = time.perf_counter()
            model.fit(X)
            fit_seconds = time.perf_counter() - start
            scores = evaluate(model, X_eval, factors_eval, n_dci_train)
            print(
                f"[{name} seed {seed}] {model.n_steps_} steps in {fit_seconds:.0f} s, "
                f"last-epoch reconstruction {model.history_[-1, 'reconstruction']:.4f}",
                flush=True,
            )
            rows.append(
                f"{name:<12}{seed:>5}{scores['D']:>8.3f}{scores['C']:>8.3f}{scores['I']:>8.3f}"
                f"{scores['InfoM']:>8.3f}{scores['InfoE']:>8.3f}{scores['InfoC']:>8.3f}"
                f"{scores['MSE']:>9.5f}{scores['active']:>7d}{fit_seconds:>7.0f}"
            )
    print(
        f"\n3D Shapes (procedural, {args.size}x{args.size}), {args.n_samples} training images, "
        f"{args.steps} steps of batch {args.batch_size} (FactorQVAE {2 * args.batch_size}, "
        f"split), dalle backbone channel {args.channel}; metrics on {args.n_eval} held-out "
        f"images (DCI {n_dci_train}/{args.n_eval - n_dci_train}); discrete models scored on "
        f"code indices"
    )
    print(header)
    print("\n".join(rows))


if __name__ == "__main__":
    main()
