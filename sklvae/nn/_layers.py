"""Private layer helpers that several torch modules of :mod:`sklvae.nn` share.

Nothing here knows a method or a backbone by name: reshaping, an encoder that knows
its output width, the image-shape check of the convolutional backbones, and the
initialisations the official codes apply.
"""

from __future__ import annotations

import torch
from torch import nn

__all__ = ["Reshape", "FeatureEncoder", "check_image", "xavier_init_"]


class Reshape(nn.Module):
    """Reshape a batch ``(n, ...)`` to ``(n, *shape)``."""

    def __init__(self, shape: tuple):
        super().__init__()
        self.shape = tuple(shape)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.reshape(x.shape[0], *self.shape)


class FeatureEncoder(nn.Sequential):
    """A sequential encoder that knows its output width (``feature_dim``)."""

    def __init__(self, *layers: nn.Module, feature_dim: int):
        super().__init__(*layers)
        self.feature_dim = int(feature_dim)


def check_image(input_shape: tuple, name: str, multiple: int) -> tuple[int, int, int]:
    """``(C, H, W)`` of images whose sides are multiples of ``multiple``, else a ValueError.

    ``name`` is the backbone the message names.
    """
    if len(input_shape) != 3:
        raise ValueError(
            f"The {name!r} backbone needs images (C, H, W); got samples of shape "
            f"{input_shape}. Use backbone='mlp' for tabular data."
        )
    channels, height, width = input_shape
    if height % multiple or width % multiple:
        raise ValueError(
            f"The {name!r} backbone needs image sides that are multiples of {multiple}; "
            f"got {height}×{width}. Resize the images or use backbone='mlp'."
        )
    return channels, height, width


def xavier_init_(module: nn.Module) -> None:
    """Xavier-uniform initialise every parameter with two or more dimensions.

    This is the MIPET code's ``init_weights``: it covers convolution and linear weights
    as well as the IPE matrices and the EF sub-network matrices; one-dimensional
    parameters (biases) keep PyTorch's default.

    Parameters
    ----------
    module : torch.nn.Module
        Module whose parameters are re-initialised in place.
    """
    for parameter in module.parameters():
        if parameter.dim() >= 2:
            nn.init.xavier_uniform_(parameter)
