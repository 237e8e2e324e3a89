"""Interventional metrics (BetaVAE / FactorVAE scores), the sampling helper, the
scorers in GridSearchCV / cross_validate, and the dlib-protocol evaluation."""

import pickle

import numpy as np
import pytest
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.model_selection import GridSearchCV, cross_validate

from sklvae.metrics import (
    DISENTANGLEMENT_METRICS,
    beta_vae_score,
    dci_scorer,
    evaluate_disentanglement,
    factor_vae_score,
    infomec_scorer,
    make_beta_vae_scorer,
    make_disentanglement_scorer,
    make_factor_vae_scorer,
    mig,
    mig_scorer,
    sample_latents_and_factors,
    sap_scorer,
)

# loop-for-loop re-statements of disentanglement_lib (test helper module)
from tests._dlib_reference import ref_beta_vae, ref_factor_vae


class IdentityObservations:
    """dlib's IdentityObservationsData: the observation is the factor vector."""

    def __init__(self, factor_sizes=(3, 4, 5)):
        self.factor_sizes = tuple(factor_sizes)

    def sample_factors(self, n, random_state):
        return np.stack([random_state.randint(s, size=n) for s in self.factor_sizes], axis=1)

    def sample_observations(self, factors, random_state):
        return np.asarray(factors, dtype=np.float64)


class Encoder:
    """A 'fitted estimator' mapping observations to a fixed representation."""

    def __init__(self, kind="identity", seed=0):
        self.kind = kind
        self.seed = seed
        self.calls = 0

    def transform(self, X):
        self.calls += 1
        X = np.asarray(X, dtype=np.float64).reshape(len(X), -1)
        if self.kind == "identity":
            return X
        if self.kind == "constant":
            return np.zeros_like(X)
        if self.kind == "padded":  # identity plus two constant latents
            return np.c_[X, np.zeros((len(X), 2))]
        if self.kind == "entangled":  # a fixed rotation and squashing of the factors
            mixing = np.random.RandomState(0).randn(X.shape[1], X.shape[1] + 1)
            return np.tanh((X / (np.arange(X.shape[1]) + 2)) @ mixing)
        if self.kind == "noise":
            return np.random.RandomState(self.seed + self.calls).randn(len(X), X.shape[1])
        raise ValueError(self.kind)


class NoisyIdentity(TransformerMixin, BaseEstimator):
    """A trivial sklearn estimator whose representation gets worse with `noise`."""

    def __init__(self, noise=0.0):
        self.noise = noise

    def fit(self, X, y=None):
        self.n_features_in_ = np.asarray(X).shape[1]
        return self

    def transform(self, X):
        X = np.asarray(X, dtype=np.float64)
        return X + self.noise * np.random.RandomState(0).randn(*X.shape)


@pytest.fixture(scope="module")
def factor_data():
    rng = np.random.RandomState(0)
    factors = np.stack([rng.randint(s, size=240) for s in (3, 4, 2)], axis=1)
    return factors + 0.05 * rng.randn(*factors.shape), factors


# --------------------------------------------------------------------------- #
# sampling helper
# --------------------------------------------------------------------------- #
def test_sample_latents_and_factors_follows_dlib_stream():
    dataset = IdentityObservations()
    latents, factors = sample_latents_and_factors(Encoder(), dataset, 50, np.random.RandomState(0))
    rng = np.random.RandomState(0)
    expected = np.concatenate(
        [dataset.sample_factors(b, rng) for b in [16, 16, 16, 2]], axis=0
    )  # dlib draws batches of 16
    np.testing.assert_array_equal(factors, expected)
    np.testing.assert_array_equal(latents, expected)
    again = sample_latents_and_factors(Encoder(), dataset, 50, 0, transform_batch_size=7)
    np.testing.assert_array_equal(again[1], expected)


def test_sampling_rejects_bad_inputs():
    with pytest.raises(TypeError, match="lacks"):
        sample_latents_and_factors(Encoder(), object(), 10)
    with pytest.raises(ValueError, match="n_samples"):
        sample_latents_and_factors(Encoder(), IdentityObservations(), 0)

    class NaNEncoder:
        def transform(self, X):
            return np.full((len(X), 2), np.nan)

    with pytest.raises(ValueError, match="NaN"):
        sample_latents_and_factors(NaNEncoder(), IdentityObservations(), 5)


# --------------------------------------------------------------------------- #
# interventional metrics
# --------------------------------------------------------------------------- #
def test_beta_vae_score_equals_dlib_loop():
    dataset = IdentityObservations()
    encoder = Encoder("noise")  # noisy so that the score is not trivially 1
    for kind in ("identity", "entangled"):
        mine = beta_vae_score(
            Encoder(kind), dataset, batch_size=8, n_train=60, n_eval=30, random_state=3
        )
        ref = ref_beta_vae(dataset, Encoder(kind).transform, 8, 60, 30, np.random.RandomState(3))
        assert mine == pytest.approx(ref)
        assert (mine["eval_accuracy"] == 1.0) == (kind == "identity")
    bad = beta_vae_score(encoder, dataset, batch_size=8, n_train=60, n_eval=60, random_state=3)
    assert bad["eval_accuracy"] < 0.6


def test_beta_vae_score_does_not_depend_on_transform_batching():
    dataset = IdentityObservations()
    kwargs = dict(batch_size=4, n_train=30, n_eval=20, random_state=1)
    a = beta_vae_score(Encoder("padded"), dataset, transform_batch_size=1, **kwargs)
    b = beta_vae_score(Encoder("padded"), dataset, transform_batch_size=10_000, **kwargs)
    assert a == b


def test_factor_vae_score_equals_dlib_loop_and_fixes_num_active_dims():
    dataset = IdentityObservations()
    kwargs = dict(batch_size=16, n_train=80, n_eval=40, n_variance_estimate=500, random_state=5)
    mine = factor_vae_score(Encoder("padded"), dataset, **kwargs)
    ref = ref_factor_vae(
        dataset, Encoder("padded").transform, 16, 80, 40, 500, 0.05, np.random.RandomState(5)
    )
    assert mine["train_accuracy"] == pytest.approx(ref["train_accuracy"])
    assert mine["eval_accuracy"] == pytest.approx(ref["eval_accuracy"])
    assert mine["eval_accuracy"] == 1.0
    assert mine["num_active_dims"] == 3  # dlib reports len(mask) = 5
    entangled = factor_vae_score(Encoder("entangled"), dataset, **kwargs)
    ref = ref_factor_vae(
        dataset, Encoder("entangled").transform, 16, 80, 40, 500, 0.05, np.random.RandomState(5)
    )
    assert entangled["eval_accuracy"] == pytest.approx(ref["eval_accuracy"])
    assert entangled["train_accuracy"] == pytest.approx(ref["train_accuracy"])
    assert entangled["eval_accuracy"] < 0.9
    np.testing.assert_array_equal(mine["active_dims"], [True, True, True, False, False])
    # votes are indexed by original latents; the constant ones get none
    assert mine["train_votes"][:, 3:].sum() == 0


def test_factor_vae_score_oracles():
    dataset = IdentityObservations()
    kwargs = dict(batch_size=16, n_train=60, n_eval=60, n_variance_estimate=300, random_state=0)
    constant = factor_vae_score(Encoder("constant"), dataset, **kwargs)
    assert constant["eval_accuracy"] == 0.0 and constant["num_active_dims"] == 0
    noise = factor_vae_score(Encoder("noise"), dataset, **kwargs)
    assert noise["eval_accuracy"] < 0.6
    with pytest.raises(ValueError, match="prune_threshold"):
        factor_vae_score(Encoder(), dataset, prune_threshold=-1)
    with pytest.raises(TypeError, match="ground-truth dataset"):
        factor_vae_score(Encoder(), np.zeros((3, 3)))


# --------------------------------------------------------------------------- #
# scorers
# --------------------------------------------------------------------------- #
def test_scorers_score_the_transformed_data(factor_data):
    X, factors = factor_data
    estimator = NoisyIdentity().fit(X)
    assert mig_scorer(estimator, X, factors) == pytest.approx(mig(X, factors)["discrete_mig"])
    assert dci_scorer(estimator, X, factors) > 0.9
    assert infomec_scorer(estimator, X, factors) > 0.9
    assert sap_scorer(estimator, X, factors) > 0.3
    completeness = make_disentanglement_scorer("dci", key="completeness", test_size=0.25)
    assert completeness(estimator, X, factors) > 0.9
    tc = make_disentanglement_scorer("unsupervised")
    assert tc(estimator, X, None) <= 0.0  # total correlation is negated: lower is better
    with pytest.raises(ValueError, match="needs the factor classes"):
        mig_scorer(estimator, X)


def test_scorers_are_picklable_and_seeded(factor_data):
    X, factors = factor_data
    estimator = NoisyIdentity().fit(X)
    clone = pickle.loads(pickle.dumps(dci_scorer))
    assert clone(estimator, X, factors) == dci_scorer(estimator, X, factors)
    assert "random_state=0" in repr(dci_scorer)


def test_make_scorer_rejects_bad_arguments():
    with pytest.raises(ValueError, match="unknown metric"):
        make_disentanglement_scorer("mig2")
    with pytest.raises(ValueError, match="no score 'completness'"):
        make_disentanglement_scorer("dci", key="completness")
    with pytest.raises(TypeError, match="unexpected keyword"):
        make_disentanglement_scorer("mig", n_bin=10)
    with pytest.raises(ValueError, match="make_factor_vae_scorer"):
        make_disentanglement_scorer("factor_vae")
    assert set(DISENTANGLEMENT_METRICS) >= {"dci", "mig", "sap", "infomec", "beta_vae"}


def test_scorers_in_grid_search_with_refit(factor_data):
    X, factors = factor_data
    search = GridSearchCV(
        NoisyIdentity(),
        {"noise": [0.0, 3.0]},
        scoring={"dci": dci_scorer, "mig": mig_scorer},
        refit="dci",
        cv=2,
    )
    search.fit(X, factors)
    assert search.best_params_ == {"noise": 0.0}
    assert search.cv_results_["mean_test_mig"][0] > search.cv_results_["mean_test_mig"][1]
    assert search.best_score_ > 0.8


def test_scorers_in_cross_validate(factor_data):
    X, factors = factor_data
    result = cross_validate(NoisyIdentity(), X, factors, scoring=mig_scorer, cv=3)
    assert result["test_score"].shape == (3,) and np.all(result["test_score"] > 0.8)


def test_interventional_scorers():
    dataset = IdentityObservations()
    scorer = make_factor_vae_scorer(
        dataset, batch_size=8, n_train=30, n_eval=30, n_variance_estimate=200
    )
    assert scorer(Encoder(), None, None) == 1.0
    beta = make_beta_vae_scorer(dataset, key="train_accuracy", batch_size=8, n_train=40, n_eval=10)
    assert beta(Encoder(), None, None) == 1.0
    with pytest.raises(TypeError, match="unexpected keyword"):
        make_factor_vae_scorer(dataset, threshold=0.1)


# --------------------------------------------------------------------------- #
# dlib-protocol evaluation and the datasets package
# --------------------------------------------------------------------------- #
def test_evaluate_disentanglement_on_identity():
    results = evaluate_disentanglement(
        Encoder(),
        IdentityObservations(),
        metrics=("mig", "dci", "irs", "infomec", "factor_vae"),
        n_train=300,
        n_test=150,
        metric_params={"factor_vae": {"n_train": 30, "n_eval": 30, "n_variance_estimate": 200}},
    )
    assert results["mig"]["discrete_mig"] > 0.9
    assert results["dci"]["disentanglement"] > 0.9
    assert results["irs"]["IRS"] == pytest.approx(1.0)
    assert results["infomec"]["infom"] > 0.9
    assert results["factor_vae"]["eval_accuracy"] == 1.0
    with pytest.raises(ValueError, match="unknown metric"):
        evaluate_disentanglement(Encoder(), IdentityObservations(), metrics=("dcii",))


def test_metrics_with_a_ground_truth_dataset():
    datasets = pytest.importorskip("sklvae.datasets")
    sizes = (3, 4, 2)
    dataset = datasets.GroundTruthDataset(
        ("a", "b", "c"),
        sizes,
        (1, 3),
        renderer=lambda f: np.asarray(f, dtype=np.uint8)[:, None, :] * 10,
    )
    latents, factors = sample_latents_and_factors(Encoder(), dataset, 100, 0)
    np.testing.assert_array_equal(latents, factors * 10)
    score = factor_vae_score(
        Encoder(),
        dataset,
        batch_size=8,
        n_train=20,
        n_eval=20,
        n_variance_estimate=100,
        random_state=0,
    )
    assert score["eval_accuracy"] == 1.0


def test_grid_search_over_beta_vae_with_disentanglement_scoring():
    """Acceptance: GridSearchCV(BetaVAE, beta, scoring={dci, mig}, refit="dci")."""
    from sklvae import BetaVAE

    rng = np.random.RandomState(0)
    factors = np.stack([rng.randint(4, size=96), rng.randint(4, size=96)], axis=1)
    images = np.zeros((96, 16, 16), dtype=np.uint8)
    for i, (x, y) in enumerate(factors):
        images[i, 3 * y : 3 * y + 4, 3 * x : 3 * x + 4] = 255
    search = GridSearchCV(
        BetaVAE(n_latents=3, backbone="mlp", max_steps=4, batch_size=16, random_state=0),
        {"beta": [1, 8]},
        scoring={"dci": dci_scorer, "mig": mig_scorer},
        refit="dci",
        cv=2,
    )
    search.fit(images, factors)
    assert set(search.best_params_) == {"beta"}
    for name in ("mean_test_dci", "mean_test_mig"):
        scores = search.cv_results_[name]
        assert scores.shape == (2,) and np.all(np.isfinite(scores)) and np.all(scores >= 0)
    assert search.best_estimator_.transform(images[:5]).shape == (5, 3)
    assert search.best_score_ == search.cv_results_["mean_test_dci"].max()


def _draw_squares(factors):
    images = np.zeros((len(factors), 16, 16), dtype=np.uint8)
    for i, (x, y) in enumerate(np.asarray(factors)):
        images[i, 3 * y : 3 * y + 4, 3 * x : 3 * x + 4] = 255
    return images


def test_interventional_scores_and_evaluation_of_a_fitted_beta_vae():
    """The whole path: GroundTruthDataset as X for fit, then every metric family."""
    datasets = pytest.importorskip("sklvae.datasets")
    from sklvae import BetaVAE

    dataset = datasets.GroundTruthDataset(("x", "y"), (4, 4), (16, 16), renderer=_draw_squares)
    model = BetaVAE(n_latents=3, backbone="mlp", max_steps=3, batch_size=16, random_state=0)
    model.fit(dataset)
    fvae = factor_vae_score(
        model,
        dataset,
        batch_size=16,
        n_train=20,
        n_eval=10,
        n_variance_estimate=200,
        prune_threshold=0.0,
        random_state=0,
    )
    assert 0.0 <= fvae["eval_accuracy"] <= 1.0 and fvae["num_active_dims"] == 3
    bvae = beta_vae_score(model, dataset, batch_size=8, n_train=20, n_eval=10, random_state=0)
    assert 0.0 <= bvae["eval_accuracy"] <= 1.0
    results = evaluate_disentanglement(
        model, dataset, metrics=("mig", "dci"), n_train=120, n_test=60
    )
    assert 0.0 <= results["mig"]["discrete_mig"] <= 1.0
    assert results["dci"]["importance_matrix"].shape == (3, 2)
