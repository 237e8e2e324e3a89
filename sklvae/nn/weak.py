"""Torch module of the weakly-supervised VAEs: Ada-GVAE and Ada-ML-VAE.

Locatello et al., "Weakly-Supervised Disentanglement Without Compromises" (ICML 2020).
A training batch holds pairs of images that share some generative factors: its first
half is the first image of each pair, its second half the second image (the pair
dataset of :mod:`sklvae.models.weak` stacks them so). Per pair, the latent dimensions
whose posteriors differ least are taken as shared, and their two posteriors are
replaced by one aggregate posterior; the β-VAE loss is then computed on the
aggregated posteriors of both images. The estimators are in :mod:`sklvae.models.weak`.
"""

from __future__ import annotations

import torch

from ._precision import float32
from .gaussian import reparameterize
from .module import GaussianVAEModule

__all__ = ["AGGREGATIONS", "AdaVAEModule", "pair_kl", "adaptive_shared_mask", "aggregate_pair"]

#: how the two posteriors of a shared dimension are combined
AGGREGATIONS = ("gvae", "mlvae")


@float32
def pair_kl(
    mu1: torch.Tensor, logvar1: torch.Tensor, mu2: torch.Tensor, logvar2: torch.Tensor
) -> torch.Tensor:
    """KL(q(z|x1) || q(z|x2)) per latent dimension for diagonal Gaussians, ``(n, d)``.

    ``0.5 * (σ1²/σ2² + (μ2 - μ1)²/σ2² - 1 + log σ2² - log σ1²)``; disentanglement_lib's
    ``compute_kl`` is twice this (the factor does not move the adaptive threshold).
    """
    ratio = torch.exp(logvar1 - logvar2)
    return 0.5 * (ratio + (mu2 - mu1).pow(2) * torch.exp(-logvar2) - 1.0 + logvar2 - logvar1)


def adaptive_shared_mask(kl: torch.Tensor) -> torch.Tensor:
    """Dimensions taken as shared: KL below the midpoint of each row's min and max KL.

    The adaptive threshold of Locatello et al. (2020, eq. 6): ``τ = ½ (max_j δ_j +
    min_j δ_j)`` per pair, dimension ``j`` shared when ``δ_j < τ``. A row whose KLs
    are all equal (identical posteriors) is shared in every dimension.

    Parameters
    ----------
    kl : Tensor of shape (n, d)
        Per-dimension divergence between the two posteriors of each pair.

    Returns
    -------
    BoolTensor of shape (n, d)
    """
    low = kl.min(dim=1, keepdim=True).values
    high = kl.max(dim=1, keepdim=True).values
    return (kl < 0.5 * (low + high)) | (high == low)


@float32
def aggregate_pair(
    mu1: torch.Tensor,
    logvar1: torch.Tensor,
    mu2: torch.Tensor,
    logvar2: torch.Tensor,
    aggregation: str,
) -> tuple[torch.Tensor, torch.Tensor]:
    """The aggregate posterior of a pair, per dimension: ``(mean, log-variance)``.

    ``"gvae"`` (Group-VAE, Hosoya 2019): the average of the two Gaussians' means and
    variances. ``"mlvae"`` (ML-VAE, Bouchacourt et al. 2018): the product of the two
    Gaussians, as disentanglement_lib's ``MLVae`` computes it: variance
    ``2 σ1² σ2² / (σ1² + σ2²)``, mean ``(μ1/σ1² + μ2/σ2²) · variance / 2``.
    """
    var1, var2 = logvar1.exp(), logvar2.exp()
    if aggregation == "gvae":
        return 0.5 * (mu1 + mu2), torch.log(0.5 * (var1 + var2))
    if aggregation == "mlvae":
        var = 2.0 * var1 * var2 / (var1 + var2)
        return (mu1 / var1 + mu2 / var2) * var * 0.5, torch.log(var)
    raise ValueError(f"aggregation must be one of {AGGREGATIONS}; got {aggregation!r}.")


class AdaVAEModule(GaussianVAEModule):
    """β-VAE on pairs with adaptive aggregation of the shared dimensions (Ada-(G|ML)VAE).

    The training batch is ``[x1; x2]``: rows ``i`` and ``i + n/2`` form pair ``i``.
    Each image is encoded; per pair, :func:`adaptive_shared_mask` of :func:`pair_kl`
    picks the shared dimensions, where both posteriors are replaced by
    :func:`aggregate_pair`'s; each image's code is sampled from its (partly
    aggregated) posterior and decoded. ``loss_terms`` are the β-VAE's on the
    aggregated posteriors, means over the ``n`` images: ``reconstruction`` is
    ``½ (rec1 + rec2)`` and ``kl`` is ``½ (KL1 + KL2)``, as disentanglement_lib's
    ``GroupVAEBase`` and ``MLVae``. ``shared_dims`` (weight 0) logs the mean number of
    shared dimensions per pair. Encoding, ``representation`` and ``negative_elbo``
    work on single images, as the β-VAE's.

    Parameters
    ----------
    input_shape, n_latents
        As :class:`~sklvae.nn.module.DisentanglerModule`.
    beta : float, default=1.0
        Weight of the KL term.
    aggregation : {"gvae", "mlvae"}, default="gvae"
        How the posteriors of a shared dimension are combined (:func:`aggregate_pair`).
    **common
        ``backbone``, ``likelihood``, ``backbone_params``.
    """

    def __init__(
        self,
        input_shape: tuple,
        n_latents: int,
        *,
        beta: float = 1.0,
        aggregation: str = "gvae",
        **common,
    ):
        if aggregation not in AGGREGATIONS:
            raise ValueError(f"aggregation must be one of {AGGREGATIONS}; got {aggregation!r}.")
        super().__init__(input_shape, n_latents, beta=beta, **common)
        self.aggregation = aggregation
        self.loss_weights["shared_dims"] = 0.0  # logged only

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        n = x.shape[0]
        if n % 2:
            raise ValueError(
                f"a training batch of {type(self).__name__} holds pairs ([x1; x2]), so an "
                f"even number of images; got {n}."
            )
        mu, logvar = self.encode(x)
        mu1, mu2 = mu.chunk(2)
        logvar1, logvar2 = logvar.chunk(2)
        shared = adaptive_shared_mask(pair_kl(mu1, logvar1, mu2, logvar2))
        mean, log_var = aggregate_pair(mu1, logvar1, mu2, logvar2, self.aggregation)
        both = shared.repeat(2, 1)
        mu = torch.where(both, mean.repeat(2, 1).to(mu.dtype), mu)
        logvar = torch.where(both, log_var.repeat(2, 1).to(logvar.dtype), logvar)
        z = reparameterize(mu, logvar)
        return {
            "mu": mu,
            "logvar": logvar,
            "z": z,
            "shared": shared,
            "outputs": self.decoder(z),
        }

    def loss_terms(self, outputs: dict, x: torch.Tensor) -> dict[str, torch.Tensor]:
        terms = super().loss_terms(outputs, x)
        terms["shared_dims"] = outputs["shared"].sum(1).float().mean()
        return terms
