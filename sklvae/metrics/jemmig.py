"""JEMMIG (Do & Tran, 2020), as Carbonneau et al.'s metric suite computes it.

With latents cut into ``n_bins`` bins over their range, for each factor ``f`` let
``z*`` be the latent with the largest ``I(f; z)`` and ``I_1 >= I_2`` the two largest
informations. The factor's score is
``1 - (H(f, z*) - I_1 + I_2) / (H(f) + log(n_bins))`` (the joint entropy is
``H(f) + H(z*) - I_1``) and JEMMIG is their mean: high when one latent alone
captures the factor and nothing else.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from ._information import binned_information, top_two_gap

__all__ = ["jemmig"]


def jemmig(latents: ArrayLike, factors: ArrayLike, *, n_bins: int = 10) -> dict:
    """JEMMIG of a representation (Carbonneau et al.'s ``jemmig``).

    Parameters
    ----------
    latents, factors : array-like
        Representation ``(n_samples, n_latents)`` and integer factor classes
        ``(n_samples, n_factors)``, as for :func:`mig_sup`.
    n_bins : int, default=10
        Equal-width bins per latent (the suite's ``nb_bins``); also the
        ``log(n_bins)`` of the normalisation.

    Returns
    -------
    dict
        ``"jemmig"`` (float, 1 is best), ``"score_per_factor"`` (n_factors,),
        ``"best_latent"`` (n_factors,): the latent ``z*`` of each factor.

    Notes
    -----
    Entropies are in nats and the normalisation uses ``ln(n_bins)``; the
    reference works in bits with ``log2(n_bins)``: the ratio is the same. With a
    single latent the second-largest information is taken as 0 (the reference
    fails).

    Examples
    --------
    >>> import numpy as np
    >>> factors = np.stack([np.repeat(np.arange(4), 5), np.tile(np.arange(5), 4)], axis=1)
    >>> 0 < jemmig(factors.astype(float), factors)["jemmig"] <= 1
    True
    """
    mutual_info, factor_entropy, latent_entropy = binned_information(latents, factors, n_bins)
    rows = np.arange(mutual_info.shape[0])
    best = np.array([np.argsort(row)[-1] for row in mutual_info])
    joint_entropy = factor_entropy + latent_entropy[best] - mutual_info[rows, best]
    gap = top_two_gap(mutual_info, axis=1)
    score = 1.0 - (joint_entropy - gap) / (factor_entropy + np.log(n_bins))
    return {"jemmig": float(np.mean(score)), "score_per_factor": score, "best_latent": best}
