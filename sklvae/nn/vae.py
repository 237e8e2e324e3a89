"""Torch modules of the Gaussian VAE baselines: β-TCVAE, FactorVAE, AnnealedVAE, DIP-VAE.

Each is a few loss terms on top of :class:`sklvae.nn.module.GaussianVAEModule` (which
is itself the VAE and β-VAE module). The estimators are in :mod:`sklvae.models.vae`.
"""

from __future__ import annotations

import torch

from .discriminator import TCDiscriminator, permute_dims
from .gaussian import gaussian_kl, tc_decomposition
from .module import GaussianVAEModule

__all__ = [
    "BetaTCVAEModule",
    "FactorVAEModule",
    "AnnealedVAEModule",
    "DIPVAEModule",
    "covariance_penalties",
]


class BetaTCVAEModule(GaussianVAEModule):
    """β-TCVAE (Chen et al. 2018): KL split into index-code MI, TC and dimension-wise KL."""

    def __init__(
        self,
        input_shape,
        n_latents,
        *,
        alpha=1.0,
        beta=6.0,
        gamma=1.0,
        dataset_size=1,
        estimator="mss",
        **common,
    ):
        super().__init__(input_shape, n_latents, **common)
        self.dataset_size = int(dataset_size)
        self.estimator = estimator
        self.loss_weights = {
            "reconstruction": 1.0,
            "mutual_information": float(alpha),
            "total_correlation": float(beta),
            "dimensionwise_kl": float(gamma),
            "kl": 0.0,  # logged for comparison, not optimised
        }

    def loss_terms(self, outputs, x):
        terms = super().loss_terms(outputs, x)
        terms.update(
            tc_decomposition(
                outputs["z"],
                outputs["mu"],
                outputs["logvar"],
                dataset_size=self.dataset_size,
                estimator=self.estimator,
            )
        )
        return terms


class FactorVAEModule(GaussianVAEModule):
    """FactorVAE (Kim & Mnih 2018): VAE loss + γ·TC, TC from a density-ratio discriminator.

    ``discriminator_batch="split"`` (the paper's two batches; pythae, disvae): the VAE
    terms use the first half of the batch, the discriminator sees the first half's codes
    and a permutation of the second half's. ``"same"`` (disentanglement_lib): the whole
    batch for both, the discriminator on the batch and its own permutation.
    """

    def __init__(
        self,
        input_shape,
        n_latents,
        *,
        gamma=10.0,
        discriminator_hidden_dim=1000,
        discriminator_layers=6,
        discriminator_batch="split",
        **common,
    ):
        super().__init__(input_shape, n_latents, **common)
        self.discriminator_batch = discriminator_batch
        self.adversary = TCDiscriminator(n_latents, discriminator_hidden_dim, discriminator_layers)
        self.loss_weights = {"reconstruction": 1.0, "kl": 1.0, "total_correlation": float(gamma)}

    def _n_vae(self, n: int) -> int:
        """Samples of a batch of ``n`` that the VAE terms use (the first ones)."""
        return n if self.discriminator_batch == "same" else n // 2

    def loss_terms(self, outputs, x):
        first = slice(0, self._n_vae(outputs["z"].shape[0]))
        return {
            "reconstruction": self.reconstruction(outputs["outputs"][first], x[first]).mean(),
            "kl": gaussian_kl(outputs["mu"][first], outputs["logvar"][first]).sum(1).mean(),
            "total_correlation": self.adversary.total_correlation(outputs["z"][first]),
        }

    def adversary_loss(self, outputs, x):
        z = outputs["z"].detach()
        n_vae = self._n_vae(z.shape[0])
        z_joint, z_other = (z, z) if self.discriminator_batch == "same" else (z[:n_vae], z[n_vae:])
        return self.adversary.loss(z_joint, permute_dims(z_other))


class AnnealedVAEModule(GaussianVAEModule):
    """AnnealedVAE (Burgess et al. 2018): γ·|KL − C| with C raised linearly to ``c_max``."""

    def __init__(
        self,
        input_shape,
        n_latents,
        *,
        gamma=1000.0,
        c_max=25.0,
        iteration_threshold=100000,
        **common,
    ):
        super().__init__(input_shape, n_latents, **common)
        self.c_max = float(c_max)
        self.iteration_threshold = int(iteration_threshold)
        self.register_buffer("step", torch.zeros((), dtype=torch.long))
        self.loss_weights = {"reconstruction": 1.0, "capacity_kl": float(gamma), "kl": 0.0}

    def capacity(self) -> float:
        """C at the current step: min(c_max, c_max · step / iteration_threshold)."""
        return min(self.c_max, self.c_max * float(self.step) / self.iteration_threshold)

    def loss_terms(self, outputs, x):
        terms = super().loss_terms(outputs, x)
        terms["capacity_kl"] = (terms["kl"] - self.capacity()).abs()
        if self.training:
            self.step += 1
        return terms


def covariance_penalties(covariance: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Distances of a covariance matrix from the identity, off and on the diagonal.

    Returns ``(sum_{i != j} C_ij^2, sum_i (C_ii - 1)^2)``, the two sums DIP-VAE weighs
    by λ_od and λ_d (Kumar et al. 2018, eq. 6 and 7).
    """
    diagonal = torch.diagonal(covariance)
    off_diagonal = covariance - torch.diag_embed(diagonal)
    return off_diagonal.pow(2).sum(), (diagonal - 1.0).pow(2).sum()


class DIPVAEModule(GaussianVAEModule):
    """DIP-VAE (Kumar et al. 2018): VAE loss + a push of a latent covariance towards I.

    On each batch of B posteriors N(μ(x_b), diag σ²(x_b)):

    * ``variant="i"`` (eq. 6) penalises Cov[μ(x)] = (1/B) Σ_b μ_b μ_bᵀ − μ̄ μ̄ᵀ, the
      covariance of the encoder means;
    * ``variant="ii"`` (eq. 7) penalises the covariance of the aggregate posterior,
      Cov[z] = (1/B) Σ_b diag σ²(x_b) + Cov[μ(x)].

    The loss is reconstruction + KL + λ_od · Σ_{i≠j} C_ij² + λ_d · Σ_i (C_ii − 1)², with
    λ_d = ``lambda_d_factor`` · ``lambda_od``, as disentanglement_lib computes it (the
    covariance divides by B, not B − 1). The two sums are logged unweighted as
    ``covariance_off_diagonal`` and ``covariance_diagonal``.
    """

    def __init__(
        self,
        input_shape,
        n_latents,
        *,
        variant="i",
        lambda_od=10.0,
        lambda_d_factor=10.0,
        **common,
    ):
        super().__init__(input_shape, n_latents, **common)
        self.variant = variant
        self.loss_weights = {
            "reconstruction": 1.0,
            "kl": 1.0,
            "covariance_off_diagonal": float(lambda_od),
            "covariance_diagonal": float(lambda_d_factor) * float(lambda_od),
        }

    def latent_covariance(self, mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
        """The covariance the variant penalises, estimated on the batch, (n_latents,) * 2."""
        centered = mu - mu.mean(0, keepdim=True)
        covariance = centered.T @ centered / mu.shape[0]  # Cov[μ(x)], divided by B
        if self.variant == "ii":  # + E[Σ(x)], the mean posterior variance (eq. 7)
            covariance = covariance + torch.diag(logvar.exp().mean(0))
        return covariance

    def loss_terms(self, outputs, x):
        terms = super().loss_terms(outputs, x)
        off_diagonal, diagonal = covariance_penalties(
            self.latent_covariance(outputs["mu"], outputs["logvar"])
        )
        terms["covariance_off_diagonal"] = off_diagonal
        terms["covariance_diagonal"] = diagonal
        return terms
