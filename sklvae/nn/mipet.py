"""The torch module of MIPET-VAE: a Gaussian VAE whose latent goes through K IPE units.

Jung, Jeong & Kim, "Multiple Invertible and Partial-Equivariant Function for Latent
Vector Transformation to Enhance Disentanglement in VAEs" (arXiv 2502.03740, AISTATS
2026); official code GIST-IRR/MIPET-VAEs. The estimator is
:class:`sklvae.models.mipet.MIPETVAE`; the IPE units are in :mod:`sklvae.nn.ipe`.

The encoder's sample ``z = μ + σ ⊙ ε`` and its noise ``ε`` go through K invertible maps
ψ_m in parallel; one shared decoder decodes every ``ẑ_m = ψ_m(z)`` and the K
reconstructions are averaged. Each unit converts ``(ẑ_m, ε̂_m)`` to an exponential
family (EF) and contributes an EF-KL vector and the EF similarity loss ``L_el``; the KL
calibration loss ``L_cali`` ties the units' EF-KL to K times the encoder's Gaussian KL.
The base objective the IPE terms are added to is looked up in :data:`BASES`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import nn

from ._layers import xavier_init_
from .gaussian import gaussian_kl, tc_decomposition
from .ipe import MultiIPE, calibration_loss
from .module import GaussianVAEModule
from .reconstruction import output_mean

__all__ = ["MIPETBase", "BASES", "REPRESENTATIONS", "ipe_code", "MIPETModule"]

#: what ``representation(x, kind=...)`` can return
REPRESENTATIONS = ("mean", "transformed", "sample")


@dataclass(frozen=True)
class MIPETBase:
    """One base objective that MIPET's IPE terms are added to.

    Attributes
    ----------
    weights : callable
        ``weights(alpha, beta, gamma, ef_conversion) -> loss_weights`` of the module.
    prior_terms : callable
        ``prior_terms(module, outputs, gaussian_kl, ef_kl_total) -> dict`` of
        unweighted terms that replace the VAE's KL; ``gaussian_kl`` is the encoder's
        per-sample KL, ``ef_kl_total`` the per-sample EF-KL summed over units and
        dimensions (None without EF conversion).
    """

    weights: Callable[[float, float, float, bool], dict]
    prior_terms: Callable


def _beta_vae_weights(alpha, beta, gamma, ef_conversion):
    if not ef_conversion:
        return {"reconstruction": 1.0, "kl": float(beta)}
    return {"reconstruction": 1.0, "kl": float(beta), "gaussian_kl": 0.0}


def _beta_vae_terms(module, outputs, gauss, ef_kl_total):
    # β·L_kl on the EF-KL; the "IPE only" ablation falls back to the Gaussian KL
    return {"kl": (gauss if ef_kl_total is None else ef_kl_total).mean()}


def _beta_tcvae_weights(alpha, beta, gamma, ef_conversion):
    return {
        "reconstruction": 1.0,
        "mutual_information": float(alpha),
        "total_correlation": float(beta),
        "dimensionwise_kl": float(gamma),
        "ef_kl": 0.0,
        "gaussian_kl": 0.0,
    }


def _beta_tcvae_terms(module, outputs, gauss, ef_kl_total):
    # α·MI + β·TC + γ·DimKL of the pre-IPE z (Chen et al. 2018, eq. 2, minibatch-
    # stratified estimators with the corrected importance weights)
    terms = tc_decomposition(
        outputs["z"], outputs["mu"], outputs["logvar"], dataset_size=module.dataset_size
    )
    terms["gaussian_kl"] = gauss.mean()
    if ef_kl_total is not None:
        terms["ef_kl"] = ef_kl_total.mean()  # logged; enters only through L_cali and L_el
    return terms


#: base name -> what it needs; ``MIPETVAE(base=...)`` accepts exactly these names.
#: ``"clg_vae"`` is the β-VAE objective on the Lie-group host: it is built by
#: :class:`sklvae.nn.mipet_clg.MIPETCLGModule` (one IPE unit, group losses added there),
#: not by :class:`MIPETModule`.
BASES: dict[str, MIPETBase] = {
    "beta_vae": MIPETBase(_beta_vae_weights, _beta_vae_terms),
    "beta_tcvae": MIPETBase(_beta_tcvae_weights, _beta_tcvae_terms),
    "clg_vae": MIPETBase(_beta_vae_weights, _beta_vae_terms),
}


def ipe_code(
    mu: torch.Tensor, logvar: torch.Tensor, transform: Callable, kind: str = "mean"
) -> torch.Tensor:
    """The code ``representation(x, kind=kind)`` returns, from the posterior of ``x``.

    Parameters
    ----------
    mu, logvar : Tensor of shape (B, d)
        The Gaussian posterior of ``x``.
    transform : callable
        ψ (averaged over the units where there are several), applied to codes.
    kind : {"mean", "transformed", "sample"}, default="mean"
        μ, ψ(μ), or a posterior sample of the pre-IPE z.
    """
    if kind == "sample":
        return mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)
    if kind == "transformed":
        return transform(mu)
    return mu


class MIPETModule(GaussianVAEModule):
    """Gaussian encoder, K parallel IPE units with EF conversion, one shared decoder.

    The hyperparameters are validated by :class:`sklvae.models.mipet.MIPETVAE`.

    Parameters
    ----------
    input_shape, n_latents
        See :class:`sklvae.nn.module.DisentanglerModule`.
    base : {"beta_vae", "beta_tcvae"}, default="beta_vae"
        The base objective, a key of :data:`BASES` (``"clg_vae"`` is built by
        :class:`sklvae.nn.mipet_clg.MIPETCLGModule` instead).
    n_units : int, default=3
        Number K of IPE units.
    beta, alpha, gamma : float, default=1.0
        Loss weights: β on the EF-KL (β-VAE base) or the TC (β-TCVAE base); α on the
        MI and γ on the dimension-wise KL (β-TCVAE base).
    dataset_size : int, default=1
        N for the β-TCVAE minibatch-stratified estimators (the estimator passes the
        number of training samples).
    ipe_form : {"product", "single"}, default="product"
        ψ as the official code's product of two symmetric-matrix exponentials or the
        paper's single one (:class:`sklvae.nn.ipe.IPETransform`).
    symmetric : bool, default=True
        Symmetrise the IPE generators (``False`` is the "no symmetry" ablation).
    ef_conversion : bool, default=True
        ``False`` is the "IPE only" ablation: no EF terms, and the β-VAE base uses
        β times the Gaussian KL of the pre-IPE posterior.
    mask_threshold : float or None, default=0.0
        Log-partition weight mask ``|W| ≥ mean|W| − k·std|W|`` (training only); ``None``
        disables it.
    **common
        ``backbone`` (default ``"mipet"``), ``likelihood``, ``backbone_params``: see
        :class:`sklvae.nn.module.DisentanglerModule`.
    """

    default_backbone = "mipet"

    def __init__(
        self,
        input_shape: tuple,
        n_latents: int,
        *,
        base: str = "beta_vae",
        n_units: int = 3,
        beta: float = 1.0,
        alpha: float = 1.0,
        gamma: float = 1.0,
        dataset_size: int = 1,
        ipe_form: str = "product",
        symmetric: bool = True,
        ef_conversion: bool = True,
        mask_threshold: float | None = 0.0,
        **common,
    ):
        super().__init__(input_shape, n_latents, beta=beta, **common)
        self.base = base
        self.dataset_size = int(dataset_size)
        self.ipe = MultiIPE(
            n_units,
            self.n_latents,
            form=ipe_form,
            symmetric=symmetric,
            ef_conversion=ef_conversion,
            mask_threshold=mask_threshold,
        )
        # the official init_weights: xavier-uniform on every parameter with ndim >= 2
        # (convolutions, linear layers, IPE matrices, EF sub-networks)
        xavier_init_(self)
        self.loss_weights = BASES[base].weights(alpha, beta, gamma, ef_conversion)

    @property
    def n_units(self) -> int:
        """K, the number of IPE units."""
        return self.ipe.n_units

    # --- decoding -----------------------------------------------------------------------
    def _averaged_outputs(self, z_hat: torch.Tensor) -> torch.Tensor:
        """Decode ``(K, B, d)`` codes with the shared decoder and average the K means.

        Returns the decoder-output equivalent of the averaged mean, so the shared
        likelihood helpers apply unchanged: for a sigmoid mean the logit of
        ``mean_k σ(l_k)``, computed stably as
        ``logsumexp_k log σ(l_k) − logsumexp_k log σ(−l_k)``; otherwise the plain average.
        """
        n_units, batch = z_hat.shape[:2]
        outputs = self.decoder(z_hat.reshape(n_units * batch, -1))
        outputs = outputs.reshape(n_units, batch, *outputs.shape[1:])
        if n_units == 1:
            return outputs[0]
        if self.likelihood == "bernoulli" or self.bounded:
            log_p = torch.logsumexp(nn.functional.logsigmoid(outputs), dim=0)
            log_not_p = torch.logsumexp(nn.functional.logsigmoid(-outputs), dim=0)
            return log_p - log_not_p
        return outputs.mean(0)

    def _mean_ipe_matrix(self) -> torch.Tensor:
        return self.ipe.matrices().mean(0)

    def decode_mean(self, z: torch.Tensor, kind: str = "mean") -> torch.Tensor:
        """Mean of p(x | z): the K decoded ψ_m(z), averaged.

        Parameters
        ----------
        z : Tensor of shape (B, n_latents)
            Codes in the space of ``representation(x, kind=kind)``: the pre-IPE latent
            for ``"mean"`` and ``"sample"``, the unit-averaged ẑ for ``"transformed"``
            (mapped back with the inverse of the averaged IPE matrix).
        kind : {"mean", "transformed", "sample"}, default="mean"
        """
        if kind == "transformed":
            z = torch.linalg.solve(self._mean_ipe_matrix(), z, left=False)
        z_hat = z @ self.ipe.matrices()
        return output_mean(self._averaged_outputs(z_hat), self.likelihood, self.bounded)

    # --- training forward ---------------------------------------------------------------
    def forward(self, x: torch.Tensor, eps: torch.Tensor | None = None) -> dict[str, torch.Tensor]:
        """Training forward; ``eps`` injects the reparameterisation noise (tests)."""
        mu, logvar = self.encode(x)
        if eps is None:
            eps = torch.randn_like(mu)
        z = mu + torch.exp(0.5 * logvar) * eps
        ipe = self.ipe(z, eps)
        out = {"mu": mu, "logvar": logvar, "z": z, "eps": eps, "z_hat": ipe["z_hat"]}
        out["outputs"] = self._averaged_outputs(ipe["z_hat"])
        if "ef_kl" in ipe:
            out["ef_kl"] = ipe["ef_kl"]
            out["ef_similarity"] = ipe["ef_similarity"]
        return out

    def loss_terms(self, outputs: dict, x: torch.Tensor) -> dict[str, torch.Tensor]:
        """Unweighted terms; ``loss_weights`` applies β, α, γ.

        ``reconstruction``: of the unit-averaged output, summed over pixels, batch mean.
        ``kl`` (β-VAE base): EF-KL summed over units and dimensions, batch mean (the
        pre-IPE Gaussian KL without EF conversion). ``mutual_information``,
        ``total_correlation``, ``dimensionwise_kl`` (β-TCVAE base, on the pre-IPE z).
        ``ef_similarity``: Σ_m L_el,m, batch mean. ``calibration``: L_cali =
        mean_b (Σ_m Σ_j KL_m(b, j) − K·KL_N(b))². ``gaussian_kl``, ``ef_kl``: logged only.
        """
        gauss = gaussian_kl(outputs["mu"], outputs["logvar"]).sum(1)
        has_ef = "ef_kl" in outputs
        ef_kl_total = outputs["ef_kl"].sum((0, 2)) if has_ef else None
        terms = {"reconstruction": self.reconstruction(outputs["outputs"], x).mean()}
        terms.update(BASES[self.base].prior_terms(self, outputs, gauss, ef_kl_total))
        if has_ef:
            terms["ef_similarity"] = outputs["ef_similarity"].sum(0).mean()
            terms["calibration"] = calibration_loss(ef_kl_total, gauss, self.n_units)
            terms.setdefault("gaussian_kl", gauss.mean())
        return terms

    # --- inference ----------------------------------------------------------------------
    def representation(self, x: torch.Tensor, kind: str = "mean") -> torch.Tensor:
        """The code of ``x``: μ, the unit-averaged ψ_m(μ) or a sample (:func:`ipe_code`)."""
        return ipe_code(*self.encode(x), self.ipe.transform, kind)

    def negative_elbo(self, x: torch.Tensor) -> torch.Tensor:
        """Per-sample −ELBO of the unit-averaged likelihood with the pre-IPE Gaussian KL."""
        mu, logvar = self.encode(x)
        z = mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)
        z_hat = z @ self.ipe.matrices()
        return self.reconstruction(self._averaged_outputs(z_hat), x) + gaussian_kl(mu, logvar).sum(
            1
        )
