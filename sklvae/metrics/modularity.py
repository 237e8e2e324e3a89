"""Modularity and explicitness (Ridgeway & Mozer, 2018), as disentanglement_lib computes them.

* Modularity: from the (n_latents, n_factors) MI matrix of 20-bin discretised
  latents, ``1 - (sum_j m_ij^2 - max_j m_ij^2) / (max_j m_ij^2 (K - 1))`` per latent
  (0 where a latent carries no information), averaged over latents.
* Explicitness: latents standardised with the training mean and standard
  deviation, one ``LogisticRegression()`` (scikit-learn defaults) per factor,
  macro ROC-AUC of ``predict_proba`` against the one-hot factor, on train and
  test, averaged over factors.
"""

from __future__ import annotations

import numpy as np
from joblib import Parallel, delayed
from numpy.typing import ArrayLike
from scipy.stats import rankdata
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from threadpoolctl import threadpool_limits

from ._checks import check_matrix, check_positive_int, resolve_train_test
from ._information import discrete_mutual_info, histogram_discretize

__all__ = ["modularity_explicitness", "modularity_score"]


def modularity_score(mutual_info_matrix: ArrayLike) -> float:
    """Compute the modularity score of a mutual-information matrix.

    Parameters
    ----------
    mutual_info_matrix : array-like of shape (n_latents, n_factors)
        Mutual information between each latent and each factor.

    Returns
    -------
    float
        Mean over latents of ``1 - delta``, where ``delta`` is the squared MI outside
        the latent's best factor relative to its best, divided by ``n_factors - 1``
        (Ridgeway & Mozer 2018).
    """
    squared = np.square(check_matrix(mutual_info_matrix, "mutual_info_matrix", non_negative=True))
    max_squared = squared.max(axis=1)
    n_factors = squared.shape[1]
    if n_factors < 2:
        raise ValueError("modularity needs at least 2 factors.")
    with np.errstate(divide="ignore", invalid="ignore"):
        delta = (squared.sum(axis=1) - max_squared) / (max_squared * (n_factors - 1.0))
    per_latent = np.where(max_squared == 0.0, 0.0, 1.0 - delta)
    return float(np.mean(per_latent))


def _macro_auc(classes, y_true, probabilities, name: str = "scored") -> float:
    """Macro ROC-AUC of ``probabilities`` (n, n_classes) against one-hot ``y_true``.

    dlib binarises y with ``MultiLabelBinarizer`` (one column per class, also for
    two classes) and calls ``roc_auc_score`` (macro). Each column's AUC is
    computed here as the Mann-Whitney statistic, ``(sum of the positives' ranks -
    n_pos (n_pos + 1) / 2) / (n_pos n_neg)`` with tied scores given their average
    rank: the area under the same ROC curve (ties count one half), for all
    columns with one sort each, equal to ``roc_auc_score`` up to rounding (1e-15).
    Classes absent from ``y_true`` are dropped (dlib would raise on them).
    """
    indicator = y_true[:, None] == classes[None, :]
    n_positive = indicator.sum(axis=0)
    n_negative = indicator.shape[0] - n_positive
    present = (n_positive > 0) & (n_negative > 0)
    if not present.any():
        raise ValueError(
            f"explicitness is undefined on the {name} set: no class of the factor occurs "
            "there beside another (ROC-AUC needs positives and negatives). Use more "
            "samples, or a test set that holds at least two of each factor's classes."
        )
    ranks = rankdata(probabilities[:, present], axis=0)
    n_positive, n_negative = n_positive[present], n_negative[present]
    rank_sum = np.sum(ranks * indicator[:, present], axis=0)
    auc = (rank_sum - n_positive * (n_positive + 1) / 2.0) / (n_positive * n_negative)
    return float(np.mean(auc))


def _explicitness_per_factor(classifier, z_train, y_train, z_test, y_test):
    # One OpenMP thread per task (set per thread; BLAS is limited by the caller).
    with threadpool_limits(limits=1, user_api="openmp"):
        model = clone(classifier).fit(z_train, y_train)
        classes = model.classes_
        train = _macro_auc(classes, y_train, model.predict_proba(z_train), "training")
        test = _macro_auc(classes, y_test, model.predict_proba(z_test), "test")
    return train, test


def modularity_explicitness(
    latents: ArrayLike,
    factors: ArrayLike,
    latents_test: ArrayLike | None = None,
    factors_test: ArrayLike | None = None,
    *,
    n_bins: int = 20,
    classifier=None,
    test_size: float = 1 / 3,
    random_state=None,
    n_jobs: int | None = None,
) -> dict:
    """Modularity and explicitness (disentanglement_lib ``compute_modularity_explicitness``).

    Modularity from the mutual information of the discretised latents with each
    factor; explicitness from one classifier per factor on the standardised latents.

    Parameters
    ----------
    latents, factors : array-like of shape (n_samples, n_latents) / (n_samples, n_factors)
        Training points (dlib: 10,000). Modularity uses these only.
    latents_test, factors_test : array-like, optional
        Held-out points (dlib: 5,000). If omitted, ``test_size`` of the given
        points are held out by a seeded split.
    n_bins : int, default=20
        Histogram bins per latent for the mutual information.
    classifier : classifier with ``predict_proba``, optional
        Default ``LogisticRegression()`` with scikit-learn's defaults (dlib).
    test_size : float, default=1/3
        Fraction held out when no test points are given.
    random_state : int, RandomState or None
        Seeds the internal split.
    n_jobs : int, optional
        Threads, one task per factor (largest first), each with one BLAS /
        OpenMP thread.

    Returns
    -------
    dict
        ``"modularity_score"``, ``"explicitness_score_train"``,
        ``"explicitness_score_test"`` and ``"mutual_info_matrix"``.

    Notes
    -----
    A latent with zero training standard deviation is divided by 1 instead of 0
    (dlib would produce NaNs and fail).
    """
    n_bins = check_positive_int(n_bins, "n_bins")
    (z_train, y_train), (z_test, y_test) = resolve_train_test(
        latents, factors, latents_test, factors_test, test_size, random_state
    )
    mi = discrete_mutual_info(histogram_discretize(z_train, n_bins), y_train)
    mean = z_train.mean(axis=0)
    std = z_train.std(axis=0)
    std = np.where(std == 0.0, 1.0, std)
    z_train_norm = (z_train - mean) / std
    z_test_norm = (z_test - mean) / std
    if classifier is None:
        classifier = LogisticRegression()
    # Largest factors (most classes, the longest fits) first, for an even split.
    n_classes = [np.unique(y_train[:, j]).size for j in range(y_train.shape[1])]
    order = np.argsort(n_classes, kind="stable")[::-1]
    # One BLAS thread: the tasks already fill the cores, and the small matrix
    # products of a logistic regression lose more to thread start-up than they gain.
    with threadpool_limits(limits=1, user_api="blas"):
        results = Parallel(n_jobs=n_jobs, prefer="threads")(
            delayed(_explicitness_per_factor)(
                classifier, z_train_norm, y_train[:, j], z_test_norm, y_test[:, j]
            )
            for j in order
        )
    results = [results[k] for k in np.argsort(order)]
    return {
        "modularity_score": modularity_score(mi),
        "explicitness_score_train": float(np.mean([r[0] for r in results])),
        "explicitness_score_test": float(np.mean([r[1] for r in results])),
        "mutual_info_matrix": mi,
    }
