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
    The MIPET-VAE networks (the official MIPET-VAEs encoder and decoder): convolutions with padding 0
    (64→31→14→6→2), a dense layer *without* activation; decoder
    Linear-ReLU-Linear(1024)-ReLU-4 transposed convolutions. 64×64 images only.
``"dalle"``
    The DALL-E dVAE-style residual encoder/decoder that FactorQVAE and its baselines
    share (the official FactorQVAE encoder and decoder).
``"conv_grid"``
    A fully convolutional autoencoder whose latent is a feature map (GroupActionAE),
    for 2-D images and 3-D volumes.
``"mlp"``
    Two hidden ReLU layers; any input shape (images are flattened).

Other modules add builders with :func:`register_backbone`.

Custom backbones
----------------
Wherever a backbone name is accepted (an estimator's ``backbone=``), a pair
``(encoder_builder, decoder_builder)`` of callables works too, typically two
``torch.nn.Module`` classes:

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

import math
from collections.abc import Callable

import torch
from sklearn.utils._param_validation import StrOptions
from torch import nn

__all__ = [
    "register_backbone",
    "available_backbones",
    "is_custom_backbone",
    "make_encoder",
    "make_decoder",
    "default_backbone",
    "BackboneConstraint",
    "burgess_encoder",
    "burgess_decoder",
    "MipetEncoder",
    "MipetDecoder",
    "mlp_encoder",
    "mlp_decoder",
    "dalle_encoder",
    "dalle_decoder",
    "dalle_init_",
    "DalleEncoderBlock",
    "DalleDecoderBlock",
    "conv_grid_shape",
    "conv_grid_encoder",
    "conv_grid_decoder",
]

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
    """Names of the registered backbones, sorted."""
    return tuple(sorted(_REGISTRY))


def is_custom_backbone(backbone: object) -> bool:
    """True for an ``(encoder_builder, decoder_builder)`` pair of callables."""
    return isinstance(backbone, tuple) and len(backbone) == 2 and all(callable(b) for b in backbone)


def _lookup(backbone) -> tuple[EncoderBuilder, DecoderBuilder]:
    if is_custom_backbone(backbone):
        return backbone
    if not isinstance(backbone, str) or backbone not in _REGISTRY:
        raise ValueError(
            f"Unknown backbone {backbone!r}; use one of {', '.join(available_backbones())} "
            "or an (encoder_builder, decoder_builder) pair of callables."
        )
    return _REGISTRY[backbone]


class BackboneConstraint(StrOptions):
    """scikit-learn parameter constraint: "auto", a registered name or a custom pair.

    A :class:`~sklearn.utils._param_validation.StrOptions` whose options are read from
    the registry when checked, so backbones registered later are accepted.
    """

    def __init__(self) -> None:
        super().__init__({"auto"})

    def is_satisfied_by(self, val) -> bool:
        if isinstance(val, str):
            return val == "auto" or val in _REGISTRY
        return is_custom_backbone(val)

    def __str__(self) -> str:
        names = ", ".join(repr(name) for name in ("auto",) + available_backbones())
        return f"a str among {{{names}}} or an (encoder_builder, decoder_builder) pair of callables"


def make_encoder(backbone, input_shape: tuple, **params) -> nn.Module:
    """Build the encoder of ``backbone`` (a registered name or a custom pair)."""
    encoder = _lookup(backbone)[0](tuple(input_shape), **params)
    if is_custom_backbone(backbone):
        _set_feature_dim(encoder, tuple(input_shape), backbone[0])
    return encoder


def make_decoder(backbone, input_shape: tuple, n_latents: int, **params) -> nn.Module:
    """Build the decoder of ``backbone`` (a registered name or a custom pair)."""
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


def default_backbone(input_shape: tuple) -> str:
    """ "burgess" for images whose sides are multiples of 16, else "mlp"."""
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


# --- mipet (the official MIPET-VAEs encoder and decoder) --------------------


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


def mlp_encoder(
    input_shape: tuple, *, hidden_dim: int = 256, n_hidden_layers: int = 2
) -> nn.Module:
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


# the two backbones of the newer methods live in their own files; importing them here
# registers them (they import the helpers above, so they come last)
from .conv_grid import conv_grid_decoder, conv_grid_encoder, conv_grid_shape  # noqa: E402
from .dalle import (  # noqa: E402
    DalleDecoderBlock,
    DalleEncoderBlock,
    dalle_decoder,
    dalle_encoder,
    dalle_init_,
)
