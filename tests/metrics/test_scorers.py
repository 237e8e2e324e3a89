"""Scorers in GridSearchCV / cross_validate, the dlib-protocol evaluation, and misuse."""

import pickle

import numpy as np
import pytest
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import GridSearchCV, cross_validate

import sklvae.metrics as sm
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
from ..conftest import draw_squares
from .conftest import (
    DEAD,
    FACTORS,
    FITTED,
    GRID,
    SMALL,
    Encoder,
    IdentityObservations,
    Shift,
    misuse_test,
)


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


@pytest.mark.parametrize(
    "scorer, kwargs",
    [
        # explicitness is relative to each curve's own minimum: D ranks these two
        (sm.dci_es_scorer, {"key": "disentanglement", "capacities": (1, 2, 4), "n_estimators": 10}),
        (sm.z_min_variance_scorer, {"batch_size": 20}),
        (sm.mig_sup_scorer, {}),
        (sm.jemmig_scorer, {}),
        (sm.dcimig_scorer, {}),
    ],
    ids=["dci_es", "z_min_variance", "mig_sup", "jemmig", "dcimig"],
)
def test_new_metric_scorers_rank_noise_below_the_factors(factor_data, scorer, kwargs):
    X, factors = factor_data
    scorer = make_disentanglement_scorer(scorer.name, **{"key": scorer.key, **kwargs})
    clean = scorer(NoisyIdentity().fit(X), X, factors)
    assert clean > scorer(NoisyIdentity(noise=3.0).fit(X), X, factors)
    direct = getattr(sm, scorer.name)(X, factors, **scorer.kwargs)[scorer.key]
    assert clean == pytest.approx(direct)


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
        metrics=("mig", "dci", "irs", "infomec", "factor_vae", "dci_es", "jemmig"),
        n_train=300,
        n_test=150,
        metric_params={
            "factor_vae": {"n_train": 30, "n_eval": 30, "n_variance_estimate": 200},
            "dci_es": {"capacities": (1, 2, 4), "n_estimators": 10},
        },
    )
    assert results["dci_es"]["informativeness_test"] > 0.9
    assert results["jemmig"]["jemmig"] > 0.5
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


def test_interventional_scores_and_evaluation_of_a_fitted_beta_vae():
    """The whole path: GroundTruthDataset as X for fit, then every metric family."""
    datasets = pytest.importorskip("sklvae.datasets")
    from sklvae import BetaVAE

    dataset = datasets.GroundTruthDataset(("x", "y"), (4, 4), (16, 16), renderer=draw_squares)
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


def test_unsupervised_scorer_raises_instead_of_returning_nan():
    scorer = sm.make_disentanglement_scorer("unsupervised")
    fitted = Shift().fit(DEAD)
    message = r"'gaussian_total_correlation' is nan .* latent\(s\) \[1\] .* constant"
    with pytest.raises(ValueError, match=message):
        scorer(fitted, DEAD)
    # a score that stays defined is returned (negated: lower is better)
    value = sm.make_disentanglement_scorer("unsupervised", key="mutual_info_score")(fitted, DEAD)
    assert np.isfinite(value) and value <= 0


def test_search_reports_the_dead_latents():
    scorer = sm.make_disentanglement_scorer("unsupervised")
    search = GridSearchCV(Shift(), {}, scoring=scorer, cv=2, error_score="raise")
    with pytest.raises(ValueError, match=r"latent\(s\) \[1\] of the representation are constant"):
        search.fit(DEAD)


#: misuse cases: (id, call, exception, message)
MISUSE = [
    (
        "scorer unfitted",
        lambda: sm.dci_scorer(Shift(), FACTORS, FACTORS),
        NotFittedError,
        "Shift instance is not fitted",
    ),
    (
        "scorer without y",
        lambda: sm.mig_scorer(FITTED, FACTORS),
        ValueError,
        "the 'mig' scorer needs the factor classes",
    ),
    (
        "scorer y rows",
        lambda: sm.sap_scorer(FITTED, FACTORS, FACTORS[:50]),
        ValueError,
        "y has 50 rows but X has 60 samples",
    ),
    (
        "scorer y 1-D",
        lambda: sm.mig_scorer(FITTED, FACTORS, FACTORS[:, 0]),
        ValueError,
        "factors must be 2-D",
    ),
    (
        "scorer y non-integer",
        lambda: sm.mig_scorer(FITTED, FACTORS, FACTORS + 0.5),
        ValueError,
        "integer factor classes",
    ),
    (
        "interventional scorer unfitted",
        lambda: sm.make_beta_vae_scorer(GRID, **SMALL)(Shift(), None, None),
        NotFittedError,
        "Shift instance is not fitted",
    ),
    (
        "scorer unknown metric",
        lambda: sm.make_disentanglement_scorer("udr"),
        ValueError,
        "unknown metric 'udr'",
    ),
    (
        "scorer unknown key",
        lambda: sm.make_disentanglement_scorer("dci", key="score"),
        ValueError,
        "metric 'dci' has no score 'score'",
    ),
    (
        "scorer unknown kwarg",
        lambda: sm.make_disentanglement_scorer("mig", bins=3),
        TypeError,
        r"unexpected keyword argument\(s\) \['bins'\]",
    ),
    (
        "scorer for interventional metric",
        lambda: sm.make_disentanglement_scorer("beta_vae"),
        ValueError,
        r"use make_beta_vae_scorer\(dataset",
    ),
    (
        "interventional scorer without dataset",
        lambda: sm.make_factor_vae_scorer(FACTORS),
        TypeError,
        "must be a ground-truth dataset",
    ),
    (
        "evaluate unfitted",
        lambda: sm.evaluate_disentanglement(Shift(), GRID, ["mig"]),
        NotFittedError,
        "Shift instance is not fitted",
    ),
    (
        "evaluate metrics as a string",
        lambda: sm.evaluate_disentanglement(FITTED, GRID, "mig"),
        TypeError,
        r"metrics must be a list of metric names, e.g. \['mig'\]",
    ),
    (
        "evaluate unknown metric",
        lambda: sm.evaluate_disentanglement(FITTED, GRID, ["udr"]),
        ValueError,
        r"unknown metric\(s\) \['udr'\]",
    ),
    (
        "evaluate n_train zero",
        lambda: sm.evaluate_disentanglement(FITTED, GRID, ["mig"], n_train=0),
        ValueError,
        "n_train must be a positive integer, got 0",
    ),
    (
        "evaluate n_test negative",
        lambda: sm.evaluate_disentanglement(FITTED, GRID, ["dci"], n_test=-5),
        ValueError,
        "n_test must be a positive integer, got -5",
    ),
    (
        "evaluate params not a dict",
        lambda: sm.evaluate_disentanglement(FITTED, GRID, ["mig"], metric_params={"mig": 20}),
        TypeError,
        r"the value for \['mig'\] is not a dict",
    ),
    (
        "evaluate params for other metric",
        lambda: sm.evaluate_disentanglement(FITTED, GRID, ["mig"], metric_params={"sap": {}}),
        ValueError,
        r"metrics not evaluated: \['sap'\]",
    ),
    (
        "evaluate random_state object",
        lambda: sm.evaluate_disentanglement(
            FITTED, GRID, ["mig"], random_state=np.random.RandomState(0)
        ),
        ValueError,
        "random_state must be an int or None",
    ),
]

test_misuse_raises_a_clear_error = misuse_test(MISUSE)
