"""The contract every public estimator keeps, checked on tiny data.

The estimators are discovered from ``sklvae.__all__`` (every subclass of
``sklvae.base.BaseDisentangler``, ``PUBLIC_ESTIMATORS`` in ``tests/conftest.py``), so an
estimator added to the package is checked without editing this file. Each gets
``DEFAULT_CONFIG``, plus ``OVERRIDES[class name]`` only where it needs other fast settings.
What differs between estimators is read from the estimator: its input kind from its
scikit-learn tags, its code width from ``latent_shape_`` where it has latent maps.
The checks are functions of the class (:func:`check_estimator_contract`,
:func:`check_parameter_rules`), so a class defined outside the package runs the same
contract (``tests/test_recipe.py``).
"""

import importlib
import inspect
import math
import pickle
import pkgutil

import numpy as np
import pytest
from sklearn.base import clone

import sklvae
import sklvae.models
from sklvae.base import BaseDisentangler

from .conftest import PUBLIC_ESTIMATORS, make_squares

ESTIMATORS = PUBLIC_ESTIMATORS

#: the fast settings every discovered estimator gets
DEFAULT_CONFIG = dict(n_latents=2, batch_size=8, max_steps=3, random_state=0)
#: settings beyond DEFAULT_CONFIG, keyed by class name, only where an estimator needs them
_SMALL_DISCRIMINATOR = dict(module__discriminator_hidden_dim=16, module__discriminator_layers=2)
OVERRIDES = {
    "FactorVAE": _SMALL_DISCRIMINATOR,
    "FactorQVAE": _SMALL_DISCRIMINATOR,
    "FactorDVAE": _SMALL_DISCRIMINATOR,
    "GroupActionAE": dict(n_latents=4, hidden_channels=4, representation="full"),
}
#: estimators documented to have no prior to sample from (``sample`` explains it)
NO_PRIOR = {"BioAE", "GroupActionAE"}

N_SAMPLES = 24
TABULAR = np.random.RandomState(0).rand(N_SAMPLES, 6).astype(np.float32)
IMAGES = make_squares(N_SAMPLES, 8)


def _name(estimator_class: type) -> str:
    return estimator_class.__name__


def _make(estimator_class: type):
    config = {**DEFAULT_CONFIG, **OVERRIDES.get(_name(estimator_class), {})}
    if "n_latents" not in inspect.signature(estimator_class.__init__).parameters:
        del config["n_latents"]
    return estimator_class(**config)


def _data(estimator_class: type) -> np.ndarray:
    """Small images for estimators that take no 2-D tables (their tags say so), else a table."""
    takes_tables = estimator_class().__sklearn_tags__().input_tags.two_d_array
    return TABULAR if takes_tables else IMAGES


def _declares_constraints(estimator_class: type) -> bool:
    """True when a class below BaseDisentangler defines ``_parameter_constraints``."""
    return any(
        "_parameter_constraints" in vars(klass)
        for klass in estimator_class.__mro__
        if issubclass(klass, BaseDisentangler) and klass is not BaseDisentangler
    )


def test_every_estimator_class_in_sklvae_models_is_exported_and_collected():
    defined = set()
    for info in pkgutil.iter_modules(sklvae.models.__path__):
        module = importlib.import_module(f"sklvae.models.{info.name}")
        defined |= {
            obj
            for name, obj in vars(module).items()
            if inspect.isclass(obj)
            and obj.__module__ == module.__name__
            and issubclass(obj, BaseDisentangler)
            and not name.startswith(("_", "Base"))
        }
    assert defined, "no estimator found in sklvae.models"
    missing = sorted(cls.__name__ for cls in defined - set(ESTIMATORS))
    assert not missing, f"estimators missing from sklvae.__all__: {missing}"
    assert BaseDisentangler not in ESTIMATORS
    assert set(OVERRIDES) | NO_PRIOR <= {_name(cls) for cls in ESTIMATORS}  # no stale names


@pytest.mark.filterwarnings("ignore::UserWarning")  # e.g. a degenerate mask after 3 steps
@pytest.mark.parametrize("estimator_class", ESTIMATORS, ids=_name)
def test_estimator_contract(estimator_class):
    check_estimator_contract(estimator_class)


@pytest.mark.parametrize("estimator_class", ESTIMATORS, ids=_name)
def test_parameter_rules(estimator_class):
    check_parameter_rules(estimator_class)


# --- the checks, as functions of the class (tests/test_recipe.py calls them too) --------


def check_estimator_contract(estimator_class: type) -> None:
    """fit / transform / inverse_transform / sample / score / partial_fit / pickle / clone."""
    X = _data(estimator_class)
    estimator = _make(estimator_class)
    assert estimator.fit(X) is estimator

    Z = estimator.transform(X)
    assert Z.ndim == 2 and Z.shape[0] == N_SAMPLES and Z.dtype == np.float32
    # one column per latent, or per entry of a latent map (``latent_shape_``)
    assert Z.shape[1] == math.prod(getattr(estimator, "latent_shape_", (estimator.n_latents,)))
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


def check_parameter_rules(estimator_class: type) -> None:
    """Every parameter constrained; a ``module__`` setting may not shadow a parameter."""
    assert _declares_constraints(estimator_class)
    signature = set(inspect.signature(estimator_class.__init__).parameters)
    assert set(estimator_class._parameter_constraints) == signature - {"self", "net_params"}
    assert set(estimator_class._module_param_names) <= signature
    X = _data(estimator_class)
    for name in estimator_class._module_param_names:
        estimator = _make(estimator_class).set_params(**{f"module__{name}": 1})
        with pytest.raises(ValueError, match=f"module__{name}"):
            estimator.fit(X)
