"""Unsupervised scores of a representation, as disentanglement_lib computes them.

``ecosystem.md`` §2.9, on ``Sigma = cov(z)`` (``np.cov``, ddof=1):

* Gaussian total correlation ``0.5 (sum log diag Sigma - log det Sigma)``,
* Gaussian Wasserstein correlation ``2 tr Sigma - 2 tr sqrtm(Sigma diag(Sigma))``
  (with dlib's broadcasting, ``Sigma * diag[:, None]`` = ``diag(Sigma) @ Sigma``) and
  its version divided by ``tr Sigma``,
* mean off-diagonal plug-in MI between 20-bin discretised latents.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike
import scipy.linalg

from ._information import _as_2d_float, _check_n_bins, discrete_mutual_info, histogram_discretize

__all__ = [
    "unsupervised_scores",
    "gaussian_total_correlation",
    "gaussian_wasserstein_correlation",
]


def gaussian_total_correlation(cov: ArrayLike) -> float:
    """Total correlation of a zero-mean Gaussian with covariance ``cov`` (nats)."""
    cov = np.asarray(cov, dtype=np.float64)
    return float(0.5 * (np.sum(np.log(np.diag(cov))) - np.linalg.slogdet(cov)[1]))


def gaussian_wasserstein_correlation(cov: ArrayLike) -> float:
    """Squared 2-Wasserstein distance between N(0, cov) and the product of its marginals."""
    cov = np.asarray(cov, dtype=np.float64)
    root = scipy.linalg.sqrtm(cov * np.diag(cov)[:, None])
    return float(2 * np.trace(cov) - 2 * np.real(np.trace(root)))


def unsupervised_scores(latents: ArrayLike, factors: ArrayLike | None = None, *, n_bins: int = 20) -> dict:
    """Unsupervised scores (disentanglement_lib ``unsupervised_metrics``).

    Parameters
    ----------
    latents : array-like of shape (n_samples, n_latents)
        Representation (dlib: 10,000 points); at least 2 latents.
    factors : ignored
        Accepted so the function has the metrics' ``(latents, factors)`` signature.
    n_bins : int, default=20

    Returns
    -------
    dict
        ``"gaussian_total_correlation"``, ``"gaussian_wasserstein_correlation"``,
        ``"gaussian_wasserstein_correlation_norm"``, ``"mutual_info_score"``
        (mean off-diagonal discrete MI, nats) and ``"mutual_info_matrix"``.

    Notes
    -----
    A constant latent makes the covariance singular: the total correlation is
    then ``nan`` (as in dlib) and the MI of that latent is 0.
    """
    n_bins = _check_n_bins(n_bins)
    latents = _as_2d_float(latents, "latents")
    n_latents = latents.shape[1]
    if n_latents < 2:
        raise ValueError("unsupervised scores need at least 2 latents.")
    if latents.shape[0] < 2:
        raise ValueError("unsupervised scores need at least 2 samples.")
    cov = np.cov(latents, rowvar=False)
    with np.errstate(divide="ignore", invalid="ignore"):
        total_correlation = gaussian_total_correlation(cov)
    wasserstein = gaussian_wasserstein_correlation(cov)
    discretized = histogram_discretize(latents, n_bins)
    mi = discrete_mutual_info(discretized, discretized)
    np.fill_diagonal(mi, 0.0)
    return {
        "gaussian_total_correlation": total_correlation,
        "gaussian_wasserstein_correlation": wasserstein,
        "gaussian_wasserstein_correlation_norm": wasserstein / float(np.trace(cov)),
        "mutual_info_score": float(mi.sum() / (n_latents**2 - n_latents)),
        "mutual_info_matrix": mi,
    }
