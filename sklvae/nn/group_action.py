"""The torch side of GroupActionAE: channel mask, latent group actions, the module.

Swarnali, Zhang & Hossain, "Learning Group Actions In Disentangled Latent Image
Representations" (arXiv 2512.04015, WACV 2026); official code
farhanaswarnali/Learning-Group-Actions-In-Disentangled-Latent-Image-Representations
(``rotated_mnist.py``). The estimator is :class:`sklvae.models.group.GroupActionAE`.

* :func:`straight_through_mask` / :class:`ChannelMask`: the paper's Adaptive Latent
  Disentanglement (ALD) mask, a learned global per-channel binary mask
  ``M = 1[sigmoid(alpha) > tau]`` in the forward pass whose backward pass is the
  gradient of ``sigmoid(alpha)`` (sigmoid straight-through estimator).
* :class:`LatentGroupAction`: the latent action
  ``Phi_g(z) = (1 - M) * z + M * rho(g) S_g z``, where ``S_g`` moves the latent grid
  with the same :mod:`sklvae.groups` element as the image and ``rho(g)`` acts on the
  channels: the identity in the official code (``action="fixed"``), or an exact
  learned representation (``action="learned"``, :class:`FieldRepresentation`).
* :class:`GroupActionModule`: the convolutional autoencoder with a latent feature map
  that trains them, and :func:`check_group_fits`.
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ..groups import FiniteGroup, get_group
from .backbones import conv_grid_shape
from .module import DisentanglerModule
from .reconstruction import output_mean

__all__ = [
    "straight_through_mask",
    "ChannelMask",
    "FieldRepresentation",
    "LatentGroupAction",
    "GroupActionModule",
    "check_group_fits",
    "REPRESENTATIONS",
]

#: what ``GroupActionModule.representation(x, kind=...)`` can return
REPRESENTATIONS = ("invariant", "variant", "full")


def straight_through_mask(logits: torch.Tensor, threshold: float = 0.5) -> torch.Tensor:
    """Hard binary mask with a sigmoid straight-through gradient.

    Forward value ``1[sigmoid(logits) > threshold]`` (exactly 0 or 1); backward
    gradient ``d sigmoid(logits) / d logits``:
    ``M = M_hard + sigmoid(logits) - stopgrad(sigmoid(logits))``.
    """
    soft = torch.sigmoid(logits)
    hard = (soft > threshold).to(soft.dtype)
    # hard + (soft - soft.detach()) is exactly `hard` in the forward pass (soft - soft = 0).
    return hard + (soft - soft.detach())


class ChannelMask(nn.Module):
    """Global learned binary mask over latent channels (1 = variant, 0 = invariant).

    Parameters
    ----------
    n_channels : int
        Number of latent channels.
    field_size : int, default=1
        Channels are masked in contiguous fields of this size (one logit per field);
        1 for the official per-channel mask, ``|G|`` for the learned action, whose
        channel representation mixes channels inside a field.
    init_std : float, default=0.1
        Logits are initialised ``N(0, init_std^2)`` (the official code), so about half of the
        channels start variant.
    threshold : float, default=0.5
        ``tau``: a channel is variant when ``sigmoid(logit) > tau``.
    generator : torch.Generator, optional
        Seeds the initial logits.
    """

    def __init__(
        self,
        n_channels: int,
        field_size: int = 1,
        init_std: float = 0.1,
        threshold: float = 0.5,
        generator: torch.Generator | None = None,
    ) -> None:
        super().__init__()
        if n_channels % field_size:
            raise ValueError(
                f"n_channels={n_channels} must be a multiple of the field size {field_size}."
            )
        if not 0.0 < threshold < 1.0:
            raise ValueError(f"mask threshold must lie in (0, 1); got {threshold}.")
        self.n_channels = n_channels
        self.field_size = field_size
        self.threshold = threshold
        n_fields = n_channels // field_size
        self.logits = nn.Parameter(torch.randn(n_fields, generator=generator) * init_std)

    def forward(self) -> torch.Tensor:
        """The straight-through mask of shape (n_channels,)."""
        mask = straight_through_mask(self.logits, self.threshold)
        return mask.repeat_interleave(self.field_size)

    @torch.no_grad()
    def hard_mask(self) -> torch.Tensor:
        """Boolean mask of shape (n_channels,), True for variant channels."""
        return (torch.sigmoid(self.logits) > self.threshold).repeat_interleave(self.field_size)

    def variant_fraction(self) -> float:
        """Fraction of channels currently variant."""
        return float(self.hard_mask().float().mean())


class FieldRepresentation(nn.Module):
    """Learned exact linear representation of a finite group on channel fields.

    The channels are split into fields of ``|G|`` channels; on each field
    ``rho(g) = Q P(g) Q^T`` where ``P`` is the regular representation of the group
    (a permutation matrix, :meth:`FiniteGroup.regular_representation`) and
    ``Q = exp(W - W^T)`` is a learned rotation (matrix exponential of a skew matrix,
    exactly orthogonal). Hence ``rho(g) rho(h) = rho(gh)`` and ``rho(g)^order(g) = I``
    hold exactly for every value of the parameters: an exact representation needs
    eigenvalues that are roots of unity, which a continuous parameter cannot move, so
    what is learned is the basis in which the channels transform; the irreducible
    content is fixed to the regular representation, which contains every irreducible
    representation of the group (the trivial one, i.e. the fixed action, included).
    ``W = 0`` at initialisation, i.e. ``rho(g) = P(g)`` (channels permuted like the
    feature orientations of a group-equivariant CNN).
    """

    def __init__(self, group: FiniteGroup, n_channels: int) -> None:
        super().__init__()
        self.group = group
        order = group.order
        if n_channels % order:
            raise ValueError(
                f"the learned action needs n_channels divisible by the group order "
                f"{order}; got n_channels={n_channels}."
            )
        self.n_fields = n_channels // order
        self.register_buffer(
            "regular", torch.as_tensor(group.regular_representation(), dtype=torch.float32)
        )
        self.skew_params = nn.Parameter(torch.zeros(self.n_fields, order, order))

    def basis(self) -> torch.Tensor:
        """Orthogonal matrices ``Q`` of shape (n_fields, |G|, |G|)."""
        skew = self.skew_params - self.skew_params.transpose(-1, -2)
        return torch.linalg.matrix_exp(skew)

    def matrices(self) -> torch.Tensor:
        """``rho(g)`` for every field and element: shape (n_fields, |G|, |G|, |G|)."""
        q = self.basis()  # (F, o, o)
        return torch.einsum("fij,gjk,flk->fgil", q, self.regular, q)

    def forward(self, z: torch.Tensor, elements: torch.Tensor) -> torch.Tensor:
        """Apply ``rho(elements[n])`` to the channels of ``z[n]`` (shape (n, C, ...))."""
        n, c = z.shape[:2]
        rho = self.matrices()[:, elements]  # (F, n, o, o)
        fields = z.reshape(n, self.n_fields, self.group.order, -1)
        out = torch.einsum("fnij,nfjl->nfil", rho, fields)
        return out.reshape(z.shape)


class LatentGroupAction(nn.Module):
    """Group action on a latent feature map, restricted to the variant channels.

    ``Phi_g(z) = (1 - M) * z + M * rho(g) S_g z``: ``S_g`` applies the group
    element to the spatial axes of the latent grid (the same permutation as on the
    image), ``rho(g)`` is the identity (``action="fixed"``, official code) or a
    :class:`FieldRepresentation` (``action="learned"``). Because ``M`` is constant
    within the fields that ``rho`` mixes, ``Phi`` is an exact action:
    ``Phi_g Phi_h = Phi_{gh}``.

    Parameters
    ----------
    group : str or FiniteGroup
        ``"c2"``, ``"c4"``, ``"d4"`` (latent maps ``(n, C, H, W)``) or ``"cube"``
        (latent volumes ``(n, C, D, H, W)``).
    n_channels : int
        Number of latent channels.
    action : {"fixed", "learned"}, default="fixed"
        Channel part of the action.
    """

    def __init__(self, group: str | FiniteGroup, n_channels: int, action: str = "fixed") -> None:
        super().__init__()
        self.group = get_group(group)
        if action not in ("fixed", "learned"):
            raise ValueError(f"action must be 'fixed' or 'learned'; got {action!r}.")
        self.action = action
        self.n_channels = n_channels
        self.representation = (
            FieldRepresentation(self.group, n_channels) if action == "learned" else None
        )
        self.spatial_axes = tuple(range(2, 2 + self.group.ndim))

    @property
    def field_size(self) -> int:
        """Size of the channel fields that must share a mask value."""
        return self.group.order if self.action == "learned" else 1

    def act_variant(self, z: torch.Tensor, elements: torch.Tensor) -> torch.Tensor:
        """``rho(g) S_g z`` for each sample (no mask)."""
        if z.ndim != 2 + self.group.ndim or z.shape[1] != self.n_channels:
            raise ValueError(
                f"expected latent maps of shape (n, {self.n_channels}"
                f"{', S' * self.group.ndim}); got {tuple(z.shape)}."
            )
        out = self.group.act_batch(z, elements, self.spatial_axes)
        if self.representation is not None:
            out = self.representation(out, elements)
        return out

    def forward(
        self, z: torch.Tensor, elements: torch.Tensor, mask: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Return ``(Phi_g(z), rho(g) S_g (M * z))``; ``mask`` has shape (C,)."""
        shape = (1, -1) + (1,) * self.group.ndim
        m = mask.reshape(shape)
        variant_acted = self.act_variant(m * z, elements)
        # rho keeps the masked fields separate, so M * rho S (M z) == rho S (M z).
        return (1 - m) * z + variant_acted, variant_acted


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


class GroupActionModule(DisentanglerModule):
    """Conv autoencoder with a latent feature map, an ALD mask and a latent group action.

    The latent is a feature map ``z`` of ``n_latents`` channels on a grid. The mask
    ``M`` splits it into a *variant* part ``z_v = M * z``, moved by the group like the
    image, and an *invariant* part ``z_i = (1 - M) * z`` left alone. Each training image
    ``x`` is paired with ``g . x`` for a group element ``g`` drawn per sample and step::

        L = L_rec(D(Phi_g(E(x))), g.x) + lambda_inv ||z_i(x) - sg z_i(g.x)||^2
            + lambda_equiv ||rho(g) S_g z_v(x) - sg z_v(g.x)||^2

    every term a mean over elements, ``sg`` meaning that the target branch ``E(g.x)`` is
    computed without gradient (as the official code). The hyperparameters are validated
    by :class:`sklvae.models.group.GroupActionAE`.

    Parameters
    ----------
    input_shape : tuple
        ``(C, H, W)`` images or ``(1, D, H, W)`` volumes.
    n_latents : int
        Number of latent *channels*; the latent map is ``(n_latents, *grid)`` with
        ``grid = spatial sides / 2**n_layers``. The module's ``n_latents`` attribute is
        the flattened size ``n_latents * prod(grid)`` (the width of a full code).
    backbone_params : dict, optional
        Overrides of the ``conv_grid`` builder's settings.
    group : str or FiniteGroup, default="c4"
    n_layers, hidden_channels : int
        ``conv_grid`` depth and hidden width (2 and 32 are the official 1→32→64 encoder).
    mask_init_std, mask_threshold : float
        ALD logits ``~ N(0, std^2)``; a channel is variant when ``sigmoid(logit) > tau``.
    lambda_inv, lambda_equiv : float
        Weights of the invariance and equivariance terms.
    action : {"fixed", "learned"}
        Channel part of the latent action (:class:`LatentGroupAction`).
    **common
        ``backbone`` (``"conv_grid"``, the default) and ``likelihood`` (``{"mse",
        "gaussian", "bernoulli"}``, default ``"mse"``): ``"mse"`` is the official loss:
        the decoder ends in a tanh (here ``0.5 tanh`` so that the mean is
        ``0.5 tanh + 0.5`` in [0, 1]) and the squared error is averaged over pixels; its
        weight is 4 so that it equals the official mean MSE on [-1, 1] images.
    """

    elbo_terms = ("reconstruction",)
    default_backbone = "conv_grid"
    default_likelihood = "mse"

    def __init__(
        self,
        input_shape: tuple,
        n_latents: int,
        *,
        backbone_params: dict | None = None,
        group: str | FiniteGroup = "c4",
        n_layers: int = 2,
        hidden_channels: int = 32,
        mask_init_std: float = 0.1,
        mask_threshold: float = 0.5,
        lambda_inv: float = 1.0,
        lambda_equiv: float = 1.0,
        action: str = "fixed",
        **common,
    ):
        params = {
            "n_channels": int(n_latents),
            "hidden_channels": hidden_channels,
            "n_layers": n_layers,
        }
        params.update(backbone_params or {})
        grid = conv_grid_shape(tuple(input_shape), params["n_channels"], params["n_layers"])
        super().__init__(input_shape, math.prod(grid), backbone_params=params, **common)
        self.group = get_group(group)
        check_group_fits(self.group, tuple(input_shape))
        self.latent_shape = tuple(self.encoder.grid_shape)
        self.n_channels = self.latent_shape[0]
        self.action = LatentGroupAction(self.group, self.n_channels, action)
        self.mask = ChannelMask(
            self.n_channels, self.action.field_size, mask_init_std, mask_threshold
        )
        self.spatial_axes = tuple(range(2, 2 + self.group.ndim))
        self.loss_weights = {
            # official loss is the mean MSE of [-1, 1] images: 4x the one on [0, 1] images
            "reconstruction": 4.0 if self.likelihood == "mse" else 1.0,
            "invariance": float(lambda_inv),
            "equivariance": float(lambda_equiv),
            "variant_fraction": 0.0,  # logged only (degenerate-mask guard)
        }

    # --- pieces ---------------------------------------------------------------------------
    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """Latent maps ``(n, C, *grid)`` of images in [0, 1] (read as ``2x - 1``, as the
        official code's [-1, 1] inputs)."""
        return self.encoder(2.0 * x - 1.0).reshape(x.shape[0], *self.latent_shape)

    def decoder_outputs(self, z: torch.Tensor) -> torch.Tensor:
        """Decoder outputs for latent maps (or their flattening), as the likelihood reads them."""
        raw = self.decoder(z.reshape(z.shape[0], -1))
        return 0.5 * torch.tanh(raw) if self.likelihood == "mse" else raw

    def decode_mean(self, z: torch.Tensor, kind: str | None = None) -> torch.Tensor:
        """Images decoded from full latent maps (``kind`` is ignored: only full maps decode)."""
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
        with torch.no_grad():  # sg: the target branch E(g.x) has no gradient
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
        # g ~ Uniform(G) per sample and step, identity included (official code); the
        # global torch generator is seeded from ``random_state`` by the estimator.
        elements = torch.randint(self.group.order, (x.shape[0],)).to(x.device)
        return self.pair_outputs(x, elements)

    def loss_terms(self, outputs: dict, x: torch.Tensor) -> dict[str, torch.Tensor]:
        mask = outputs["mask"].reshape((1, -1) + (1,) * self.group.ndim)
        z, z_target = outputs["z"], outputs["z_target"]
        # the targets use the current mask without gradient, as the official code
        return {
            "reconstruction": self.reconstruction(outputs["outputs"], outputs["target"]).mean(),
            "invariance": F.mse_loss((1 - mask) * z, ((1 - mask) * z_target).detach()),
            "equivariance": F.mse_loss(outputs["variant_acted"], (mask * z_target).detach()),
            "variant_fraction": outputs["mask"].detach().mean(),
        }

    def representation(self, x: torch.Tensor, kind: str = "invariant") -> torch.Tensor:
        """Flattened code of ``x``: the invariant channels, the variant ones, or the full map."""
        z = self.encode(x)
        if kind == "full":
            return z.flatten(1)
        variant = self.mask.hard_mask()
        keep = variant if kind == "variant" else ~variant
        return z[:, keep].flatten(1)

    def reconstruct(self, x: torch.Tensor, kind: str | None = None) -> torch.Tensor:
        """Decoded full code of ``x`` (whatever ``transform`` returns)."""
        return self.decode_mean(self.encode(x))

    def negative_elbo(self, x: torch.Tensor) -> torch.Tensor:
        """Per-sample reconstruction loss of ``x`` from its own code (no ELBO: an AE)."""
        return self.reconstruction(self.decoder_outputs(self.encode(x)), x)

    def sample_prior(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        raise NotImplementedError(
            "GroupActionAE is an autoencoder without a prior; it cannot sample."
        )
