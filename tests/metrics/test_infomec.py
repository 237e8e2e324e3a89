"""InfoMEC and the NMI matrix: hand-computed values, oracles, reference estimator."""

import numpy as np
import pytest
from sklearn.feature_selection import mutual_info_classif
from sklearn.metrics import mutual_info_score

import sklvae.metrics as sm
from sklvae.metrics import (
    infomec,
    nmi_matrix,
)
from sklvae.metrics.infomec import _log_loss_of_fit

from .conftest import (
    F_AND,
    FACTORS,
    LATENTS,
    LN2,
    MI_AND,
    Z_AND,
    misuse_test,
    uniform_factors,
)


def test_infomec_hand_computed_discrete():
    z = np.tile(Z_AND, (10, 1)).astype(int)
    f = np.tile(F_AND, (10, 1))
    result = infomec(z, f, discrete_latents=True)
    ratio = MI_AND / LN2
    np.testing.assert_allclose(result["nmi"], [[1.0, ratio], [0.0, ratio]], atol=1e-12)
    assert result["infom"] == pytest.approx(0.5, abs=1e-12)
    assert result["infoc"] == pytest.approx(1 / (1 + ratio), abs=1e-12)


def test_infoe_null_model_is_log_n_classes():
    # class-balanced intercept-only model predicts uniform probabilities
    y = np.r_[np.zeros(70, int), np.ones(20, int), np.full(10, 2)]
    assert _log_loss_of_fit(np.zeros((100, 2)), y, 100, 1e-4, 0) == pytest.approx(
        np.log(3), abs=1e-4
    )


def test_infomec_oracles_discrete():
    f = uniform_factors(2000, sizes=(6, 5, 4))
    perfect = infomec(np.c_[f, np.zeros((2000, 3), int)], f, discrete_latents=True)
    assert perfect["infom"] > 0.98 and perfect["infoc"] > 0.98 and perfect["infoe"] > 0.99
    np.testing.assert_array_equal(perfect["active_latents"], [True] * 3 + [False] * 3)
    # each factor copied twice: InfoC = (1/2 - 1/6) / (1 - 1/6) = 0.4
    duplicated = infomec(np.hstack([f, f]), f, discrete_latents=True)
    assert duplicated["infoc"] == pytest.approx(0.4, abs=0.02)
    assert duplicated["infom"] > 0.98


def test_infomec_oracles_continuous(perfect, noise, factors):
    result = infomec(perfect, factors, random_state=0)
    assert result["infom"] > 0.95 and result["infoc"] > 0.95 and result["infoe"] > 0.95
    permuted = infomec(perfect[:, [2, 0, 1]], factors, random_state=0)
    assert permuted["infoc"] == pytest.approx(result["infoc"], abs=0.01)
    assert infomec(noise, factors, random_state=0)["infoe"] < 0.02
    constant = infomec(np.zeros_like(perfect), factors, random_state=0)
    assert constant["infom"] == constant["infoc"] == 0.0
    assert constant["infoe"] == pytest.approx(0.0, abs=1e-6)


def test_nmi_matrix_matches_reference_estimator(perfect, factors):
    mine = nmi_matrix(perfect, factors, n_neighbors=10, random_state=np.random.RandomState(0))
    rng = np.random.RandomState(0)
    seeds = rng.randint(np.iinfo(np.int32).max, size=3)
    z = (perfect - perfect.mean(0)) / perfect.std(0)
    for i in range(3):
        mi = mutual_info_classif(z, factors[:, i], n_neighbors=10, random_state=int(seeds[i]))
        np.testing.assert_allclose(
            mine[i], mi / mutual_info_score(factors[:, i], factors[:, i]), atol=1e-9
        )


#: misuse cases: (id, call, exception, message)
MISUSE = [
    (
        "infomec discrete non-integer",
        lambda: sm.infomec(LATENTS, FACTORS, discrete_latents=True),
        ValueError,
        "discrete_latents=True expects integer codes",
    ),
]

test_misuse_raises_a_clear_error = misuse_test(MISUSE)
