"""GroupActionAE: learning group actions in disentangled latent image representations.

Swarnali, Zhang & Hossain, "Learning Group Actions In Disentangled Latent Image
Representations" (arXiv 2512.04015, WACV 2026); official code
farhanaswarnali/Learning-Group-Actions-In-Disentangled-Latent-Image-Representations
(``rotated_mnist.py``). The notes this file follows are ``shared/specs/group_actions.md``
(section numbers below refer to it).

A plain convolutional autoencoder whose latent is a feature map ``z`` (C channels on a
grid, §2.2). A learned global binary channel mask ``M`` (ALD, §2.3) splits it into a
*variant* part ``z_v = M * z``, moved by the group like the image, and an *invariant*
part ``z_i = (1 - M) * z`` that is left alone (§2.4). Each training image ``x`` is paired
with ``g . x`` for a group element ``g`` drawn per sample and per step (§1.1), and

    L = L_rec(D(Phi_g(E(x))), g.x) + lambda_inv ||z_i(x) - sg z_i(g.x)||^2
        + lambda_equiv ||rho(g) S_g z_v(x) - sg z_v(g.x)||^2        (§3.1)

with every term a mean over elements (§3.2) and ``sg`` meaning that the target branch
``E(g.x)`` is computed without gradient. ``z_i`` is a rotation-invariant code: use it
as features for a classifier (``transform``).
"""

from __future__ import annotations

import math
import numbers
import warnings

import numpy as np
import torch
import torch.nn.functional as F
from skorch.callbacks import Callback

from numbers import Integral

from sklearn.utils._param_validation import Interval

from ..base import BaseDisentangler
from .._validation import from_module_tensor
from ..groups import FiniteGroup, get_group
from ..nn.backbones import conv_grid_shape
from ..nn.group_action import ChannelMask, LatentGroupAction
from ..nn.module import DisentanglerModule
from ..nn.reconstruction import output_mean

__all__ = ["GroupActionModule", "GroupActionAE", "DegenerateMaskWarning", "VariantFractionGuard"]

ACTIONS = ("fixed", "learned")
OUTPUTS = ("invariant", "variant", "full")


class DegenerateMaskWarning(UserWarning):
    """The ALD mask made every latent channel variant, or every channel invariant."""


class GroupActionModule(DisentanglerModule):
    """Conv autoencoder with a latent feature map, an ALD mask and a latent group action.

    Parameters
    ----------
    input_shape : tuple
        ``(C, H, W)`` images or ``(1, D, H, W)`` volumes.
    n_latents : int
        Number of latent *channels* (the estimator's ``n_channels``); the latent map is
        ``(n_latents, *grid)`` with ``grid = spatial sides / 2**n_layers``.
    backbone : {"conv_grid"}
    likelihood : {"mse", "gaussian", "bernoulli"}, default="mse"
        ``"mse"`` is the official loss: the decoder ends in a tanh (here ``0.5 tanh`` so
        that the mean is ``0.5 tanh + 0.5`` in [0, 1]) and the squared error is averaged
        over pixels; its weight is 4 so that it equals the official mean MSE on [-1, 1]
        images (§1.2, §3.2).
    backbone_params : dict, optional
        Overrides of the ``conv_grid`` builder's settings.
    group : str or FiniteGroup, default="c4"
    n_layers, hidden_channels : int
        ``conv_grid`` depth and hidden width (2 and 32 are the official 1→32→64 encoder).
    mask_init_std, mask_threshold : float
        ALD logits ``~ N(0, std^2)``; a channel is variant when ``sigmoid(logit) > tau``.
    lambda_inv, lambda_equiv : float
        Weights of the invariance and equivariance (``L_const``) terms.
    action : {"fixed", "learned"}
        Channel part of the latent action (:class:`sklvae.nn.group_action.LatentGroupAction`).
    output : {"invariant", "variant", "full"}
        What :meth:`representation` returns.
    """

    elbo_terms = ("reconstruction",)

    def __init__(
        self,
        input_shape: tuple,
        n_latents: int,
        backbone: str = "conv_grid",
        likelihood: str = "mse",
        backbone_params: dict | None = None,
        group: str | FiniteGroup = "c4",
        n_layers: int = 2,
        hidden_channels: int = 32,
        mask_init_std: float = 0.1,
        mask_threshold: float = 0.5,
        lambda_inv: float = 1.0,
        lambda_equiv: float = 1.0,
        action: str = "fixed",
        output: str = "invariant",
    ):
        if backbone != "conv_grid":
            raise ValueError(
                f"GroupActionAE needs a latent feature map: backbone must be 'conv_grid'; got {backbone!r}."
            )
        if output not in OUTPUTS:
            raise ValueError(f"output must be one of {OUTPUTS}; got {output!r}.")
        params = {"n_channels": int(n_latents), "hidden_channels": hidden_channels, "n_layers": n_layers}
        params.update(backbone_params or {})
        grid = conv_grid_shape(tuple(input_shape), params["n_channels"], params["n_layers"])
        super().__init__(input_shape, math.prod(grid), backbone, likelihood, params)
        self.group = get_group(group)
        check_group_fits(self.group, tuple(input_shape))
        self.latent_shape = tuple(self.encoder.grid_shape)
        self.n_channels = self.latent_shape[0]
        self.output = output
        self.action = LatentGroupAction(self.group, self.n_channels, action)
        self.mask = ChannelMask(
            self.n_channels, self.action.field_size, mask_init_std, mask_threshold
        )
        self.spatial_axes = tuple(range(2, 2 + self.group.ndim))
        self.loss_weights = {
            # official loss is the mean MSE of [-1, 1] images: 4x the one on [0, 1] images
            "reconstruction": 4.0 if likelihood == "mse" else 1.0,
            "invariance": float(lambda_inv),
            "equivariance": float(lambda_equiv),
            "variant_fraction": 0.0,  # logged only (degenerate-mask guard)
        }

    # --- pieces ---------------------------------------------------------------------------
    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """Latent maps ``(n, C, *grid)`` of images in [0, 1] (read as ``2x - 1``, §1.2)."""
        return self.encoder(2.0 * x - 1.0).reshape(x.shape[0], *self.latent_shape)

    def decoder_outputs(self, z: torch.Tensor) -> torch.Tensor:
        """Decoder outputs for latent maps (or their flattening), as the likelihood reads them."""
        raw = self.decoder(z.reshape(z.shape[0], -1))
        return 0.5 * torch.tanh(raw) if self.likelihood == "mse" else raw

    def decode_mean(self, z: torch.Tensor) -> torch.Tensor:
        return output_mean(self.decoder_outputs(z), self.likelihood, self.bounded)

    def act(self, z: torch.Tensor, elements: torch.Tensor) -> torch.Tensor:
        """``Phi_g(z)`` with the current hard mask (``elements``: one per sample)."""
        phi, _ = self.action(z, elements, self.mask())
        return phi

    def pair_outputs(self, x: torch.Tensor, elements: torch.Tensor) -> dict[str, torch.Tensor]:
        """Everything the losses need for the pairs ``(x, g.x)`` with given elements."""
        target = self.group.act_batch(x, elements, self.spatial_axes)
        z = self.encode(x)
        mask = self.mask()
        phi, variant_acted = self.action(z, elements, mask)
        with torch.no_grad():  # sg: the target branch E(g.x) has no gradient (§3.1)
            z_target = self.encode(target)
        return {
            "z": z,
            "z_target": z_target,
            "variant_acted": variant_acted,
            "mask": mask,
            "elements": elements,
            "target": target,
            "outputs": self.decoder_outputs(phi),
        }

    # --- contract -------------------------------------------------------------------------
    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        # g ~ Uniform(G) per sample and step, identity included (§1.2); the global torch
        # generator is seeded from ``random_state`` by the estimator.
        elements = torch.randint(self.group.order, (x.shape[0],)).to(x.device)
        return self.pair_outputs(x, elements)

    def loss_terms(self, outputs: dict, x: torch.Tensor) -> dict[str, torch.Tensor]:
        mask = outputs["mask"].reshape((1, -1) + (1,) * self.group.ndim)
        z, z_target = outputs["z"], outputs["z_target"]
        # the targets use the current mask without gradient, as the official code (§3.2)
        return {
            "reconstruction": self.reconstruction(outputs["outputs"], outputs["target"]).mean(),
            "invariance": F.mse_loss((1 - mask) * z, ((1 - mask) * z_target).detach()),
            "equivariance": F.mse_loss(outputs["variant_acted"], (mask * z_target).detach()),
            "variant_fraction": outputs["mask"].detach().mean(),
        }

    def representation(self, x: torch.Tensor) -> torch.Tensor:
        z = self.encode(x)
        if self.output == "full":
            return z.flatten(1)
        variant = self.mask.hard_mask()
        keep = variant if self.output == "variant" else ~variant
        return z[:, keep].flatten(1)

    def reconstruct(self, x: torch.Tensor) -> torch.Tensor:
        return self.decode_mean(self.encode(x))

    def negative_elbo(self, x: torch.Tensor) -> torch.Tensor:
        """Per-sample reconstruction loss of ``x`` from its own code (no ELBO: an AE)."""
        return self.reconstruction(self.decoder_outputs(self.encode(x)), x)

    def sample_prior(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        raise NotImplementedError("GroupActionAE is an autoencoder without a prior; it cannot sample.")


def check_group_fits(group: FiniteGroup, module_shape: tuple) -> None:
    """Raise a clear ValueError when ``group`` cannot act on samples of ``module_shape``."""
    n_spatial = len(module_shape) - 1
    if group.ndim != n_spatial:
        kind = {2: "images (n, H, W[, C])", 3: "volumes (n, D, H, W) with data_layout='NDHW'"}
        raise ValueError(
            f"group={group.name!r} acts on {kind.get(group.ndim, f'{group.ndim} axes')}; "
            f"got samples with {n_spatial} spatial axes (module shape {module_shape})."
        )
    sides = module_shape[1:]
    swaps_axes = any(not np.array_equal(np.abs(m), np.eye(group.ndim)) for m in group.matrices)
    if swaps_axes and len(set(sides)) > 1:
        raise ValueError(
            f"group={group.name!r} turns the image, so the spatial sides must be equal; "
            f"got {'×'.join(map(str, sides))}."
        )


class VariantFractionGuard(Callback):
    """Warns when the ALD mask becomes all-variant or all-invariant (§2.3, gotcha 7).

    The net logs ``variant_fraction`` for every batch (a loss term of weight 0); this
    callback records the fraction of the mask at the end of each epoch as the epoch's
    ``variant_fraction`` in the history, and warns (once per training call) when it is
    0 or 1.
    """

    def on_train_begin(self, net, **kwargs):
        self.warned_ = False

    def on_epoch_end(self, net, **kwargs):
        module = net.module_
        fraction = module.mask.variant_fraction()
        net.history.record("variant_fraction", fraction)
        if self.warned_ or module.group.order == 1:
            return
        if fraction in (0.0, 1.0):
            kind = "variant" if fraction == 1.0 else "invariant"
            warnings.warn(
                f"GroupActionAE: every latent channel is {kind} after epoch {len(net.history)} "
                "(variant fraction "
                f"{fraction:g}); the invariant/variant split is degenerate. Try another "
                "random_state, a smaller mask_init_std, or more training.",
                DegenerateMaskWarning,
                stacklevel=1,  # attributed to this module (the base ignores some skorch warnings)
            )
            self.warned_ = True


_COMMON_DOC = """
    likelihood, data_layout, lr, batch_size, max_epochs, max_steps, validation_fraction,
    device, random_state, verbose, callbacks, **net_params
        See :class:`sklvae.base.BaseDisentangler` (the defaults differ: ``likelihood="mse"``
        and ``lr=1e-3`` as in the official code)."""


class GroupActionAE(BaseDisentangler):
    """Autoencoder whose latent map splits into group-variant and invariant channels.

    ``fit(X)`` draws one group element ``g`` per image and step and trains on the pairs
    ``(x, g.x)`` (spec §1); ``y`` is ignored, so the estimator can sit in a
    :class:`~sklearn.pipeline.Pipeline` before a classifier. ``transform`` returns the
    flattened invariant part ``z_i`` by default, a code that does not change when the
    input is turned.

    Parameters
    ----------
    group : {"c4", "c2", "d4", "cube", "c1"} or FiniteGroup, default="c4"
        The group acting on the images (:mod:`sklvae.groups`): C4 turns by 90°
        (official Rotated-MNIST code), C2 flips left-right, D4 both, ``"cube"`` the 24
        rotations of volumes ``(n, D, H, W)`` (``data_layout="NDHW"``). ``"c1"`` (the
        identity alone) gives a plain autoencoder of the same architecture, a baseline.
    n_latents : int or None, default=None
        sklvae's common name for the latent size; here the number of latent channels,
        an alias of ``n_channels`` that wins when given.
    n_channels : int, default=64
        Latent channels C; the latent map is ``(C, H / 2**n_layers, W / 2**n_layers)``
        (64×7×7 for 28×28 MNIST, as the official code).
    n_layers : int, default=2
        Stride-2 convolutions of the encoder (and transposed ones of the decoder).
    hidden_channels : int, default=32
        Width of the hidden convolutions.
    mask_init_std : float, default=0.1
        ALD mask logits start ``~ N(0, mask_init_std^2)`` (about half the channels variant).
    mask_threshold : float, default=0.5
        ``tau``: channel c is variant when ``sigmoid(alpha_c) > tau``.
    lambda_inv, lambda_equiv : float, default=1.0
        Weights of the invariance and equivariance terms (official: 1 and 1).
    action : {"fixed", "learned"}, default="fixed"
        ``"fixed"``: ``Phi_g`` moves the latent grid like the image (official code).
        ``"learned"``: it also mixes the variant channels in fields of ``|G|`` channels
        with an exact learned representation ``rho(g) = Q P(g) Q^T`` (``P`` the regular
        representation, ``Q`` a learned rotation), so ``rho(g)^order = I`` for any
        weights; the mask is then shared within each field. Needs ``n_channels``
        divisible by the group order.
    output : {"invariant", "variant", "full"}, default="invariant"
        What ``transform`` returns (flattened): ``z_i`` (invariant channels), ``z_v``
        or the whole map.
    backbone : {"auto", "conv_grid"}, default="auto"
        Always the ``conv_grid`` encoder/decoder (:mod:`sklvae.nn.backbones`).
    """

    __doc__ += _COMMON_DOC
    _module_class = GroupActionModule
    _default_image_backbone = "conv_grid"
    _parameter_constraints = {**BaseDisentangler._parameter_constraints, "n_latents": [None, Interval(Integral, 1, None, closed="left")]}

    def __init__(
        self,
        group="c4",
        *,
        n_latents=None,
        n_channels=64,
        n_layers=2,
        hidden_channels=32,
        mask_init_std=0.1,
        mask_threshold=0.5,
        lambda_inv=1.0,
        lambda_equiv=1.0,
        action="fixed",
        output="invariant",
        backbone="auto",
        likelihood="mse",
        data_layout="NHWC",
        lr=1e-3,
        batch_size=64,
        max_epochs=10,
        max_steps=None,
        validation_fraction=None,
        device="auto",
        random_state=None,
        verbose=0,
        callbacks=None,
        **net_params,
    ):
        super().__init__(
            n_latents, backbone=backbone, likelihood=likelihood, data_layout=data_layout,
            lr=lr, batch_size=batch_size, max_epochs=max_epochs, max_steps=max_steps,
            validation_fraction=validation_fraction, device=device,
            random_state=random_state, verbose=verbose, callbacks=callbacks, **net_params)
        self.group = group
        self.n_channels = n_channels
        self.n_layers = n_layers
        self.hidden_channels = hidden_channels
        self.mask_init_std = mask_init_std
        self.mask_threshold = mask_threshold
        self.lambda_inv = lambda_inv
        self.lambda_equiv = lambda_equiv
        self.action = action
        self.output = output

    def _latent_channels(self) -> int:
        """Number of latent channels: ``n_latents`` when given, else ``n_channels``."""
        return self.n_channels if self.n_latents is None else self.n_latents

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        # images or volumes only: scikit-learn's generic checks (tabular data) do not apply
        tags.input_tags.two_d_array = False
        return tags

    def _check_n_latents(self) -> None:
        # n_latents is an optional alias of n_channels (None: use n_channels)
        if self.n_latents is not None:
            super()._check_n_latents()

    # --- hooks ----------------------------------------------------------------------------
    def _check_hyperparameters(self) -> None:
        name = type(self).__name__
        try:
            group = get_group(self.group)
        except ValueError as exc:
            raise ValueError(f"{name}: {exc}") from None
        for key in ("n_channels", "n_layers", "hidden_channels"):
            value = getattr(self, key)
            if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value < 1:
                raise ValueError(f"{name}: {key} must be a positive integer; got {value!r}.")
        self._check_nonnegative(
            mask_init_std=self.mask_init_std, lambda_inv=self.lambda_inv, lambda_equiv=self.lambda_equiv
        )
        if not isinstance(self.mask_threshold, numbers.Real) or not 0 < self.mask_threshold < 1:
            raise ValueError(f"{name}: mask_threshold must lie in (0, 1); got {self.mask_threshold!r}.")
        if self.action not in ACTIONS:
            raise ValueError(f"{name}: action must be one of {ACTIONS}; got {self.action!r}.")
        if self.output not in OUTPUTS:
            raise ValueError(f"{name}: output must be one of {OUTPUTS}; got {self.output!r}.")
        if self.backbone not in ("auto", "conv_grid"):
            raise ValueError(
                f"{name}: backbone must be 'auto' or 'conv_grid' (the latent is a feature map); "
                f"got {self.backbone!r}."
            )
        channels = self._latent_channels()
        if self.action == "learned" and channels % group.order:
            raise ValueError(
                f"{name}: action='learned' needs n_channels divisible by the order "
                f"{group.order} of group {group.name!r}; got n_channels={channels}."
            )

    def _resolve_backbone(self, spec) -> str:
        return "conv_grid"

    def _validate_fit_input(self, X):
        X, spec = super()._validate_fit_input(X)
        if spec.kind == "tabular":
            raise ValueError(
                f"{type(self).__name__} needs images (n, H, W[, C]) or volumes (n, D, H, W); "
                f"got tabular data of shape {X.shape}."
            )
        check_group_fits(get_group(self.group), spec.module_shape)
        conv_grid_shape(spec.module_shape, self._latent_channels(), self.n_layers)
        return X, spec

    def _module_params(self) -> dict:
        return {
            "n_latents": self._latent_channels(),  # the module's n_latents counts channels
            "group": self.group,
            "n_layers": self.n_layers,
            "hidden_channels": self.hidden_channels,
            "mask_init_std": self.mask_init_std,
            "mask_threshold": self.mask_threshold,
            "lambda_inv": self.lambda_inv,
            "lambda_equiv": self.lambda_equiv,
            "action": self.action,
            "output": self.output,
        }

    def _extra_callbacks(self) -> list:
        return [("variant_fraction_guard", VariantFractionGuard())]

    def set_params(self, **params):
        super().set_params(**params)
        # ``output`` only changes what transform returns: keep a fitted module in sync
        if "output" in params and hasattr(self, "net_"):
            self.net_.module_.output = self.output
        return self

    # --- fitted attributes ----------------------------------------------------------------
    @property
    def group_(self) -> FiniteGroup:
        """The fitted group."""
        return self.module_.group

    @property
    def mask_(self) -> np.ndarray:
        """Boolean array (n_channels,): True for the variant channels."""
        return self.module_.mask.hard_mask().cpu().numpy()

    @property
    def variant_fraction_(self) -> float:
        """Fraction of latent channels that are variant."""
        return float(self.mask_.mean())

    @property
    def latent_shape_(self) -> tuple:
        """Shape ``(n_channels, *grid)`` of one latent map."""
        return self.module_.latent_shape

    # --- inference ------------------------------------------------------------------------
    def encode(self, X) -> np.ndarray:
        """Latent maps ``(n, n_channels, *grid)`` (float32)."""
        parts = self._predict_batches(X, lambda module, x: module.encode(x))
        return torch.cat(parts).numpy()

    def _elements_for(self, g, n_samples: int) -> torch.Tensor:
        elements = np.asarray(g)
        if elements.ndim == 0:
            elements = np.full(n_samples, elements)
        if elements.shape != (n_samples,):
            raise ValueError(
                f"g must be one group element or one per sample ({n_samples}); got shape {elements.shape}."
            )
        order = self.group_.order
        if elements.dtype.kind not in "iu" or elements.min() < 0 or elements.max() >= order:
            raise ValueError(f"g must hold integers in 0..{order - 1} (elements of {self.group_.name}).")
        return torch.as_tensor(elements, dtype=torch.long)

    def transform_action(self, X, g) -> np.ndarray:
        """Decode ``Phi_g(E(x))``: the model's rendering of ``g . x``.

        Parameters
        ----------
        X : array-like of images or volumes
        g : int or array-like of int of shape (n_samples,)
            Group element(s) (:mod:`sklvae.groups` numbering).

        Returns
        -------
        ndarray
            Images in the layout and scale of ``X``.
        """
        X, _ = self._validate(X)
        elements = self._elements_for(g, X.shape[0])
        offset = [0]

        def decode_acted(module, x):
            batch = elements[offset[0] : offset[0] + x.shape[0]].to(x.device)
            offset[0] += x.shape[0]
            return module.decode_mean(module.act(module.encode(x), batch))

        parts = self._predict_batches(X, decode_acted)
        return from_module_tensor(torch.cat(parts), self.input_spec_)

    def inverse_transform(self, Z) -> np.ndarray:
        """Decode full latent maps ``(n, C, *grid)`` or their flattening ``(n, C * prod(grid))``.

        The invariant part alone (``output="invariant"``) does not determine an image;
        decode what :meth:`encode` (or ``transform`` with ``output="full"``) returns.
        """
        shape = self.latent_shape_
        Z = np.asarray(Z, dtype=np.float32)
        size = math.prod(shape)
        if Z.ndim < 2 or math.prod(Z.shape[1:]) != size or Z.shape[1:] not in ((size,), shape):
            raise ValueError(
                f"inverse_transform decodes full latent maps of shape (n, {size}) or "
                f"(n, {', '.join(map(str, shape))}) (see encode, or output='full'); got {Z.shape}."
            )
        if not np.isfinite(Z).all():
            raise ValueError("Z contains NaN or infinity.")
        return self._decode_maps(torch.from_numpy(Z.reshape(-1, *shape)))

    def _decode_maps(self, z: torch.Tensor) -> np.ndarray:
        module = self.net_.module_
        was_training = module.training
        module.eval()
        outputs = []
        try:
            with torch.no_grad():
                for start in range(0, z.shape[0], 256):
                    outputs.append(module.decode_mean(z[start : start + 256].to(self.net_.device)).cpu())
        finally:
            module.train(was_training)
        return from_module_tensor(torch.cat(outputs), self.input_spec_)

    def loss_terms(self, X, g=None, random_state=0) -> dict[str, float]:
        """Mean loss terms on ``X`` (unweighted), for given or random group elements.

        Parameters
        ----------
        X : array-like
        g : int or array-like of int, optional
            Elements to pair each image with; drawn uniformly with ``random_state``
            when None.
        random_state : int, RandomState or None, default=0

        Returns
        -------
        dict
            ``reconstruction`` (of ``g.x`` from ``Phi_g(E(x))``), ``invariance``,
            ``equivariance`` and ``variant_fraction``, averaged over samples as in
            training; and the scale-free ``relative_invariance`` and
            ``relative_equivariance``: the summed squared error of the term divided by
            the total variance of the target part (``z_i(g.x)`` or ``z_v(g.x)``) over
            ``X``; 0 is perfect, about 2 means unrelated codes (an untrained encoder gives about 1).
        """
        X, _ = self._validate(X, min_samples=2)
        if g is None:
            g = self.group_.sample(X.shape[0], random_state)
        elements = self._elements_for(g, X.shape[0])
        offset = [0]
        sums: dict[str, float] = {}
        moments: dict[str, list] = {}

        def accumulate(key, value):
            sums[key] = sums.get(key, 0.0) + float(value)

        def batch_terms(module, x):
            batch = elements[offset[0] : offset[0] + x.shape[0]].to(x.device)
            offset[0] += x.shape[0]
            outputs = module.pair_outputs(x, batch)
            for key, value in module.loss_terms(outputs, x).items():
                accumulate(key, value * x.shape[0])
            mask = outputs["mask"].reshape((1, -1) + (1,) * module.group.ndim)
            parts = {
                "invariance": ((1 - mask) * outputs["z"], (1 - mask) * outputs["z_target"]),
                "equivariance": (outputs["variant_acted"], mask * outputs["z_target"]),
            }
            for key, (prediction, target) in parts.items():
                accumulate(f"{key}_error", (prediction - target).pow(2).sum())
                first, second = moments.setdefault(key, [0.0, 0.0])
                moments[key] = [first + target.sum(0), second + target.pow(2).sum(0)]
            return torch.zeros(x.shape[0])

        self._predict_batches(X, batch_terms)
        n = X.shape[0]
        result = {key: value / n for key, value in sums.items() if not key.endswith("_error")}
        for key, (first, second) in moments.items():
            variance = float((second / n - (first / n) ** 2).sum())
            error = sums[f"{key}_error"] / n
            result[f"relative_{key}"] = error / variance if variance > 0 else float("nan")
        return result
