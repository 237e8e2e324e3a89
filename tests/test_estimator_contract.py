"""The contract every public estimator keeps, checked on tiny data.

The estimators are read from ``sklvae.__all__`` (every subclass of
``sklvae.BaseDisentangler``), so an estimator added to the package is checked without
editing this file. Each gets a minimal configuration below, keyed by class name, or
``DEFAULT_CONFIG``.
"""

import inspect
import pickle

import numpy as np
import pytest
from sklearn.base import clone

import sklvae

from .conftest import make_squares

ESTIMATORS = [
    getattr(sklvae, name)
    for name in sklvae.__all__
    if isinstance(getattr(sklvae, name), type)
    and issubclass(getattr(sklvae, name), sklvae.BaseDisentangler)
    and getattr(sklvae, name) is not sklvae.BaseDisentangler
]

DEFAULT_CONFIG = dict(max_steps=3, random_state=0)
#: the smallest settings each estimator accepts, beyond DEFAULT_CONFIG
_SMALL_DISCRIMINATOR = dict(module__discriminator_hidden_dim=16, module__discriminator_layers=2)
CONFIGS = {
    "FactorVAE": _SMALL_DISCRIMINATOR,
    "FactorQVAE": _SMALL_DISCRIMINATOR,
    "FactorDVAE": _SMALL_DISCRIMINATOR,
    "GroupActionAE": dict(n_latents=4, hidden_channels=4, representation="full", batch_size=8),
}
#: estimators trained on small images instead of tabular data
IMAGE_ESTIMATORS = {"GroupActionAE"}
#: estimators whose ``transform`` width is not ``n_latents`` (a flattened latent map)
MAP_ESTIMATORS = {"GroupActionAE"}
#: estimators without a prior to sample from (``sample`` explains it)
NO_PRIOR = {"BioAE", "GroupActionAE"}

N_SAMPLES = 24
TABULAR = np.random.RandomState(0).rand(N_SAMPLES, 6).astype(np.float32)
IMAGES = make_squares(N_SAMPLES, 8)


def _name(estimator_class: type) -> str:
    return estimator_class.__name__


def _make(estimator_class: type):
    config = {
        **DEFAULT_CONFIG,
        "n_latents": 2,
        "batch_size": 8,
        **CONFIGS.get(_name(estimator_class), {}),
    }
    if "n_latents" not in inspect.signature(estimator_class.__init__).parameters:
        del config["n_latents"]
    return estimator_class(**config)


def _data(estimator_class: type) -> np.ndarray:
    return IMAGES if _name(estimator_class) in IMAGE_ESTIMATORS else TABULAR


def _declares_constraints(estimator_class: type) -> bool:
    """True when a class below BaseDisentangler defines ``_parameter_constraints``."""
    return any(
        "_parameter_constraints" in vars(klass)
        for klass in estimator_class.__mro__
        if issubclass(klass, sklvae.BaseDisentangler) and klass is not sklvae.BaseDisentangler
    )


def test_every_public_estimator_is_collected():
    names = {_name(cls) for cls in ESTIMATORS}
    assert {"VAE", "BetaVAE", "BetaTCVAE", "FactorVAE", "AnnealedVAE", "DIPVAE"} <= names
    assert "BaseDisentangler" not in names


@pytest.mark.filterwarnings("ignore::UserWarning")  # e.g. a degenerate mask after 3 steps
@pytest.mark.parametrize("estimator_class", ESTIMATORS, ids=_name)
def test_estimator_contract(estimator_class):
    X = _data(estimator_class)
    estimator = _make(estimator_class)
    assert estimator.fit(X) is estimator

    Z = estimator.transform(X)
    assert Z.ndim == 2 and Z.shape[0] == N_SAMPLES and Z.dtype == np.float32
    if _name(estimator_class) not in MAP_ESTIMATORS:
        assert Z.shape[1] == estimator.n_latents
    assert np.isfinite(Z).all()
    names = estimator.get_feature_names_out()
    assert len(names) == Z.shape[1] and names[0] == f"{_name(estimator_class).lower()}0"

    decoded = estimator.inverse_transform(Z)
    assert decoded.shape == X.shape and np.isfinite(decoded.astype(float)).all()

    if _name(estimator_class) in NO_PRIOR:
        with pytest.raises((TypeError, NotImplementedError), match="without a prior|no prior"):
            estimator.sample(3, random_state=0)
    else:
        samples = estimator.sample(3, random_state=0)
        assert samples.shape == (3, *X.shape[1:])
        np.testing.assert_array_equal(estimator.sample(3, random_state=0), samples)

    score = estimator.score(X)
    assert isinstance(score, float) and np.isfinite(score)

    steps = estimator.n_steps_
    estimator.partial_fit(X)
    assert estimator.n_steps_ > steps

    Z = estimator.transform(X)
    restored = pickle.loads(pickle.dumps(estimator))
    np.testing.assert_array_equal(restored.transform(X), Z)

    copy = clone(estimator)
    assert not hasattr(copy, "net_")
    params, copied = estimator.get_params(deep=False), copy.get_params(deep=False)
    assert params.keys() == copied.keys()
    for key, value in params.items():
        assert copied[key] is value or copied[key] == value, key


@pytest.mark.parametrize("estimator_class", ESTIMATORS, ids=_name)
def test_parameter_rules(estimator_class):
    assert _declares_constraints(estimator_class)
    signature = set(inspect.signature(estimator_class.__init__).parameters)
    assert set(estimator_class._parameter_constraints) == signature - {"self", "net_params"}
    assert set(estimator_class._module_parameters) <= signature
    X = _data(estimator_class)
    for name in estimator_class._module_parameters:
        estimator = _make(estimator_class).set_params(**{f"module__{name}": 1})
        with pytest.raises(ValueError, match=f"module__{name}"):
            estimator.fit(X)
