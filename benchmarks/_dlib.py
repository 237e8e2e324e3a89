"""Import disentanglement_lib's own modules without TensorFlow or gin-config.

disentanglement_lib (``pip install --no-deps disentanglement-lib absl-py six``)
decorates its functions with ``gin.configurable`` and leaves some arguments
``gin.REQUIRED``, to be bound by a gin config file. Its metric modules need
nothing else from gin or TensorFlow, so a small stand-in module for ``gin`` (and
``gin.tf``) is enough to call them as shipped:

* ``gin.configurable(name, blacklist=...)`` registers the function under its
  configurable name and, at call time, fills arguments still equal to
  ``gin.REQUIRED`` from :data:`BINDINGS` (a value ``"@name"`` is the function
  registered as ``name``, as in a gin file);
* the default bindings are the ones of dlib's study configs for the
  discretiser: the histogram discretiser with 20 bins.

    from benchmarks._dlib import load_dlib
    dlib = load_dlib()                 # namespace of dlib's metric modules
    dlib.mig._compute_mig(mus, ys)     # dlib orientation: (n_columns, n_samples)
"""

from __future__ import annotations

import functools
import importlib
import inspect
import sys
import types

__all__ = ["BINDINGS", "METRIC_MODULES", "load_dlib"]

#: configurable name -> {argument: value}; "@name" refers to another configurable.
BINDINGS: dict[str, dict] = {
    "discretizer": {"discretizer_fn": "@histogram_discretizer", "num_bins": 20},
}

#: modules imported by default, relative to ``disentanglement_lib``.
METRIC_MODULES = (
    "evaluation.metrics.utils",
    "evaluation.metrics.mig",
    "evaluation.metrics.sap_score",
    "evaluation.metrics.dci",
    "evaluation.metrics.modularity_explicitness",
    "evaluation.metrics.irs",
    "evaluation.metrics.unsupervised_metrics",
    "evaluation.metrics.beta_vae",
    "evaluation.metrics.factor_vae",
)

_REQUIRED = object()
_REGISTRY: dict[str, object] = {}


def _resolve(value):
    if isinstance(value, str) and value.startswith("@"):
        return _REGISTRY[value[1:]]
    return value


def _configurable(name=None, *args, **kwargs):
    """Stand-in for ``gin.configurable``: register, and bind REQUIRED arguments."""

    def decorate(function, configurable_name):
        signature = inspect.signature(function)

        @functools.wraps(function)
        def wrapper(*call_args, **call_kwargs):
            bound = signature.bind_partial(*call_args, **call_kwargs)
            for parameter in signature.parameters.values():
                if parameter.name in bound.arguments or parameter.default is not _REQUIRED:
                    continue
                bindings = BINDINGS.get(configurable_name, {})
                if parameter.name not in bindings:
                    raise TypeError(
                        f"{configurable_name}.{parameter.name} is gin.REQUIRED and not bound "
                        "in benchmarks._dlib.BINDINGS."
                    )
                bound.arguments[parameter.name] = _resolve(bindings[parameter.name])
            return function(*bound.args, **bound.kwargs)

        _REGISTRY[configurable_name] = wrapper
        return wrapper

    if callable(name):  # bare @gin.configurable
        return decorate(name, name.__name__)
    return lambda function: decorate(function, name or function.__name__)


def _install_gin_stub() -> None:
    if isinstance(sys.modules.get("gin"), types.ModuleType) and getattr(
        sys.modules["gin"], "_sklvae_stub", False
    ):
        return
    gin = types.ModuleType("gin")
    gin._sklvae_stub = True
    gin.REQUIRED = _REQUIRED
    gin.configurable = _configurable
    gin.tf = types.ModuleType("gin.tf")
    gin.tf.__dict__.update(REQUIRED=_REQUIRED, configurable=_configurable)
    sys.modules["gin"] = gin
    sys.modules["gin.tf"] = gin.tf


def load_dlib(*modules: str) -> types.SimpleNamespace:
    """Install the gin stand-in and import disentanglement_lib modules.

    Parameters
    ----------
    *modules : str
        Module paths relative to ``disentanglement_lib`` (default
        :data:`METRIC_MODULES`).

    Returns
    -------
    types.SimpleNamespace
        The imported modules, by their last name component
        (``load_dlib().sap_score``).
    """
    _install_gin_stub()
    try:
        importlib.import_module("disentanglement_lib")
    except ImportError as error:
        raise ImportError(
            "disentanglement_lib is not installed: "
            "pip install --no-deps disentanglement-lib absl-py six"
        ) from error
    names = modules or METRIC_MODULES
    return types.SimpleNamespace(
        **{
            name.rsplit(".", 1)[-1]: importlib.import_module(f"disentanglement_lib.{name}")
            for name in names
        }
    )
