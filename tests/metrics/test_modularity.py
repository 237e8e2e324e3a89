"""Modularity and explicitness: hand-computed values, oracles, reference agreement."""

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from sklvae.metrics import (
    modularity_explicitness,
    modularity_score,
)
from sklvae.metrics.modularity import _macro_auc
from tests._dlib_reference import ref_modularity_explicitness


def test_modularity_score_hand_computed():
    assert modularity_score(np.eye(2)) == 1.0
    assert modularity_score([[1.0, 1.0]]) == 0.0
    assert modularity_score([[2.0, 1.0]]) == pytest.approx(0.75)
    assert modularity_score([[0.0, 0.0], [1.0, 0.0]]) == 0.5  # uninformative latent -> 0


def test_modularity_explicitness_oracles(perfect, noise, factors):
    result = modularity_explicitness(perfect, factors, random_state=0)
    assert result["modularity_score"] > 0.99
    assert result["explicitness_score_test"] > 0.95
    bad = modularity_explicitness(noise, factors, random_state=0)
    assert bad["explicitness_score_test"] < 0.6
    constant = modularity_explicitness(np.zeros_like(perfect), factors, random_state=0)
    assert constant["modularity_score"] == 0.0
    assert constant["explicitness_score_test"] == pytest.approx(0.5)


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_modularity_explicitness_equals_reference(points, n_jobs):
    z, f, z_test, f_test = points
    result = modularity_explicitness(z, f, z_test, f_test, n_jobs=n_jobs)
    expected = ref_modularity_explicitness(z.T, f.T, z_test.T, f_test.T)
    for key, value in expected.items():
        assert result[key] == pytest.approx(value, abs=1e-12), key


def test_macro_auc_equals_roc_auc_score_with_ties():
    rng = np.random.RandomState(0)
    y = rng.randint(4, size=200)
    # rounded scores: many ties, which count one half in the ROC area
    probabilities = np.round(rng.dirichlet(np.ones(4), size=200), 1)
    indicator = (y[:, None] == np.arange(4)).astype(int)
    expected = roc_auc_score(indicator, probabilities)
    assert _macro_auc(np.arange(4), y, probabilities) == pytest.approx(expected, abs=1e-14)
