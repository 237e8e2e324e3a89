"""Straight-through channel mask and group actions on latent feature maps.

Building blocks of :class:`sklvae.models.GroupActionAE` (spec ``group_actions.md``):

* :func:`straight_through_mask` / :class:`ChannelMask`: the Adaptive Latent
  Disentanglement (ALD) mask of spec §2.3, a learned global per-channel binary mask
  ``M = 1[sigmoid(alpha) > tau]`` in the forward pass whose backward pass is the
  gradient of ``sigmoid(alpha)`` (sigmoid straight-through estimator).
* :class:`LatentGroupAction`: the latent action of spec §2.4,
  ``Phi_g(z) = (1 - M) * z + M * rho(g) S_g z``, where ``S_g`` moves the latent grid
  with the same :mod:`sklvae.groups` element as the image and ``rho(g)`` acts on the
  channels: the identity in the official code (``action="fixed"``), or an exact
  learned representation (``action="learned"``, :class:`FieldRepresentation`).
"""

from __future__ import annotations

import torch
from torch import nn

from sklvae.groups import FiniteGroup, get_group

__all__ = [
    "straight_through_mask",
    "ChannelMask",
    "FieldRepresentation",
    "LatentGroupAction",
]


def straight_through_mask(logits: torch.Tensor, threshold: float = 0.5) -> torch.Tensor:
    """Hard binary mask with a sigmoid straight-through gradient (spec §2.3).

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
        Logits are initialised ``N(0, init_std^2)`` (spec §2.3), so about half of the
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

    ``Phi_g(z) = (1 - M) * z + M * rho(g) S_g z`` (spec §2.4): ``S_g`` applies the group
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
