"""The one sampling helper: (latents, factors) from an estimator and a ground-truth dataset.

disentanglement_lib's ``generate_batch_factor_code``: draw
factor classes with ``dataset.sample_factors(b, rng)`` in batches of
``sampling_batch_size`` (16 in dlib, which fixes the random stream), render them
with ``dataset.sample_observations(factors, rng)`` and encode. Encoding is done
in larger chunks (``transform_batch_size``) so that the estimator's batched
inference is used efficiently; the random stream does not depend on it.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted

from ._checks import check_positive_int

__all__ = [
    "encode",
    "sample_latents_and_factors",
    "check_ground_truth_dataset",
    "check_fitted_estimator",
    "sample_factor_classes",
]


def check_ground_truth_dataset(dataset: Any) -> int:
    """Check the duck-typed dataset API the metrics use; return its number of factors."""
    missing = [
        name
        for name in ("sample_factors", "sample_observations", "factor_sizes")
        if not hasattr(dataset, name)
    ]
    if missing:
        raise TypeError(
            f"dataset must be a ground-truth dataset (sklvae.datasets.GroundTruthDataset) "
            f"with sample_factors, sample_observations and factor_sizes; "
            f"{type(dataset).__name__} lacks {missing}."
        )
    return len(dataset.factor_sizes)


def check_fitted_estimator(estimator: Any) -> None:
    """Fail early, before any rendering, on an unfitted estimator or a non-encoder.

    Raises ``sklearn.exceptions.NotFittedError`` (a ``ValueError``) for an unfitted
    scikit-learn-style estimator and ``TypeError`` for an object that can neither
    ``transform`` nor be called.
    """
    if hasattr(estimator, "transform"):
        if hasattr(estimator, "fit"):
            check_is_fitted(estimator)
    elif not callable(estimator):
        raise TypeError(
            "estimator must be a fitted estimator with transform (or a callable "
            f"representation function); got {type(estimator).__name__}."
        )


def sample_factor_classes(dataset: Any, n_samples: int, rng) -> np.ndarray:
    """``dataset.sample_factors(n_samples, rng)``, checked to be (n_samples, len(factor_sizes))."""
    factors = np.asarray(dataset.sample_factors(n_samples, rng))
    expected = (n_samples, len(dataset.factor_sizes))
    if factors.shape != expected:
        raise ValueError(
            f"{type(dataset).__name__}.sample_factors({n_samples}) returned shape {factors.shape}, "
            f"but the dataset has {expected[1]} factors (factor_sizes); expected {expected}."
        )
    return factors


def encode(estimator: Any, observations: Any) -> np.ndarray:
    """Representation of ``observations``: ``estimator.transform`` (or ``estimator(obs)``).

    Returns a float64 array of shape (n_samples, n_latents); raises on NaN or a
    wrong number of rows.
    """
    if hasattr(estimator, "transform"):
        latents = estimator.transform(observations)
    elif callable(estimator):
        latents = estimator(observations)
    else:
        raise TypeError(
            "estimator must be a fitted estimator with transform (or a callable "
            f"representation function); got {type(estimator).__name__}."
        )
    latents = np.asarray(latents, dtype=np.float64)
    if latents.ndim == 1:
        latents = latents[:, None]
    n = len(observations)
    if latents.ndim != 2 or latents.shape[0] != n:
        raise ValueError(
            f"the representation of {n} observations has shape {latents.shape}; "
            "expected (n_samples, n_latents)."
        )
    if not np.all(np.isfinite(latents)):
        raise ValueError("the representation contains NaN or infinite values.")
    return latents


def sample_latents_and_factors(
    estimator: Any,
    dataset: Any,
    n_samples: int,
    random_state=None,
    *,
    sampling_batch_size: int = 16,
    transform_batch_size: int = 1024,
) -> tuple[np.ndarray, np.ndarray]:
    """Sample ``n_samples`` (representation, factor classes) pairs.

    Parameters
    ----------
    estimator : fitted estimator with ``transform``, or callable
        Encodes observations (dlib's ``representation_function``).
    dataset : GroundTruthDataset
        Any object with ``sample_factors(n, random_state)``,
        ``sample_observations(factors, random_state)`` and ``factor_sizes``.
    n_samples : int
        Number of points.
    random_state : int, RandomState or None
        A ``RandomState`` is consumed in place, so successive calls (train then
        test set) draw different points, as in dlib.
    sampling_batch_size : int, default=16
        Factors drawn per ``sample_factors`` call (dlib's ``batch_size``).
    transform_batch_size : int, default=1024
        Observations encoded per ``transform`` call.

    Returns
    -------
    latents : ndarray of shape (n_samples, n_latents), float64
        Representations of the sampled observations.
    factors : ndarray of shape (n_samples, n_factors), int64
        Their factor classes.
    """
    check_ground_truth_dataset(dataset)
    check_fitted_estimator(estimator)
    n_samples = check_positive_int(n_samples, "n_samples")
    sampling_batch_size = check_positive_int(sampling_batch_size, "sampling_batch_size")
    transform_batch_size = check_positive_int(transform_batch_size, "transform_batch_size")
    rng = check_random_state(random_state)
    latents, factors = [], []
    pending_obs, pending_factors, pending = [], [], 0
    drawn = 0
    while drawn < n_samples:
        b = min(sampling_batch_size, n_samples - drawn)
        batch_factors = sample_factor_classes(dataset, b, rng)
        pending_obs.append(np.asarray(dataset.sample_observations(batch_factors, rng)))
        pending_factors.append(batch_factors)
        pending += b
        drawn += b
        if pending >= transform_batch_size or drawn == n_samples:
            latents.append(encode(estimator, np.concatenate(pending_obs, axis=0)))
            factors.append(np.concatenate(pending_factors, axis=0))
            pending_obs, pending_factors, pending = [], [], 0
    return np.concatenate(latents, axis=0), np.concatenate(factors, axis=0).astype(np.int64)
