"""DCI: hand-computed scores, oracles, the reference re-statement, classifier options."""

import joblib
import numpy as np
import pytest
from sklearn.ensemble import GradientBoostingClassifier, RandomForestClassifier
from sklearn.linear_model import LogisticRegression

from sklvae.metrics import (
    completeness_score,
    dci,
    disentanglement_score,
    fast_dci_classifier,
)
from sklvae.metrics._checks import check_random_seed_sequence
from sklvae.metrics.dci import _StageParallelGradientBoosting
from tests._dlib_reference import ref_dci

from .conftest import LN2, uniform_factors


def test_dci_scores_hand_computed():
    assert disentanglement_score(np.eye(3)) == pytest.approx(1.0, abs=1e-8)
    assert completeness_score(np.eye(3)) == pytest.approx(1.0, abs=1e-8)
    assert disentanglement_score(np.ones((3, 3))) == pytest.approx(0.0, abs=1e-12)
    assert completeness_score(np.zeros((3, 3))) == pytest.approx(0.0, abs=1e-12)
    # factor 0 spread over two of three latents: C_0 = 1 - ln2/ln3, weight 2/3
    duplicated = np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
    expected_c = 2 / 3 * (1 - LN2 / np.log(3)) + 1 / 3
    assert completeness_score(duplicated) == pytest.approx(expected_c, abs=1e-8)
    assert disentanglement_score(duplicated) == pytest.approx(1.0, abs=1e-8)
    # one latent shared by two factors: D_0 = 1 - H_2(1/2, 1/2) = 0
    # one latent shared by factors 0 and 1 (base K = 3): D_0 = 1 - ln2/ln3
    assert disentanglement_score(duplicated.T) == pytest.approx(expected_c, abs=1e-8)


def test_dci_oracles():
    f = uniform_factors(450, sizes=(3, 4, 2))
    rng = np.random.RandomState(0)
    z = f + 0.05 * rng.randn(*f.shape)
    result = dci(z, f, random_state=0)
    assert result["disentanglement"] > 0.9 and result["completeness"] > 0.9
    assert result["informativeness_test"] == 1.0 and result["informativeness_train"] == 1.0
    assert result["importance_matrix"].shape == (3, 3)
    permuted = dci(z[:, [1, 2, 0]], f, random_state=0)
    assert permuted["disentanglement"] == pytest.approx(result["disentanglement"], abs=1e-3)
    assert permuted["completeness"] == pytest.approx(result["completeness"], abs=1e-3)
    duplicated = dci(np.hstack([z, z]), f, random_state=0)
    assert duplicated["completeness"] < result["completeness"] - 0.15
    noise = dci(rng.randn(450, 3), f, random_state=0)
    assert noise["disentanglement"] < 0.2 and noise["completeness"] < 0.2
    constant = dci(np.zeros((450, 3)), f, random_state=0)
    assert constant["disentanglement"] == pytest.approx(0.0, abs=1e-9)


def test_dci_is_reproducible_and_parallel():
    f = uniform_factors(300, sizes=(3, 2))
    z = f + 0.3 * np.random.RandomState(0).randn(*f.shape)
    a = dci(z, f, random_state=4)
    with joblib.parallel_config(backend="threading"):  # no process start-up in tests
        b = dci(z, f, random_state=4, n_jobs=2)
    np.testing.assert_array_equal(a["importance_matrix"], b["importance_matrix"])


@pytest.mark.parametrize("rounded", [False, True])
def test_stage_parallel_boosting_is_sklearns_tree_for_tree(points, rounded):
    z, f, z_test, _ = points
    if rounded:  # many equal latent values: ties between splits and shared leaves
        z, z_test = np.round(z, 1), np.round(z_test, 1)
    sequential = GradientBoostingClassifier(n_estimators=8, random_state=7).fit(z, f[:, 2])
    threaded = _StageParallelGradientBoosting(random_state=7)
    threaded.n_estimators = 8
    threaded.fit_on_threads(z, f[:, 2], n_threads=2)
    for mine, theirs in zip(threaded.estimators_.ravel(), sequential.estimators_.ravel()):
        # the same splits and, after the Newton step on the leaves, the same leaf values
        np.testing.assert_array_equal(mine.tree_.threshold, theirs.tree_.threshold)
        np.testing.assert_array_equal(mine.tree_.value, theirs.tree_.value)
    np.testing.assert_array_equal(threaded.train_score_, sequential.train_score_)
    np.testing.assert_array_equal(threaded.feature_importances_, sequential.feature_importances_)
    np.testing.assert_array_equal(threaded.predict_proba(z_test), sequential.predict_proba(z_test))


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_dci_default_equals_reference(points, n_jobs):
    z, f, z_test, f_test = points
    # 100 boosting stages of one tree per class: a binary and a 3-class factor, 200 points
    z, f, f_test = z[:200], f[:200, :2], f_test[:, :2]
    result = dci(z, f, z_test, f_test, random_state=0, n_jobs=n_jobs)
    expected = ref_dci(z.T, f.T, z_test.T, f_test.T, check_random_seed_sequence(0, 2))
    for key, value in expected.items():
        assert result[key] == pytest.approx(value, abs=1e-12), key


def test_fast_dci_classifier_scores_are_valid_and_reproducible(points):
    z, f, z_test, f_test = points
    first = dci(z, f, z_test, f_test, classifier=fast_dci_classifier(), random_state=3)
    second = dci(z, f, z_test, f_test, classifier=fast_dci_classifier(), random_state=3, n_jobs=2)
    for key in ("disentanglement", "completeness", "informativeness_train", "informativeness_test"):
        assert 0.0 <= first[key] <= 1.0
        assert first[key] == second[key], key
    np.testing.assert_array_equal(first["importance_matrix"], second["importance_matrix"])
    # the noise latents (last two) carry almost no importance
    assert first["importance_matrix"][4:].sum() < 0.2 * first["importance_matrix"].sum()


def test_dci_accepts_any_classifier_with_importances(points):
    z, f, z_test, f_test = points
    forest = RandomForestClassifier(n_estimators=5, max_depth=4)
    result = dci(z, f, z_test, f_test, classifier=forest, random_state=0)
    assert result["importance_matrix"].shape == (6, 3)
    assert 0.0 <= result["disentanglement"] <= 1.0


def test_dci_rejects_a_classifier_without_importances(points):
    z, f, z_test, f_test = points
    with pytest.raises(TypeError, match="LogisticRegression does not expose feature_importances_"):
        dci(z, f, z_test, f_test, classifier=LogisticRegression())
    with pytest.raises(TypeError, match="must be a scikit-learn classifier"):
        dci(z, f, z_test, f_test, classifier="gradient_boosting")
