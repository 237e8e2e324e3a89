"""MIPET's invertible partial-equivariant (IPE) transformation and EF conversion.

This module holds the torch pieces of MIPET-VAE (Jung, Jeong & Kim, arXiv 2502.03740,
official code GIST-IRR/MIPET-VAEs); :class:`sklvae.nn.mipet.MIPETModule` assembles them.
Vectors are rows: a latent batch has shape ``(B, d)`` and a map ``E`` acts as ``z @ E``.

Pieces
------
- :class:`IPETransform`: ψ, a matrix exponential (or a product of two) of symmetric
  matrices, applied to the posterior sample ``z`` and to its noise ``ε``.
- :class:`FactorizedLinear`: the bias-free map ``x ↦ x W1 W2`` that the official code
  uses for every EF sub-network.
- :class:`MaskedLogPartition`: the log-partition network ``L_A(x) = σ(x W̃1 W̃2)`` with
  the weight-magnitude mask in training mode.
- :class:`EFConversion`: per-unit parameter generators, sufficient statistic,
  log-partition network and multiplier λ; returns the EF-KL vector and the EF
  similarity loss ``L_el``.
- :class:`IPEUnit`: one ψ_m and its EF conversion.
- :class:`MultiIPE`: K units in parallel on the same latent.
- :func:`ipe_matrices`, :func:`ef_terms`: the matrices and the EF terms of K units in
  one batched pass (weights stacked along a leading unit axis each step, so the
  parameters and their names stay per unit); :class:`IPEUnit` and :class:`MultiIPE`
  compute through them, with K = 1 and K units.
- :func:`calibration_loss`: the KL calibration loss ``L_cali``.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import reduce
from typing import cast

import torch
from torch import Tensor, nn

__all__ = [
    "IPETransform",
    "FactorizedLinear",
    "MaskedLogPartition",
    "EFConversion",
    "IPEUnit",
    "MultiIPE",
    "ipe_matrices",
    "ef_terms",
    "calibration_loss",
]


def _product_of_exponentials(generators: list[Tensor]) -> Tensor:
    """``exp(G_1) @ exp(G_2) @ ...``, multiplied left to right (one batched ``matrix_exp``)."""
    return reduce(torch.matmul, torch.matrix_exp(torch.stack(generators)).unbind(0))


def ipe_matrices(transforms: Sequence[IPETransform]) -> Tensor:
    """The matrices E of several transforms of one form, shape ``(K, d, d)``.

    The generators of all K transforms are stacked, so that one ``matrix_exp`` and one
    batched product compute every E (the same values as ``[t.matrix() for t in
    transforms]``, in a constant number of operations instead of K times as many).

    Parameters
    ----------
    transforms : sequence of IPETransform
        K transforms with the same ``n_latents``, ``form`` and ``symmetric``.
    """
    first = transforms[0]
    if any((t.form, t.symmetric) != (first.form, first.symmetric) for t in transforms):
        raise ValueError("ipe_matrices needs transforms of one form and symmetry.")
    weights = [torch.stack([t.w1 for t in transforms])]
    if first.form == "product":
        weights.append(torch.stack([t.w2 for t in transforms]))
    return _product_of_exponentials(_symmetrised(weights, first.symmetric))


def _symmetrised(weights: list[Tensor], symmetric: bool) -> list[Tensor]:
    """``(W + Wᵀ) / 2`` of each (batched) matrix, or the matrices unchanged."""
    return [(w + w.mT) / 2 for w in weights] if symmetric else list(weights)


class IPETransform(nn.Module):
    """Invertible latent map ψ built from matrix exponentials.

    ``form="product"`` (default, the official code) uses
    ``E = exp(S1) exp(S2)`` with ``S_i = (W_i + W_iᵀ) / 2``; E is invertible
    (``det E = exp(tr S1 + tr S2) > 0``) but in general not symmetric.
    ``form="single"`` (the paper's ψ = e^M with M symmetric) uses ``E = exp(S1)``,
    which is symmetric positive definite. ``symmetric=False`` (ablation) drops the
    symmetrisation and exponentiates the free matrices.

    Parameters
    ----------
    n_latents : int
        Latent dimension d; the matrices are ``d × d``.
    form : {"product", "single"}, default="product"
        Product of two exponentials (code) or a single one (paper).
    symmetric : bool, default=True
        Symmetrise the generators before exponentiating.
    """

    def __init__(self, n_latents: int, form: str = "product", symmetric: bool = True) -> None:
        super().__init__()
        if form not in ("product", "single"):
            raise ValueError(f"form must be 'product' or 'single', got {form!r}.")
        self.n_latents = int(n_latents)
        self.form = form
        self.symmetric = bool(symmetric)
        self.w1 = nn.Parameter(torch.empty(n_latents, n_latents))
        if form == "product":
            self.w2 = nn.Parameter(torch.empty(n_latents, n_latents))
        else:
            self.register_parameter("w2", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Xavier-uniform initialisation, as the official ``init_weights``."""
        nn.init.xavier_uniform_(self.w1)
        if self.w2 is not None:
            nn.init.xavier_uniform_(self.w2)

    def generators(self) -> list[Tensor]:
        """The matrices whose exponentials are multiplied, in order."""
        weights = [self.w1] if self.w2 is None else [self.w1, self.w2]
        return _symmetrised(weights, self.symmetric)

    def matrix(self) -> Tensor:
        """The ``d × d`` matrix E of ψ (``ψ(z) = z @ E``)."""
        return _product_of_exponentials(self.generators())

    def inverse_matrix(self) -> Tensor:
        """E⁻¹, computed exactly as the reversed product of ``exp(-S_i)``."""
        return _product_of_exponentials([-g for g in reversed(self.generators())])

    def forward(self, z: Tensor) -> Tensor:
        """Apply ψ to row vectors ``z`` of shape ``(..., d)``."""
        return z @ self.matrix()

    def inverse(self, z_hat: Tensor) -> Tensor:
        """Apply ψ⁻¹ to row vectors of shape ``(..., d)``."""
        return z_hat @ self.inverse_matrix()

    def extra_repr(self) -> str:
        return f"n_latents={self.n_latents}, form={self.form!r}, symmetric={self.symmetric}"


class _TwoFactors(nn.Module):
    """Two bias-free weight matrices ``W1 ∈ R^{d×(expansion·d)}``, ``W2 ∈ R^{(expansion·d)×d}``.

    Both are initialised xavier-uniform (the official ``init_weights``).
    """

    def __init__(self, n_features: int, expansion: int = 5) -> None:
        super().__init__()
        hidden = expansion * n_features
        self.weight1 = nn.Parameter(torch.empty(n_features, hidden))
        self.weight2 = nn.Parameter(torch.empty(hidden, n_features))
        nn.init.xavier_uniform_(self.weight1)
        nn.init.xavier_uniform_(self.weight2)


class FactorizedLinear(_TwoFactors):
    """Bias-free linear map ``x ↦ x W1 W2`` through a wider hidden width.

    The official code builds every EF sub-network this way (no activation), with
    ``W1 ∈ R^{d×(expansion·d)}`` and ``W2 ∈ R^{(expansion·d)×d}``.

    Parameters
    ----------
    n_features : int
        Input and output width d.
    expansion : int, default=5
        Hidden width as a multiple of d.
    """

    def forward(self, x: Tensor) -> Tensor:
        return x @ self.weight1 @ self.weight2


class MaskedLogPartition(_TwoFactors):
    """Log-partition network ``L_A(x) = σ(x W̃1 W̃2)`` with a weight-magnitude mask.

    In training mode each weight matrix is masked as
    ``W̃ = W ⊙ 1[|W| ≥ mean|W| − k·std|W|]`` (statistics over that matrix), the
    official "sparse log_norm". The official code uses k = 0 and masks only in
    training; evaluation uses the unmasked weights. Reading this mask as the paper's
    "implicit semantic mask" is an inference: the paper does not spell the mask out.

    Parameters
    ----------
    n_features, expansion : int
        As :class:`FactorizedLinear`.
    mask_threshold : float or None, default=0.0
        k above; ``None`` disables the mask.
    """

    def __init__(
        self, n_features: int, expansion: int = 5, mask_threshold: float | None = 0.0
    ) -> None:
        super().__init__(n_features, expansion)
        self.mask_threshold = mask_threshold

    def masked(self, weight: Tensor) -> Tensor:
        """W̃ of ``weight``, one matrix or a stack of them (statistics per matrix)."""
        if not self.training or self.mask_threshold is None:
            return weight
        magnitude = weight.detach().abs()
        threshold = magnitude.mean((-2, -1), keepdim=True)
        if self.mask_threshold:
            threshold = threshold - self.mask_threshold * magnitude.std((-2, -1), keepdim=True)
        return weight * (magnitude >= threshold).to(weight.dtype)

    def matrix(self) -> Tensor:
        """Ω = W̃1 W̃2, the (masked) linear part of L_A."""
        return self.masked(self.weight1) @ self.masked(self.weight2)

    def forward(self, x: Tensor, matrix: Tensor | None = None) -> Tensor:
        """``σ(x Ω)``; pass ``matrix`` to reuse an Ω computed once per step."""
        omega = self.matrix() if matrix is None else matrix
        return torch.sigmoid(x @ omega)

    def extra_repr(self) -> str:
        return f"mask_threshold={self.mask_threshold}"


class EFConversion(nn.Module):
    """Exponential-family conversion of one IPE unit, as the official code computes it.

    Given the transformed sample ẑ and noise ε̂ (rows in R^d) it forms
    θ_z = G_z(ẑ), θ_ε = G_ε(ε̂), the vector "log-partitions" A = σ(L_A(θ)) (a
    double sigmoid, as in the code), their approximate gradient
    ∇̃A(θ) = (A ⊙ (1 − A)) Ω and s = Σ_i θ_i, and returns

    - the EF-KL vector ``KL = A_ε − s_ε ∇̃A(θ_ε) − A_z + s_z ∇̃A(θ_z)`` (not the
      Bregman KL; it can be negative);
    - the EF similarity loss ``L_el = ‖g_z + p_z‖ + ‖g_ε + p_ε‖ + ‖KL‖`` per sample,
      with the hand-written stationarity surrogates g_z, g_ε, p_z, p_ε of the code
      (``ef_loss`` in the official code). ``p_z`` sums T(ẑ) over the batch, so L_el couples the samples of
      a batch.

    The official module also defines a "prior observation" network and a
    ``post_carrier`` whose outputs are never used; they are left out here.

    Parameters
    ----------
    n_latents : int
        Latent dimension d.
    expansion : int, default=5
        Hidden width of the sub-networks as a multiple of d.
    mask_threshold : float or None, default=0.0
        Weight-mask threshold of the log-partition network (see
        :class:`MaskedLogPartition`).
    """

    def __init__(
        self, n_latents: int, expansion: int = 5, mask_threshold: float | None = 0.0
    ) -> None:
        super().__init__()
        self.z_parameter_generator = FactorizedLinear(n_latents, expansion)
        self.eps_parameter_generator = FactorizedLinear(n_latents, expansion)
        self.sufficient_statistic = FactorizedLinear(n_latents, expansion)
        self.log_partition = MaskedLogPartition(n_latents, expansion, mask_threshold)
        self.multiplier = nn.Linear(n_latents, n_latents)  # λ_m (with bias)
        nn.init.xavier_uniform_(self.multiplier.weight)

    def forward(self, z_hat: Tensor, eps_hat: Tensor) -> tuple[Tensor, Tensor]:
        """EF-KL vector ``(B, d)`` and similarity loss ``L_el`` ``(B,)`` (:func:`ef_terms`).

        Parameters
        ----------
        z_hat, eps_hat : Tensor of shape (B, d)
            ψ applied to the posterior sample and to its standard-normal noise.
        """
        kl, similarity = ef_terms([self], z_hat.unsqueeze(0), eps_hat.unsqueeze(0))
        return kl[0], similarity[0]


def _stacked_products(layers: Sequence[_TwoFactors], mask=None) -> Tensor:
    """``W1 W2`` of two-factor layers as one stack (W̃1 W̃2 with ``mask``), in layer order."""
    first = torch.stack([layer.weight1 for layer in layers])
    second = torch.stack([layer.weight2 for layer in layers])
    if mask is not None:
        first, second = mask(first), mask(second)
    return first @ second


def ef_terms(
    conversions: Sequence[EFConversion], z_hat: Tensor, eps_hat: Tensor
) -> tuple[Tensor, Tensor]:
    """EF-KL vectors and similarity losses of K EF conversions at once.

    The formulas are those of :class:`EFConversion` (which calls this with K = 1),
    evaluated in a constant number of batched operations whatever K is: the K units'
    weights are stacked along a unit axis, every sub-network ``x ↦ x W1 W2`` is applied
    as its ``d × d`` product ``x (W1 W2)``, and the sample path (ẑ, G_z) and the noise
    path (ε̂, G_ε), which go through the same steps, run as one stack of two.

    Parameters
    ----------
    conversions : sequence of EFConversion
        The K units' conversions (same width and mask threshold).
    z_hat, eps_hat : Tensor of shape (K, B, d)
        ψ_m applied to the posterior sample and to its noise, unit m in row m.

    Returns
    -------
    kl : Tensor of shape (K, B, d)
        The EF-KL vectors.
    similarity : Tensor of shape (K, B)
        ``L_el`` per unit and sample.
    """
    n_units = len(conversions)
    # (3, K, d, d): G_z, G_ε and the sufficient statistic T of every unit
    generators = _stacked_products(
        [c.z_parameter_generator for c in conversions]
        + [c.eps_parameter_generator for c in conversions]
        + [c.sufficient_statistic for c in conversions]
    ).unflatten(0, (3, n_units))
    gen, stat = generators[:2], generators[2]  # gen[0] = G_z, gen[1] = G_ε
    mask = conversions[0].log_partition.masked
    omega = _stacked_products([c.log_partition for c in conversions], mask)  # Ω, (K, d, d)
    lam_weight = torch.stack([c.multiplier.weight for c in conversions]).mT
    lam_bias = torch.stack([c.multiplier.bias for c in conversions]).unsqueeze(1)

    # path 0: the sample (ẑ, G_z); path 1: the noise (ε̂, G_ε); shape (2, K, B, d)
    theta = torch.stack([z_hat, eps_hat]) @ gen
    a = torch.sigmoid(torch.sigmoid(theta @ omega))  # A = σ(L_A(θ))
    s = theta.sum(-1, keepdim=True)
    var = a * (1 - a)
    grad = var @ omega  # ∇̃A(θ) = (A ⊙ (1 − A)) Ω

    # EF-KL vector (the official code's "kl_loss"): A_ε − s_ε ∇̃A_ε − A_z + s_z ∇̃A_z
    moment = a - s * grad
    kl = moment[1] - moment[0]

    # EF similarity loss (the official code's "ef_loss")
    n = torch.sigmoid(grad @ gen @ omega)  # L_A(G(∇̃A))
    rows = var.shape[-2]
    log_parts = torch.sigmoid(torch.cat([var, n * (1 - a), n * a], dim=-2) @ omega)
    l_var, l_rest, l_a = log_parts.split(rows, dim=-2)
    inner = -n + l_var @ gen + s * (l_rest - l_a)
    # g_z = λ(inner_z); g_ε = λ(−inner_ε)
    sign = torch.tensor([1.0, -1.0], dtype=inner.dtype, device=inner.device)
    g = (sign.view(2, 1, 1, 1) * inner) @ lam_weight + lam_bias
    p_z = (z_hat.sum(-2, keepdim=True) @ stat) @ gen[0] + rows * (theta[0] @ stat) - n[0]
    p_eps = 2 * s[0] * theta[1]
    similarity = (
        torch.linalg.vector_norm(g[0] + p_z, dim=-1)
        + torch.linalg.vector_norm(g[1] + p_eps, dim=-1)
        + torch.linalg.vector_norm(kl, dim=-1)
    )
    return kl, similarity


class IPEUnit(nn.Module):
    """One IPE unit ψ_m with (optionally) its EF conversion.

    Parameters
    ----------
    n_latents : int
        Latent dimension d.
    form : {"product", "single"}, default="product"
        See :class:`IPETransform`.
    symmetric : bool, default=True
        See :class:`IPETransform`.
    ef_conversion : bool, default=True
        Build the EF conversion; ``False`` is the "IPE only" ablation.
    mask_threshold : float or None, default=0.0
        See :class:`MaskedLogPartition`.
    expansion : int, default=5
        Hidden width of the EF sub-networks as a multiple of d.
    """

    def __init__(
        self,
        n_latents: int,
        form: str = "product",
        symmetric: bool = True,
        ef_conversion: bool = True,
        mask_threshold: float | None = 0.0,
        expansion: int = 5,
    ) -> None:
        super().__init__()
        self.transform = IPETransform(n_latents, form=form, symmetric=symmetric)
        self.ef = EFConversion(n_latents, expansion, mask_threshold) if ef_conversion else None

    def forward(self, z: Tensor, eps: Tensor | None = None) -> dict[str, Tensor]:
        """Transform ``z`` (and ``eps``); add the EF terms when available.

        Returns a dict with ``z_hat`` ``(B, d)``, and with ``eps`` given and the EF
        conversion on, ``eps_hat`` ``(B, d)``, ``ef_kl`` ``(B, d)`` and
        ``ef_similarity`` ``(B,)``.
        """
        return {key: value[0] for key, value in _ipe_outputs([self], z, eps).items()}


class MultiIPE(nn.Module):
    """K IPE units run in parallel on the same latent.

    Outputs are stacked along a leading unit axis: ``z_hat`` ``(K, B, d)`` and, in
    training, ``ef_kl`` ``(K, B, d)`` and ``ef_similarity`` ``(K, B)``. The model
    decodes each ẑ_m with one shared decoder and averages the K reconstructions;
    the EF losses are summed over units.

    Parameters
    ----------
    n_units : int
        K.
    n_latents : int
        Latent dimension d.
    **unit_params
        Passed to :class:`IPEUnit`.
    """

    def __init__(self, n_units: int, n_latents: int, **unit_params) -> None:
        super().__init__()
        if n_units < 1:
            raise ValueError(f"n_units must be a positive integer, got {n_units}.")
        self.units = nn.ModuleList(IPEUnit(n_latents, **unit_params) for _ in range(n_units))

    @property
    def n_units(self) -> int:
        return len(self.units)

    @property
    def ef_conversion(self) -> bool:
        return self.units[0].ef is not None

    def forward(self, z: Tensor, eps: Tensor | None = None) -> dict[str, Tensor]:
        return _ipe_outputs(self.units, z, eps)

    def matrices(self) -> Tensor:
        """The units' matrices E_m, shape ``(K, d, d)`` (:func:`ipe_matrices`)."""
        return ipe_matrices([cast(IPEUnit, unit).transform for unit in self.units])

    def transform(self, z: Tensor) -> Tensor:
        """ẑ averaged over the units, shape ``(B, d)``."""
        return (z @ self.matrices()).mean(0)


def _ipe_outputs(units: Sequence[IPEUnit], z: Tensor, eps: Tensor | None) -> dict[str, Tensor]:
    """The outputs of K units on one latent, stacked along a leading unit axis.

    ``z_hat`` ``(K, B, d)``; with ``eps``, ``eps_hat``, and with the EF conversion
    ``ef_kl`` ``(K, B, d)`` and ``ef_similarity`` ``(K, B)``: every unit in one batched
    pass (:func:`ipe_matrices`, :func:`ef_terms`).
    """
    matrices = ipe_matrices([unit.transform for unit in units])
    out = {"z_hat": z @ matrices}
    if eps is not None:
        out["eps_hat"] = eps @ matrices
        if units[0].ef is not None:
            conversions = [unit.ef for unit in units]
            out["ef_kl"], out["ef_similarity"] = ef_terms(conversions, out["z_hat"], out["eps_hat"])
    return out


def calibration_loss(ef_kl_total: Tensor, gaussian_kl: Tensor, n_units: int) -> Tensor:
    """KL calibration loss ``L_cali = mean_b (Σ_m Σ_j KL_m(b, j) − K · KL_N(b))²``.

    Parameters
    ----------
    ef_kl_total : Tensor of shape (B,)
        EF-KL summed over units and latent dimensions.
    gaussian_kl : Tensor of shape (B,)
        Analytic KL(q(z|x) ‖ N(0, I)) of the encoder, summed over dimensions.
    n_units : int
        K, the number of IPE units.

    Returns
    -------
    Tensor
        Scalar batch mean.
    """
    return ((ef_kl_total - n_units * gaussian_kl) ** 2).mean()
