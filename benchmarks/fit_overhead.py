"""Overhead of sklvae's training (estimator + skorch) over a plain PyTorch loop.

Both train the same module class with the same initial weights, data, batch size,
optimizer and number of steps, in the same process; the runs alternate and the median
of several repeats is reported, so machine noise hits both alike.

    python benchmarks/fit_overhead.py [--steps 200] [--repeats 5] [--size 64]

Prints images/s for both and the ratio sklvae / raw (1.0 = no overhead).
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import torch

from sklvae import BetaVAE
from sklvae.nn.module import GaussianVAEModule


def make_images(n: int, size: int, seed: int = 0) -> np.ndarray:
    rng = np.random.RandomState(seed)
    images = np.zeros((n, size, size), dtype=np.float32)
    for i in range(n):
        side = rng.randint(size // 8, size // 3)
        top, left = rng.randint(0, size - side, 2)
        images[i, top : top + side, left : left + side] = 1.0
    return images


def raw_loop(images: np.ndarray, steps: int, batch_size: int, lr: float, seed: int) -> float:
    """A plain PyTorch training loop: DataLoader, forward, loss, backward, Adam step."""
    torch.manual_seed(seed)
    module = GaussianVAEModule((1, *images.shape[1:]), n_latents=10, backbone="burgess", beta=4.0)
    optimizer = torch.optim.Adam(module.parameters(), lr=lr)
    data = torch.utils.data.TensorDataset(torch.from_numpy(images).unsqueeze(1))
    loader = torch.utils.data.DataLoader(data, batch_size=batch_size, shuffle=True)
    module.train()
    done = 0
    start = time.perf_counter()
    while done < steps:
        for (x,) in loader:
            optimizer.zero_grad()
            outputs = module(x)
            terms = module.loss_terms(outputs, x)
            loss = sum(module.loss_weights[k] * v for k, v in terms.items())
            loss.backward()
            optimizer.step()
            loss.item()  # what any loop does to log the loss
            done += 1
            if done == steps:
                break
    return steps * batch_size / (time.perf_counter() - start)


def sklvae_fit(images: np.ndarray, steps: int, batch_size: int, lr: float, seed: int) -> float:
    model = BetaVAE(n_latents=10, beta=4.0, backbone="burgess", lr=lr, batch_size=batch_size,
                    max_steps=steps, random_state=seed, device="cpu")
    start = time.perf_counter()
    model.fit(images)
    elapsed = time.perf_counter() - start
    assert model.n_steps_ == steps
    return steps * batch_size / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--size", type=int, default=64, help="image side (64 or 32)")
    parser.add_argument("--n-samples", type=int, default=4096)
    args = parser.parse_args()

    images = make_images(args.n_samples, args.size)
    # warm-up both paths (allocator, kernels) before timing
    raw_loop(images, 5, args.batch_size, 1e-4, 0)
    sklvae_fit(images, 5, args.batch_size, 1e-4, 0)
    raw, ours = [], []
    for repeat in range(args.repeats):
        raw.append(raw_loop(images, args.steps, args.batch_size, 1e-4, repeat))
        ours.append(sklvae_fit(images, args.steps, args.batch_size, 1e-4, repeat))
    raw_median, ours_median = statistics.median(raw), statistics.median(ours)
    print(f"device: cpu, torch threads: {torch.get_num_threads()}, images {args.size}x{args.size}, "
          f"batch {args.batch_size}, {args.steps} steps x {args.repeats} repeats")
    print(f"raw PyTorch loop : {raw_median:8.1f} images/s  (runs: {', '.join(f'{v:.0f}' for v in raw)})")
    print(f"sklvae BetaVAE   : {ours_median:8.1f} images/s  (runs: {', '.join(f'{v:.0f}' for v in ours)})")
    print(f"ratio sklvae/raw : {ours_median / raw_median:.3f}")


if __name__ == "__main__":
    main()
