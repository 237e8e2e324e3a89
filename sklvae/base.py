"""The estimator base every sklvae model reuses.

:class:`BaseDisentangler` is a scikit-learn transformer that builds a private skorch net
(:class:`sklvae._training.DisentanglerNet`) in ``fit`` and keeps it as ``net_``. This
*composition* keeps the estimator clean for ``sklearn.utils.estimator_checks`` (a
``NeuralNet`` subclass sets trailing-underscore attributes in ``__init__``; so
``check_estimator`` would fail on it) while training runs entirely in skorch: callbacks, history,
``module__*`` routing, devices and pickling are skorch's.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from numbers import Integral, Real
from typing import Any

import numpy as np
import torch
from sklearn.base import BaseEstimator, ClassNamePrefixFeaturesOutMixin, TransformerMixin
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import _check_feature_names
from skorch.callbacks import GradientNormClipping, ProgressBar

from ._checkpoint import CheckpointMixin
from ._devices import available_devices, resolve_device
from ._docstrings import fill_estimator_docstring
from ._inference import InconsistentSklvaeVersionWarning, InferenceMixin
from ._training import DisentanglerNet, LossTermLogger, TrainingInterruptedWarning
from ._validation import (
    DATA_LAYOUTS,
    ImageDataset,
    InputSpec,
    check_input,
    identity_collate,
    is_lazy_array,
)
from .nn.backbones import BackboneConstraint, default_backbone
from .nn.reconstruction import LIKELIHOODS

#: constraints several estimators' parameters share (weights, rates)
_NONNEGATIVE = [Interval(Real, 0, None, closed="left")]
_POSITIVE = [Interval(Real, 0, None, closed="neither")]

__all__ = [
    "BaseDisentangler",
    "ROUTED_PREFIXES",
    "InconsistentSklvaeVersionWarning",
    "available_devices",
    "resolve_device",
]

#: skorch parameter prefixes an estimator forwards to its net (``module__hidden_dim``, ...)
ROUTED_PREFIXES = (
    "module",
    "optimizer",
    "optimizer_adversary",
    "iterator_train",
    "iterator_valid",
    "callbacks",
    "compile",
)


#: estimator parameters the skorch net takes unchanged, under the same name
_NET_PARAM_NAMES = (
    "lr",
    "batch_size",
    "max_epochs",
    "max_steps",
    "precision",
    "channels_last",
    "compile",
)


def _is_routed(key: str) -> bool:
    return "__" in key and key.split("__", 1)[0] in ROUTED_PREFIXES


class BaseDisentangler(
    CheckpointMixin,
    InferenceMixin,
    ClassNamePrefixFeaturesOutMixin,
    TransformerMixin,
    BaseEstimator,
):
    """Base class of sklvae's estimators (not used directly).

    It holds the parameters every estimator shares and their validation, builds the
    skorch net (:class:`sklvae._training.DisentanglerNet`) in ``fit``, and provides the
    fitted-model methods (:class:`sklvae._inference.InferenceMixin`). A method subclasses
    it with its module class, its own parameters and their constraints (see
    ``docs/design.md``).
    """

    #: the torch module the estimator trains (a DisentanglerModule subclass)
    _module_class: type | None = None
    #: fewest samples ``fit`` accepts
    _min_samples: int = 2
    #: smallest training batch the method can use (2 for methods that split batches)
    _min_batch_size: int = 1
    #: backbone for images when ``backbone="auto"``
    _default_image_backbone: str | None = None
    #: image size ``(H, W)`` that ``_default_image_backbone`` needs (None: any); images of
    #: another size get the package default (:func:`sklvae.nn.backbones.default_backbone`)
    _default_image_size: tuple[int, int] | None = None
    #: per-parameter sentences appended to the shared descriptions in the docstring
    _parameter_notes: dict[str, str] = {}

    #: scikit-learn's parameter constraints, validated once at the start of ``fit``;
    #: subclasses merge theirs: ``{**Base._parameter_constraints, "beta": [...]}``
    _parameter_constraints: dict = {
        "n_latents": [Interval(Integral, 1, None, closed="left")],
        "backbone": [BackboneConstraint()],
        "likelihood": [StrOptions(set(LIKELIHOODS))],
        "data_layout": [StrOptions(set(DATA_LAYOUTS))],
        "lr": _POSITIVE,
        "weight_decay": _NONNEGATIVE,
        "grad_clip": [*_POSITIVE, None],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "max_epochs": [Interval(Integral, 1, None, closed="left")],
        "max_steps": [Interval(Integral, 1, None, closed="left"), None],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither"), None],
        "device": [str, torch.device],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
        "precision": [StrOptions({"32", "bf16-mixed", "16-mixed"})],
        "channels_last": ["boolean"],
        "compile": ["boolean"],
        "callbacks": [list, None],
    }
    #: names of the estimator parameters passed unchanged to the module's constructor
    #: (besides ``n_latents``, ``backbone`` and ``likelihood``, which every module takes)
    _module_param_names: tuple[str, ...] = ()

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        # public estimators get their complete docstring (the one docstring mechanism)
        if cls.__doc__ and not cls.__name__.startswith("_"):
            fill_estimator_docstring(cls)

    def __init__(
        self,
        n_latents: int = 10,
        *,
        backbone: str = "auto",
        likelihood: str = "bernoulli",
        data_layout: str = "NHWC",
        lr: float = 1e-4,
        weight_decay: float = 0.0,
        grad_clip: float | None = None,
        batch_size: int = 64,
        max_epochs: int = 10,
        max_steps: int | None = None,
        validation_fraction: float | None = None,
        device: str = "auto",
        random_state=None,
        verbose: int = 0,
        precision: str = "32",
        channels_last: bool = False,
        compile: bool = False,
        callbacks: list | None = None,
        **net_params,
    ):
        self.n_latents = n_latents
        self.backbone = backbone
        self.likelihood = likelihood
        self.data_layout = data_layout
        self.lr = lr
        self.weight_decay = weight_decay
        self.grad_clip = grad_clip
        self.batch_size = batch_size
        self.max_epochs = max_epochs
        self.max_steps = max_steps
        self.validation_fraction = validation_fraction
        self.device = device
        self.random_state = random_state
        self.verbose = verbose
        self.precision = precision
        self.channels_last = channels_last
        self.compile = compile
        self.callbacks = callbacks
        # routed skorch settings; unknown names are reported by fit (never raise in __init__)
        for key, value in net_params.items():
            setattr(self, key, value)

    # --- parameters ---------------------------------------------------------------------
    def _routed_params(self) -> dict[str, Any]:
        return {key: value for key, value in vars(self).items() if _is_routed(key)}

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """Get the parameters of the estimator, the routed skorch settings included.

        Parameters
        ----------
        deep : bool, default=True
            Also return the parameters of contained estimators (there are none).

        Returns
        -------
        dict
            Parameter names mapped to their values.
        """
        params = super().get_params(deep=deep)
        params.update(self._routed_params())
        return params

    def set_params(self, **params):
        """Set parameters, routed skorch settings (``module__*``, ...) included.

        Parameters
        ----------
        **params : dict
            Estimator parameters.

        Returns
        -------
        object
            The estimator (``self``).
        """
        routed = {key: params.pop(key) for key in list(params) if _is_routed(key)}
        for key, value in routed.items():
            setattr(self, key, value)
        return super().set_params(**params) if params else self

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.required = False
        tags.input_tags.two_d_array = True
        tags.input_tags.three_d_array = True
        tags.input_tags.allow_nan = False
        tags.transformer_tags.preserves_dtype = ["float32"]
        return tags

    @property
    def _n_features_out(self) -> int:
        """Width of ``transform``'s output (names from ``get_feature_names_out``)."""
        return int(self.module_.n_latents)

    # defined here, not in the mixin: scikit-learn's set_output wraps the transform of
    # the class that defines it
    def transform(self, X) -> np.ndarray:
        """Encode ``X`` into its representation.

        Parameters
        ----------
        X : array-like of shape (n_samples, ...)
            Data of the shape, layout and scale the model was fitted on.

        Returns
        -------
        ndarray of shape (n_samples, n_latents), float32
            The representation: posterior means for the Gaussian VAEs (or what their
            ``representation`` parameter chooses; a posterior sample is drawn with a
            fixed seed, so the same ``X`` gives the same codes), the values of the
            nearest codes (what the decoder sees at evaluation) for the quantized models,
            whose code indices ``transform_indices`` returns.
        """
        return self._encode(X)

    def _check_params(self) -> None:
        """Validate every hyperparameter once, at the start of ``fit``.

        Unknown names, then the ``_parameter_constraints`` (scikit-learn's validation),
        then routed ``module__*`` settings that would shadow a declared parameter, then
        the method's cross-parameter checks (:meth:`_check_hyperparameters`).
        """
        name = type(self).__name__
        unknown = sorted(
            key
            for key in vars(self)
            if not key.startswith("_")
            and not key.endswith("_")
            and key not in self._get_param_names()
            and not _is_routed(key)
        )
        if unknown:
            raise TypeError(
                f"{name} got unexpected parameter(s) {', '.join(unknown)}; routed skorch "
                f"settings start with one of {', '.join(p + '__' for p in ROUTED_PREFIXES)}."
            )
        self._validate_params()
        declared = set(self._module_param_names) | {
            "n_latents",
            "backbone",
            "likelihood",
            "input_shape",
        }
        shadowing = sorted(
            key
            for key in self._routed_params()
            if key.startswith("module__") and key[len("module__") :] in declared
        )
        if shadowing:
            raise ValueError(
                f"{name}: {', '.join(shadowing)} would override the estimator's own "
                f"parameter(s); set {', '.join(key[len('module__') :] for key in shadowing)} "
                f"directly instead (e.g. {name}({shadowing[0][len('module__') :]}=...))."
            )
        resolve_device(self.device)
        self._check_callbacks()
        self._check_hyperparameters()

    def _check_callbacks(self) -> None:
        """Callbacks that monitor validation scores need ``validation_fraction``."""
        if self.validation_fraction is not None:
            return
        for entry in self.callbacks or []:
            callback = entry[1] if isinstance(entry, tuple) else entry
            monitor = getattr(callback, "monitor", None)
            if isinstance(monitor, str) and monitor.startswith("valid"):
                raise ValueError(
                    f"{type(self).__name__}: the callback {type(callback).__name__} monitors "
                    f"{monitor!r}, which needs a validation split; set "
                    "validation_fraction (e.g. validation_fraction=0.1)."
                )

    # --- hooks for subclasses -----------------------------------------------------------
    def _check_hyperparameters(self) -> None:
        """Checks that involve several parameters (raise ValueError naming them).

        Single-parameter checks belong in ``_parameter_constraints``.
        """

    def _module_kwargs(self) -> dict[str, Any]:
        """Keyword arguments of the method's module beyond the common ones.

        By default the values of ``_module_param_names``; override to add derived values
        (e.g. the dataset size).
        """
        return {key: getattr(self, key) for key in self._module_param_names}

    def _net_kwargs(self) -> dict[str, Any]:
        """Extra skorch net settings (e.g. the adversary's optimizer, parameter groups)."""
        return {}

    def _extra_callbacks(self) -> list:
        """(name, callback) pairs the method always needs (e.g. a schedule)."""
        return []

    def _training_dataset(self, X) -> ImageDataset:
        """The torch dataset a training call iterates over (``X`` as validated)."""
        return ImageDataset(X, self.input_spec_)

    # --- building -----------------------------------------------------------------------
    def _resolve_backbone(self, spec: InputSpec) -> str:
        if self.backbone != "auto":
            return self.backbone
        size = self._default_image_size
        if (
            spec.kind == "image"
            and self._default_image_backbone is not None
            and (size is None or tuple(spec.module_shape[1:]) == tuple(size))
        ):
            return self._default_image_backbone
        return default_backbone(spec.module_shape)

    def _training_callbacks(self) -> list:
        """The built-in callbacks: loss-term logging, gradient clipping, the method's own."""
        callbacks: list = [("loss_terms", LossTermLogger())]
        if self.grad_clip is not None:
            # the model's parameters only (the adversary's step is apart), as the
            # official MIPET and CLG-VAE code clip
            callbacks.append(
                ("gradient_clipping", GradientNormClipping(gradient_clip_value=self.grad_clip))
            )
        return callbacks + list(self._extra_callbacks())

    def _build_net(self, spec: InputSpec) -> DisentanglerNet:
        device = resolve_device(self.device)
        pinned = device.startswith("cuda")  # page-locked host batches, non-blocking copies
        module_kwargs = {
            "input_shape": spec.module_shape,
            "n_latents": self.n_latents,
            "backbone": self._resolve_backbone(spec),
            "likelihood": self.likelihood,
            **self._module_kwargs(),
        }
        net_kwargs = {f"module__{key}": value for key, value in module_kwargs.items()}
        callbacks = self._training_callbacks()
        user_callbacks = list(self.callbacks or [])
        user_has_bar = any(
            isinstance(entry[1] if isinstance(entry, tuple) else entry, ProgressBar)
            for entry in user_callbacks
        )
        if self.verbose and not user_has_bar:  # a user's ProgressBar replaces the built-in one
            callbacks.append(("progress_bar", ProgressBar()))
        callbacks += user_callbacks
        train_split = None
        if self.validation_fraction is not None:
            from skorch.dataset import ValidSplit

            train_split = ValidSplit(self.validation_fraction, random_state=0)
        net_kwargs.update({name: getattr(self, name) for name in _NET_PARAM_NAMES})
        net_kwargs.update(
            module=self._module_class,
            optimizer=torch.optim.Adam,
            optimizer__weight_decay=self.weight_decay,
            min_batch_size=self._min_batch_size,
            input_spec=spec,
            train_split=train_split,
            callbacks=callbacks,
            # the epoch table is printed only with verbose; the bar is a callback above
            verbose=int(self.verbose),
            device=device,
            # the per-epoch resume point (step count, RNG state) is not for the table
            callbacks__print_log__keys_ignored=["n_steps", "rng_state"],
            iterator_train__shuffle=True,
            iterator_train__pin_memory=pinned,
            iterator_valid__pin_memory=pinned,
            iterator_train__collate_fn=identity_collate,
            iterator_valid__collate_fn=identity_collate,
        )
        net_kwargs.update(self._net_kwargs())
        net_kwargs.update(self._routed_params())
        return DisentanglerNet(**net_kwargs)

    # --- fitting ------------------------------------------------------------------------
    def _validate_fit_input(self, X):
        X, spec = check_input(
            X,
            data_layout=self.data_layout,
            min_samples=self._min_samples,
            estimator_name=type(self).__name__,
        )
        if spec.kind == "tabular" and self.likelihood == "bernoulli" and not is_lazy_array(X):
            low, high = float(np.min(X)), float(np.max(X))
            if low < 0 or high > 1:
                raise ValueError(
                    f"{type(self).__name__}: likelihood='bernoulli' models values in [0, 1], "
                    f"but X ranges over [{low:.4g}, {high:.4g}]. Use likelihood='gaussian' "
                    "for real-valued data, or scale X into [0, 1] (e.g. with "
                    "sklearn.preprocessing.MinMaxScaler)."
                )
        return X, spec

    def fit(self, X, y=None):
        """Fit the model on ``X``; ``y`` is ignored (factor labels may be passed).

        Parameters
        ----------
        X : array-like of shape (n_samples, ...) or lazy array-like
            Images ``(n, H, W)``, ``(n, H, W, C)``, ``(n, C, H, W)`` (with
            ``data_layout="NCHW"``), volumes, or tabular ``(n, d)``; uint8 0..255 or
            floats in [0, 1]. h5py datasets, memmaps and
            :class:`~sklvae.datasets.GroundTruthDataset` objects are streamed in batches.
        y : None or array-like of shape (n_samples, n_factors)
            Ignored; accepted so that factor labels can be passed as in a search.

        Returns
        -------
        object
            The fitted estimator (``self``).
        """
        self._check_params()
        _check_feature_names(self, X, reset=True)
        X, spec = self._validate_fit_input(X)
        self._set_input_spec(spec, X.shape[0])
        self.net_ = self._build_net(spec)
        self._run_training(X, initialize=True)
        return self

    def partial_fit(self, X, y=None):
        """One more pass over ``X`` (or the ``max_steps`` budget again), keeping the weights.

        The first call on an unfitted estimator initializes it.

        Parameters
        ----------
        X : array-like of shape (n_samples, ...)
            Data of the layout the model was (or is to be) fitted on.
        y : None
            Ignored.

        Returns
        -------
        object
            The estimator, trained further (``self``).
        """
        if not hasattr(self, "net_"):
            self._check_params()
            _check_feature_names(self, X, reset=True)
            X, spec = self._validate_fit_input(X)
            self._set_input_spec(spec, X.shape[0])
            self.net_ = self._build_net(spec)
            self._run_training(X, initialize=True, epochs=1)
            return self
        X, _ = self._validate(X, min_samples=self._min_samples)
        if self.max_steps is not None:
            self.net_.max_steps = self.net_.n_steps_ + self.max_steps
        self._run_training(X, initialize=False, epochs=1)
        return self

    def _set_input_spec(self, spec: InputSpec, n_samples: int) -> None:
        self.input_spec_ = spec
        self.n_samples_fit_ = int(n_samples)
        self.input_shape_ = spec.sample_shape
        self.n_features_in_ = spec.n_features

    def _seed(self) -> int:
        return int(check_random_state(self.random_state).randint(np.iinfo(np.int32).max))

    @contextmanager
    def _training_rng(self) -> Iterator[None]:
        """A torch RNG stream seeded from ``random_state``; the caller's stream is kept."""
        with torch.random.fork_rng(devices=self._cuda_devices()):
            torch.manual_seed(self._seed())
            yield

    def _run_training(self, X, *, initialize: bool, epochs: int | None = None) -> None:
        """Train ``net_`` on ``X`` in a forked torch RNG stream.

        ``epochs=None`` (``fit``): train until the history holds ``max_epochs`` epochs
        (or the ``max_steps`` budget is spent), which also finishes a run resumed from a
        checkpoint by skorch's ``LoadInitState``; an int (``partial_fit``): that many
        more epochs. The RNG stream continues across calls (its state is kept in the
        net and, per epoch, in the history), so interrupted-and-resumed training ends
        where an uninterrupted run does.
        """
        dataset = self._training_dataset(X)
        with self._training_rng():
            if initialize:
                self.net_.initialize()
            else:
                self.net_.restore_rng_state()
            n_train = len(dataset)
            if self.validation_fraction is not None:
                n_train = int(n_train * (1 - self.validation_fraction))
            self.net_.train_size_ = n_train
            self.net_.partial_fit(dataset, None, epochs=epochs)
            self.net_.save_rng_state()
        self.history_ = self.net_.history
        self.n_steps_ = self.net_.n_steps_
        if getattr(self.net_, "interrupted_", False):
            warnings.warn(
                f"{type(self).__name__}: training was interrupted at step {self.n_steps_} "
                f"(epoch {len(self.history_)}); the model is usable as it is. Call "
                "partial_fit(X) to continue training.",
                TrainingInterruptedWarning,
                stacklevel=3,
            )


fill_estimator_docstring(BaseDisentangler)  # subclasses are completed by __init_subclass__
