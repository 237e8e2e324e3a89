"""GroupActionAE: learning group actions in disentangled latent image representations.

Swarnali, Zhang & Hossain, "Learning Group Actions In Disentangled Latent Image
Representations" (arXiv 2512.04015, WACV 2026); official code
farhanaswarnali/Learning-Group-Actions-In-Disentangled-Latent-Image-Representations
(``rotated_mnist.py``). The torch module is
:class:`sklvae.nn.group_action.GroupActionModule`; ``docs/methods/group_action_ae.md``
states the objective and every departure from the official code.
"""

from __future__ import annotations

import math
from numbers import Integral, Real

import numpy as np
import torch
from sklearn.utils._param_validation import Interval, StrOptions

from .._validation import from_module_tensor
from ..base import _NONNEGATIVE, BaseDisentangler
from ..callbacks import DegenerateMaskWarning, VariantFractionGuard
from ..groups import GROUP_NAMES, FiniteGroup, get_group
from ..nn.backbones import conv_grid_shape
from ..nn.group_action import REPRESENTATIONS, GroupActionModule, check_group_fits

__all__ = ["GroupActionAE", "DegenerateMaskWarning"]


class GroupActionAE(BaseDisentangler):
    """Autoencoder whose latent map splits into group-variant and invariant channels.

    A convolutional autoencoder whose latent is a feature map of ``n_latents`` channels
    on a grid. A learned binary channel mask splits it into variant channels, moved by
    the group like the image, and invariant ones, left alone. ``fit(X)`` draws one group
    element ``g`` per image and step and trains on the pairs ``(x, g.x)``::

        L = L_rec(D(Phi_g(E(x))), g.x) + lambda_inv ||z_i(x) - sg z_i(g.x)||^2
            + lambda_equiv ||rho(g) S_g z_v(x) - sg z_v(g.x)||^2

    (every term a mean over elements; ``sg``: no gradient through the target branch).
    ``y`` is ignored, so the estimator can sit in a :class:`~sklearn.pipeline.Pipeline`
    before a classifier. ``transform`` returns the flattened invariant part ``z_i`` by
    default, a code that does not change when the input is turned.

    Parameters
    ----------
    n_latents : int
        Number of latent *channels* C; the latent map is
        ``(C, H / 2**n_layers, W / 2**n_layers)`` (64×7×7 for 28×28 MNIST, as the
        official code). ``transform`` returns ``k · prod(grid)`` values per sample,
        where k is the number of invariant channels (``representation="invariant"``),
        of variant channels (``"variant"``) or C (``"full"``).
    group : {"c4", "c2", "d4", "cube", "c1"} or FiniteGroup
        The group acting on the images (:mod:`sklvae.groups`): C4 turns by 90°
        (official Rotated-MNIST code), C2 flips left-right, D4 both, ``"cube"`` the 24
        rotations of volumes ``(n, D, H, W)`` (``data_layout="NDHW"``). ``"c1"`` (the
        identity alone) gives a plain autoencoder of the same architecture, a baseline.
    n_layers : int
        Stride-2 convolutions of the encoder (and transposed ones of the decoder).
    hidden_channels : int
        Width of the hidden convolutions.
    mask_init_std : float
        Mask logits start ``~ N(0, mask_init_std^2)`` (about half the channels variant).
    mask_threshold : float
        ``tau``: channel c is variant when ``sigmoid(alpha_c) > tau``; in (0, 1).
    lambda_inv : float
        Weight of the invariance term (official: 1).
    lambda_equiv : float
        Weight of the equivariance term (official: 1).
    action : {"fixed", "learned"}
        ``"fixed"``: ``Phi_g`` moves the latent grid like the image (official code).
        ``"learned"``: it also mixes the variant channels in fields of ``|G|`` channels
        with an exact learned representation ``rho(g) = Q P(g) Q^T`` (``P`` the regular
        representation, ``Q`` a learned rotation), so ``rho(g)^order = I`` for any
        weights; the mask is then shared within each field. Needs ``n_latents``
        divisible by the group order.
    representation : {"invariant", "variant", "full"}
        What ``transform`` returns (flattened): the invariant channels ``z_i``, the
        variant channels ``z_v``, or the whole map.
    backbone : {"auto", "conv_grid"}
        Always the ``conv_grid`` encoder/decoder (:mod:`sklvae.nn.backbones`); the
        latent must be a feature map.
    likelihood
        ``"mse"`` is the official loss: a tanh decoder and the mean squared error on
        images read in [-1, 1].
    lr : float
        Adam learning rate (the official value).

    Attributes
    ----------
    group_ : FiniteGroup
        The fitted group.
    mask_ : ndarray of shape (n_latents,), bool
        True for the variant channels.
    variant_fraction_ : float
        Fraction of latent channels that are variant.
    latent_shape_ : tuple of int
        Shape ``(n_latents, *grid)`` of one latent map.

    Examples
    --------
    >>> import numpy as np
    >>> from sklvae import GroupActionAE
    >>> X = np.random.RandomState(0).rand(32, 8, 8)  # tiny one-channel images in [0, 1]
    >>> model = GroupActionAE(n_latents=8, max_steps=5, random_state=0).fit(X)
    >>> model.latent_shape_
    (8, 2, 2)
    >>> model.set_params(representation="full").transform(X).shape
    (32, 32)
    """

    _module_class = GroupActionModule
    _default_image_backbone = "conv_grid"
    _parameter_constraints = {
        **BaseDisentangler._parameter_constraints,
        "group": [StrOptions(set(GROUP_NAMES)), FiniteGroup],
        "n_layers": [Interval(Integral, 1, None, closed="left")],
        "hidden_channels": [Interval(Integral, 1, None, closed="left")],
        "mask_init_std": _NONNEGATIVE,
        "mask_threshold": [Interval(Real, 0, 1, closed="neither")],
        "lambda_inv": _NONNEGATIVE,
        "lambda_equiv": _NONNEGATIVE,
        "action": [StrOptions({"fixed", "learned"})],
        "representation": [StrOptions(set(REPRESENTATIONS))],
        "backbone": [StrOptions({"auto", "conv_grid"})],
    }
    _module_param_names = (
        "group",
        "n_layers",
        "hidden_channels",
        "mask_init_std",
        "mask_threshold",
        "lambda_inv",
        "lambda_equiv",
        "action",
    )

    def __init__(
        self,
        n_latents=64,
        *,
        group="c4",
        n_layers=2,
        hidden_channels=32,
        mask_init_std=0.1,
        mask_threshold=0.5,
        lambda_inv=1.0,
        lambda_equiv=1.0,
        action="fixed",
        representation="invariant",
        backbone="auto",
        likelihood="mse",
        data_layout="NHWC",
        lr=1e-3,
        weight_decay=0.0,
        grad_clip=None,
        batch_size=64,
        max_epochs=10,
        max_steps=None,
        validation_fraction=None,
        device="auto",
        random_state=None,
        verbose=0,
        precision="32",
        channels_last=False,
        compile=False,
        callbacks=None,
        **net_params,
    ):
        super().__init__(
            n_latents,
            backbone=backbone,
            likelihood=likelihood,
            data_layout=data_layout,
            lr=lr,
            weight_decay=weight_decay,
            grad_clip=grad_clip,
            batch_size=batch_size,
            max_epochs=max_epochs,
            max_steps=max_steps,
            validation_fraction=validation_fraction,
            device=device,
            random_state=random_state,
            verbose=verbose,
            precision=precision,
            channels_last=channels_last,
            compile=compile,
            callbacks=callbacks,
            **net_params,
        )
        self.group = group
        self.n_layers = n_layers
        self.hidden_channels = hidden_channels
        self.mask_init_std = mask_init_std
        self.mask_threshold = mask_threshold
        self.lambda_inv = lambda_inv
        self.lambda_equiv = lambda_equiv
        self.action = action
        self.representation = representation

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        # images or volumes only: scikit-learn's generic checks (tabular data) do not apply
        tags.input_tags.two_d_array = False
        return tags

    # --- hooks ----------------------------------------------------------------------------
    def _check_hyperparameters(self) -> None:
        group = get_group(self.group)
        if self.action == "learned" and self.n_latents % group.order:
            raise ValueError(
                f"{type(self).__name__}: action='learned' needs n_latents (latent channels) "
                f"divisible by the order {group.order} of group {group.name!r}; "
                f"got n_latents={self.n_latents}."
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
        conv_grid_shape(spec.module_shape, self.n_latents, self.n_layers)
        return X, spec

    def _extra_callbacks(self) -> list:
        return [("variant_fraction_guard", VariantFractionGuard())]

    def _representation_kwargs(self) -> dict:
        return {"kind": self.representation}

    # --- fitted attributes ----------------------------------------------------------------
    @property
    def group_(self) -> FiniteGroup:
        """The fitted group."""
        return self.module_.group

    @property
    def mask_(self) -> np.ndarray:
        """Boolean array (n_latents,): True for the variant channels."""
        return self.module_.mask.hard_mask().cpu().numpy()

    @property
    def variant_fraction_(self) -> float:
        """Fraction of latent channels that are variant."""
        return float(self.mask_.mean())

    @property
    def _n_features_out(self) -> int:
        """Width of ``transform``'s output: the chosen channels times the grid size."""
        channels, *grid = self.latent_shape_
        mask = self.mask_
        kept = {"full": channels, "variant": int(mask.sum()), "invariant": int((~mask).sum())}
        return kept[self.representation] * math.prod(grid)

    @property
    def latent_shape_(self) -> tuple:
        """Shape ``(n_latents, *grid)`` of one latent map."""
        return self.module_.latent_shape

    # --- inference ------------------------------------------------------------------------
    def encode(self, X) -> np.ndarray:
        """Full latent maps of ``X``.

        Parameters
        ----------
        X : array-like of images or volumes
            Data of the shape, layout and scale the model was fitted on.

        Returns
        -------
        ndarray of shape (n_samples, n_latents, *grid), float32
            The full latent maps.
        """
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
            raise ValueError(
                f"g must hold integers in 0..{order - 1} (elements of {self.group_.name})."
            )
        return torch.as_tensor(elements, dtype=torch.long)

    def transform_action(self, X, g) -> np.ndarray:
        """Decode ``Phi_g(E(x))``: the model's rendering of ``g·x``.

        Parameters
        ----------
        X : array-like of images or volumes
            Inputs of the fitted layout.
        g : int or array-like of int of shape (n_samples,)
            Group element(s) (:mod:`sklvae.groups` numbering).

        Returns
        -------
        ndarray
            Images in the layout and scale of ``X``.
        """
        X, _ = self._validate(X)
        elements = self._elements_for(g, X.shape[0])
        parts = []
        for rows, x in self._inference_batches(X):
            module = self.module_
            acted = module.act(module.encode(x), elements[rows].to(x.device))
            parts.append(module.decode_mean(acted).cpu())
        return from_module_tensor(torch.cat(parts), self.input_spec_)

    def inverse_transform(self, Z) -> np.ndarray:
        """Decode full latent maps.

        The invariant part alone (``representation="invariant"``) does not determine an
        image; decode what :meth:`encode` (or ``transform`` with
        ``representation="full"``) returns.

        Parameters
        ----------
        Z : array-like of shape (n_samples, n_latents, *grid) or (n_samples, n_latents * prod(grid))
            Full latent maps or their flattening.

        Returns
        -------
        ndarray
            Images in the fitted input's layout and scale.
        """
        shape = self.latent_shape_
        Z = np.asarray(Z, dtype=np.float32)
        size = math.prod(shape)
        if Z.ndim < 2 or math.prod(Z.shape[1:]) != size or Z.shape[1:] not in ((size,), shape):
            raise ValueError(
                f"inverse_transform decodes full latent maps of shape (n, {size}) or "
                f"(n, {', '.join(map(str, shape))}) (see encode, or representation='full'); "
                f"got {Z.shape}."
            )
        if not np.isfinite(Z).all():
            raise ValueError("Z contains NaN or infinity.")
        maps = torch.from_numpy(Z.reshape(-1, *shape))
        parts = self._predict_batches(maps, lambda module, z: module.decode_mean(z))
        return from_module_tensor(torch.cat(parts), self.input_spec_)

    def loss_terms(self, X, g=None, random_state=0) -> dict[str, float]:
        """Mean loss terms on ``X`` (unweighted), for given or random group elements.

        Parameters
        ----------
        X : array-like
            Images or volumes of the fitted layout, at least 2.
        g : int or array-like of int, optional
            Elements to pair each image with; drawn uniformly with ``random_state``
            when None.
        random_state : int, RandomState or None, default=0
            Seeds the group elements drawn when ``g`` is None.

        Returns
        -------
        dict
            ``reconstruction`` (of ``g.x`` from ``Phi_g(E(x))``), ``invariance``,
            ``equivariance`` and ``variant_fraction``, averaged over samples as in
            training; and the scale-free ``relative_invariance`` and
            ``relative_equivariance``: the summed squared error of the term divided by
            the total variance of the target part (``z_i(g.x)`` or ``z_v(g.x)``) over
            ``X``; 0 is perfect, about 2 means unrelated codes (an untrained encoder
            gives about 1).
        """
        X, _ = self._validate(X, min_samples=2)
        if g is None:
            g = self.group_.sample(X.shape[0], random_state)
        elements = self._elements_for(g, X.shape[0])
        sums: dict[str, float] = {}
        moments: dict[str, list] = {}
        for rows, x in self._inference_batches(X):
            module = self.module_
            outputs = module.pair_outputs(x, elements[rows].to(x.device))
            for key, value in module.loss_terms(outputs, x).items():
                sums[key] = sums.get(key, 0.0) + float(value) * x.shape[0]
            mask = outputs["mask"].reshape((1, -1) + (1,) * module.group.ndim)
            parts = {
                "invariance": ((1 - mask) * outputs["z"], (1 - mask) * outputs["z_target"]),
                "equivariance": (outputs["variant_acted"], mask * outputs["z_target"]),
            }
            for key, (prediction, target) in parts.items():
                error = float((prediction - target).pow(2).sum())
                sums[f"{key}_error"] = sums.get(f"{key}_error", 0.0) + error
                first, second = moments.get(key, (0.0, 0.0))
                moments[key] = [first + target.sum(0).cpu(), second + target.pow(2).sum(0).cpu()]
        n = X.shape[0]
        result = {key: value / n for key, value in sums.items() if not key.endswith("_error")}
        for key, (first, second) in moments.items():
            variance = float((second / n - (first / n) ** 2).sum())
            error = sums[f"{key}_error"] / n
            result[f"relative_{key}"] = error / variance if variance > 0 else float("nan")
        return result
