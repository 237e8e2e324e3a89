"""SAP: hand-computed value, oracles, given test set, reference agreement."""

import numpy as np
import pytest
from sklearn.svm import LinearSVC

from sklvae.metrics import (
    sap,
)
from tests._dlib_reference import ref_sap

from .conftest import uniform_factors


def test_sap_continuous_hand_computed():
    # z1 = f1, z2 = f1 + f2: S = [[1, 0], [1/2, 1/2]] -> gaps 1/2 and 1/2
    f = np.array([[0, 0], [1, 0], [0, 1], [1, 1]])
    z = np.c_[f[:, 0], f.sum(axis=1)].astype(float)
    result = sap(z, f, continuous_factors=True)
    np.testing.assert_allclose(result["score_matrix"], [[1, 0], [0.5, 0.5]], atol=1e-12)
    assert result["SAP_score"] == pytest.approx(0.5)


def test_sap_oracles():
    f = uniform_factors(900, sizes=(2, 2, 2))
    z = f + 0.05 * np.random.RandomState(0).randn(*f.shape)
    # accuracy-based: the best latent scores 1, the runner-up chance (1/2 here)
    result = sap(z, f, random_state=0)
    np.testing.assert_array_equal(np.diag(result["score_matrix"]), 1.0)
    assert 0.45 < result["SAP_score"] < 0.55
    assert sap(z, f, continuous_factors=True)["SAP_score"] > 0.95
    assert sap(np.zeros_like(z), f, continuous_factors=True)["SAP_score"] == 0.0
    assert sap(np.hstack([z, z]), f, random_state=0)["SAP_score"] < 0.05
    noise = np.random.RandomState(1).randn(900, 3)
    assert sap(noise, f, random_state=0)["SAP_score"] < 0.1


def test_sap_uses_given_test_set():
    f = uniform_factors(600, sizes=(2, 2))
    z = f.astype(float)
    result = sap(z[:400], f[:400], z[400:], 1 - f[400:])  # test labels flipped
    assert np.diag(result["score_matrix"]).max() < 0.05


def test_sap_score_matrix_is_linearsvc_accuracy_pair_by_pair(points):
    z, f, z_test, f_test = points
    # labels that are not 0..K-1, and a binary factor
    f = np.c_[np.array([2, 5, 9])[f[:, 1] % 3], f[:, 0] % 2]
    f_test = np.c_[np.array([2, 5, 9])[f_test[:, 1] % 3], f_test[:, 0] % 2]
    before = np.random.get_state()
    scores = sap(z, f, z_test, f_test, n_jobs=2)["score_matrix"]
    after = np.random.get_state()
    # the primal solver draws no random numbers: numpy's global stream is left alone
    assert np.array_equal(after[1], before[1]) and after[2] == before[2]
    for i in range(z.shape[1]):
        for j in range(f.shape[1]):
            svc = LinearSVC(C=0.01, class_weight="balanced").fit(z[:, [i]], f[:, j])
            assert scores[i, j] == np.mean(svc.predict(z_test[:, [i]]) == f_test[:, j]), (i, j)


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_sap_equals_reference(points, n_jobs):
    z, f, z_test, f_test = points
    result = sap(z, f, z_test, f_test, n_jobs=n_jobs)
    expected = ref_sap(z.T, f.T, z_test.T, f_test.T)["SAP_score"]
    assert result["SAP_score"] == expected  # same liblinear fits, same predictions
    assert result["score_matrix"].shape == (6, 3)
