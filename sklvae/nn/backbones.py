"""Encoder and decoder builders, by name.

An *encoder* maps a batch ``(n, *input_shape)`` to features ``(n, encoder.feature_dim)``;
the method's head (Gaussian mean/log-variance, quantizer input, ...) sits on top. A
*decoder* maps latent codes ``(n, n_latents)`` to unbounded outputs
``(n, *input_shape)`` (logits for images; the likelihood applies the sigmoid).

Registered backbones:

``"burgess"``
    The conv encoder/decoder of Burgess et al. (2018) as disentanglement_lib builds it:
    4 × [Conv 4×4, stride 2, padding 1 + ReLU] with 32, 32, 64, 64 channels, dense 256 +
    ReLU; the decoder mirrors it. Images whose height and width are multiples of 16
    (64×64 and 32×32 in particular).
``"mipet"``
    The MIPET-VAE variant (mipet spec §1.1, §1.4): convolutions with padding 0
    (64→31→14→6→2), a dense layer *without* activation; decoder
    Linear-ReLU-Linear(1024)-ReLU-4 transposed convolutions. 64×64 images only.
``"mlp"``
    Two hidden ReLU layers; any input shape (images are flattened).

Other modules add builders with :func:`register_backbone`.
"""

from __future__ import annotations

import math
from typing import Callable

import torch
from torch import nn

EncoderBuilder = Callable[..., nn.Module]
DecoderBuilder = Callable[..., nn.Module]

_REGISTRY: dict[str, tuple[EncoderBuilder, DecoderBuilder]] = {}


def register_backbone(name: str, encoder: EncoderBuilder, decoder: DecoderBuilder) -> None:
    """Register an encoder/decoder pair under ``name``.

    ``encoder(input_shape, **params)`` must return a module with a ``feature_dim``
    attribute; ``decoder(input_shape, n_latents, **params)`` a module producing
    ``(n, *input_shape)``.
    """
    _REGISTRY[name] = (encoder, decoder)


def available_backbones() -> tuple[str, ...]:
    return tuple(sorted(_REGISTRY))


def _lookup(name: str) -> tuple[EncoderBuilder, DecoderBuilder]:
    if name not in _REGISTRY:
        raise ValueError(
            f"Unknown backbone {name!r}; available: {', '.join(available_backbones())}."
        )
    return _REGISTRY[name]


def make_encoder(name: str, input_shape: tuple, **params) -> nn.Module:
    """Build the encoder registered as ``name`` for samples of ``input_shape``."""
    return _lookup(name)[0](tuple(input_shape), **params)


def make_decoder(name: str, input_shape: tuple, n_latents: int, **params) -> nn.Module:
    """Build the decoder registered as ``name`` producing samples of ``input_shape``."""
    return _lookup(name)[1](tuple(input_shape), int(n_latents), **params)


def default_backbone(input_shape: tuple) -> str:
    """"burgess" for images whose sides are multiples of 16, else "mlp"."""
    if len(input_shape) == 3 and input_shape[1] % 16 == 0 and input_shape[2] % 16 == 0:
        return "burgess"
    return "mlp"


class _Reshape(nn.Module):
    def __init__(self, shape: tuple):
        super().__init__()
        self.shape = tuple(shape)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.reshape(x.shape[0], *self.shape)


class _FeatureEncoder(nn.Sequential):
    """A sequential encoder that knows its output width."""

    def __init__(self, *layers: nn.Module, feature_dim: int):
        super().__init__(*layers)
        self.feature_dim = int(feature_dim)


def _check_image(input_shape: tuple, name: str, multiple: int) -> tuple[int, int, int]:
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


# --- burgess (disentanglement_lib conv_encoder / deconv_decoder) -------------------------


def burgess_encoder(
    input_shape: tuple, *, channels: tuple = (32, 32, 64, 64), hidden_dim: int = 256
) -> nn.Module:
    in_channels, height, width = _check_image(input_shape, "burgess", 16)
    layers: list[nn.Module] = []
    previous = in_channels
    for out in channels:
        layers += [nn.Conv2d(previous, out, 4, stride=2, padding=1), nn.ReLU()]
        previous = out
    flat = previous * (height // 16) * (width // 16)
    layers += [nn.Flatten(), nn.Linear(flat, hidden_dim), nn.ReLU()]
    return _FeatureEncoder(*layers, feature_dim=hidden_dim)


def burgess_decoder(
    input_shape: tuple,
    n_latents: int,
    *,
    channels: tuple = (32, 32, 64, 64),
    hidden_dim: int = 256,
) -> nn.Module:
    out_channels, height, width = _check_image(input_shape, "burgess", 16)
    grid = (channels[-1], height // 16, width // 16)
    layers: list[nn.Module] = [
        nn.Linear(n_latents, hidden_dim),
        nn.ReLU(),
        nn.Linear(hidden_dim, math.prod(grid)),
        nn.ReLU(),
        _Reshape(grid),
    ]
    # mirror of the encoder: 64 -> 64 -> 32 -> 32 -> C
    widths = list(reversed(channels))[1:] + [out_channels]
    previous = channels[-1]
    for index, out in enumerate(widths):
        layers.append(nn.ConvTranspose2d(previous, out, 4, stride=2, padding=1))
        if index < len(widths) - 1:
            layers.append(nn.ReLU())
        previous = out
    return nn.Sequential(*layers)


# --- mipet (MIPET-VAEs models/encoder.py, decoder.py; spec §1.1, §1.4) --------------------


class MipetEncoder(nn.Module):
    """MIPET's dSprites/3D-Shapes encoder trunk: conv stack (padding 0) + dense, no activation."""

    def __init__(self, input_shape: tuple, *, hidden_dim: int = 128):
        super().__init__()
        in_channels, height, width = _check_image(input_shape, "mipet", 16)
        if (height, width) != (64, 64):
            raise ValueError(f"The 'mipet' backbone needs 64×64 images; got {height}×{width}.")
        widths = (32, 32, 64, 64)
        convs = []
        previous = in_channels
        for out in widths:
            convs += [nn.Conv2d(previous, out, 4, stride=2, padding=0), nn.ReLU()]
            previous = out
        self.conv = nn.Sequential(*convs)
        # 64 -> 31 -> 14 -> 6 -> 2: 64 * 2 * 2 = 256 features
        self.dense = nn.Linear(256, hidden_dim)
        self.feature_dim = hidden_dim

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.dense(self.conv(x).flatten(1))


class MipetDecoder(nn.Module):
    """MIPET's decoder; outputs logits (the official code's final sigmoid is the likelihood's)."""

    def __init__(self, input_shape: tuple, n_latents: int, *, hidden_dim: int = 128):
        super().__init__()
        out_channels, height, width = _check_image(input_shape, "mipet", 16)
        if (height, width) != (64, 64):
            raise ValueError(f"The 'mipet' backbone needs 64×64 images; got {height}×{width}.")
        self.dense1 = nn.Linear(n_latents, hidden_dim)
        self.dense2 = nn.Linear(hidden_dim, 1024)
        self.deconv = nn.Sequential(
            nn.ConvTranspose2d(64, 64, 4, 2, 1),
            nn.ReLU(),
            nn.ConvTranspose2d(64, 32, 4, 2, 1),
            nn.ReLU(),
            nn.ConvTranspose2d(32, 32, 4, 2, 1),
            nn.ReLU(),
            nn.ConvTranspose2d(32, out_channels, 4, 2, 1),
        )

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        h = torch.relu(self.dense2(torch.relu(self.dense1(z))))
        return self.deconv(h.reshape(-1, 64, 4, 4))


# --- mlp --------------------------------------------------------------------------------


def mlp_encoder(input_shape: tuple, *, hidden_dim: int = 256, n_hidden_layers: int = 2) -> nn.Module:
    layers: list[nn.Module] = [nn.Flatten()]
    previous = math.prod(input_shape)
    for _ in range(n_hidden_layers):
        layers += [nn.Linear(previous, hidden_dim), nn.ReLU()]
        previous = hidden_dim
    return _FeatureEncoder(*layers, feature_dim=previous)


def mlp_decoder(
    input_shape: tuple, n_latents: int, *, hidden_dim: int = 256, n_hidden_layers: int = 2
) -> nn.Module:
    layers: list[nn.Module] = []
    previous = n_latents
    for _ in range(n_hidden_layers):
        layers += [nn.Linear(previous, hidden_dim), nn.ReLU()]
        previous = hidden_dim
    layers += [nn.Linear(previous, math.prod(input_shape)), _Reshape(input_shape)]
    return nn.Sequential(*layers)


register_backbone("burgess", burgess_encoder, burgess_decoder)
register_backbone("mipet", MipetEncoder, MipetDecoder)
register_backbone("mlp", mlp_encoder, mlp_decoder)
