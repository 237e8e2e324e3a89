"""Metric options and the faster code paths: values equal to the reference algorithms.

The reference values come from loop-for-loop re-statements of disentanglement_lib
(``tests/_dlib_reference.py``), in dlib's orientation ``(n_columns, n_samples)``.
"""

import numpy as np
import pytest
from sklearn.ensemble import GradientBoostingClassifier, RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.svm import LinearSVC

from sklvae.metrics import dci, fast_dci_classifier, mig, modularity_explicitness, sap
from sklvae.metrics._information import check_random_seed_sequence
from sklvae.metrics.dci import _StageParallelGradientBoosting
from sklvae.metrics.modularity import _macro_auc
from tests._dlib_reference import ref_dci, ref_mig, ref_modularity_explicitness, ref_sap

FACTOR_SIZES = (2, 3, 6)


def make_points(n, seed):
    """Latents of 3 factors (one binary): 3 informative, 1 mixed, 2 noise."""
    rng = np.random.RandomState(seed)
    factors = np.stack([rng.randint(s, size=n) for s in FACTOR_SIZES], axis=1)
    scaled = factors / (np.array(FACTOR_SIZES) - 1.0)
    latents = np.c_[scaled, scaled[:, 0] + scaled[:, 2], rng.randn(n, 2)]
    return latents + 0.1 * rng.randn(*latents.shape), factors


@pytest.fixture(scope="module")
def points():
    z, f = make_points(600, 0)
    z_test, f_test = make_points(300, 1)
    return z, f, z_test, f_test


def test_mig_equals_reference(points):
    z, f, _, _ = points
    assert mig(z, f)["discrete_mig"] == pytest.approx(ref_mig(z.T, f.T)["discrete_mig"], abs=1e-12)


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
