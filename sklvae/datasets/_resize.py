"""Smaller images of the same factor grids: block averaging (area downsampling).

The procedural generators render at the published 64 x 64; ``image_size=32`` (or 16, 8)
averages each block of ``64 // image_size`` pixels, as a user would shrink the real
files. It is the cheapest way to a scale where the baselines disentangle on a CPU.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._checks import check_integer

__all__ = ["area_downsample", "AreaDownsampled", "check_image_size"]


def area_downsample(images: np.ndarray, factor: int) -> np.ndarray:
    """Shrink images ``(..., H, W, C)`` by an integer factor, averaging each block.

    Parameters
    ----------
    images : ndarray, uint8 or float
    factor : int
        ``H`` and ``W`` must be divisible by it.

    Returns
    -------
    ndarray of uint8 (rounded block means) for uint8 input, float otherwise.
    """
    h, w, c = images.shape[-3:]
    if h % factor or w % factor:
        raise ValueError(f"Image size {h}x{w} is not divisible by {factor}.")
    if images.dtype == np.uint8 and factor <= 16:  # exact block sums in uint16 (<= 65,280)
        sums = np.zeros(images.shape[:-3] + (h // factor, w // factor, c), dtype=np.uint16)
        for row in range(factor):
            for col in range(factor):
                sums += images[..., row::factor, col::factor, :]
        # the sums and factor**2 are exact in float32, so this rounds as the mean would
        return np.rint(sums.astype(np.float32) / np.float32(factor * factor)).astype(np.uint8)
    blocks = images.reshape(images.shape[:-3] + (h // factor, factor, w // factor, factor, c))
    means = blocks.mean(axis=(-4, -2), dtype=np.float64)
    if images.dtype == np.uint8:
        return np.clip(np.rint(means), 0, 255).astype(np.uint8)
    return means


def check_image_size(image_size: Any, native: int) -> int:
    """``image_size`` as an int that divides the renderer's ``native`` size."""
    image_size = check_integer(image_size, "image_size", min_value=1, max_value=native)
    if native % image_size:
        divisors = [d for d in range(native, 0, -1) if native % d == 0]
        raise ValueError(
            f"image_size must divide the rendered size {native}; got {image_size}. "
            f"Choose one of {divisors}."
        )
    return image_size


class AreaDownsampled:
    """Renderer: another renderer's images shrunk by block averaging.

    Parameters
    ----------
    renderer : callable
        Factor classes ``(b, n_factors)`` to uint8 images ``(b, H, W)`` or
        ``(b, H, W, C)``.
    factor : int
        Block size: the images come back ``(b, H // factor, W // factor[, C])``.
    """

    def __init__(self, renderer: Any, factor: int) -> None:
        self.renderer, self.factor = renderer, factor

    def __call__(self, factors: np.ndarray) -> np.ndarray:
        images = self.renderer(factors)
        if images.ndim == 3:  # (b, H, W): one channel, dropped again after averaging
            return area_downsample(images[..., None], self.factor)[..., 0]
        return area_downsample(images, self.factor)
