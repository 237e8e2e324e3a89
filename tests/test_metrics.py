"""Array-level disentanglement metrics: oracle representations, hand-computed values,
agreement with the reference computations (scikit-learn calls in loops), input checks."""

import joblib
import numpy as np
import pytest
from sklearn.feature_selection import mutual_info_classif
from sklearn.metrics import mutual_info_score

from sklvae.metrics import (
    completeness_score,
    dci,
    discrete_entropy,
    discrete_mutual_info,
    disentanglement_score,
    gaussian_total_correlation,
    gaussian_wasserstein_correlation,
    histogram_discretize,
    infomec,
    irs,
    mig,
    modularity_explicitness,
    modularity_score,
    nmi_matrix,
    sap,
    unsupervised_scores,
)
from sklvae.metrics._information import knn_mutual_info_classif
from sklvae.metrics.infomec import _log_loss_of_fit

LN2 = np.log(2.0)


def uniform_factors(n, sizes=(4, 5, 3), seed=0):
    rng = np.random.RandomState(seed)
    return np.stack([rng.randint(s, size=n) for s in sizes], axis=1)


@pytest.fixture(scope="module")
def factors():
    return uniform_factors(1500)


@pytest.fixture(scope="module")
def perfect(factors):
    rng = np.random.RandomState(1)
    return factors + 0.05 * rng.randn(*factors.shape)


@pytest.fixture(scope="module")
def noise(factors):
    return np.random.RandomState(2).randn(factors.shape[0], 3)


# the 4-point case used for hand computations: f1, f2 independent bits,
# z2 = f1 AND f2 carries I(z2; f1) = I(z2; f2) = ln 2 - 3/4 H(1/3) nats each
F_AND = np.array([[0, 0], [0, 1], [1, 0], [1, 1]])
Z_AND = np.array([[0.0, 0.0], [0.0, 0.0], [1.0, 0.0], [1.0, 1.0]])
MI_AND = LN2 - 0.75 * (np.log(3) - 2 / 3 * LN2)


# --------------------------------------------------------------------------- #
# shared information pieces
# --------------------------------------------------------------------------- #
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


# --------------------------------------------------------------------------- #
# input validation
# --------------------------------------------------------------------------- #
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


# --------------------------------------------------------------------------- #
# MIG
# --------------------------------------------------------------------------- #
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


# --------------------------------------------------------------------------- #
# SAP
# --------------------------------------------------------------------------- #
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


# --------------------------------------------------------------------------- #
# DCI
# --------------------------------------------------------------------------- #
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


# --------------------------------------------------------------------------- #
# modularity / explicitness
# --------------------------------------------------------------------------- #
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


# --------------------------------------------------------------------------- #
# InfoMEC
# --------------------------------------------------------------------------- #
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


# --------------------------------------------------------------------------- #
# IRS
# --------------------------------------------------------------------------- #
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


# --------------------------------------------------------------------------- #
# unsupervised scores
# --------------------------------------------------------------------------- #
def test_gaussian_correlations_hand_computed():
    r = 0.6
    cov = np.array([[1.0, r], [r, 1.0]])
    assert gaussian_total_correlation(cov) == pytest.approx(-0.5 * np.log(1 - r**2))
    expected_w = 4 - 2 * (np.sqrt(1 + r) + np.sqrt(1 - r))
    assert gaussian_wasserstein_correlation(cov) == pytest.approx(expected_w)
    assert gaussian_total_correlation(np.diag([2.0, 3.0])) == pytest.approx(0.0)
    assert gaussian_wasserstein_correlation(np.diag([2.0, 3.0])) == pytest.approx(0.0, abs=1e-12)


def test_unsupervised_scores(noise):
    independent = unsupervised_scores(noise)
    assert independent["gaussian_total_correlation"] < 0.01
    assert independent["mutual_info_score"] < 0.15  # plug-in bias ~ 19^2 / (2 n)
    correlated = unsupervised_scores(np.c_[noise, noise[:, :1] + 0.1 * noise[:, 1:2]])
    assert correlated["gaussian_total_correlation"] > 1.0
    assert correlated["mutual_info_matrix"][0, 3] > 1.0
    assert correlated["mutual_info_score"] > 3 * independent["mutual_info_score"]
    cov = np.cov(noise, rowvar=False)
    assert independent["gaussian_wasserstein_correlation_norm"] == pytest.approx(
        independent["gaussian_wasserstein_correlation"] / np.trace(cov)
    )
    with pytest.raises(ValueError, match="at least 2 latents"):
        unsupervised_scores(noise[:, :1])
