"""The fits of a study: estimators x parameter grids x seeds, and the metrics to score."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.base import clone
from sklearn.model_selection import ParameterGrid

from ..metrics.scorers import DISENTANGLEMENT_METRICS
from ._checkpoints import fit_name

__all__ = ["study_tasks"]


@dataclass(frozen=True)
class FitTask:
    """One fit of a study: an unfitted estimator with its grid point and seed."""

    method: str
    params: str  # JSON of the grid point, sorted keys
    seed: int
    estimator: Any

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.method, self.params, str(self.seed))

    @property
    def name(self) -> str:
        """The fit's name on disk: model file, checkpoint folder, claim."""
        return fit_name(self.method, self.params, self.seed)


def _params_json(params: Mapping[str, Any]) -> str:
    return json.dumps(dict(params), sort_keys=True, default=repr)


def _normalise_estimators(estimators: Any) -> list[tuple[str, Any, Any]]:
    """``[(estimator, grid)]`` or ``{label: (estimator, grid)}`` -> ``[(label, est, grid)]``."""
    if isinstance(estimators, Mapping):
        items = [(str(label), *_pair(value, label)) for label, value in estimators.items()]
    elif isinstance(estimators, (list, tuple)):
        items = []
        for i, value in enumerate(estimators):
            estimator, grid = _pair(value, f"estimators[{i}]")
            items.append((type(estimator).__name__, estimator, grid))
    else:
        raise TypeError(
            "estimators must be a list of (estimator, param_grid) pairs or a dict "
            f"label -> (estimator, param_grid); got {type(estimators).__name__}."
        )
    if not items:
        raise ValueError("estimators is empty: give at least one (estimator, param_grid).")
    return items


def _pair(value: Any, where: Any) -> tuple[Any, Any]:
    if hasattr(value, "fit") and hasattr(value, "get_params"):
        return value, {}
    if not (isinstance(value, (list, tuple)) and len(value) == 2 and hasattr(value[0], "fit")):
        raise TypeError(
            f"{where}: expected an estimator or an (estimator, param_grid) pair, got {value!r}."
        )
    return value[0], value[1]


def study_tasks(estimators: Any, seeds: Iterable[int] = (0,)) -> list[FitTask]:
    """The fits of a study in their fixed order: estimator, grid point, then seed.

    Parameters
    ----------
    estimators : list of (estimator, param_grid) or dict label -> (estimator, param_grid)
        ``param_grid`` is a dict (or list of dicts) as in ``GridSearchCV``; an
        estimator alone means an empty grid. The method column is the label, or
        the estimator's class name.
    seeds : iterable of int
        Each grid point is fitted once per seed, given as ``random_state``.

    Returns
    -------
    list
        One task per fit, with ``method``, ``params`` (JSON), ``seed`` and the
        unfitted ``estimator``.
    """
    seeds = list(seeds)
    if not seeds:
        raise ValueError("seeds is empty: give at least one seed.")
    for seed in seeds:
        if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool):
            raise TypeError(f"seeds must be integers, got {seed!r}.")
    if len(set(seeds)) != len(seeds):
        raise ValueError(f"seeds contains duplicates: {seeds}.")
    tasks, seen = [], set()
    for method, estimator, grid in _normalise_estimators(estimators):
        valid = estimator.get_params()
        for params in ParameterGrid(grid):
            unknown = sorted(set(params) - set(valid))
            if unknown:
                raise ValueError(f"{method}: unknown parameter(s) {unknown} in the grid.")
            if "random_state" in params:
                raise ValueError(
                    f"{method}: random_state is set by `seeds`; remove it from the grid."
                )
            for seed in seeds:
                fitted = clone(estimator).set_params(**params, random_state=int(seed))
                task = FitTask(method, _params_json(params), int(seed), fitted)
                if task.key in seen:
                    raise ValueError(f"the study lists the fit {task.key} twice.")
                seen.add(task.key)
                tasks.append(task)
    return tasks


def normalise_metrics(metrics: Any) -> dict[str, Any]:
    """Metric names and scorers -> ``{column: name | (scorer, n_samples | None)}``."""
    if isinstance(metrics, str):
        metrics = [metrics]
    if isinstance(metrics, Mapping):
        items = list(metrics.items())
    else:
        items = []
        for metric in metrics:
            if not isinstance(metric, str):
                raise TypeError(
                    "a scorer needs a column name: pass metrics as a dict, e.g. "
                    f"{{'my_score': scorer}}; got {metric!r} in a list."
                )
            items.append((metric, metric))
    out: dict[str, Any] = {}
    for column, metric in items:
        if isinstance(metric, str):
            if metric not in DISENTANGLEMENT_METRICS:
                raise ValueError(
                    f"unknown metric {metric!r}; choose from {list(DISENTANGLEMENT_METRICS)} "
                    "or give a scorer(estimator, X, y)."
                )
            out[str(column)] = metric
        elif isinstance(metric, tuple) and len(metric) == 2 and callable(metric[0]):
            n = metric[1]
            if not isinstance(n, (int, np.integer)) or n < 1:
                raise ValueError(
                    f"metric {column!r}: sample size must be a positive int, got {n!r}."
                )
            out[str(column)] = (metric[0], int(n))
        elif callable(metric):
            out[str(column)] = (metric, None)
        else:
            raise TypeError(
                f"metric {column!r} must be a metric name, a scorer(estimator, X, y) or "
                f"a (scorer, n_samples) pair; got {metric!r}."
            )
    return out
