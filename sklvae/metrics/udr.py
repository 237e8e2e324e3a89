"""Unsupervised Disentanglement Ranking (UDR; Duan et al., ICLR 2020).

UDR ranks trained models without ground-truth factors. Its premise: disentangled
representations are alike across random seeds (up to permutation and sign of the
latents), entangled ones differ. As disentanglement_lib's
``evaluation/udr/metrics/udr.py`` computes it, for ``M`` models evaluated on the same
observations:

1. Per model, the posterior means are standardised (zero mean, unit variance) and
   each latent's KL to the prior, averaged over the observations,
   ``KL_l = mean_n 0.5 (mu_nl^2 + exp(logvar_nl) - logvar_nl - 1)``, decides
   whether it is *active* (``KL_l > 0.01``); inactive latents are set to 0.
2. For each ordered pair ``(a, b)``, ``a != b``, a similarity matrix ``R`` between the
   latents of ``a`` (rows) and of ``b`` (columns): absolute Spearman rank correlations
   (``"spearman"``), or the absolute weights of a Lasso regression (``alpha=0.1``)
   predicting ``b``'s latents from ``a``'s (``"lasso"``, dlib's default).
3. ``R`` is restricted to the active latents of both models and scored by the
   relative strength of each row's and column's largest entry (dlib's
   ``relative_strength_disentanglement``)::

       UDR_ab = 1/2 [ mean_j max_i R_ij^2 / sum_i R_ij + mean_i max_j R_ij^2 / sum_j R_ij ]

   with ``i`` over the active latents of ``a`` and ``j`` over those of ``b``; a row or
   column whose sum is 0 (or undefined) counts as 0.
4. Model ``b``'s score is the median of ``UDR_ab`` over the other models ``a``.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from numpy.typing import ArrayLike
from scipy.stats import rankdata
from sklearn.linear_model import Lasso
from sklearn.preprocessing import StandardScaler
from sklearn.utils.validation import check_is_fitted

from ._checks import _as_2d_float

__all__ = ["udr", "udr_from_representations", "gaussian_kl_per_latent"]

_CORRELATIONS = ("lasso", "spearman")


def gaussian_kl_per_latent(means: ArrayLike, logvars: ArrayLike) -> np.ndarray:
    """Compute ``KL(N(mu, exp(logvar)) || N(0, 1))`` per latent, averaged over samples.

    Parameters
    ----------
    means : array-like of shape (n_samples, n_latents)
        Posterior means.
    logvars : array-like of shape (n_samples, n_latents)
        Posterior log-variances.

    Returns
    -------
    ndarray of shape (n_latents,)
        Mean KL of each latent, in nats.
    """
    means = _as_2d_float(means, "means")
    logvars = _as_2d_float(logvars, "logvars")
    if means.shape != logvars.shape:
        raise ValueError(
            f"means and logvars must have the same shape; got {means.shape} and {logvars.shape}."
        )
    return np.mean(0.5 * (np.square(means) + np.exp(logvars) - logvars - 1.0), axis=0)


def _spearman_matrix(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """|Spearman correlation| between every column of ``first`` and of ``second``.

    Pearson correlation of average ranks (``scipy.stats.spearmanr``'s definition),
    for all column pairs at once; a constant column gives NaN, as in scipy.
    """
    ranks_a = rankdata(first, axis=0)
    ranks_b = rankdata(second, axis=0)
    ranks_a -= ranks_a.mean(axis=0)
    ranks_b -= ranks_b.mean(axis=0)
    norms = np.outer(np.linalg.norm(ranks_a, axis=0), np.linalg.norm(ranks_b, axis=0))
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.abs((ranks_a.T @ ranks_b) / norms)


def _lasso_matrix(first: np.ndarray, second: np.ndarray, alpha: float) -> np.ndarray:
    """|Lasso weights| predicting ``second``'s columns from ``first``'s.

    The result has shape (n_first, n_second).
    """
    model = Lasso(alpha=alpha)
    model.fit(first, second)
    return np.abs(np.atleast_2d(model.coef_)).T


def _relative_strength(similarity: np.ndarray) -> float:
    """Relative strength (module docstring, step 3) of a non-negative matrix; 0 if empty."""
    if similarity.size == 0:
        return 0.0
    with np.errstate(divide="ignore", invalid="ignore"):
        # NaN (0/0 for an all-zero row or column, or an undefined correlation) counts as 0.
        columns = np.nan_to_num(similarity.max(axis=0) ** 2 / similarity.sum(axis=0))
        rows = np.nan_to_num(similarity.max(axis=1) ** 2 / similarity.sum(axis=1))
    return float((columns.mean() + rows.mean()) / 2)


def _check_threshold(value: Any, name: str) -> float:
    if (
        isinstance(value, bool)
        or not isinstance(value, numbers.Real)
        or not np.isfinite(float(value))
        or float(value) < 0
    ):
        raise ValueError(f"{name} must be a non-negative number, got {value!r}.")
    return float(value)


def udr_from_representations(
    representations: Sequence[ArrayLike],
    kl_divergences: Sequence[ArrayLike],
    *,
    correlation: str = "lasso",
    kl_threshold: float = 0.01,
    lasso_alpha: float = 0.1,
) -> dict:
    """UDR from the models' posterior means on shared observations and their per-latent KL.

    The array-level core of :func:`udr` (for models that are not sklvae estimators).

    Parameters
    ----------
    representations : sequence of array-like, each (n_samples, n_latents)
        Posterior means of each model on the same ``n_samples`` observations, in the
        same order. At least 2 models with the same number of latents.
    kl_divergences : sequence of array-like, each (n_latents,)
        Each model's KL to the prior per latent, averaged over the observations
        (:func:`gaussian_kl_per_latent`).
    correlation : {"lasso", "spearman"}, default="lasso"
        Similarity between two models' latents (dlib default: Lasso).
    kl_threshold : float, default=0.01
        Latents with ``KL <= kl_threshold`` are inactive: zeroed before the
        similarity and left out of the score. dlib zeroes at a fixed 0.01 whatever
        its ``kl_filter_threshold``; here both use ``kl_threshold`` (the same at the
        default).
    lasso_alpha : float, default=0.1
        Lasso penalty (dlib: 0.1).

    Returns
    -------
    dict
        ``"model_scores"`` (n_models,): the UDR of each model (median of the
        pairwise scores with it as the second model, as dlib);
        ``"pairwise_scores"`` (n_models, n_models): ``UDR_ab``, 0 on the diagonal;
        ``"similarity_matrices"`` (n_models, n_models, n_latents, n_latents): the
        unfiltered ``R`` of each pair (zeros on the diagonal blocks; an undefined
        Spearman correlation, with a zeroed or constant latent, is stored as 0);
        ``"active_latents"`` (n_models, n_latents) bool; ``"kl"`` (n_models, n_latents).

    Notes
    -----
    A pair in which either model has no active latent scores 0 (dlib raises on the
    empty matrix).
    """
    if correlation not in _CORRELATIONS:
        raise ValueError(f"correlation must be one of {list(_CORRELATIONS)}, got {correlation!r}.")
    kl_threshold = _check_threshold(kl_threshold, "kl_threshold")
    lasso_alpha = _check_threshold(lasso_alpha, "lasso_alpha")
    if isinstance(representations, np.ndarray) and representations.ndim == 2:
        raise ValueError(
            "representations must be a sequence of one (n_samples, n_latents) array per model; "
            "got a single 2-D array."
        )
    n_models = len(representations)
    if n_models < 2:
        raise ValueError(
            f"UDR compares models with each other: give at least 2 models, got {n_models}."
        )
    if len(kl_divergences) != n_models:
        raise ValueError(
            f"got {n_models} representations but {len(kl_divergences)} KL vectors; "
            "give one per model."
        )
    means = [_as_2d_float(z, f"representations[{m}]") for m, z in enumerate(representations)]
    shapes = {z.shape for z in means}
    if len(shapes) > 1:
        raise ValueError(
            "every model's representation must have the same shape (the same observations and "
            f"number of latents); got shapes {[z.shape for z in means]}."
        )
    n_samples, n_latents = means[0].shape
    if n_samples < 2:
        raise ValueError(f"UDR needs at least 2 observations, got {n_samples}.")
    try:
        kl = np.asarray([np.asarray(k, dtype=np.float64) for k in kl_divergences])
    except ValueError:
        kl = np.empty(0)  # ragged or non-numeric: reported below
    if kl.shape != (n_models, n_latents):
        raise ValueError(
            f"kl_divergences must hold one vector of {n_latents} values per model; "
            f"got shape {kl.shape}."
        )
    if not np.all(np.isfinite(kl)) or np.any(kl < 0):
        raise ValueError("kl_divergences must be finite and non-negative.")
    active = kl > kl_threshold
    standardised = [StandardScaler().fit_transform(z) * active[m] for m, z in enumerate(means)]

    similarity = np.zeros((n_models, n_models, n_latents, n_latents))
    pairwise = np.zeros((n_models, n_models))
    for a in range(n_models):
        for b in range(n_models):
            if a == b:
                continue
            if correlation == "lasso":
                matrix = _lasso_matrix(standardised[a], standardised[b], lasso_alpha)
            else:
                matrix = _spearman_matrix(standardised[a], standardised[b])
            # Scored as dlib, NaN included; stored with undefined correlations as 0.
            similarity[a, b] = np.nan_to_num(matrix)
            pairwise[a, b] = _relative_strength(matrix[np.ix_(active[a], active[b])])
    model_scores = np.array(
        [np.median(np.delete(pairwise[:, b], b)) for b in range(n_models)], dtype=np.float64
    )
    return {
        "model_scores": model_scores,
        "pairwise_scores": pairwise,
        "similarity_matrices": similarity,
        "active_latents": active,
        "kl": kl,
    }


def _gaussian_posterior(estimator: Any, X: Any, position: int) -> tuple[np.ndarray, np.ndarray]:
    """Posterior means and log-variances of a fitted Gaussian-posterior sklvae estimator."""
    from ..nn.module import GaussianVAEModule

    name = type(estimator).__name__
    if not hasattr(estimator, "_predict_batches"):
        raise TypeError(
            f"estimators[{position}] ({name}) is not an sklvae estimator; UDR needs each model's "
            "Gaussian posterior. For other models use udr_from_representations(means, kl)."
        )
    check_is_fitted(estimator)
    if not isinstance(estimator.module_, GaussianVAEModule):
        raise TypeError(
            f"estimators[{position}] ({name}) has no Gaussian posterior: UDR needs each latent's "
            "KL to the prior to drop inactive latents. Use Gaussian VAEs (VAE, BetaVAE, BetaTCVAE, "
            "FactorVAE, AnnealedVAE, MIPETVAE)."
        )
    encoded = (
        torch.cat(
            estimator._predict_batches(X, lambda module, x: torch.cat(module.encode(x), dim=1)),
            dim=0,
        )
        .numpy()
        .astype(np.float64)
    )
    n_latents = encoded.shape[1] // 2
    return encoded[:, :n_latents], encoded[:, n_latents:]


def udr(
    estimators: Sequence[Any],
    X: Any,
    *,
    correlation: str = "lasso",
    kl_threshold: float = 0.01,
    lasso_alpha: float = 0.1,
) -> dict:
    """Unsupervised Disentanglement Ranking of fitted Gaussian VAEs.

    This follows disentanglement_lib's ``udr_sklearn``.

    Parameters
    ----------
    estimators : sequence of fitted estimators
        At least 2 fitted sklvae estimators with a Gaussian posterior (``VAE``,
        ``BetaVAE``, ``BetaTCVAE``, ``FactorVAE``, ``AnnealedVAE``, ``MIPETVAE``) and
        the same number of latents, typically the same method trained with different
        seeds or hyperparameters. The paper compares each model with the other
        seeds of its hyperparameter setting.
    X : array-like or GroundTruthDataset
        Observations every model encodes (dlib: 1,000 random observations), in a
        layout the estimators were fitted on.
    correlation : {"lasso", "spearman"}, default="lasso"
    kl_threshold : float, default=0.01
    lasso_alpha : float, default=0.1
        See :func:`udr_from_representations`.

    Returns
    -------
    dict
        As :func:`udr_from_representations`; ``"model_scores"[m]`` is the UDR of
        ``estimators[m]`` (higher is more disentangled).

    Raises
    ------
    TypeError
        If an estimator has no Gaussian posterior (e.g. a quantized model).
    sklearn.exceptions.NotFittedError
        If an estimator is not fitted.

    Examples
    --------
    >>> import numpy as np
    >>> from sklvae import BetaVAE
    >>> X = np.random.RandomState(0).rand(128, 8)
    >>> models = [BetaVAE(n_latents=3, max_steps=20, random_state=s).fit(X) for s in range(3)]
    >>> udr(models, X, kl_threshold=0.0)["model_scores"].shape
    (3,)
    """
    if hasattr(estimators, "fit"):
        raise TypeError("estimators must be a list of fitted estimators, not a single estimator.")
    if isinstance(estimators, (str, bytes)) or not hasattr(estimators, "__len__"):
        raise TypeError(
            f"estimators must be a list of fitted estimators, got {type(estimators).__name__}."
        )
    if len(estimators) < 2:
        raise ValueError(
            "UDR compares models with each other: give at least 2 estimators, "
            f"got {len(estimators)}."
        )
    posteriors = [_gaussian_posterior(estimator, X, m) for m, estimator in enumerate(estimators)]
    n_latents = [mu.shape[1] for mu, _ in posteriors]
    if len(set(n_latents)) > 1:
        raise ValueError(f"the estimators must have the same number of latents; got {n_latents}.")
    return udr_from_representations(
        [mu for mu, _ in posteriors],
        [gaussian_kl_per_latent(mu, logvar) for mu, logvar in posteriors],
        correlation=correlation,
        kl_threshold=kl_threshold,
        lasso_alpha=lasso_alpha,
    )
