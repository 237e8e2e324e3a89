"""Interventional Robustness Score (Suter et al., 2019), as disentanglement_lib computes it.

The factors are discretised into ``n_bins`` equal-width bins
(so factors with more than ``n_bins`` values are re-binned), latents with zero
variance are dropped, and for each factor ``i`` and each of its (binned) values
``k`` the ``diff_quantile`` quantile of ``|z - E[z | g_i = k]|`` is taken per latent,
averaged over ``k``. Normalised by each latent's ``max |z - mean z|``, the IRS
matrix is ``1 - deviation``; each latent's score is its best factor, and the
IRS is their average weighted by the latents' maximal deviations.
"""

from __future__ import annotations

import numbers

import numpy as np
from numpy.typing import ArrayLike

from ._checks import check_latents_factors, check_positive_int
from ._information import histogram_discretize

__all__ = ["irs"]


def irs(
    latents: ArrayLike, factors: ArrayLike, *, diff_quantile: float = 0.99, n_bins: int = 20
) -> dict:
    """Interventional Robustness Score (disentanglement_lib ``compute_irs``).

    Parameters
    ----------
    latents : array-like of shape (n_samples, n_latents)
        Representation (dlib: 10,000 points).
    factors : array-like of shape (n_samples, n_factors)
        Factor classes; discretised into ``n_bins`` histogram bins as in dlib.
    diff_quantile : float, default=0.99
        Quantile of the deviations (1.0 reproduces the paper).
    n_bins : int, default=20
        Bins used to discretise the factors.

    Returns
    -------
    dict
        ``"IRS"``, ``"num_active_dims"``, ``"disentanglement_scores"`` (per
        active latent), ``"IRS_matrix"`` (n_active, n_factors), ``"parents"``
        (best factor per active latent), ``"max_deviations"``, ``"active_latents"``
        (bool mask over all latents).

    Notes
    -----
    dlib reports ``num_active_dims = np.sum(active_mus)``, the sum of the
    active latents' *values*; here it is the number of active latents (bug fix).
    """
    if (
        isinstance(diff_quantile, bool)
        or not isinstance(diff_quantile, numbers.Real)
        or not 0.0 <= diff_quantile <= 1.0
    ):
        raise ValueError(f"diff_quantile must be in [0, 1], got {diff_quantile!r}.")
    n_bins = check_positive_int(n_bins, "n_bins")
    latents, factors = check_latents_factors(latents, factors, min_factor_classes=1)
    active = latents.var(axis=0) > 0.0
    result_empty = {
        "IRS": 0.0,
        "num_active_dims": 0,
        "disentanglement_scores": np.zeros(0),
        "IRS_matrix": np.zeros((0, factors.shape[1])),
        "parents": np.zeros(0, dtype=np.int64),
        "max_deviations": np.zeros(0),
        "active_latents": active,
    }
    if not active.any():
        return result_empty
    z = latents[:, active]
    groups = histogram_discretize(factors, n_bins)
    n_latents, n_factors = z.shape[1], factors.shape[1]
    max_deviations = np.max(np.abs(z - z.mean(axis=0)), axis=0)
    cum_deviations = np.zeros((n_latents, n_factors))
    for i in range(n_factors):
        values, codes = np.unique(groups[:, i], return_inverse=True)
        counts = np.bincount(codes)
        # Rows sorted by group once, so each group is a contiguous block
        # (the reference builds a boolean mask per value).
        order = np.argsort(codes, kind="stable")
        sorted_z = z[order]
        bounds = np.concatenate([[0], np.cumsum(counts)])
        for k in range(values.size):
            block = sorted_z[bounds[k] : bounds[k + 1]]
            # E[z | g_i = k] and the quantile of |z - E[z | g_i = k]| per latent
            deviations = np.abs(block - block.mean(axis=0))
            cum_deviations[:, i] += np.quantile(deviations, diff_quantile, axis=0)
        cum_deviations[:, i] /= values.size
    irs_matrix = 1.0 - cum_deviations / max_deviations[:, None]
    scores = irs_matrix.max(axis=1)
    if np.sum(max_deviations) > 0.0:
        average = np.average(scores, weights=max_deviations)
    else:  # pragma: no cover - active latents have positive deviation
        average = np.mean(scores)
    return {
        "IRS": float(average),
        "num_active_dims": int(active.sum()),
        "disentanglement_scores": scores,
        "IRS_matrix": irs_matrix,
        "parents": irs_matrix.argmax(axis=1),
        "max_deviations": max_deviations,
        "active_latents": active,
    }
