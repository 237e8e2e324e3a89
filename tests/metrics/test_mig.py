"""MIG: hand-computed value, oracles, agreement with the reference re-statement."""

import numpy as np
import pytest

import sklvae.metrics as sm
from sklvae.metrics import (
    mig,
)
from tests._dlib_reference import ref_mig

from .conftest import F_AND, FACTORS, LATENTS, LN2, MI_AND, Z_AND, misuse_test


def test_mig_hand_computed():
    # m = [[ln2, 0], [a, a]]: gaps (ln2 - a)/ln2 and a/ln2, mean exactly 1/2
    assert mig(Z_AND, F_AND)["discrete_mig"] == pytest.approx(0.5, abs=1e-12)
    assert mig(F_AND.astype(float), F_AND)["discrete_mig"] == pytest.approx(1.0, abs=1e-12)
    np.testing.assert_allclose(
        mig(Z_AND, F_AND)["mutual_info_matrix"], [[LN2, 0], [MI_AND, MI_AND]]
    )


def test_mig_oracles(perfect, noise, factors):
    assert mig(perfect, factors)["discrete_mig"] > 0.95
    assert mig(noise, factors)["discrete_mig"] < 0.05
    assert mig(np.zeros_like(perfect), factors)["discrete_mig"] == 0.0
    assert mig(np.hstack([perfect, perfect]), factors)["discrete_mig"] < 0.05
    # permutation and per-latent positive rescaling keep MIG (same bins)
    permuted = perfect[:, [2, 0, 1]] * [1, 4, 0.5]
    assert mig(permuted, factors)["discrete_mig"] == pytest.approx(
        mig(perfect, factors)["discrete_mig"], abs=1e-12
    )
    # the equal-width bins are not invariant to non-linear maps, but stay near 1
    assert mig(np.exp(perfect), factors)["discrete_mig"] > 0.9


def test_mig_equals_reference(points):
    z, f, _, _ = points
    assert mig(z, f)["discrete_mig"] == pytest.approx(ref_mig(z.T, f.T)["discrete_mig"], abs=1e-12)


#: misuse cases: (id, call, exception, message)
MISUSE = [
    (
        "n_bins zero",
        lambda: sm.mig(LATENTS, FACTORS, n_bins=0),
        ValueError,
        "n_bins must be a positive integer",
    ),
]

test_misuse_raises_a_clear_error = misuse_test(MISUSE)
