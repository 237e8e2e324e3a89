"""IRS: hand-computed value, oracles, agreement with a loop re-statement."""

import numpy as np
import pytest

import sklvae.metrics as sm
from sklvae.metrics import (
    histogram_discretize,
    irs,
)

from .conftest import FACTORS, LATENTS, misuse_test


def test_irs_hand_computed():
    # max deviation 1.5; within-group 99% deviation 0.5 -> 1 - 1/3
    result = irs(np.array([[0.0], [1.0], [2.0], [3.0]]), np.array([[0], [0], [1], [1]]))
    assert result["IRS"] == pytest.approx(2 / 3)
    assert result["num_active_dims"] == 1


def test_irs_oracles(factors, noise):
    exact = factors.astype(float)
    assert irs(exact, factors)["IRS"] == pytest.approx(1.0)
    # within-group 99% deviations of noise are most of its range
    assert irs(noise, factors)["IRS"] < 0.4
    constant = irs(np.zeros((factors.shape[0], 2)), factors)
    assert constant["IRS"] == 0.0 and constant["num_active_dims"] == 0
    # dlib would report the sum of the latent values here, not the count
    assert irs(np.c_[exact + 7, np.zeros(len(exact))], factors)["num_active_dims"] == 3


def test_irs_matches_loop_restatement(perfect, factors):
    z = perfect + np.random.RandomState(0).randn(*perfect.shape) * 0.3
    groups = histogram_discretize(factors, 20)
    max_dev = np.max(np.abs(z - z.mean(0)), axis=0)
    cum = np.zeros((3, 3))
    for i in range(3):
        values = np.unique(groups[:, i])
        for v in values:
            m = groups[:, i] == v
            cum[:, i] += np.quantile(np.abs(z[m] - z[m].mean(0)), 0.99, axis=0)
        cum[:, i] /= values.size
    scores = (1 - cum / max_dev[:, None]).max(axis=1)
    assert irs(z, factors)["IRS"] == pytest.approx(np.average(scores, weights=max_dev), abs=1e-12)


#: misuse cases: (id, call, exception, message)
MISUSE = [
    (
        "irs diff_quantile above 1",
        lambda: sm.irs(LATENTS, FACTORS, diff_quantile=1.5),
        ValueError,
        r"diff_quantile must be in \[0, 1\]",
    ),
    (
        "irs diff_quantile string",
        lambda: sm.irs(LATENTS, FACTORS, diff_quantile="0.9"),
        ValueError,
        r"diff_quantile must be in \[0, 1\]",
    ),
]

test_misuse_raises_a_clear_error = misuse_test(MISUSE)
