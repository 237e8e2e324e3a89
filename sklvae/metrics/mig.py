"""Mutual Information Gap (Chen et al., 2018), as disentanglement_lib computes it.

Each latent is discretised into ``n_bins`` equal-width bins
over its observed range, ``m[i, j]`` is the plug-in mutual information (nats)
between discretised latent ``i`` and factor ``j``, ``H_j`` is the plug-in entropy
of the sampled factor, and MIG is the mean over factors of the gap between the
two largest ``m[:, j]`` divided by ``H_j``.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from ._checks import check_latents_factors, check_positive_int
from ._information import (
    discrete_entropy,
    discrete_mutual_info,
    histogram_discretize,
    top_two_gap,
)

__all__ = ["mig"]


def mig(latents: ArrayLike, factors: ArrayLike, *, n_bins: int = 20) -> dict:
    """Mutual Information Gap of a representation (disentanglement_lib ``discrete_mig``).

    Parameters
    ----------
    latents : array-like of shape (n_samples, n_latents)
        Representation (e.g. ``estimator.transform(X)``). dlib uses 10,000 points.
    factors : array-like of shape (n_samples, n_factors)
        Integer factor classes.
    n_bins : int, default=20
        Equal-width bins per latent (dlib's ``histogram_discretizer`` with 20 bins).

    Returns
    -------
    dict
        ``"discrete_mig"`` (float, in [0, 1]), ``"mutual_info_matrix"``
        (ndarray (n_latents, n_factors), nats), ``"factor_entropy"`` (ndarray
        (n_factors,), nats), ``"gap_per_factor"`` (normalised gap of each factor).

    Notes
    -----
    With a single latent the second-largest MI is taken as 0 (dlib would fail).

    Examples
    --------
    >>> import numpy as np
    >>> factors = np.repeat(np.arange(4), 5)[:, None] * np.ones((1, 2), int)
    >>> factors[:, 1] = np.tile(np.arange(5), 4)
    >>> round(mig(factors.astype(float), factors)["discrete_mig"], 6)
    1.0
    """
    n_bins = check_positive_int(n_bins, "n_bins")
    latents, factors = check_latents_factors(latents, factors)
    discretized = histogram_discretize(latents, n_bins)
    mi = discrete_mutual_info(discretized, factors)  # (n_latents, n_factors)
    entropy = discrete_entropy(factors)
    gap = top_two_gap(mi, axis=0) / entropy
    return {
        "discrete_mig": float(np.mean(gap)),
        "mutual_info_matrix": mi,
        "factor_entropy": entropy,
        "gap_per_factor": gap,
    }
