"""InfoMEC: InfoM(odularity), InfoE(xplicitness), InfoC(ompactness) (Hsu et al., 2023).

As latent_quantization's standalone ``infomec.py`` computes it, and FactorQVAE's
adaptation of it:

1. ``NMI[i, j] = I(s_i; z_j) / H(s_i)`` (sources label-encoded). Continuous
   latents: each latent standardised, then the kNN continuous-discrete estimator
   of ``sklearn.feature_selection.mutual_info_classif``. Discrete latents:
   plug-in ``mutual_info_score`` of the label-encoded codes.
2. Active latents: continuous ``range > max range / 20``; discrete ``range > 0``.
3. ``InfoM = (mean_active_j max_i P_ij / sum_i P_ij - 1/K) / (1 - 1/K)`` and
   ``InfoC = (mean_i max_j P_ij / sum_j P_ij - 1/L) / (1 - 1/L)`` with ``P`` the NMI of
   the ``L`` active latents and ``K`` sources.
4. ``InfoE``: per source a multinomial, unpenalised, class-balanced logistic
   regression on standardised (continuous) or one-hot (discrete) latents, its
   in-sample ``log_loss`` compared with the same model on all-zero inputs:
   ``mean_i (H_null - H_pred) / H_null``.
"""

from __future__ import annotations

import warnings

import numpy as np
from joblib import Parallel, delayed
from numpy.typing import ArrayLike
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from ._checks import check_latents_factors, check_random_seed_sequence
from ._information import (
    discrete_entropy,
    discrete_mutual_info,
    knn_mutual_info_classif,
    label_encode,
)

__all__ = ["infomec", "nmi_matrix"]


def nmi_matrix(
    latents: ArrayLike,
    factors: ArrayLike,
    *,
    discrete_latents: bool = False,
    n_neighbors: int = 10,
    random_state=None,
    n_jobs: int | None = None,
) -> np.ndarray:
    """Compute the normalised mutual information ``I(s_i; z_j) / H(s_i)``.

    Constant latents get NMI 0.

    Parameters
    ----------
    latents : array-like of shape (n_samples, n_latents)
        Continuous latents, or integer codes when ``discrete_latents=True``.
    factors : array-like of shape (n_samples, n_factors)
        Integer source (factor) classes.
    discrete_latents : bool, default=False
        Plug-in estimate on integer codes instead of the kNN estimate.
    n_neighbors : int, default=10
        Neighbours of the kNN estimate for continuous latents.
    random_state : int, RandomState or None, default=None
        Seeds the kNN estimator's tie-breaking noise.
    n_jobs : int, optional
        Parallel jobs over sources.

    Returns
    -------
    ndarray of shape (n_factors, n_latents)
        NMI of each factor with each latent, in [0, 1].
    """
    latents, factors = check_latents_factors(latents, factors)
    sources, _ = label_encode(factors)
    source_entropy = discrete_entropy(sources)
    if discrete_latents:
        nmi = discrete_mutual_info(sources, latents)
    else:
        scaled = StandardScaler().fit_transform(latents)
        seeds = check_random_seed_sequence(random_state, sources.shape[1])
        rows = Parallel(n_jobs=n_jobs, prefer="threads")(
            delayed(knn_mutual_info_classif)(
                scaled, sources[:, i], n_neighbors=n_neighbors, random_state=seeds[i]
            )
            for i in range(sources.shape[1])
        )
        nmi = np.stack(rows, axis=0)
    return nmi / source_entropy[:, None]


def _normalised_concentration(nmi: np.ndarray, axis: int) -> float:
    """``(mean(max / sum) - 1/n) / (1 - 1/n)`` along ``axis`` (n = its length).

    A row/column whose NMI is all zero (e.g. an active latent the estimator finds
    independent of every source) gets the uniform ratio ``1/n``, i.e. it counts as
    0 after normalisation; the reference divides 0 by 0 and returns NaN. With
    ``n = 1`` (one factor or one active latent) the normalisation is 0 / 0 too: a
    non-zero entry is then fully concentrated (1) and a zero entry counts as 0.
    """
    n = nmi.shape[axis]
    total = nmi.sum(axis=axis)
    if n == 1:
        return float(np.mean(total > 0))
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(total > 0, nmi.max(axis=axis) / total, 1.0 / n)
    return float((np.mean(ratio) - 1.0 / n) / (1.0 - 1.0 / n))


def _log_loss_of_fit(features, target, max_iter, tol, seed) -> float:
    # The reference's LogisticRegression(penalty=None, solver='lbfgs',
    # multi_class='multinomial', class_weight='balanced', tol, max_iter) under
    # scikit-learn >= 1.8: no penalty is C=np.inf, and lbfgs is always
    # multinomial, so multi_class is dropped. n_jobs had no effect and is dropped.
    model = LogisticRegression(
        C=np.inf,
        solver="lbfgs",
        tol=tol,
        fit_intercept=True,
        class_weight="balanced",
        max_iter=max_iter,
        random_state=seed,
    )
    with warnings.catch_warnings():
        # The reference runs max_iter=100 and lets lbfgs stop early (with a warning).
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(features, target)
    return float(log_loss(target, model.predict_proba(features), labels=model.classes_))


def _infoe_per_source(features, null_features, target, max_iter, tol, seed) -> float:
    predictive = _log_loss_of_fit(features, target, max_iter, tol, seed)
    marginal = _log_loss_of_fit(null_features, target, max_iter, tol, seed)
    return (marginal - predictive) / marginal


def infomec(
    latents: ArrayLike,
    factors: ArrayLike,
    *,
    discrete_latents: bool = False,
    n_neighbors: int = 10,
    max_iter: int = 100,
    tol: float = 1e-4,
    random_state=None,
    n_jobs: int | None = None,
) -> dict:
    """InfoM, InfoE and InfoC of a representation.

    Parameters
    ----------
    latents : array-like of shape (n_samples, n_latents)
        Continuous latents, or integer codes when ``discrete_latents=True``
        (e.g. codebook indices of a quantized model). The references use 10,000
        points.
    factors : array-like of shape (n_samples, n_factors)
        Integer source (factor) classes.
    discrete_latents : bool, default=False
        Estimator choice, see the module docstring.
    n_neighbors : int, default=10
        kNN neighbours for continuous latents. 10 is latent_quantization's
        standalone ``infomec.py`` (and Tripod); FactorQVAE's copy uses sklearn's
        default 3.
    max_iter : int, default=100
        lbfgs iterations of the InfoE regressions (latent_quantization: 100;
        FactorQVAE: 500).
    tol : float, default=1e-4
    random_state : int, RandomState or None
        Seeds the kNN estimator's tie-breaking noise (the reference leaves it
        unseeded, so its values vary in the last digits between runs).
    n_jobs : int, optional
        Parallel jobs over sources.

    Returns
    -------
    dict
        ``"infom"``, ``"infoe"``, ``"infoc"`` (floats), ``"nmi"`` (ndarray
        (n_factors, n_latents)) and ``"active_latents"`` (bool mask (n_latents,)).

    Notes
    -----
    Under current scikit-learn the reference's regression
    ``LogisticRegression(penalty=None, multi_class='multinomial', ...)`` is
    ``LogisticRegression(C=np.inf, ...)``: ``multi_class`` was removed (lbfgs is
    multinomial) and ``penalty`` is deprecated. The marginal ("null") model is
    fitted on all-zero float features of the latents' shape (the reference's
    ``np.zeros_like(latents)``, which would be an integer array for discrete
    codes). With no active latent, InfoM and InfoC are 0; with a single active
    latent InfoC is 1 (the reference divides by 1 - 1/1 = 0). An all-zero NMI
    row or column counts as uninformative instead of NaN (see
    ``_normalised_concentration``).
    """
    latents, factors = check_latents_factors(latents, factors)
    if discrete_latents and not np.all(latents == np.round(latents)):
        raise ValueError(
            "discrete_latents=True expects integer codes (e.g. codebook indices); "
            "got non-integer latents."
        )
    n_factors = factors.shape[1]
    nmi = nmi_matrix(
        latents,
        factors,
        discrete_latents=discrete_latents,
        n_neighbors=n_neighbors,
        random_state=random_state,
        n_jobs=n_jobs,
    )
    ranges = latents.max(axis=0) - latents.min(axis=0)
    if discrete_latents:
        active = ranges > 0
    else:
        active = ranges > ranges.max() / 20
    n_active = int(active.sum())
    pruned = nmi[:, active]
    if n_active == 0:
        infom = infoc = 0.0
    else:
        infom = _normalised_concentration(pruned, axis=0)
        infoc = _normalised_concentration(pruned, axis=1) if n_active > 1 else 1.0
    sources, _ = label_encode(factors)
    if discrete_latents:
        features = OneHotEncoder(sparse_output=True).fit_transform(latents)
    else:
        features = StandardScaler().fit_transform(latents)
    null_features = np.zeros(latents.shape, dtype=np.float64)
    seeds = check_random_seed_sequence(random_state, n_factors)
    infoe_per_source = Parallel(n_jobs=n_jobs, prefer="threads")(
        delayed(_infoe_per_source)(features, null_features, sources[:, i], max_iter, tol, seeds[i])
        for i in range(n_factors)
    )
    return {
        "infom": float(infom),
        "infoe": float(np.mean(infoe_per_source)),
        "infoc": float(infoc),
        "nmi": nmi,
        "active_latents": active,
    }
