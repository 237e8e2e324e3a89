"""Shared information pieces: discretisation, discrete and k-NN mutual information."""

import numpy as np
import pytest
from sklearn.feature_selection import mutual_info_classif
from sklearn.metrics import mutual_info_score

from sklvae.metrics import (
    discrete_entropy,
    discrete_mutual_info,
    histogram_discretize,
)
from sklvae.metrics._information import knn_mutual_info_classif

from .conftest import F_AND, LN2, MI_AND, Z_AND


def test_histogram_discretize_equals_dlib_digitize():
    rng = np.random.RandomState(0)
    values = np.c_[rng.randn(300, 3), np.full(300, 2.5), rng.randint(0, 3, 300)]
    expected = np.stack([np.digitize(v, np.histogram(v, 20)[1][:-1]) for v in values.T], axis=1)
    np.testing.assert_array_equal(histogram_discretize(values, 20), expected)
    assert histogram_discretize(values, 20).min() >= 1


def test_discrete_mutual_info_equals_sklearn_pairwise():
    rng = np.random.RandomState(0)
    a = rng.randint(0, 7, size=(400, 4))
    b = np.c_[a[:, 0] // 2, rng.randint(0, 3, 400), np.zeros(400, int)]
    expected = np.array([[mutual_info_score(b[:, j], a[:, i]) for j in range(3)] for i in range(4)])
    np.testing.assert_allclose(discrete_mutual_info(a, b), expected, atol=1e-13)
    np.testing.assert_allclose(discrete_entropy(np.array([[0], [0], [1], [1]])), [LN2])
    np.testing.assert_allclose(discrete_mutual_info(Z_AND, F_AND), [[LN2, 0], [MI_AND, MI_AND]])


@pytest.mark.parametrize("n_neighbors", [3, 10])
def test_knn_mutual_info_equals_sklearn(n_neighbors):
    rng = np.random.RandomState(0)
    labels = rng.randint(0, 5, 600)
    latents = np.c_[labels + rng.randn(600) * 0.5, rng.randn(600), np.round(rng.randn(600))]
    expected = mutual_info_classif(
        latents, labels, discrete_features=False, n_neighbors=n_neighbors, random_state=3
    )
    mine = knn_mutual_info_classif(latents, labels, n_neighbors=n_neighbors, random_state=3)
    np.testing.assert_allclose(mine, expected, atol=1e-10)
    assert mine[0] > 0.5
