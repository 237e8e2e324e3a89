"""DCIMIG (Sepliarskaia et al., 2020), as Carbonneau et al.'s metric suite computes it.

With latents cut into ``n_bins`` bins over their range, each latent keeps the gap
between its two largest informations ``I(f; z)`` and credits it to the factor it
informs most about; each factor takes the largest gap credited to it (0 if none),
and DCIMIG is the sum of those gaps over the sum of the factors' entropies.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from ._information import binned_information, top_two_gap

__all__ = ["dcimig"]


def dcimig(latents: ArrayLike, factors: ArrayLike, *, n_bins: int = 10) -> dict:
    """DCIMIG of a representation (Carbonneau et al.'s ``dcimig``).

    Parameters
    ----------
    latents, factors : array-like
        The representation and the factor classes, in the orientation and types of
        :func:`mig_sup`'s.
    n_bins : int, default=10
        How many equal-width bins cut each latent's range.

    Returns
    -------
    dict
        ``"dcimig"`` (float in [0, 1]), ``"gap_per_factor"`` (n_factors,, nats),
        ``"factor_entropy"`` (n_factors,, nats).

    Notes
    -----
    With a single factor the second-largest information is taken as 0 (the
    reference fails).

    Examples
    --------
    Each factor alone in a latent scores 1; latents that mix both score less:

    >>> import numpy as np
    >>> factors = np.stack([np.repeat(np.arange(4), 5), np.tile(np.arange(5), 4)], axis=1)
    >>> round(dcimig(factors.astype(float), factors)["dcimig"], 6)
    1.0
    >>> mixed = factors @ np.array([[1.0, -0.3], [0.5, 1.0]])
    >>> bool(dcimig(mixed, factors)["dcimig"] < 1)
    True
    """
    mutual_info, factor_entropy, _ = binned_information(latents, factors, n_bins)
    gap = top_two_gap(mutual_info, axis=0)  # per latent
    credited = np.zeros_like(mutual_info)
    credited[np.argmax(mutual_info, axis=0), np.arange(mutual_info.shape[1])] = gap
    gap_per_factor = credited.max(axis=1)
    return {
        "dcimig": float(gap_per_factor.sum() / factor_entropy.sum()),
        "gap_per_factor": gap_per_factor,
        "factor_entropy": factor_entropy,
    }
