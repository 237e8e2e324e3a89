"""Disentanglement metrics as scikit-learn scorers, and dlib-protocol evaluation.

A scorer has the signature ``scorer(estimator, X, y)``: it encodes ``X`` with
``estimator.transform`` and scores the representation against ``y``, the factor
classes ``(n_samples, n_factors)``. So it works alone, as ``scoring=`` in
``GridSearchCV`` / ``cross_validate``, and in a multi-metric dict with ``refit=``::

    GridSearchCV(BetaVAE(), {"beta": [1, 8]},
                 scoring={"dci": dci_scorer, "mig": mig_scorer}, refit="dci")
    search.fit(X, factors)

Scorers use every sample they are given (a CV test fold is usually far smaller
than dlib's 10,000 points); DCI, SAP and modularity/explicitness hold out
``test_size`` (default 1/3, dlib's 10,000 : 5,000 proportion) of those samples
by a split seeded with ``random_state`` (default 0, dlib's evaluation seed).

The interventional metrics need to render observations, so their scorer
factories take the ground-truth dataset at construction and ignore ``X``/``y``.
"""

from __future__ import annotations

import inspect
import numbers
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sklearn.utils import check_random_state

from ._checks import check_positive_int
from ._representation import (
    check_fitted_estimator,
    check_ground_truth_dataset,
    encode,
    sample_latents_and_factors,
)
from .dci import dci
from .dci_es import dci_es
from .dcimig import dcimig
from .infomec import infomec
from .interventional import beta_vae_score, factor_vae_score
from .irs import irs
from .jemmig import jemmig
from .mig import mig
from .mig_sup import mig_sup
from .modularity import modularity_explicitness
from .sap import sap
from .unsupervised import ConstantLatentWarning, constant_latents, unsupervised_scores
from .z_min_variance import z_min_variance


@dataclass(frozen=True)
class _MetricSpec:
    function: Callable[..., dict]
    default_key: str
    keys: tuple[str, ...]
    uses_test_set: bool = False
    seeded: bool = False  # accepts random_state
    lower_is_better: frozenset = field(default_factory=frozenset)


_METRICS: dict[str, _MetricSpec] = {
    "dci": _MetricSpec(
        dci,
        "disentanglement",
        ("disentanglement", "completeness", "informativeness_train", "informativeness_test"),
        uses_test_set=True,
        seeded=True,
    ),
    "mig": _MetricSpec(mig, "discrete_mig", ("discrete_mig",)),
    "sap": _MetricSpec(sap, "SAP_score", ("SAP_score",), uses_test_set=True, seeded=True),
    "modularity": _MetricSpec(
        modularity_explicitness,
        "modularity_score",
        ("modularity_score", "explicitness_score_train", "explicitness_score_test"),
        uses_test_set=True,
        seeded=True,
    ),
    "infomec": _MetricSpec(infomec, "infom", ("infom", "infoe", "infoc"), seeded=True),
    "irs": _MetricSpec(irs, "IRS", ("IRS",)),
    "dci_es": _MetricSpec(
        dci_es,
        "explicitness",
        (
            "explicitness",
            "size",
            "disentanglement",
            "completeness",
            "informativeness_test",
            "informativeness_train",
        ),
        uses_test_set=True,
        seeded=True,
    ),
    "z_min_variance": _MetricSpec(
        z_min_variance,
        "z_min_variance",
        ("z_min_variance", "train_accuracy", "eval_accuracy"),
        seeded=True,
    ),
    "mig_sup": _MetricSpec(mig_sup, "mig_sup", ("mig_sup",)),
    "jemmig": _MetricSpec(jemmig, "jemmig", ("jemmig",)),
    "dcimig": _MetricSpec(dcimig, "dcimig", ("dcimig",)),
    "unsupervised": _MetricSpec(
        unsupervised_scores,
        "gaussian_total_correlation",
        (
            "gaussian_total_correlation",
            "gaussian_wasserstein_correlation",
            "gaussian_wasserstein_correlation_norm",
            "mutual_info_score",
        ),
        lower_is_better=frozenset(
            {
                "gaussian_total_correlation",
                "gaussian_wasserstein_correlation",
                "gaussian_wasserstein_correlation_norm",
                "mutual_info_score",
            }
        ),
    ),
}

#: Names accepted by :func:`make_disentanglement_scorer` and :func:`evaluate_disentanglement`.
DISENTANGLEMENT_METRICS: tuple[str, ...] = tuple(_METRICS) + ("beta_vae", "factor_vae")


def _check_kwargs(function: Callable, kwargs: dict, reserved: tuple[str, ...]) -> None:
    parameters = inspect.signature(function).parameters
    allowed = [
        name
        for name, p in parameters.items()
        if p.kind == inspect.Parameter.KEYWORD_ONLY and name not in reserved
    ]
    unknown = sorted(set(kwargs) - set(allowed))
    if unknown:
        raise TypeError(
            f"{function.__name__} got unexpected keyword argument(s) {unknown}; "
            f"valid ones are {allowed}."
        )


def _check_key(name: str, key: str, keys: tuple[str, ...]) -> None:
    if key not in keys:
        raise ValueError(f"metric {name!r} has no score {key!r}; choose one of {list(keys)}.")


class DisentanglementScorer:
    """Scorer ``scorer(estimator, X, y) -> float`` for an array-level metric.

    Create it with :func:`make_disentanglement_scorer`. Scores where lower is
    better (the unsupervised ones) are returned negated, scikit-learn's
    convention (higher is better).

    Parameters
    ----------
    name : str
        The metric's name (a key of :data:`DISENTANGLEMENT_METRICS`' functions).
    key : str
        Which score of the metric's result to return.
    kwargs : dict
        Keyword arguments of the metric function.
    """

    def __init__(self, name: str, key: str, kwargs: dict[str, Any]) -> None:
        self.name = name
        self.key = key
        self.kwargs = dict(kwargs)

    def _score_latents(self, latents: np.ndarray, y) -> float:
        spec = _METRICS[self.name]
        with warnings.catch_warnings():
            # A NaN score is turned into an error below, which names the dead latents.
            warnings.simplefilter("ignore", ConstantLatentWarning)
            result = spec.function(latents, y, **self.kwargs)
        value = float(result[self.key])
        if not np.isfinite(value):
            dead = constant_latents(latents)
            reason = (
                f": latent(s) {dead} of the representation are constant on these "
                f"{latents.shape[0]} samples (dead latents), which makes the latent covariance "
                "singular. Score with another key (e.g. 'gaussian_wasserstein_correlation' or "
                "'mutual_info_score'), or drop dead latents from the estimator's output"
                if dead
                else ""
            )
            raise ValueError(
                f"the {self.name!r} scorer's {self.key!r} is {value} for this "
                f"representation{reason}; "
                "a non-finite score cannot rank models in a search."
            )
        return -value if self.key in spec.lower_is_better else value

    def __call__(self, estimator, X, y=None) -> float:
        if y is None and self.name != "unsupervised":
            raise ValueError(
                f"the {self.name!r} scorer needs the factor classes: call it as "
                "scorer(estimator, X, factors), e.g. pass y=factors to "
                "GridSearchCV.fit / cross_validate."
            )
        check_fitted_estimator(estimator)
        latents = encode(estimator, X)
        if y is not None and self.name != "unsupervised" and len(y) != latents.shape[0]:
            raise ValueError(
                f"y has {len(y)} rows but X has {latents.shape[0]} samples; y must hold the "
                "factor classes of each sample of X, shape (n_samples, n_factors)."
            )
        return self._score_latents(latents, y)

    def __repr__(self) -> str:
        args = "".join(f", {k}={v!r}" for k, v in self.kwargs.items())
        return f"make_disentanglement_scorer({self.name!r}, key={self.key!r}{args})"


class InterventionalScorer:
    """Scorer for the BetaVAE / FactorVAE scores: renders its own data, ignores ``X`` and ``y``.

    Create it with :func:`make_beta_vae_scorer` or :func:`make_factor_vae_scorer`.

    Parameters
    ----------
    name : {"beta_vae", "factor_vae"}
        The interventional metric.
    dataset : GroundTruthDataset
        Renders the observations the metric needs.
    key : str
        Which score of the metric's result to return.
    kwargs : dict
        Keyword arguments of the metric function.
    """

    def __init__(self, name: str, dataset, key: str, kwargs: dict[str, Any]) -> None:
        self.name = name
        self.dataset = dataset
        self.key = key
        self.kwargs = dict(kwargs)

    def __call__(self, estimator, X=None, y=None) -> float:
        check_fitted_estimator(estimator)
        function = beta_vae_score if self.name == "beta_vae" else factor_vae_score
        return float(function(estimator, self.dataset, **self.kwargs)[self.key])

    def __repr__(self) -> str:
        args = "".join(f", {k}={v!r}" for k, v in self.kwargs.items())
        return f"make_{self.name}_scorer({self.dataset!r}, key={self.key!r}{args})"


def make_disentanglement_scorer(
    name: str, *, key: str | None = None, **kwargs
) -> DisentanglementScorer:
    """Make a scorer ``scorer(estimator, X, y)`` from a disentanglement metric.

    Parameters
    ----------
    name : str
        The array-level metric (``sklvae.metrics.<function>``): ``"dci"``,
        ``"mig"``, ``"sap"``, ``"modularity"``, ``"infomec"``, ``"irs"``,
        ``"dci_es"``, ``"z_min_variance"``, ``"mig_sup"``, ``"jemmig"``,
        ``"dcimig"`` or ``"unsupervised"``. For the
        interventional metrics use :func:`make_beta_vae_scorer` /
        :func:`make_factor_vae_scorer`.
    key : str, optional
        Which score of the metric's result to return. Defaults: ``dci`` ->
        ``"disentanglement"``, ``mig`` -> ``"discrete_mig"``, ``sap`` ->
        ``"SAP_score"``, ``modularity`` -> ``"modularity_score"``, ``infomec``
        -> ``"infom"``, ``irs`` -> ``"IRS"``, ``dci_es`` -> ``"explicitness"``, and
        each of ``z_min_variance``, ``mig_sup``, ``jemmig``, ``dcimig`` -> its own
        name; ``unsupervised`` ->
        ``"gaussian_total_correlation"`` (returned negated: lower is better).
    **kwargs
        Keyword arguments of the metric function (e.g. ``n_bins=20``,
        ``n_jobs=2``, ``test_size=1/3``). ``random_state`` defaults to 0 for the
        metrics that take one.

    Returns
    -------
    DisentanglementScorer
        A scorer ``scorer(estimator, X, y) -> float``.

    Examples
    --------
    >>> completeness_scorer = make_disentanglement_scorer("dci", key="completeness")
    """
    if name in ("beta_vae", "factor_vae"):
        raise ValueError(
            f"{name!r} renders its own observations: use make_{name}_scorer(dataset, ...)."
        )
    if name not in _METRICS:
        raise ValueError(f"unknown metric {name!r}; choose one of {list(_METRICS)}.")
    spec = _METRICS[name]
    key = spec.default_key if key is None else key
    _check_key(name, key, spec.keys)
    _check_kwargs(spec.function, kwargs, reserved=())
    if spec.seeded:
        kwargs.setdefault("random_state", 0)
    return DisentanglementScorer(name, key, kwargs)


def _interventional_scorer_factory(
    function: Callable[..., dict],
) -> Callable[..., InterventionalScorer]:
    """Build ``make_<metric>_scorer`` for an interventional metric function."""
    name = function.__name__.removesuffix("_score")

    def make_scorer(dataset: Any, *, key: str = "eval_accuracy", **kwargs) -> InterventionalScorer:
        check_ground_truth_dataset(dataset)
        _check_key(name, key, ("train_accuracy", "eval_accuracy"))
        _check_kwargs(function, kwargs, reserved=())
        kwargs.setdefault("random_state", 0)
        return InterventionalScorer(name, dataset, key, kwargs)

    make_scorer.__name__ = make_scorer.__qualname__ = f"make_{name}_scorer"
    metric = f":func:`~sklvae.metrics.{function.__name__}`"
    make_scorer.__doc__ = f"""Make a scorer computing {metric} on ``dataset``.

    The scorer ignores the ``X`` and ``y`` it is called with.

    Parameters
    ----------
    dataset : GroundTruthDataset
        Renders the observations the metric needs.
    key : str, default="eval_accuracy"
        Which score of the metric's result to return.
    **kwargs
        Keyword arguments of ``{function.__name__}`` (``random_state`` defaults to 0).

    Returns
    -------
    InterventionalScorer
        A scorer ``scorer(estimator, X, y) -> float``.
    """
    return make_scorer


make_beta_vae_scorer = _interventional_scorer_factory(beta_vae_score)
make_factor_vae_scorer = _interventional_scorer_factory(factor_vae_score)

dci_scorer = make_disentanglement_scorer("dci")
mig_scorer = make_disentanglement_scorer("mig")
sap_scorer = make_disentanglement_scorer("sap")
modularity_scorer = make_disentanglement_scorer("modularity")
infomec_scorer = make_disentanglement_scorer("infomec")
irs_scorer = make_disentanglement_scorer("irs")
dci_es_scorer = make_disentanglement_scorer("dci_es")
z_min_variance_scorer = make_disentanglement_scorer("z_min_variance")
mig_sup_scorer = make_disentanglement_scorer("mig_sup")
jemmig_scorer = make_disentanglement_scorer("jemmig")
dcimig_scorer = make_disentanglement_scorer("dcimig")


def evaluate_disentanglement(
    estimator: Any,
    dataset: Any,
    metrics=("dci", "mig", "sap", "modularity", "irs", "unsupervised", "beta_vae", "factor_vae"),
    *,
    n_train: int = 10000,
    n_test: int = 5000,
    random_state=0,
    metric_params: dict[str, dict] | None = None,
) -> dict[str, dict]:
    """Evaluate an estimator on a ground-truth dataset with disentanglement_lib's protocol.

    Each metric starts from its own ``RandomState(random_state)`` (dlib's
    ``evaluation.random_seed = 0`` per metric), samples ``n_train`` points
    (then ``n_test`` held-out points for DCI, SAP and modularity/explicitness)
    in batches of 16 and encodes them with ``estimator.transform``. InfoMEC uses
    the ``n_train`` points only (FactorQVAE protocol: 10,000 points).

    Parameters
    ----------
    estimator : fitted estimator with ``transform``
        The representation to evaluate.
    dataset : GroundTruthDataset
        Where points are sampled from, by their factors.
    metrics : sequence of str
        Any of :data:`DISENTANGLEMENT_METRICS`.
    n_train, n_test : int, default=10000, 5000
        Training and test points sampled for the array-level metrics.
    random_state : int, default=0
        An int (a fresh ``RandomState`` per metric) or None.
    metric_params : dict, optional
        Extra keyword arguments per metric name, e.g.
        ``{"infomec": {"discrete_latents": True}}``.

    Returns
    -------
    dict
        Metric name -> the metric's result dict.
    """
    if isinstance(metrics, str) or not isinstance(metrics, Iterable):
        raise TypeError(
            f"metrics must be a list of metric names, e.g. [{metrics!r}], got "
            f"{type(metrics).__name__} {metrics!r}."
        )
    metrics = list(metrics)
    metric_params = {} if metric_params is None else dict(metric_params)
    not_dicts = sorted(
        name for name, params in metric_params.items() if not isinstance(params, dict)
    )
    if not_dicts:
        raise TypeError(
            f"metric_params must map metric names to dicts of keyword arguments; the value for "
            f"{not_dicts} is not a dict."
        )
    n_train = check_positive_int(n_train, "n_train")
    n_test = check_positive_int(n_test, "n_test")
    unknown = sorted(set(metrics) - set(DISENTANGLEMENT_METRICS))
    if unknown:
        raise ValueError(
            f"unknown metric(s) {unknown}; choose from {list(DISENTANGLEMENT_METRICS)}."
        )
    extra = sorted(set(metric_params) - set(metrics))
    if extra:
        raise ValueError(f"metric_params given for metrics not evaluated: {extra}.")
    if random_state is not None and (
        isinstance(random_state, bool) or not isinstance(random_state, numbers.Integral)
    ):
        raise ValueError("random_state must be an int or None (each metric restarts from it).")
    check_ground_truth_dataset(dataset)
    check_fitted_estimator(estimator)
    results = {}
    for name in metrics:
        params = dict(metric_params.get(name, {}))
        rng = check_random_state(random_state)
        if name == "beta_vae":
            results[name] = beta_vae_score(estimator, dataset, random_state=rng, **params)
            continue
        if name == "factor_vae":
            results[name] = factor_vae_score(estimator, dataset, random_state=rng, **params)
            continue
        spec = _METRICS[name]
        _check_kwargs(spec.function, params, reserved=("random_state",))
        latents, factors = sample_latents_and_factors(estimator, dataset, n_train, rng)
        args = [latents, factors]
        if spec.uses_test_set and not (name == "sap" and params.get("continuous_factors", False)):
            args += list(sample_latents_and_factors(estimator, dataset, n_test, rng))
        if spec.seeded:
            params["random_state"] = rng
        results[name] = spec.function(*args, **params)
    return results
