"""The sampling helper: follows dlib's random stream, rejects bad input."""

import numpy as np
import pytest
from sklearn.exceptions import NotFittedError

# loop-for-loop re-statements of disentanglement_lib (test helper module)
import sklvae.metrics as sm
from sklvae.metrics import (
    sample_latents_and_factors,
)

from .conftest import (
    FITTED,
    GRID,
    Encoder,
    FactorGrid,
    IdentityObservations,
    Shift,
    misuse_test,
)


def test_sample_latents_and_factors_follows_dlib_stream():
    dataset = IdentityObservations()
    latents, factors = sample_latents_and_factors(Encoder(), dataset, 50, np.random.RandomState(0))
    rng = np.random.RandomState(0)
    expected = np.concatenate(
        [dataset.sample_factors(b, rng) for b in [16, 16, 16, 2]], axis=0
    )  # dlib draws batches of 16
    np.testing.assert_array_equal(factors, expected)
    np.testing.assert_array_equal(latents, expected)
    again = sample_latents_and_factors(Encoder(), dataset, 50, 0, transform_batch_size=7)
    np.testing.assert_array_equal(again[1], expected)


def test_sampling_rejects_bad_inputs():
    with pytest.raises(TypeError, match="lacks"):
        sample_latents_and_factors(Encoder(), object(), 10)
    with pytest.raises(ValueError, match="n_samples"):
        sample_latents_and_factors(Encoder(), IdentityObservations(), 0)

    class NaNEncoder:
        def transform(self, X):
            return np.full((len(X), 2), np.nan)

    with pytest.raises(ValueError, match="NaN"):
        sample_latents_and_factors(NaNEncoder(), IdentityObservations(), 5)


#: misuse cases: (id, call, exception, message)
MISUSE = [
    (
        "sampling wrong factor count",
        lambda: sm.sample_latents_and_factors(FITTED, FactorGrid((3, 4), n_columns=1), 10, 0),
        ValueError,
        r"returned shape \(10, 1\), but the dataset has 2 factors",
    ),
    (
        "sampling unfitted",
        lambda: sm.sample_latents_and_factors(Shift(), GRID, 10, 0),
        NotFittedError,
        "Shift instance is not fitted",
    ),
    (
        "sampling n_samples zero",
        lambda: sm.sample_latents_and_factors(FITTED, GRID, 0),
        ValueError,
        "n_samples must be a positive integer, got 0",
    ),
]

test_misuse_raises_a_clear_error = misuse_test(MISUSE)
