"""FactorQVAE's DALL-E dVAE-style residual encoder and decoder (backbone ``"dalle"``).

The architecture the official FactorQVAE code shares with its baselines: residual blocks
with a ``post_gain`` on the residual path, groups of blocks separated by pooling /
upsampling, N(0, 0.02) weights. Registered as ``"dalle"`` in :mod:`sklvae.nn.backbones`.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from .backbones import _check_image, _FeatureEncoder, _Reshape, register_backbone

# --- dalle (FactorQVAE's DALL-E dVAE-style residual backbone) ---


def dalle_init_(module: nn.Module) -> nn.Module:
    """The FactorQVAE initialisation, in place: Conv/Linear weights ~ N(0, 0.02), biases 0."""
    for layer in module.modules():
        if isinstance(layer, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
            nn.init.normal_(layer.weight, 0.0, 0.02)
            if layer.bias is not None:
                nn.init.zeros_(layer.bias)
    return module


class DalleEncoderBlock(nn.Module):
    """``id_path(x) + post_gain * res_path(x)``, residual path ReLU-conv 3, 3, 3, 1.

    ``id_path`` is a 1×1 conv when the width changes, else the identity; the hidden
    width is ``n_out // 4`` and ``post_gain = 1 / n_layers**2`` (1/36 for 3 groups of 2).
    """

    def __init__(self, n_in: int, n_out: int, n_layers: int):
        super().__init__()
        n_hid = n_out // 4
        self.post_gain = 1.0 / n_layers**2
        self.id_path = nn.Conv2d(n_in, n_out, 1) if n_in != n_out else nn.Identity()
        self.res_path = nn.Sequential(
            nn.ReLU(),
            nn.Conv2d(n_in, n_hid, 3, padding=1),
            nn.ReLU(),
            nn.Conv2d(n_hid, n_hid, 3, padding=1),
            nn.ReLU(),
            nn.Conv2d(n_hid, n_hid, 3, padding=1),
            nn.ReLU(),
            nn.Conv2d(n_hid, n_out, 1),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.id_path(x) + self.post_gain * self.res_path(x)


class DalleDecoderBlock(nn.Module):
    """``id_path(x) + post_gain * res_path(x)``, residual path ReLU-conv 1, 3, 3, 3."""

    def __init__(self, n_in: int, n_out: int, n_layers: int):
        super().__init__()
        n_hid = n_out // 4
        self.post_gain = 1.0 / n_layers**2
        self.id_path = nn.Conv2d(n_in, n_out, 1) if n_in != n_out else nn.Identity()
        self.res_path = nn.Sequential(
            nn.ReLU(),
            nn.Conv2d(n_in, n_hid, 1),
            nn.ReLU(),
            nn.Conv2d(n_hid, n_hid, 3, padding=1),
            nn.ReLU(),
            nn.Conv2d(n_hid, n_hid, 3, padding=1),
            nn.ReLU(),
            nn.Conv2d(n_hid, n_out, 3, padding=1),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.id_path(x) + self.post_gain * self.res_path(x)


def _check_dalle(input_shape: tuple, group_count: int, n_blk_per_group: int, channel: int):
    if group_count < 2 or n_blk_per_group < 1:
        raise ValueError(
            f"The 'dalle' backbone needs group_count >= 2 and n_blk_per_group >= 1; got "
            f"{group_count} and {n_blk_per_group}."
        )
    if channel < 4:
        raise ValueError(
            f"The 'dalle' backbone needs channel >= 4 (blocks use channel // 4); got {channel}."
        )
    return _check_image(input_shape, "dalle", 2 ** (group_count - 1))


def dalle_encoder(
    input_shape: tuple,
    *,
    group_count: int = 3,
    n_blk_per_group: int = 2,
    channel: int = 128,
    hidden_dim: int = 128,
    input_channel: int = 64,
) -> nn.Module:
    """DALL-E-style encoder trunk, ``hidden_dim`` features after the last ReLU.

    Conv 3×3 (C→channel); ``group_count`` groups of ``n_blk_per_group`` encoder blocks,
    widths ``channel · 2**g``, a 2×2 max-pool after every group but the last; flatten;
    ReLU-Linear(hidden_dim)-ReLU-Linear(hidden_dim)-ReLU. The method adds its projection
    head. Initialised with :func:`dalle_init_`. ``input_channel`` is the decoder's
    (accepted so that one ``backbone_params`` dict serves both builders).
    """
    in_channels, height, width = _check_dalle(input_shape, group_count, n_blk_per_group, channel)
    n_layers = group_count * n_blk_per_group
    layers: list[nn.Module] = [nn.Conv2d(in_channels, channel, 3, padding=1)]
    previous = channel
    for group in range(group_count):
        out = channel * 2**group
        for block in range(n_blk_per_group):
            layers.append(DalleEncoderBlock(previous if block == 0 else out, out, n_layers))
        previous = out
        if group < group_count - 1:
            layers.append(nn.MaxPool2d(2))
    factor = 2 ** (group_count - 1)
    flat = previous * (height // factor) * (width // factor)
    layers += [
        nn.Flatten(),
        nn.ReLU(),
        nn.Linear(flat, hidden_dim),
        nn.ReLU(),
        nn.Linear(hidden_dim, hidden_dim),
        nn.ReLU(),
    ]
    return dalle_init_(_FeatureEncoder(*layers, feature_dim=hidden_dim))


def dalle_decoder(
    input_shape: tuple,
    n_latents: int,
    *,
    group_count: int = 3,
    n_blk_per_group: int = 2,
    channel: int = 128,
    hidden_dim: int = 128,
    input_channel: int = 64,
) -> nn.Module:
    """DALL-E-style decoder; unbounded outputs (no sigmoid in the official code).

    Linear(n_latents → input_channel·(H/2**(G-1))·(W/2**(G-1))) reshaped, no activation;
    ``group_count`` groups of decoder blocks of widths ``channel · 2**(G-1-g)``, a
    nearest 2× upsampling after every group but the last; ReLU and a 1×1 conv to C.
    Initialised with :func:`dalle_init_`. ``hidden_dim`` is the encoder's.
    """
    out_channels, height, width = _check_dalle(input_shape, group_count, n_blk_per_group, channel)
    n_layers = group_count * n_blk_per_group
    factor = 2 ** (group_count - 1)
    grid = (input_channel, height // factor, width // factor)
    layers: list[nn.Module] = [nn.Linear(n_latents, math.prod(grid)), _Reshape(grid)]
    previous = input_channel
    for group in range(group_count):
        out = channel * 2 ** (group_count - 1 - group)
        for block in range(n_blk_per_group):
            layers.append(DalleDecoderBlock(previous if block == 0 else out, out, n_layers))
        previous = out
        if group < group_count - 1:
            layers.append(nn.Upsample(scale_factor=2, mode="nearest"))
    layers += [nn.ReLU(), nn.Conv2d(channel, out_channels, 1)]
    return dalle_init_(nn.Sequential(*layers))


register_backbone("dalle", dalle_encoder, dalle_decoder)
