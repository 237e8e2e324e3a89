"""Diagonal-Gaussian helpers: reparameterisation, KL, log densities, β-TCVAE terms."""

from __future__ import annotations

import math

import torch

from ._precision import float32

_LOG_2PI = math.log(2.0 * math.pi)


def reparameterize(
    mu: torch.Tensor, logvar: torch.Tensor, generator: torch.Generator | None = None
) -> torch.Tensor:
    """Draw ``z = mu + exp(logvar / 2) * eps`` with ``eps ~ N(0, I)``."""
    eps = torch.randn(mu.shape, dtype=mu.dtype, device=mu.device, generator=generator)
    return mu + torch.exp(0.5 * logvar) * eps


@float32
def gaussian_kl(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """KL(N(mu, exp(logvar)) || N(0, I)) per latent dimension, shape of ``mu``.

    ``-0.5 * (1 + logvar - mu^2 - exp(logvar))`` (Kingma & Welling 2014, App. B).
    """
    return -0.5 * (1.0 + logvar - mu.pow(2) - logvar.exp())


@float32
def log_density_gaussian(x: torch.Tensor, mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """Elementwise log N(x; mu, exp(logvar)) (broadcasting)."""
    return -0.5 * (_LOG_2PI + logvar + (x - mu).pow(2) * torch.exp(-logvar))


def _log_importance_weight_matrix(
    batch_size: int, dataset_size: int, device, dtype
) -> torch.Tensor:
    """Log weights of minibatch-stratified sampling (Chen et al. 2018, App. C.2).

    Row i weighs the posteriors q(z_i | x_j) of the batch: 1/N for the sample's own
    x_i (the diagonal), (N − M)/(N M) for one stratified neighbour (the next sample,
    cyclically) and 1/M for the others, with M = B − 1. The reference implementations
    index the diagonal with stride B instead of B + 1 (so 1/N lands in column 0); this
    is the corrected matrix, whose rows each sum to 1.
    """
    n, m = float(dataset_size), float(batch_size - 1)
    strat_weight = (n - m) / (n * m)
    weights = torch.full((batch_size, batch_size), 1.0 / m, device=device, dtype=dtype)
    weights.view(-1)[:: batch_size + 1] = 1.0 / n
    weights.view(-1)[1 :: batch_size + 1] = strat_weight
    weights[batch_size - 1, 0] = strat_weight
    return weights.log()


@float32
def tc_decomposition(
    z: torch.Tensor,
    mu: torch.Tensor,
    logvar: torch.Tensor,
    *,
    dataset_size: int,
    estimator: str = "mss",
) -> dict[str, torch.Tensor]:
    """β-TCVAE decomposition of the aggregate KL (Chen et al. 2018, eq. 2).

    Parameters
    ----------
    z, mu, logvar : Tensor of shape (batch, n_latents)
        Posterior sample and parameters.
    dataset_size : int
        Number of training samples N.
    estimator : {"mss", "mws"}
        Minibatch-stratified sampling (default, as disvae/pythae) or minibatch-weighted
        sampling with the ``log(B * N)`` constant.

    Returns
    -------
    dict with batch means ``mutual_information``, ``total_correlation``, ``dimensionwise_kl``.
    """
    batch_size = z.shape[0]
    if batch_size == 1:
        # a one-sample batch (the remainder of an epoch): its aggregate posterior is
        # q(z|x) itself, a factorised Gaussian, so MI = TC = 0 and the KL is dimension-wise
        zero = z.new_zeros(())
        kl = (
            log_density_gaussian(z, mu, logvar)
            - log_density_gaussian(z, torch.zeros_like(z), torch.zeros_like(z))
        ).sum()
        return {"mutual_information": zero, "total_correlation": zero, "dimensionwise_kl": kl}
    log_q_z_given_x = log_density_gaussian(z, mu, logvar).sum(1)
    log_p_z = log_density_gaussian(z, torch.zeros_like(z), torch.zeros_like(z)).sum(1)
    # mat[i, j, k] = log q(z_i,k | x_j)
    mat = log_density_gaussian(z.unsqueeze(1), mu.unsqueeze(0), logvar.unsqueeze(0))
    if estimator == "mss":
        log_iw = _log_importance_weight_matrix(batch_size, dataset_size, z.device, z.dtype)
        log_q_z = torch.logsumexp(log_iw + mat.sum(2), dim=1)
        log_prod_q_zk = torch.logsumexp(log_iw.unsqueeze(2) + mat, dim=1).sum(1)
    elif estimator == "mws":
        constant = math.log(batch_size * dataset_size)
        log_q_z = torch.logsumexp(mat.sum(2), dim=1) - constant
        log_prod_q_zk = (torch.logsumexp(mat, dim=1) - constant).sum(1)
    else:
        raise ValueError(f"estimator must be 'mss' or 'mws'; got {estimator!r}.")
    return {
        "mutual_information": (log_q_z_given_x - log_q_z).mean(),
        "total_correlation": (log_q_z - log_prod_q_zk).mean(),
        "dimensionwise_kl": (log_prod_q_zk - log_p_z).mean(),
    }
