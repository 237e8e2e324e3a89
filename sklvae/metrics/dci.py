"""DCI: Disentanglement, Completeness, Informativeness (Eastwood & Williams, 2018).

As disentanglement_lib (and FactorQVAE's port of it) computes it, ``ecosystem.md``
§2.5 and ``factorqvae.md`` §3.2: one ``GradientBoostingClassifier()`` with default
parameters per factor, trained on the raw latents; the importance matrix
``R[i, j] = |feature_importances_|`` of latent ``i`` for factor ``j``;

* disentanglement ``D = sum_i rho_i (1 - H_K(R[i, :]))`` with ``rho_i = sum_j R[i, j] / sum R``
  and the entropy in base K = n_factors,
* completeness ``C = sum_j rho_j (1 - H_L(R[:, j]))`` with base L = n_latents,
* informativeness = mean classification **accuracy** over factors (train and test),

where the entropies are ``scipy.stats.entropy(R + 1e-11)`` (normalised inside)
and a zero importance matrix gets uniform weights.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike
from joblib import Parallel, delayed
from scipy.stats import entropy
from sklearn.base import clone
from sklearn.ensemble import GradientBoostingClassifier

from ._information import check_random_seed_sequence, resolve_train_test

__all__ = ["dci", "disentanglement_score", "completeness_score"]


def _weights(importance: np.ndarray, axis: int) -> np.ndarray:
    if importance.sum() == 0.0:
        importance = np.ones_like(importance)
    return importance.sum(axis=axis) / importance.sum()


def disentanglement_score(importance_matrix: ArrayLike) -> float:
    """Disentanglement D of an importance matrix of shape (n_latents, n_factors)."""
    importance = np.asarray(importance_matrix, dtype=np.float64)
    per_latent = 1.0 - entropy(importance.T + 1e-11, base=importance.shape[1])
    return float(np.sum(per_latent * _weights(importance, axis=1)))


def completeness_score(importance_matrix: ArrayLike) -> float:
    """Completeness C of an importance matrix of shape (n_latents, n_factors)."""
    importance = np.asarray(importance_matrix, dtype=np.float64)
    per_factor = 1.0 - entropy(importance + 1e-11, base=importance.shape[0])
    return float(np.sum(per_factor * _weights(importance, axis=0)))


def _fit_factor(classifier, seed, z_train, y_train, z_test, y_test):
    model = clone(classifier)
    if "random_state" in model.get_params():
        model.set_params(random_state=seed)
    model.fit(z_train, y_train)
    importances = np.abs(np.asarray(model.feature_importances_, dtype=np.float64))
    train_accuracy = float(np.mean(model.predict(z_train) == y_train))
    test_accuracy = float(np.mean(model.predict(z_test) == y_test))
    return importances, train_accuracy, test_accuracy


def dci(
    latents: ArrayLike,
    factors: ArrayLike,
    latents_test: ArrayLike | None = None,
    factors_test: ArrayLike | None = None,
    *,
    classifier=None,
    test_size: float = 1 / 3,
    random_state=None,
    n_jobs: int | None = None,
) -> dict:
    """DCI scores of a representation (disentanglement_lib ``compute_dci``).

    Parameters
    ----------
    latents, factors : array-like of shape (n_samples, n_latents) / (n_samples, n_factors)
        Training representation (raw, not standardised) and integer factor
        classes. dlib uses 10,000 points.
    latents_test, factors_test : array-like, optional
        Held-out points (dlib: 5,000 separately sampled points). If omitted,
        ``test_size`` of the given points are held out by a seeded split (1/3
        reproduces dlib's 10,000/5,000 proportion).
    classifier : classifier with ``feature_importances_``, optional
        Cloned once per factor. Default ``GradientBoostingClassifier()`` with
        all default parameters (dlib, FactorQVAE).
    test_size : float, default=1/3
    random_state : int, RandomState or None
        Seeds the split and each per-factor classifier's ``random_state``. dlib
        leaves the GBT unseeded; with its defaults (``subsample=1.0``,
        ``max_features=None``) the seed only breaks ties between equally good
        splits, so seeding makes the result reproducible without changing the
        algorithm.
    n_jobs : int, optional
        Parallel jobs over factors (joblib, process-based by default; set
        ``joblib.parallel_config(backend=...)`` to change it).

    Returns
    -------
    dict
        ``"disentanglement"``, ``"completeness"``, ``"informativeness_train"``,
        ``"informativeness_test"`` (mean accuracies) and ``"importance_matrix"``
        (n_latents, n_factors).
    """
    (z_train, y_train), (z_test, y_test) = resolve_train_test(
        latents, factors, latents_test, factors_test, test_size, random_state
    )
    if classifier is None:
        classifier = GradientBoostingClassifier()
    seeds = check_random_seed_sequence(random_state, y_train.shape[1])
    # Processes (joblib's default backend): boosting holds the GIL between trees.
    results = Parallel(n_jobs=n_jobs)(
        delayed(_fit_factor)(classifier, seeds[j], z_train, y_train[:, j], z_test, y_test[:, j])
        for j in range(y_train.shape[1])
    )
    importance = np.stack([r[0] for r in results], axis=1)
    return {
        "disentanglement": disentanglement_score(importance),
        "completeness": completeness_score(importance),
        "informativeness_train": float(np.mean([r[1] for r in results])),
        "informativeness_test": float(np.mean([r[2] for r in results])),
        "importance_matrix": importance,
    }


def fast_dci_classifier():
    """Placeholder."""
    return GradientBoostingClassifier(n_estimators=10)
