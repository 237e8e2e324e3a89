"""A fully convolutional autoencoder whose latent is a feature map (backbone ``"conv_grid"``).

GroupActionAE's backbone: the group acts on the latent grid as on the image, so the
latent keeps spatial axes. For 2-D images and 3-D volumes. Registered as
``"conv_grid"`` in :mod:`sklvae.nn.backbones`.
"""

from __future__ import annotations

import math

from torch import nn

from .backbones import _FeatureEncoder, _Reshape, register_backbone

# --- conv_grid (GroupActionAE: the latent is a feature map) ------------------------------


def conv_grid_shape(input_shape: tuple, n_channels: int = 64, n_layers: int = 2) -> tuple:
    """Shape ``(n_channels, *grid)`` of the latent map of the 'conv_grid' backbone.

    Images ``(C, H, W)`` and volumes ``(C, D, H, W)``; every spatial side must be a
    multiple of ``2 ** n_layers`` (each layer halves it).
    """
    if len(input_shape) not in (3, 4):
        raise ValueError(
            "The 'conv_grid' backbone needs images (C, H, W) or volumes (C, D, H, W); "
            f"got samples of shape {input_shape}."
        )
    if n_layers < 1 or n_channels < 1:
        raise ValueError(
            f"The 'conv_grid' backbone needs n_layers >= 1 and n_channels >= 1; got "
            f"{n_layers} and {n_channels}."
        )
    factor = 2**n_layers
    sides = tuple(input_shape[1:])
    if any(side % factor for side in sides):
        raise ValueError(
            f"The 'conv_grid' backbone with n_layers={n_layers} needs spatial sides that "
            f"are multiples of {factor}; got {'×'.join(map(str, sides))}."
        )
    return (int(n_channels), *(side // factor for side in sides))


def conv_grid_encoder(
    input_shape: tuple, *, n_channels: int = 64, hidden_channels: int = 32, n_layers: int = 2
) -> nn.Module:
    """Fully convolutional encoder whose output is a latent *map*, flattened.

    ``n_layers`` × [Conv 4×4 (or 4×4×4 for volumes), stride 2, padding 1 +
    LeakyReLU(0.2)], widths ``hidden_channels`` then ``n_channels`` for the last layer:
    the GroupActionAE code's encoder for Rotated MNIST (1→32→64, 28→14→7) for
    ``n_layers=2``. No dense layer, so the grid keeps the image's geometry (with even
    sides a 90° turn of the input lines up with a 90° turn of the grid). The module's
    ``grid_shape`` is ``(n_channels, *grid)`` and ``feature_dim`` its product.
    """
    grid = conv_grid_shape(input_shape, n_channels, n_layers)
    conv = nn.Conv2d if len(input_shape) == 3 else nn.Conv3d
    layers: list[nn.Module] = []
    previous = input_shape[0]
    for index in range(n_layers):
        out = n_channels if index == n_layers - 1 else hidden_channels
        layers += [conv(previous, out, 4, stride=2, padding=1), nn.LeakyReLU(0.2)]
        previous = out
    layers.append(nn.Flatten())
    encoder = _FeatureEncoder(*layers, feature_dim=math.prod(grid))
    encoder.grid_shape = grid
    return encoder


def conv_grid_decoder(
    input_shape: tuple,
    n_latents: int,
    *,
    n_channels: int = 64,
    hidden_channels: int = 32,
    n_layers: int = 2,
) -> nn.Module:
    """Mirror of :func:`conv_grid_encoder`: flattened latent map → unbounded outputs.

    ``n_latents`` must be the flattened map size ``n_channels · prod(grid)``. Transposed
    convolutions 4×4, stride 2, padding 1 with LeakyReLU(0.2) between them; no final
    activation (the likelihood or the method applies it; the official code's tanh).
    """
    grid = conv_grid_shape(input_shape, n_channels, n_layers)
    if n_latents != math.prod(grid):
        raise ValueError(
            f"The 'conv_grid' decoder for samples of shape {tuple(input_shape)} reads latent "
            f"maps {grid}, i.e. n_latents={math.prod(grid)}; got n_latents={n_latents}."
        )
    deconv = nn.ConvTranspose2d if len(input_shape) == 3 else nn.ConvTranspose3d
    layers: list[nn.Module] = [_Reshape(grid)]
    previous = n_channels
    for index in range(n_layers):
        last = index == n_layers - 1
        out = input_shape[0] if last else hidden_channels
        layers.append(deconv(previous, out, 4, stride=2, padding=1))
        if not last:
            layers.append(nn.LeakyReLU(0.2))
        previous = out
    return nn.Sequential(*layers)


register_backbone("conv_grid", conv_grid_encoder, conv_grid_decoder)
