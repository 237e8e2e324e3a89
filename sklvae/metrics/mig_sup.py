"""MIG-sup (Li et al., 2020), as Carbonneau et al.'s metric suite computes it.

Each latent is cut into ``n_bins`` equal-width bins over its range
(:func:`~sklvae.metrics._information.minmax_discretize`), ``I(f_j; z_i)`` is the
plug-in mutual information, normalised by the latent's entropy ``H(z_i)``, and
MIG-sup is the mean over latents of the gap between the two largest normalised
informations of each latent: a latent should inform about one factor only.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from ._information import binned_information, top_two_gap

__all__ = ["mig_sup"]


def mig_sup(latents: ArrayLike, factors: ArrayLike, *, n_bins: int = 10) -> dict:
    """MIG-sup of a representation (Carbonneau et al.'s ``mig_sup``).

    Parameters
    ----------
    latents : array-like of shape (n_samples, n_latents)
        Representation (e.g. ``estimator.transform(X)``).
    factors : array-like of shape (n_samples, n_factors)
        Integer factor classes (the suite's ``continuous_factors=False``).
    n_bins : int, default=10
        Equal-width bins per latent (the suite's ``nb_bins``).

    Returns
    -------
    dict
        ``"mig_sup"`` (float in [0, 1]), ``"gap_per_latent"`` (n_latents,),
        ``"normalized_mutual_info"`` (ndarray (n_factors, n_latents):
        ``I(f_j; z_i) / H(z_i)``).

    Notes
    -----
    A constant latent (entropy 0) has normalised informations 0 and gap 0; the
    reference divides 0 by 0 and returns NaN for the whole score. With a single
    factor the second-largest information is taken as 0 (the reference fails).

    Examples
    --------
    >>> import numpy as np
    >>> factors = np.stack([np.repeat(np.arange(4), 5), np.tile(np.arange(5), 4)], axis=1)
    >>> round(mig_sup(factors.astype(float), factors)["mig_sup"], 6)
    1.0
    """
    mutual_info, _, latent_entropy = binned_information(latents, factors, n_bins)
    with np.errstate(divide="ignore", invalid="ignore"):
        normalized = np.where(latent_entropy > 0, mutual_info / latent_entropy, 0.0)
    gap = top_two_gap(normalized, axis=0)
    return {
        "mig_sup": float(np.mean(gap)),
        "gap_per_latent": gap,
        "normalized_mutual_info": normalized,
    }
