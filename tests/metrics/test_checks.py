"""Input checks shared by every array-level metric: each names the problem."""

import functools
import inspect

import numpy as np
import pytest

import sklvae.metrics as sm
from sklvae.metrics import (
    dci,
    infomec,
    irs,
    mig,
    sap,
)

from .conftest import FACTORS, LATENTS, _with_nan, misuse_test


def test_shape_mismatch_is_reported(perfect, factors):
    with pytest.raises(ValueError, match="same number of samples"):
        mig(perfect[:10], factors[:11])


def test_one_dimensional_input_is_reported(factors):
    with pytest.raises(ValueError, match="must be 2-D"):
        mig(factors[:, 0].astype(float), factors)


def test_nan_latents_are_reported(perfect, factors):
    bad = perfect.copy()
    bad[3, 1] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        dci(bad, factors)


def test_non_integer_factors_are_reported(perfect, factors):
    with pytest.raises(ValueError, match="integer factor classes"):
        mig(perfect, factors + 0.5)


def test_constant_factor_is_reported(perfect, factors):
    constant = factors.copy()
    constant[:, 1] = 2
    with pytest.raises(ValueError, match=r"factor\(s\) \[1\]"):
        mig(perfect, constant)


def test_wrong_number_of_test_factors_is_reported(perfect, factors):
    with pytest.raises(ValueError, match="2 factors .* but 3 were expected"):
        sap(perfect, factors, perfect[:50], factors[:50, :2])
    with pytest.raises(ValueError, match="both latents_test and factors_test"):
        dci(perfect, factors, latents_test=perfect)


def test_bad_parameters_are_reported(perfect, factors):
    with pytest.raises(ValueError, match="n_bins"):
        mig(perfect, factors, n_bins=0)
    with pytest.raises(ValueError, match="test_size"):
        dci(perfect, factors, test_size=1.5)
    with pytest.raises(ValueError, match="diff_quantile"):
        irs(perfect, factors, diff_quantile=2)
    with pytest.raises(ValueError, match="discrete_latents=True expects integer"):
        infomec(perfect, factors, discrete_latents=True)


ARRAY_METRICS = {
    "mig": sm.mig,
    "sap": sm.sap,
    "dci": sm.dci,
    "modularity": sm.modularity_explicitness,
    "infomec": sm.infomec,
    "irs": sm.irs,
    "dci_es": functools.partial(sm.dci_es, capacities=(1, 2), n_estimators=5),
    "z_min_variance": functools.partial(sm.z_min_variance, batch_size=10),
    "mig_sup": sm.mig_sup,
    "jemmig": sm.jemmig,
    "dcimig": sm.dcimig,
}


# (metric name, latents, factors, exception, message) for every array-level metric
ARRAY_CASES = [
    ("rows", LATENTS[:50], FACTORS, ValueError, "same number of samples; got 50 and 60"),
    ("latents 1-D", LATENTS[:, 0], FACTORS, ValueError, "latents must be 2-D"),
    ("factors 1-D", LATENTS, FACTORS[:, 0], ValueError, "factors must be 2-D"),
    (
        "latents 3-D",
        LATENTS[:, :, None],
        FACTORS,
        ValueError,
        r"latents must be 2-D .* shape \(60, 2, 1\)",
    ),
    ("latents NaN", _with_nan(LATENTS), FACTORS, ValueError, "latents contains NaN or infinite"),
    (
        "latents inf",
        np.where(LATENTS > 2.5, np.inf, LATENTS),
        FACTORS,
        ValueError,
        "latents contains NaN or infinite",
    ),
    (
        "latents complex",
        LATENTS.astype(complex),
        FACTORS,
        TypeError,
        "latents must be real numbers",
    ),
    ("latents strings", LATENTS.astype(str), FACTORS, TypeError, "latents must be real numbers"),
    ("factors non-integer", LATENTS, FACTORS + 0.5, ValueError, "must hold integer factor classes"),
    ("factors NaN", LATENTS, _with_nan(FACTORS), ValueError, "factors contains NaN"),
    (
        "factors strings",
        LATENTS,
        FACTORS.astype(str),
        TypeError,
        "integer factor classes, got dtype=<U",
    ),
    ("latents empty", LATENTS[:0], FACTORS[:0], ValueError, r"latents is empty"),
]


@pytest.mark.parametrize("metric", sorted(ARRAY_METRICS))
@pytest.mark.parametrize(
    "latents, factors, exception, message",
    [case[1:] for case in ARRAY_CASES],
    ids=[case[0] for case in ARRAY_CASES],
)
def test_array_metrics_reject(metric, latents, factors, exception, message):
    with pytest.raises(exception, match=message):
        ARRAY_METRICS[metric](latents, factors)


CONSTANT_FACTOR = np.c_[FACTORS[:, :1], np.zeros(60, dtype=int)]


@pytest.mark.parametrize(
    "metric",
    ["mig", "sap", "dci", "modularity", "infomec", "dci_es", "z_min_variance"]
    + ["mig_sup", "jemmig", "dcimig"],
)
def test_supervised_metrics_reject_a_factor_with_a_single_class(metric):
    with pytest.raises(
        ValueError, match=r"factor\(s\) \[1\] of factors take fewer than 2 distinct values"
    ):
        ARRAY_METRICS[metric](LATENTS, CONSTANT_FACTOR)


@pytest.mark.parametrize("metric", sorted(ARRAY_METRICS))
def test_negative_factor_classes_are_labels(metric):
    # classes are labels: shifting them below zero changes nothing
    function = ARRAY_METRICS[metric]
    seed = {"random_state": 0} if "random_state" in inspect.signature(function).parameters else {}
    shifted = function(LATENTS, FACTORS - 5, **seed)
    original = function(LATENTS, FACTORS, **seed)
    for key, value in original.items():
        if np.isscalar(value):
            assert shifted[key] == pytest.approx(value), key


#: misuse cases: (id, call, exception, message)
MISUSE = [
    (
        "too few samples to split",
        lambda: sm.dci(LATENTS[:2], FACTORS[:2]),
        ValueError,
        "too few to hold out",
    ),
    (
        "test_size out of range",
        lambda: sm.sap(LATENTS, FACTORS, test_size=1.5),
        ValueError,
        r"test_size must be a fraction in \(0, 1\)",
    ),
    (
        "test set without factors",
        lambda: sm.dci(LATENTS, FACTORS, LATENTS),
        ValueError,
        "give both latents_test and factors_test",
    ),
    (
        "test set with other factors",
        lambda: sm.dci(LATENTS, FACTORS, LATENTS, FACTORS[:, :1]),
        ValueError,
        "factors_test has 1 factors .* but 2 were expected",
    ),
    (
        "test set with other latents",
        lambda: sm.dci(LATENTS, FACTORS, LATENTS[:, :1], FACTORS),
        ValueError,
        "latents_test has 1 latents but latents has 2",
    ),
]

test_misuse_raises_a_clear_error = misuse_test(MISUSE)
