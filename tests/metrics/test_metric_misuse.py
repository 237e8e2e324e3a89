"""Misuse of the metrics and scorers: one row per case, each a clear error naming the problem.

Also: constant (dead) latents make ``unsupervised_scores`` warn, naming them, and the
scorers built on it raise instead of handing NaN to a search.
"""

import inspect
import warnings

import numpy as np
import pytest
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import GridSearchCV

import sklvae.metrics as sm
from sklvae.metrics import ConstantLatentWarning


class FactorGrid:
    """A ground-truth dataset whose observation is the factor vector itself."""

    def __init__(self, factor_sizes=(3, 4), n_columns=None):
        self.factor_sizes = tuple(factor_sizes)
        self.n_columns = len(self.factor_sizes) if n_columns is None else n_columns

    def sample_factors(self, n, random_state):
        sizes = (self.factor_sizes * 2)[: self.n_columns]
        return np.stack([random_state.randint(s, size=n) for s in sizes], axis=1)

    def sample_observations(self, factors, random_state):
        return np.asarray(factors, dtype=np.float64)


class Shift(TransformerMixin, BaseEstimator):
    """A scikit-learn estimator that learns nothing but must be fitted first."""

    def fit(self, X, y=None):
        self.mean_ = np.asarray(X, dtype=np.float64).mean(axis=0)
        return self

    def transform(self, X):
        return np.asarray(X, dtype=np.float64) - self.mean_


RNG = np.random.RandomState(0)
FACTORS = np.stack([RNG.randint(3, size=60), RNG.randint(4, size=60)], axis=1)
LATENTS = FACTORS + 0.1 * RNG.normal(size=FACTORS.shape)
GRID = FactorGrid()
FITTED = Shift().fit(FACTORS)
SMALL = {"n_train": 20, "n_eval": 10, "batch_size": 4}

ARRAY_METRICS = {
    "mig": sm.mig,
    "sap": sm.sap,
    "dci": sm.dci,
    "modularity": sm.modularity_explicitness,
    "infomec": sm.infomec,
    "irs": sm.irs,
}


def _with_nan(array):
    array = np.array(array, dtype=np.float64)
    array[3, 1] = np.nan
    return array


# (metric name, latents, factors, exception, message) for every array-level metric
ARRAY_CASES = [
    ("rows", LATENTS[:50], FACTORS, ValueError, "same number of samples; got 50 and 60"),
    ("latents 1-D", LATENTS[:, 0], FACTORS, ValueError, "latents must be 2-D"),
    ("factors 1-D", LATENTS, FACTORS[:, 0], ValueError, "factors must be 2-D"),
    (
        "latents 3-D",
        LATENTS[:, :, None],
        FACTORS,
        ValueError,
        r"latents must be 2-D .* shape \(60, 2, 1\)",
    ),
    ("latents NaN", _with_nan(LATENTS), FACTORS, ValueError, "latents contains NaN or infinite"),
    (
        "latents inf",
        np.where(LATENTS > 2.5, np.inf, LATENTS),
        FACTORS,
        ValueError,
        "latents contains NaN or infinite",
    ),
    (
        "latents complex",
        LATENTS.astype(complex),
        FACTORS,
        TypeError,
        "latents must be real numbers",
    ),
    ("latents strings", LATENTS.astype(str), FACTORS, TypeError, "latents must be real numbers"),
    ("factors non-integer", LATENTS, FACTORS + 0.5, ValueError, "must hold integer factor classes"),
    ("factors NaN", LATENTS, _with_nan(FACTORS), ValueError, "factors contains NaN"),
    (
        "factors strings",
        LATENTS,
        FACTORS.astype(str),
        TypeError,
        "integer factor classes, got dtype=<U",
    ),
    ("latents empty", LATENTS[:0], FACTORS[:0], ValueError, r"latents is empty"),
]


@pytest.mark.parametrize("metric", sorted(ARRAY_METRICS))
@pytest.mark.parametrize(
    "latents, factors, exception, message",
    [case[1:] for case in ARRAY_CASES],
    ids=[case[0] for case in ARRAY_CASES],
)
def test_array_metrics_reject(metric, latents, factors, exception, message):
    with pytest.raises(exception, match=message):
        ARRAY_METRICS[metric](latents, factors)


CONSTANT_FACTOR = np.c_[FACTORS[:, :1], np.zeros(60, dtype=int)]


@pytest.mark.parametrize("metric", ["mig", "sap", "dci", "modularity", "infomec"])
def test_supervised_metrics_reject_a_factor_with_a_single_class(metric):
    with pytest.raises(
        ValueError, match=r"factor\(s\) \[1\] of factors take fewer than 2 distinct values"
    ):
        ARRAY_METRICS[metric](LATENTS, CONSTANT_FACTOR)


@pytest.mark.parametrize("metric", sorted(ARRAY_METRICS))
def test_negative_factor_classes_are_labels(metric):
    # classes are labels: shifting them below zero changes nothing
    function = ARRAY_METRICS[metric]
    seed = {"random_state": 0} if "random_state" in inspect.signature(function).parameters else {}
    shifted = function(LATENTS, FACTORS - 5, **seed)
    original = function(LATENTS, FACTORS, **seed)
    for key, value in original.items():
        if np.isscalar(value):
            assert shifted[key] == pytest.approx(value), key


MISUSE = [
    # train/test splits and held-out sets
    (
        "too few samples to split",
        lambda: sm.dci(LATENTS[:2], FACTORS[:2]),
        ValueError,
        "too few to hold out",
    ),
    (
        "test_size out of range",
        lambda: sm.sap(LATENTS, FACTORS, test_size=1.5),
        ValueError,
        r"test_size must be a fraction in \(0, 1\)",
    ),
    (
        "test set without factors",
        lambda: sm.dci(LATENTS, FACTORS, LATENTS),
        ValueError,
        "give both latents_test and factors_test",
    ),
    (
        "test set with other factors",
        lambda: sm.dci(LATENTS, FACTORS, LATENTS, FACTORS[:, :1]),
        ValueError,
        "factors_test has 1 factors .* but 2 were expected",
    ),
    (
        "test set with other latents",
        lambda: sm.dci(LATENTS, FACTORS, LATENTS[:, :1], FACTORS),
        ValueError,
        "latents_test has 1 latents but latents has 2",
    ),
    # parameters of array-level metrics
    (
        "n_bins zero",
        lambda: sm.mig(LATENTS, FACTORS, n_bins=0),
        ValueError,
        "n_bins must be a positive integer",
    ),
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
    (
        "infomec discrete non-integer",
        lambda: sm.infomec(LATENTS, FACTORS, discrete_latents=True),
        ValueError,
        "discrete_latents=True expects integer codes",
    ),
    (
        "unsupervised one latent",
        lambda: sm.unsupervised_scores(LATENTS[:, :1]),
        ValueError,
        "at least 2 latents",
    ),
    (
        "unsupervised one sample",
        lambda: sm.unsupervised_scores(LATENTS[:1]),
        ValueError,
        "at least 2 samples",
    ),
    (
        "unsupervised NaN",
        lambda: sm.unsupervised_scores(_with_nan(LATENTS)),
        ValueError,
        "latents contains NaN",
    ),
    # interventional metrics and the sampling helper
    (
        "beta_vae unfitted",
        lambda: sm.beta_vae_score(Shift(), GRID, **SMALL),
        NotFittedError,
        "Shift instance is not fitted",
    ),
    (
        "factor_vae unfitted",
        lambda: sm.factor_vae_score(Shift(), GRID, **SMALL),
        NotFittedError,
        "Shift instance is not fitted",
    ),
    (
        "not an encoder",
        lambda: sm.beta_vae_score(object(), GRID, **SMALL),
        TypeError,
        "fitted estimator with transform",
    ),
    (
        "not a dataset",
        lambda: sm.factor_vae_score(FITTED, FACTORS, **SMALL),
        TypeError,
        "must be a ground-truth dataset",
    ),
    (
        "beta_vae n_train zero",
        lambda: sm.beta_vae_score(FITTED, GRID, n_train=0),
        ValueError,
        "n_train must be a positive integer, got 0",
    ),
    (
        "beta_vae n_eval negative",
        lambda: sm.beta_vae_score(FITTED, GRID, n_eval=-1),
        ValueError,
        "n_eval must be a positive integer, got -1",
    ),
    (
        "beta_vae batch_size float",
        lambda: sm.beta_vae_score(FITTED, GRID, batch_size=2.5),
        ValueError,
        "batch_size must be a positive integer",
    ),
    (
        "beta_vae one factor",
        lambda: sm.beta_vae_score(FITTED, FactorGrid((5,)), **SMALL),
        ValueError,
        "at least 2 factors, got 1",
    ),
    (
        "factor_vae batch_size 1",
        lambda: sm.factor_vae_score(FITTED, GRID, batch_size=1),
        ValueError,
        "batch_size must be at least 2",
    ),
    (
        "factor_vae n_variance_estimate 0",
        lambda: sm.factor_vae_score(FITTED, GRID, n_variance_estimate=0),
        ValueError,
        "n_variance_estimate must be a positive integer",
    ),
    (
        "factor_vae prune_threshold NaN",
        lambda: sm.factor_vae_score(FITTED, GRID, prune_threshold=float("nan")),
        ValueError,
        "prune_threshold must be a non-negative number",
    ),
    (
        "dataset with wrong factor count",
        lambda: sm.beta_vae_score(FITTED, FactorGrid((3, 4), n_columns=3), **SMALL),
        ValueError,
        r"returned shape \(4, 3\), but the dataset has 2 factors",
    ),
    (
        "sampling wrong factor count",
        lambda: sm.sample_latents_and_factors(FITTED, FactorGrid((3, 4), n_columns=1), 10, 0),
        ValueError,
        r"returned shape \(10, 1\), but the dataset has 2 factors",
    ),
    (
        "sampling unfitted",
        lambda: sm.sample_latents_and_factors(Shift(), GRID, 10, 0),
        NotFittedError,
        "Shift instance is not fitted",
    ),
    (
        "sampling n_samples zero",
        lambda: sm.sample_latents_and_factors(FITTED, GRID, 0),
        ValueError,
        "n_samples must be a positive integer, got 0",
    ),
    # scorers
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
    # evaluate_disentanglement
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


@pytest.mark.parametrize(
    "call, exception, message", [case[1:] for case in MISUSE], ids=[case[0] for case in MISUSE]
)
def test_misuse_raises_a_clear_error(call, exception, message):
    with pytest.raises(exception, match=message):
        call()


# --------------------------------------------------------------------------- #
# constant (dead) latents
# --------------------------------------------------------------------------- #
DEAD = np.c_[LATENTS[:, :1], np.full(60, 0.5), LATENTS[:, 1:]]  # latent 1 is dead


def test_unsupervised_scores_warn_and_name_constant_latents():
    message = r"latent\(s\) \[1\] are constant .* gaussian_total_correlation is NaN"
    with pytest.warns(ConstantLatentWarning, match=message):
        result = sm.unsupervised_scores(DEAD)
    assert np.isnan(result["gaussian_total_correlation"])
    assert np.isfinite(result["gaussian_wasserstein_correlation_norm"])
    assert result["mutual_info_matrix"][1].sum() == 0.0


def test_unsupervised_scores_all_constant_latents():
    message = r"\[0, 1\] .* and gaussian_wasserstein_correlation_norm are NaN"
    with pytest.warns(ConstantLatentWarning, match=message):
        result = sm.unsupervised_scores(np.ones((10, 2)))
    assert np.isnan(result["gaussian_wasserstein_correlation_norm"])


def test_unsupervised_scores_do_not_warn_without_constant_latents():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = sm.unsupervised_scores(LATENTS)
    assert np.isfinite(result["gaussian_total_correlation"])


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
