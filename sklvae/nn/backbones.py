"""Encoder and decoder builders, by name: the table :data:`BACKBONES`.

An *encoder* maps a batch ``(n, *input_shape)`` to features ``(n, encoder.feature_dim)``;
the method's head (Gaussian mean/log-variance, quantizer input, ...) sits on top. A
*decoder* maps latent codes ``(n, n_latents)`` to unbounded outputs
``(n, *input_shape)`` (logits for images; the likelihood applies the sigmoid).

Backbones (the keys of :data:`BACKBONES`, in its order):

``"burgess"``
    The conv encoder/decoder of Burgess et al. (2018) as disentanglement_lib builds it:
    4 × [Conv 4×4, stride 2, padding 1 + ReLU] with 32, 32, 64, 64 channels, dense 256 +
    ReLU; the decoder mirrors it. Images whose height and width are multiples of 16
    (64×64 and 32×32 in particular).
``"mipet"``
    The MIPET-VAE networks (the official MIPET-VAEs encoder and decoder): convolutions
    with padding 0 (64→31→14→6→2), a dense layer *without* activation; decoder
    Linear-ReLU-Linear(1024)-ReLU-4 transposed convolutions. 64×64 images only.
``"dalle"``
    The DALL-E dVAE-style residual encoder/decoder that FactorQVAE and its baselines
    share (the official FactorQVAE encoder and decoder).
``"conv_grid"``
    A fully convolutional autoencoder whose latent is a feature map (GroupActionAE),
    for 2-D images and 3-D volumes.
``"mlp"``
    Two hidden ReLU layers; any input shape (images are flattened).

Custom backbones
----------------
Wherever a backbone name is accepted (an estimator's ``backbone=``), a pair
``(encoder_builder, decoder_builder)`` of callables works too, typically two
``torch.nn.Module`` classes; the values of :data:`BACKBONES` are such pairs:

* ``encoder_builder(input_shape, **backbone_params)`` returns a module mapping a batch
  ``(n, *input_shape)`` to features ``(n, feature_dim)``. ``feature_dim`` is read from the
  module's ``feature_dim`` attribute when it has one, else from a trial forward pass.
* ``decoder_builder(input_shape, n_latents, **backbone_params)`` returns a module mapping
  codes ``(n, n_latents)`` to unbounded outputs ``(n, *input_shape)`` (logits for
  images with the Bernoulli likelihood).

``input_shape`` is channels-first: ``(C, H, W)`` for images, ``(d,)`` for tabular data.
The pair is checked with a two-sample trial pass when the module is built (at ``fit``),
and a shape that does not fit raises a ``ValueError`` naming the builder and both
shapes. Builders must be importable (module-level classes or functions, not lambdas)
for the estimator to pickle.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from typing import TypeVar

import torch
from sklearn.utils._param_validation import StrOptions
from torch import nn

from ._layers import FeatureEncoder, Reshape, check_image

__all__ = [
    "BACKBONES",
    "is_custom_backbone",
    "make_encoder",
    "make_decoder",
    "default_backbone",
    "BackboneConstraint",
    "burgess_encoder",
    "burgess_decoder",
    "MipetEncoder",
    "MipetDecoder",
    "dalle_encoder",
    "dalle_decoder",
    "dalle_init_",
    "DalleEncoderBlock",
    "DalleDecoderBlock",
    "conv_grid_shape",
    "conv_grid_encoder",
    "conv_grid_decoder",
    "mlp_encoder",
    "mlp_decoder",
]

EncoderBuilder = Callable[..., nn.Module]
DecoderBuilder = Callable[..., nn.Module]

_Settings = TypeVar("_Settings")


def _read_settings(settings_class: type[_Settings], name: str, params: dict) -> _Settings:
    """The settings dataclass of backbone ``name`` from ``backbone_params``."""
    known = [field.name for field in dataclasses.fields(settings_class)]
    unknown = sorted(set(params) - set(known))
    if unknown:
        raise TypeError(
            f"The {name!r} backbone has no setting(s) {unknown}; its settings are "
            f"{', '.join(known)}."
        )
    return settings_class(**params)


# --- burgess (disentanglement_lib conv_encoder / deconv_decoder) -------------------------


def burgess_encoder(
    input_shape: tuple, *, channels: tuple = (32, 32, 64, 64), hidden_dim: int = 256
) -> nn.Module:
    in_channels, height, width = check_image(input_shape, "burgess", 16)
    layers: list[nn.Module] = []
    previous = in_channels
    for out in channels:
        layers += [nn.Conv2d(previous, out, 4, stride=2, padding=1), nn.ReLU()]
        previous = out
    flat = previous * (height // 16) * (width // 16)
    layers += [nn.Flatten(), nn.Linear(flat, hidden_dim), nn.ReLU()]
    return FeatureEncoder(*layers, feature_dim=hidden_dim)


def burgess_decoder(
    input_shape: tuple,
    n_latents: int,
    *,
    channels: tuple = (32, 32, 64, 64),
    hidden_dim: int = 256,
) -> nn.Module:
    out_channels, height, width = check_image(input_shape, "burgess", 16)
    grid = (channels[-1], height // 16, width // 16)
    layers: list[nn.Module] = [
        nn.Linear(n_latents, hidden_dim),
        nn.ReLU(),
        nn.Linear(hidden_dim, math.prod(grid)),
        nn.ReLU(),
        Reshape(grid),
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


# --- mipet (the official MIPET-VAEs encoder and decoder) --------------------------------


def _check_mipet(input_shape: tuple) -> int:
    channels, height, width = check_image(input_shape, "mipet", 16)
    if (height, width) != (64, 64):
        raise ValueError(f"The 'mipet' backbone needs 64×64 images; got {height}×{width}.")
    return channels


class MipetEncoder(nn.Module):
    """MIPET's dSprites/3D-Shapes encoder trunk: conv stack (padding 0) + dense, no activation."""

    def __init__(self, input_shape: tuple, *, hidden_dim: int = 128):
        super().__init__()
        previous = _check_mipet(input_shape)
        convs = []
        for out in (32, 32, 64, 64):
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
        out_channels = _check_mipet(input_shape)
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


# --- dalle (FactorQVAE's DALL-E dVAE-style residual backbone) ---------------------------
# Residual blocks with a ``post_gain`` on the residual path, groups of blocks separated by
# pooling / upsampling, N(0, 0.02) weights: the architecture the official FactorQVAE
# code shares with its baselines.


def dalle_init_(module: nn.Module) -> nn.Module:
    """The FactorQVAE initialisation, in place: Conv/Linear weights ~ N(0, 0.02), biases 0."""
    for layer in module.modules():
        if isinstance(layer, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
            nn.init.normal_(layer.weight, 0.0, 0.02)
            if layer.bias is not None:
                nn.init.zeros_(layer.bias)
    return module


class _DalleBlock(nn.Module):
    """``id_path(x) + post_gain * res_path(x)``, residual path 4 × [ReLU, conv].

    The convolutions have the kernel sizes ``kernel_sizes`` (same padding) and widths
    ``n_in → n_out // 4 → n_out // 4 → n_out // 4 → n_out``; ``id_path`` is a 1×1
    conv when the width changes, else the identity; ``post_gain = 1 / n_layers**2``
    (1/36 for 3 groups of 2).
    """

    kernel_sizes: tuple[int, ...]

    def __init__(self, n_in: int, n_out: int, n_layers: int):
        super().__init__()
        n_hid = n_out // 4
        self.post_gain = 1.0 / n_layers**2
        self.id_path = nn.Conv2d(n_in, n_out, 1) if n_in != n_out else nn.Identity()
        widths = (n_in, n_hid, n_hid, n_hid, n_out)
        layers: list[nn.Module] = []
        for kernel, width_in, width_out in zip(self.kernel_sizes, widths, widths[1:]):
            layers += [nn.ReLU(), nn.Conv2d(width_in, width_out, kernel, padding=kernel // 2)]
        self.res_path = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.id_path(x) + self.post_gain * self.res_path(x)


class DalleEncoderBlock(_DalleBlock):
    """The encoder's residual block: convolutions 3×3, 3×3, 3×3, 1×1."""

    kernel_sizes = (3, 3, 3, 1)


class DalleDecoderBlock(_DalleBlock):
    """The decoder's residual block: convolutions 1×1, 3×3, 3×3, 3×3."""

    kernel_sizes = (1, 3, 3, 3)


@dataclasses.dataclass(frozen=True)
class _DalleSettings:
    """Settings of the ``"dalle"`` backbone; one ``backbone_params`` dict serves both builders.

    Parameters
    ----------
    group_count : int, default=3
        Groups of residual blocks (G); the image sides must be multiples of 2**(G-1).
    n_blk_per_group : int, default=2
        Residual blocks per group.
    channel : int, default=128
        Base width of the blocks (at least 4: the blocks use ``channel // 4``).
    hidden_dim : int, default=128
        Width of the encoder's two dense layers (its ``feature_dim``).
    input_channel : int, default=64
        Channels of the grid the decoder's first dense layer is reshaped to.
    """

    group_count: int = 3
    n_blk_per_group: int = 2
    channel: int = 128
    hidden_dim: int = 128
    input_channel: int = 64

    @property
    def n_layers(self) -> int:
        """Residual blocks in all (each block's ``post_gain`` is ``1 / n_layers**2``)."""
        return self.group_count * self.n_blk_per_group

    @property
    def factor(self) -> int:
        """How much the groups shrink an image side: 2**(G-1)."""
        return 2 ** (self.group_count - 1)

    def check(self, input_shape: tuple) -> tuple[int, int, int]:
        if self.group_count < 2 or self.n_blk_per_group < 1:
            raise ValueError(
                f"The 'dalle' backbone needs group_count >= 2 and n_blk_per_group >= 1; got "
                f"{self.group_count} and {self.n_blk_per_group}."
            )
        if self.channel < 4:
            raise ValueError(
                "The 'dalle' backbone needs channel >= 4 (blocks use channel // 4); got "
                f"{self.channel}."
            )
        return check_image(input_shape, "dalle", self.factor)


def dalle_encoder(input_shape: tuple, **settings: int) -> nn.Module:
    """DALL-E-style encoder trunk, ``hidden_dim`` features after the last ReLU.

    Conv 3×3 (C→channel); ``group_count`` groups of ``n_blk_per_group`` encoder blocks,
    widths ``channel · 2**g``, a 2×2 max-pool after every group but the last; flatten;
    ReLU-Linear(hidden_dim)-ReLU-Linear(hidden_dim)-ReLU. The method adds its projection
    head. Initialised with :func:`dalle_init_`. ``settings``: ``group_count=3``,
    ``n_blk_per_group=2``, ``channel=128``, ``hidden_dim=128``, ``input_channel=64``
    (the decoder's, accepted so that one ``backbone_params`` dict serves both builders).
    """
    s = _read_settings(_DalleSettings, "dalle", settings)
    in_channels, height, width = s.check(input_shape)
    layers: list[nn.Module] = [nn.Conv2d(in_channels, s.channel, 3, padding=1)]
    previous = s.channel
    for group in range(s.group_count):
        out = s.channel * 2**group
        for block in range(s.n_blk_per_group):
            layers.append(DalleEncoderBlock(previous if block == 0 else out, out, s.n_layers))
        previous = out
        if group < s.group_count - 1:
            layers.append(nn.MaxPool2d(2))
    flat = previous * (height // s.factor) * (width // s.factor)
    layers += [
        nn.Flatten(),
        nn.ReLU(),
        nn.Linear(flat, s.hidden_dim),
        nn.ReLU(),
        nn.Linear(s.hidden_dim, s.hidden_dim),
        nn.ReLU(),
    ]
    return dalle_init_(FeatureEncoder(*layers, feature_dim=s.hidden_dim))


def dalle_decoder(input_shape: tuple, n_latents: int, **settings: int) -> nn.Module:
    """DALL-E-style decoder; unbounded outputs (no sigmoid in the official code).

    Linear(n_latents → input_channel·(H/2**(G-1))·(W/2**(G-1))) reshaped, no activation;
    ``group_count`` groups of decoder blocks of widths ``channel · 2**(G-1-g)``, a
    nearest 2× upsampling after every group but the last; ReLU and a 1×1 conv to C.
    Initialised with :func:`dalle_init_`. ``settings`` as :func:`dalle_encoder`'s
    (``hidden_dim`` is the encoder's).
    """
    s = _read_settings(_DalleSettings, "dalle", settings)
    out_channels, height, width = s.check(input_shape)
    grid = (s.input_channel, height // s.factor, width // s.factor)
    layers: list[nn.Module] = [nn.Linear(n_latents, math.prod(grid)), Reshape(grid)]
    previous = s.input_channel
    for group in range(s.group_count):
        out = s.channel * 2 ** (s.group_count - 1 - group)
        for block in range(s.n_blk_per_group):
            layers.append(DalleDecoderBlock(previous if block == 0 else out, out, s.n_layers))
        previous = out
        if group < s.group_count - 1:
            layers.append(nn.Upsample(scale_factor=2, mode="nearest"))
    layers += [nn.ReLU(), nn.Conv2d(s.channel, out_channels, 1)]
    return dalle_init_(nn.Sequential(*layers))


# --- conv_grid (GroupActionAE: the latent is a feature map) ------------------------------
# The group acts on the latent grid as on the image, so the latent keeps spatial axes.


@dataclasses.dataclass(frozen=True)
class _ConvGridSettings:
    """Settings of the ``"conv_grid"`` backbone, shared by its two builders.

    Parameters
    ----------
    n_channels : int, default=64
        Channels of the latent map (the last encoder layer's width).
    hidden_channels : int, default=32
        Width of the other layers.
    n_layers : int, default=2
        Strided layers; each halves every spatial side.
    """

    n_channels: int = 64
    hidden_channels: int = 32
    n_layers: int = 2


def conv_grid_shape(input_shape: tuple, n_channels: int, n_layers: int) -> tuple:
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


def conv_grid_encoder(input_shape: tuple, **settings: int) -> nn.Module:
    """Fully convolutional encoder whose output is a latent *map*, flattened.

    ``n_layers`` × [Conv 4×4 (or 4×4×4 for volumes), stride 2, padding 1 +
    LeakyReLU(0.2)], widths ``hidden_channels`` then ``n_channels`` for the last layer:
    the GroupActionAE code's encoder for Rotated MNIST (1→32→64, 28→14→7) with the
    default ``settings`` (``n_channels=64``, ``hidden_channels=32``, ``n_layers=2``).
    No dense layer, so the grid keeps the image's geometry (with even sides a 90° turn
    of the input lines up with a 90° turn of the grid). The module's ``grid_shape`` is
    ``(n_channels, *grid)`` and ``feature_dim`` its product.
    """
    s = _read_settings(_ConvGridSettings, "conv_grid", settings)
    grid = conv_grid_shape(input_shape, s.n_channels, s.n_layers)
    conv = nn.Conv2d if len(input_shape) == 3 else nn.Conv3d
    layers: list[nn.Module] = []
    previous = input_shape[0]
    for index in range(s.n_layers):
        out = s.n_channels if index == s.n_layers - 1 else s.hidden_channels
        layers += [conv(previous, out, 4, stride=2, padding=1), nn.LeakyReLU(0.2)]
        previous = out
    layers.append(nn.Flatten())
    encoder = FeatureEncoder(*layers, feature_dim=math.prod(grid))
    encoder.grid_shape = grid
    return encoder


def conv_grid_decoder(input_shape: tuple, n_latents: int, **settings: int) -> nn.Module:
    """Mirror of :func:`conv_grid_encoder`: flattened latent map → unbounded outputs.

    ``n_latents`` must be the flattened map size ``n_channels · prod(grid)``. Transposed
    convolutions 4×4, stride 2, padding 1 with LeakyReLU(0.2) between them; no final
    activation (the likelihood or the method applies it; the official code's tanh).
    """
    s = _read_settings(_ConvGridSettings, "conv_grid", settings)
    grid = conv_grid_shape(input_shape, s.n_channels, s.n_layers)
    if n_latents != math.prod(grid):
        raise ValueError(
            f"The 'conv_grid' decoder for samples of shape {tuple(input_shape)} reads latent "
            f"maps {grid}, i.e. n_latents={math.prod(grid)}; got n_latents={n_latents}."
        )
    deconv = nn.ConvTranspose2d if len(input_shape) == 3 else nn.ConvTranspose3d
    layers: list[nn.Module] = [Reshape(grid)]
    previous = s.n_channels
    for index in range(s.n_layers):
        last = index == s.n_layers - 1
        out = input_shape[0] if last else s.hidden_channels
        layers.append(deconv(previous, out, 4, stride=2, padding=1))
        if not last:
            layers.append(nn.LeakyReLU(0.2))
        previous = out
    return nn.Sequential(*layers)


# --- mlp --------------------------------------------------------------------------------


def mlp_encoder(
    input_shape: tuple, *, hidden_dim: int = 256, n_hidden_layers: int = 2
) -> nn.Module:
    layers: list[nn.Module] = [nn.Flatten()]
    previous = math.prod(input_shape)
    for _ in range(n_hidden_layers):
        layers += [nn.Linear(previous, hidden_dim), nn.ReLU()]
        previous = hidden_dim
    return FeatureEncoder(*layers, feature_dim=previous)


def mlp_decoder(
    input_shape: tuple, n_latents: int, *, hidden_dim: int = 256, n_hidden_layers: int = 2
) -> nn.Module:
    layers: list[nn.Module] = []
    previous = n_latents
    for _ in range(n_hidden_layers):
        layers += [nn.Linear(previous, hidden_dim), nn.ReLU()]
        previous = hidden_dim
    layers += [nn.Linear(previous, math.prod(input_shape)), Reshape(input_shape)]
    return nn.Sequential(*layers)


#: backbone name -> ``(encoder_builder, decoder_builder)``: the one list of backbones,
#: read by the parameter constraint, the estimators' docstrings and the error messages
BACKBONES: dict[str, tuple[EncoderBuilder, DecoderBuilder]] = {
    "burgess": (burgess_encoder, burgess_decoder),
    "mipet": (MipetEncoder, MipetDecoder),
    "dalle": (dalle_encoder, dalle_decoder),
    "conv_grid": (conv_grid_encoder, conv_grid_decoder),
    "mlp": (mlp_encoder, mlp_decoder),
}


def default_backbone(input_shape: tuple) -> str:
    """ "burgess" for images whose sides are multiples of 16, else "mlp"."""
    if len(input_shape) == 3 and input_shape[1] % 16 == 0 and input_shape[2] % 16 == 0:
        return "burgess"
    return "mlp"


# --- looking a backbone up; the custom-pair contract --------------------------------------


def is_custom_backbone(backbone: object) -> bool:
    """True for an ``(encoder_builder, decoder_builder)`` pair of callables."""
    return isinstance(backbone, tuple) and len(backbone) == 2 and all(callable(b) for b in backbone)


def _lookup(backbone) -> tuple[EncoderBuilder, DecoderBuilder]:
    if is_custom_backbone(backbone):
        return backbone
    if not isinstance(backbone, str) or backbone not in BACKBONES:
        raise ValueError(
            f"Unknown backbone {backbone!r}; use one of {', '.join(BACKBONES)} "
            "or an (encoder_builder, decoder_builder) pair of callables."
        )
    return BACKBONES[backbone]


class BackboneConstraint(StrOptions):
    """scikit-learn parameter constraint: "auto", a name of :data:`BACKBONES` or a custom pair."""

    def __init__(self) -> None:
        super().__init__({"auto", *BACKBONES})

    def is_satisfied_by(self, val) -> bool:
        if isinstance(val, str):
            return val == "auto" or val in BACKBONES
        return is_custom_backbone(val)

    def __str__(self) -> str:
        names = ", ".join(repr(name) for name in ("auto", *BACKBONES))
        return f"a str among {{{names}}} or an (encoder_builder, decoder_builder) pair of callables"


def make_encoder(backbone, input_shape: tuple, **params) -> nn.Module:
    """Build the encoder of ``backbone`` (a name of :data:`BACKBONES` or a custom pair)."""
    encoder = _lookup(backbone)[0](tuple(input_shape), **params)
    if is_custom_backbone(backbone):
        _set_feature_dim(encoder, tuple(input_shape), backbone[0])
    return encoder


def make_decoder(backbone, input_shape: tuple, n_latents: int, **params) -> nn.Module:
    """Build the decoder of ``backbone`` (a name of :data:`BACKBONES` or a custom pair)."""
    decoder = _lookup(backbone)[1](tuple(input_shape), int(n_latents), **params)
    if is_custom_backbone(backbone):
        _check_decoder(decoder, tuple(input_shape), int(n_latents), backbone[1])
    return decoder


def _builder_name(builder) -> str:
    return getattr(builder, "__qualname__", None) or repr(builder)


@torch.no_grad()
def _trial_output(module: nn.Module, batch: torch.Tensor, builder) -> torch.Tensor:
    if not isinstance(module, nn.Module):
        raise TypeError(
            f"The backbone builder {_builder_name(builder)} returned {type(module).__name__}, "
            "not a torch.nn.Module."
        )
    was_training = module.training
    module.eval()
    try:
        output = module(batch)
    except Exception as exc:  # the user's module: say which one failed and on what
        raise ValueError(
            f"The backbone module built by {_builder_name(builder)} failed on a batch of "
            f"shape {tuple(batch.shape)}: {exc}"
        ) from exc
    finally:
        module.train(was_training)
    if not torch.is_tensor(output):
        raise ValueError(
            f"The backbone module built by {_builder_name(builder)} returned "
            f"{type(output).__name__}; it must return one tensor."
        )
    return output


def _set_feature_dim(encoder: nn.Module, input_shape: tuple, builder) -> None:
    """Check a custom encoder on a trial batch and record its ``feature_dim``."""
    output = _trial_output(encoder, torch.zeros((2, *input_shape)), builder)
    if output.ndim != 2 or output.shape[0] != 2:
        raise ValueError(
            f"The custom encoder {_builder_name(builder)} maps a batch of shape "
            f"(2, {', '.join(map(str, input_shape))}) to {tuple(output.shape)}; it must "
            "return features of shape (n, feature_dim)."
        )
    declared = getattr(encoder, "feature_dim", None)
    if declared is not None and int(declared) != output.shape[1]:
        raise ValueError(
            f"The custom encoder {_builder_name(builder)} declares feature_dim={declared} "
            f"but returns {output.shape[1]} features."
        )
    encoder.feature_dim = int(output.shape[1])


def _check_decoder(decoder: nn.Module, input_shape: tuple, n_latents: int, builder) -> None:
    output = _trial_output(decoder, torch.zeros((2, n_latents)), builder)
    if tuple(output.shape) != (2, *input_shape):
        raise ValueError(
            f"The custom decoder {_builder_name(builder)} maps codes of shape "
            f"(2, {n_latents}) to {tuple(output.shape)}; it must return samples of shape "
            f"(2, {', '.join(map(str, input_shape))}) (channels first)."
        )
