"""Shared inputs of the metric tests: uniform factor samples, oracle representations, the
4-point AND case computed by hand, and points for the reference re-statements."""

import numpy as np
import pytest
from sklearn.base import BaseEstimator, TransformerMixin

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


def _with_nan(array):
    array = np.array(array, dtype=np.float64)
    array[3, 1] = np.nan
    return array


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


DEAD = np.c_[LATENTS[:, :1], np.full(60, 0.5), LATENTS[:, 1:]]  # latent 1 is dead


def misuse_test(cases):
    """A test over ``(id, call, exception, message)`` rows: each call raises, naming the problem.

    Assign it to a ``test_*`` name in the test module of the feature the rows exercise.
    """

    @pytest.mark.parametrize(
        "call, exception, message", [case[1:] for case in cases], ids=[case[0] for case in cases]
    )
    def test(call, exception, message):
        with pytest.raises(exception, match=message):
            call()

    return test


#: written by benchmarks/make_metrics_fixture.py from the reference code of DCI-ES and of
#: Carbonneau et al.'s suite, on three representations of 3 factors (4, 5, 6 classes)
REFERENCE_REPRESENTATIONS = ("disentangled", "entangled", "mixed")


@pytest.fixture(scope="session")
def reference_fixture():
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "data" / "metrics_reference_fixture.npz"
    with np.load(path) as data:
        return dict(data)
