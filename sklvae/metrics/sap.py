"""SAP score (Kumar et al., 2018), as disentanglement_lib computes it.

A score matrix ``S`` of shape (n_latents, n_factors) holds,
for discrete factors (the study default), the test accuracy of
``LinearSVC(C=0.01, class_weight="balanced")`` trained on the single latent
``i`` to predict factor ``j``; for continuous factors, the squared Pearson
correlation (0 when the latent's variance is at most 1e-12). SAP is the mean
over factors of the gap between the two largest entries of each column.
"""

from __future__ import annotations

import inspect
import warnings

import numpy as np
from joblib import Parallel, delayed
from numpy.typing import ArrayLike
from sklearn.exceptions import ConvergenceWarning
from sklearn.svm import LinearSVC
from sklearn.utils.class_weight import compute_class_weight

from ._checks import _as_2d_float, resolve_train_test

__all__ = ["sap"]


try:  # the solver LinearSVC.fit calls, without the estimator's per-fit input handling
    from sklearn.svm import _liblinear
    from sklearn.svm._base import _get_liblinear_solver_type

    _TRAIN_WRAP_PARAMETERS = (
        "X, Y, is_sparse, solver_type, eps, bias, C, class_weight, max_iter, "
        "random_seed, epsilon, sample_weight"
    ).split(", ")
    if list(inspect.signature(_liblinear.train_wrap).parameters) != _TRAIN_WRAP_PARAMETERS:
        raise ImportError("an unknown liblinear wrapper")  # pragma: no cover
    # LinearSVC(penalty="l2", loss="squared_hinge"), primal: dual="auto" picks it
    # for one feature
    _SOLVER_TYPE = _get_liblinear_solver_type("ovr", "l2", "squared_hinge", False)
except (ImportError, AttributeError, TypeError, ValueError):  # pragma: no cover
    _liblinear = None


class _FactorClasses:
    """A factor's training labels as liblinear takes them, encoded once for all latents.

    What ``LinearSVC.fit`` derives from ``y`` on every call: the sorted classes, each
    label's class index (as float64), ``class_weight="balanced"``'s weights
    ``n_samples / (n_classes * count)`` and the unit sample weights.
    """

    def __init__(self, y: np.ndarray):
        self.y = y
        self.classes, index = np.unique(y, return_inverse=True)
        self.index = np.ascontiguousarray(index.reshape(-1), dtype=np.float64)
        self.class_weight = compute_class_weight("balanced", classes=self.classes, y=y)
        self.sample_weight = np.ones(len(y))


def _svc_test_accuracy(x_train, factor: _FactorClasses, x_test, y_test, C) -> float:
    """Test accuracy of ``LinearSVC(C=C, class_weight="balanced")`` on one latent.

    ``x_train``/``x_test`` are C-contiguous (n, 1) float64 columns. The model is
    fitted by the liblinear call that ``LinearSVC.fit`` makes with its defaults
    (primal solver, ``dual="auto"`` resolving to False for one feature; tol 1e-4,
    1000 iterations, intercept scaling 1, unit sample weights), and predicts as
    ``LinearSVC.predict`` does, so the accuracy is the estimator's to the last bit.
    """
    if _liblinear is None or factor.classes.size < 2:  # pragma: no cover
        classifier = LinearSVC(C=C, class_weight="balanced").fit(x_train, factor.y)
        return float(np.mean(classifier.predict(x_test) == y_test))
    raw_coef, n_iter = _liblinear.train_wrap(
        x_train,
        factor.index,
        False,  # dense
        _SOLVER_TYPE,
        1e-4,  # tol
        1.0,  # bias: intercept_scaling
        C,
        factor.class_weight,
        1000,  # max_iter
        0,  # seed: the primal solver draws no random numbers
        0.1,  # epsilon (regression only)
        factor.sample_weight,
    )
    if max(n_iter) >= 1000:
        warnings.warn(
            "Liblinear failed to converge, increase the number of iterations.",
            ConvergenceWarning,
            stacklevel=2,
        )
    coef, intercept = raw_coef[:, :-1], raw_coef[:, -1]
    decision = x_test @ coef.T + intercept  # (n_test, n_classes), or (n_test, 1) for two
    if factor.classes.size == 2:
        predicted = factor.classes[(decision[:, 0] > 0).astype(int)]
    else:
        predicted = factor.classes[decision.argmax(axis=1)]
    return float(np.mean(predicted == y_test))


def _latent_scores(z_train, factors: list[_FactorClasses], z_test, y_test, C) -> np.ndarray:
    """One row of the score matrix: latent column against every factor."""
    x_train = np.ascontiguousarray(z_train[:, None])
    x_test = np.ascontiguousarray(z_test[:, None])
    return np.array(
        [
            _svc_test_accuracy(x_train, factor, x_test, y_test[:, j], C)
            for j, factor in enumerate(factors)
        ]
    )


def _continuous_score_matrix(latents, factors) -> np.ndarray:
    # cov(mu_i, y_j)^2 / (var mu_i * var y_j) for every pair at once (ddof=1).
    z = latents - latents.mean(axis=0)
    y = factors - factors.mean(axis=0)
    n = latents.shape[0]
    cov = z.T @ y / (n - 1)
    var_z = (z**2).sum(axis=0) / (n - 1)
    var_y = (y**2).sum(axis=0) / (n - 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        scores = cov**2 / (var_z[:, None] * var_y[None, :])
    scores[var_z <= 1e-12, :] = 0.0
    return scores


def sap(
    latents: ArrayLike,
    factors: ArrayLike,
    latents_test: ArrayLike | None = None,
    factors_test: ArrayLike | None = None,
    *,
    continuous_factors: bool = False,
    C: float = 0.01,
    test_size: float = 1 / 3,
    random_state=None,
    n_jobs: int | None = None,
) -> dict:
    """Separated Attribute Predictability (disentanglement_lib ``SAP_score``).

    The gap between the two latents that best predict a factor, averaged over factors.

    Parameters
    ----------
    latents, factors : array-like of shape (n_samples, n_latents) / (n_samples, n_factors)
        Training representation and integer factor classes (dlib: 10,000 points).
    latents_test, factors_test : array-like, optional
        Held-out points for the discrete mode (dlib: 5,000 points). If omitted
        and ``continuous_factors=False``, ``test_size`` of the given points are
        held out by a seeded random split (1/3 reproduces dlib's 10,000/5,000
        proportion).
    continuous_factors : bool, default=False
        False (study default): LinearSVC accuracy per (latent, factor) pair.
        True: squared Pearson correlation on the training points (the test points
        are not used).
    C : float, default=0.01
        LinearSVC regularisation (dlib's value). Other LinearSVC parameters are
        scikit-learn's current defaults (``dual="auto"`` picks the primal solver
        here; dlib ran the dual one: same optimum, different iteration path).
    test_size : float, default=1/3
    random_state : int, RandomState or None
        Seeds the internal split.
    n_jobs : int, optional
        Threads for the n_latents x n_factors SVC fits, one task per latent
        (liblinear releases the GIL).

    Returns
    -------
    dict
        ``"SAP_score"`` and ``"score_matrix"`` (n_latents, n_factors).
    """
    if continuous_factors:
        latents = _as_2d_float(latents, "latents")
        factors = _as_2d_float(factors, "factors")
        if latents.shape[0] != factors.shape[0]:
            raise ValueError(
                f"latents and factors must have the same number of samples; got "
                f"{latents.shape[0]} and {factors.shape[0]}."
            )
        scores = _continuous_score_matrix(latents, factors)
    else:
        (z_train, y_train), (z_test, y_test) = resolve_train_test(
            latents, factors, latents_test, factors_test, test_size, random_state
        )
        # One task per latent (equal work); liblinear releases the GIL, so threads scale.
        factors_train = [_FactorClasses(y_train[:, j]) for j in range(y_train.shape[1])]
        if _liblinear is not None:
            _liblinear.set_verbosity_wrap(0)  # liblinear's print switch is global
        rows = Parallel(n_jobs=n_jobs, prefer="threads")(
            delayed(_latent_scores)(z_train[:, i], factors_train, z_test[:, i], y_test, C)
            for i in range(z_train.shape[1])
        )
        scores = np.stack(rows)
    if scores.shape[0] < 2:
        raise ValueError("SAP needs at least 2 latents (it is a gap between the two best).")
    sorted_scores = np.sort(scores, axis=0)
    return {
        "SAP_score": float(np.mean(sorted_scores[-1] - sorted_scores[-2])),
        "score_matrix": scores,
    }
