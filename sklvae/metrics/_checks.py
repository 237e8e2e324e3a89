"""Input checks and train/test splits shared by the array-level metrics.

Orientation is scikit-learn's: ``(n_samples, n_columns)``.
"""

from __future__ import annotations

import numbers

import numpy as np
from numpy.typing import ArrayLike
from sklearn.utils import check_random_state

__all__ = [
    "check_latents_factors",
    "check_matrix",
    "resolve_train_test",
    "check_random_seed_sequence",
    "check_positive_int",
]


# ---------------------------------------------------------------------------
# input validation
# ---------------------------------------------------------------------------
def _check_2d(array: np.ndarray, name: str, columns: str, one_column_hint: str) -> None:
    """Raise unless ``array`` is 2-D ``(n_samples, columns)``; say how to fix a 1-D one."""
    if array.ndim == 1:
        raise ValueError(
            f"{name} must be 2-D (n_samples, {columns}); got a 1-D array of shape "
            f"{array.shape}. {one_column_hint}"
        )
    if array.ndim != 2:
        raise ValueError(f"{name} must be 2-D (n_samples, {columns}); got shape {array.shape}.")


#: largest magnitude accepted in a float input: representations are O(1); near 1e78
#: liblinear's solver (SAP) stops terminating and near 1e154 squares overflow float64
_LARGEST_VALUE = 1e50


def _as_2d_float(array, name: str) -> np.ndarray:
    array = np.asarray(array)
    if array.dtype == object:
        raise TypeError(f"{name} must be a numeric array, got dtype=object.")
    hint = f"Reshape it with {name}.reshape(-1, 1) if it is one column."
    _check_2d(array, name, "n_columns", hint)
    if (not np.issubdtype(array.dtype, np.number) and array.dtype != bool) or np.iscomplexobj(
        array
    ):
        raise TypeError(f"{name} must be real numbers, got dtype={array.dtype}.")
    array = array.astype(np.float64, copy=False)
    if array.shape[0] == 0 or array.shape[1] == 0:
        raise ValueError(f"{name} is empty (shape {array.shape}).")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} contains NaN or infinite values.")
    largest = float(np.abs(array).max())
    if largest > _LARGEST_VALUE:
        raise ValueError(
            f"{name} holds values of magnitude up to {largest:.3g}; the metrics accept "
            f"magnitudes up to {_LARGEST_VALUE:.0e} (beyond, sums of squares overflow and "
            f"liblinear, in SAP, does not terminate); rescale {name}."
        )
    return array


def check_matrix(
    matrix: ArrayLike, name: str, *, non_negative: bool = False, covariance: bool = False
) -> np.ndarray:
    """A 2-D matrix of finite real numbers: importance or MI (``non_negative``) or a
    covariance (``covariance``: square, symmetric, positive semi-definite)."""
    array = _as_2d_float(matrix, name)
    if non_negative and np.any(array < 0):
        raise ValueError(f"{name} must be non-negative; its smallest entry is {array.min():.4g}.")
    if covariance:
        if array.shape[0] != array.shape[1]:
            raise ValueError(f"{name} must be a square matrix; got shape {array.shape}.")
        scale = float(np.abs(array).max())
        if not np.allclose(array, array.T, rtol=1e-8, atol=1e-12 * scale):
            raise ValueError(f"{name} must be a symmetric (covariance) matrix.")
        smallest = float(np.linalg.eigvalsh(array).min()) if scale > 0 else 0.0
        if smallest < -1e-10 * scale:
            raise ValueError(
                f"{name} must be positive semi-definite (a covariance matrix); its smallest "
                f"eigenvalue is {smallest:.4g}."
            )
    return array


def _as_factor_classes(factors, name: str) -> np.ndarray:
    factors = np.asarray(factors)
    hint = f"Use {name}.reshape(-1, 1) for a single factor (integer classes)."
    _check_2d(factors, name, "n_factors", hint)
    if factors.shape[0] == 0 or factors.shape[1] == 0:
        raise ValueError(f"{name} is empty (shape {factors.shape}).")
    if np.issubdtype(factors.dtype, np.integer) or factors.dtype == bool:
        return factors.astype(np.int64, copy=False)
    if not np.issubdtype(factors.dtype, np.floating):
        raise TypeError(f"{name} must hold integer factor classes, got dtype={factors.dtype}.")
    if not np.all(np.isfinite(factors)):
        raise ValueError(f"{name} contains NaN or infinite values.")
    if not np.all(factors == np.round(factors)):
        raise ValueError(
            f"{name} must hold integer factor classes (e.g. GroundTruthDataset.factors), "
            "but contains non-integer values. Discretise continuous factors first "
            "(sklvae.metrics.histogram_discretize) or use a metric's continuous mode."
        )
    return factors.astype(np.int64)


def check_latents_factors(
    latents: ArrayLike,
    factors: ArrayLike,
    *,
    n_factors: int | None = None,
    min_factor_classes: int = 2,
    latents_name: str = "latents",
    factors_name: str = "factors",
) -> tuple[np.ndarray, np.ndarray]:
    """Validate a ``(latents, factors)`` pair in scikit-learn orientation.

    Parameters
    ----------
    latents : array-like of shape (n_samples, n_latents)
        Representation; converted to float64.
    factors : array-like of shape (n_samples, n_factors)
        Integer factor classes (floats holding whole numbers are accepted).
    n_factors : int, optional
        Expected number of factors (columns of ``factors``).
    min_factor_classes : int, default=2
        Every factor must take at least this many distinct values in the sample
        (supervised metrics are undefined for a constant factor).

    Returns
    -------
    latents : ndarray of float64
    factors : ndarray of int64
    """
    latents = _as_2d_float(latents, latents_name)
    factors = _as_factor_classes(factors, factors_name)
    if latents.shape[0] != factors.shape[0]:
        raise ValueError(
            f"{latents_name} and {factors_name} must have the same number of samples; "
            f"got {latents.shape[0]} and {factors.shape[0]}. Both are in scikit-learn "
            "orientation (n_samples, n_columns)."
        )
    if n_factors is not None and factors.shape[1] != n_factors:
        raise ValueError(
            f"{factors_name} has {factors.shape[1]} factors (columns) but {n_factors} "
            "were expected."
        )
    if min_factor_classes > 1:
        n_values = np.array([np.unique(factors[:, j]).size for j in range(factors.shape[1])])
        bad = np.flatnonzero(n_values < min_factor_classes)
        if bad.size:
            raise ValueError(
                f"factor(s) {bad.tolist()} of {factors_name} take fewer than "
                f"{min_factor_classes} distinct values in these {factors.shape[0]} samples; "
                "the metric is undefined for a constant factor. Use more samples."
            )
    return latents, factors


def resolve_train_test(
    latents: ArrayLike,
    factors: ArrayLike,
    latents_test: ArrayLike | None,
    factors_test: ArrayLike | None,
    test_size: float,
    random_state,
):
    """Return validated ``(train, test)`` pairs, splitting the data if no test set is given.

    With ``latents_test``/``factors_test`` given, they are the test set (dlib's
    protocol: separately sampled points). Otherwise ``test_size`` of the given
    points (a fraction in (0, 1)) are held out by a shuffled split seeded by
    ``random_state`` (the first ``ceil(test_size * n)`` of a random permutation).
    """
    if (latents_test is None) != (factors_test is None):
        raise ValueError("give both latents_test and factors_test, or neither.")
    if latents_test is None:
        latents, factors = check_latents_factors(latents, factors, min_factor_classes=0)
        if not (isinstance(test_size, numbers.Real) and 0.0 < test_size < 1.0):
            raise ValueError(f"test_size must be a fraction in (0, 1), got {test_size!r}.")
        n_test = int(np.ceil(test_size * latents.shape[0]))
        if n_test < 1 or latents.shape[0] - n_test < 2:
            raise ValueError(
                f"{latents.shape[0]} samples are too few to hold out test_size={test_size}."
            )
        rng = check_random_state(random_state)
        permutation = rng.permutation(latents.shape[0])
        test_idx, train_idx = permutation[:n_test], permutation[n_test:]
        latents_test, factors_test = latents[test_idx], factors[test_idx]
        latents, factors = latents[train_idx], factors[train_idx]
    latents, factors = check_latents_factors(latents, factors)
    assert latents_test is not None and factors_test is not None  # split above if absent
    latents_test, factors_test = check_latents_factors(
        latents_test,
        factors_test,
        n_factors=factors.shape[1],
        min_factor_classes=0,
        latents_name="latents_test",
        factors_name="factors_test",
    )
    if latents_test.shape[1] != latents.shape[1]:
        raise ValueError(
            f"latents_test has {latents_test.shape[1]} latents but latents has {latents.shape[1]}."
        )
    return (latents, factors), (latents_test, factors_test)


def check_random_seed_sequence(random_state, n: int) -> list[int]:
    """Draw ``n`` integer seeds from ``random_state`` (for per-factor models)."""
    rng = check_random_state(random_state)
    return [int(s) for s in rng.randint(np.iinfo(np.int32).max, size=n)]


def check_positive_int(value, name: str) -> int:
    """``value`` as an ``int`` if it is a whole number >= 1 (not a bool); else a ValueError."""
    if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}.")
    if int(value) > np.iinfo(np.int64).max:  # numpy cannot even size such an array
        raise ValueError(f"{name} must be below 2**63, got {value!r}.")
    return int(value)
