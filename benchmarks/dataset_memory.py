"""Peak memory and speed of streaming a whole procedural dataset once.

Iterates over every image of ``make_dsprites()`` (737,280 images) and, optionally,
``make_shapes3d()`` (480,000 images) in batches, touching each batch, and prints
the peak resident set size of the process and the images rendered per second.

Usage::

    OMP_NUM_THREADS=1 python benchmarks/dataset_memory.py [--batch-size 256]
        [--datasets dsprites shapes3d] [--limit N]

Acceptance (issue 3): the full dSprites grid in batches of 256 keeps the peak
RSS under 1.5 GB.
"""

from __future__ import annotations

import argparse
import platform
import resource
import sys
import time

import numpy as np


def peak_rss_mb() -> float:
    """Peak resident set size of this process in MiB (ru_maxrss is KiB on Linux)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (2**20 if sys.platform == "darwin" else 2**10)


def stream(dataset, batch_size: int, limit: int | None) -> tuple[int, float, int]:
    n = len(dataset) if limit is None else min(limit, len(dataset))
    checksum = 0
    start = time.perf_counter()
    for first in range(0, n, batch_size):
        batch = dataset[first : min(first + batch_size, n)]
        checksum += int(batch[:, 32, 32].sum())  # touch the pixels
    return n, time.perf_counter() - start, checksum


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument(
        "--datasets", nargs="+", default=["dsprites"], choices=["dsprites", "shapes3d"]
    )
    parser.add_argument("--limit", type=int, default=None, help="stream only the first N images")
    args = parser.parse_args(argv)

    from sklvae.datasets import make_dsprites, make_shapes3d

    print(f"python {platform.python_version()}, numpy {np.__version__}, {platform.machine()}")
    print(f"peak RSS after imports: {peak_rss_mb():.0f} MiB")
    makers = {"dsprites": make_dsprites, "shapes3d": make_shapes3d}
    for name in args.datasets:
        dataset = makers[name]()
        n, seconds, checksum = stream(dataset, args.batch_size, args.limit)
        print(
            f"{name}: {n} images ({dataset.shape[1:]}) in batches of {args.batch_size}: "
            f"{seconds:.1f} s, {n / seconds:,.0f} images/s, peak RSS so far "
            f"{peak_rss_mb():.0f} MiB (checksum {checksum})"
        )
    print(f"peak RSS: {peak_rss_mb():.0f} MiB")


if __name__ == "__main__":
    main()
