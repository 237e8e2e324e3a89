"""Unsupervised scores of a representation, as disentanglement_lib computes them.

On ``Sigma = cov(z)`` (``np.cov``, ddof=1), dlib's ``unsupervised_metrics``:

* Gaussian total correlation ``0.5 (sum log diag Sigma - log det Sigma)``,
* Gaussian Wasserstein correlation ``2 tr Sigma - 2 tr sqrtm(Sigma diag(Sigma))``
  (with dlib's broadcasting, ``Sigma * diag[:, None]`` = ``diag(Sigma) @ Sigma``) and
  its version divided by ``tr Sigma``,
* mean off-diagonal plug-in MI between 20-bin discretised latents.
"""

from __future__ import annotations

import warnings

import numpy as np
import scipy.linalg
from numpy.typing import ArrayLike

from ._checks import _as_2d_float, check_matrix, check_positive_int
from ._information import discrete_mutual_info, histogram_discretize

__all__ = [
    "unsupervised_scores",
    "gaussian_total_correlation",
    "gaussian_wasserstein_correlation",
    "constant_latents",
    "ConstantLatentWarning",
]


class ConstantLatentWarning(UserWarning):
    """A latent is constant over the samples, so some unsupervised scores are undefined."""


def constant_latents(latents: np.ndarray) -> list[int]:
    """Indices of the columns of ``latents`` (2-D, finite) that take a single value."""
    return np.flatnonzero(np.ptp(latents, axis=0) == 0).tolist()


def gaussian_total_correlation(cov: ArrayLike) -> float:
    """Compute the total correlation of a zero-mean Gaussian with covariance ``cov``.

    Parameters
    ----------
    cov : array-like of shape (n_latents, n_latents)
        Covariance matrix, positive definite.

    Returns
    -------
    float
        ``KL(N(0, cov) || prod_j N(0, cov_jj))`` in nats.
    """
    cov = check_matrix(cov, "cov", covariance=True)
    return float(0.5 * (np.sum(np.log(np.diag(cov))) - np.linalg.slogdet(cov)[1]))


def gaussian_wasserstein_correlation(cov: ArrayLike) -> float:
    """Compute the squared 2-Wasserstein distance of N(0, cov) to its marginals' product.

    Parameters
    ----------
    cov : array-like of shape (n_latents, n_latents)
        Covariance matrix, positive semi-definite.

    Returns
    -------
    float
        ``W_2^2(N(0, cov), N(0, diag(cov)))``.
    """
    cov = check_matrix(cov, "cov", covariance=True)
    root = scipy.linalg.sqrtm(cov * np.diag(cov)[:, None])
    return float(2 * np.trace(cov) - 2 * np.real(np.trace(root)))


def unsupervised_scores(
    latents: ArrayLike, factors: ArrayLike | None = None, *, n_bins: int = 20
) -> dict:
    """Unsupervised scores (disentanglement_lib ``unsupervised_metrics``).

    Parameters
    ----------
    latents : array-like of shape (n_samples, n_latents)
        Representation (dlib: 10,000 points); at least 2 latents.
    factors : ignored
        Accepted so the function has the metrics' ``(latents, factors)`` signature.
    n_bins : int, default=20
        Histogram bins per latent for the mutual information.

    Returns
    -------
    dict
        ``"gaussian_total_correlation"``, ``"gaussian_wasserstein_correlation"``,
        ``"gaussian_wasserstein_correlation_norm"``, ``"mutual_info_score"``
        (mean off-diagonal discrete MI, nats) and ``"mutual_info_matrix"``.

    Warns
    -----
    ConstantLatentWarning
        When latents are constant (dead latents, common in quantized models), naming
        them. Their variance is 0, so the covariance is singular: the total
        correlation is then ``nan`` (as in dlib); the MI of a constant latent is 0. If
        every latent is constant, ``gaussian_wasserstein_correlation_norm`` (0 / 0) is
        ``nan`` too. The scorers built on these scores raise instead of returning NaN.
    """
    n_bins = check_positive_int(n_bins, "n_bins")
    latents = _as_2d_float(latents, "latents")
    n_latents = latents.shape[1]
    if n_latents < 2:
        raise ValueError("unsupervised scores need at least 2 latents.")
    if latents.shape[0] < 2:
        raise ValueError("unsupervised scores need at least 2 samples.")
    constant = constant_latents(latents)
    if constant:
        undefined = "gaussian_total_correlation is"
        if len(constant) == n_latents:
            undefined = "gaussian_total_correlation and gaussian_wasserstein_correlation_norm are"
        warnings.warn(
            f"latent(s) {constant} are constant over these {latents.shape[0]} samples (dead "
            f"latents): the latent covariance is singular, so {undefined} NaN. Drop the "
            "constant latents (e.g. latents[:, latents.std(axis=0) > 0]) to score the others.",
            ConstantLatentWarning,
            stacklevel=2,
        )
    cov = np.cov(latents, rowvar=False)
    with np.errstate(divide="ignore", invalid="ignore"), warnings.catch_warnings():
        if constant:  # reported above; sqrtm would add a "singular matrix" warning
            warnings.simplefilter("ignore", scipy.linalg.LinAlgWarning)
        total_correlation = gaussian_total_correlation(cov)
        wasserstein = gaussian_wasserstein_correlation(cov)
        wasserstein_norm = float(np.float64(wasserstein) / np.trace(cov))
    discretized = histogram_discretize(latents, n_bins)
    mi = discrete_mutual_info(discretized, discretized)
    np.fill_diagonal(mi, 0.0)
    return {
        "gaussian_total_correlation": total_correlation,
        "gaussian_wasserstein_correlation": wasserstein,
        "gaussian_wasserstein_correlation_norm": wasserstein_norm,
        "mutual_info_score": float(mi.sum() / (n_latents**2 - n_latents)),
        "mutual_info_matrix": mi,
    }
