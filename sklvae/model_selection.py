"""Disentanglement studies: every estimator over a grid of hyperparameters and seeds.

The large-scale comparisons of this field (Locatello et al. 2019 and the papers that
follow it) fit each method once per grid point and seed on the whole dataset, then
score every fit on the ground-truth protocol: points are *sampled from the dataset's
generative factors* (not held out by cross-validation) and their representations are
scored by each metric. :func:`run_study` runs such a sweep and writes one row per fit
to a CSV file as soon as the fit finishes, so an interrupted study resumes where it
stopped::

    from sklvae import BetaVAE, FactorVAE
    from sklvae.datasets import make_dsprites
    from sklvae.model_selection import run_study

    table = run_study(
        [(BetaVAE(max_steps=2000), {"beta": [1, 4, 16]}),
         (FactorVAE(max_steps=2000), {"gamma": [10, 40]})],
        make_dsprites(), metrics=["dci", "mig", "sap"], seeds=range(5),
        results_file="study.csv", n_jobs=4,
    )

Fits run through joblib: ``n_jobs=4`` uses local processes, ``n_jobs=1`` runs them one
after the other (one GPU), and inside ``joblib.parallel_config(backend="dask")`` with a
``dask.distributed.Client`` they run on the cluster's workers (start one worker per GPU,
each seeing its own device through ``CUDA_VISIBLE_DEVICES``, with ``device="auto"``).
Fits are reproducible wherever they run: each pins torch to ``n_threads`` threads, and
fits in threads of one process take turns, since torch's random generator is
process-wide (parallelism comes from processes or dask workers, not threads).
"""

from __future__ import annotations

import csv
import hashlib
import json
import math
import os
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, Sequence

import numpy as np
from joblib import Parallel, delayed
from sklearn.base import clone
from sklearn.model_selection import ParameterGrid

from .metrics.scorers import DISENTANGLEMENT_METRICS, evaluate_disentanglement

__all__ = ["run_study", "study_tasks"]

#: Columns before the metrics, and after them, in every results table.
KEY_COLUMNS = ("method", "params", "seed")
INFO_COLUMNS = (
    "reconstruction_error",
    "fit_time",
    "n_steps",
    "device",
    "sklvae_version",
    "torch_version",
    "sklearn_version",
)
_INT_COLUMNS = {"seed", "n_steps"}
#: torch's random generator and thread count are process-wide: fits in threads of one
#: process (a threaded dask worker, joblib's threading backend) take turns.
_FIT_LOCK = threading.Lock()
_STR_COLUMNS = {"method", "params", "device", "sklvae_version", "torch_version",
                "sklearn_version", "model_file"}


@dataclass(frozen=True)
class _FitTask:
    """One fit of a study: an unfitted estimator with its grid point and seed."""

    method: str
    params: str  # JSON of the grid point, sorted keys
    seed: int
    estimator: Any

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.method, self.params, str(self.seed))


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
            f"{where}: expected an estimator or an (estimator, param_grid) pair, "
            f"got {value!r}."
        )
    return value[0], value[1]


def study_tasks(estimators: Any, seeds: Iterable[int] = (0,)) -> list[_FitTask]:
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
                task = _FitTask(method, _params_json(params), int(seed), fitted)
                if task.key in seen:
                    raise ValueError(f"the study lists the fit {task.key} twice.")
                seen.add(task.key)
                tasks.append(task)
    return tasks


def _normalise_metrics(metrics: Any) -> dict[str, Any]:
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
    out = {}
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
                raise ValueError(f"metric {column!r}: sample size must be a positive int, got {n!r}.")
            out[str(column)] = (metric[0], int(n))
        elif callable(metric):
            out[str(column)] = (metric, None)
        else:
            raise TypeError(
                f"metric {column!r} must be a metric name, a scorer(estimator, X, y) or "
                f"a (scorer, n_samples) pair; got {metric!r}."
            )
    return out


def _reconstruction_error(estimator: Any, images: np.ndarray, chunk: int = 512) -> float:
    """Mean squared error of ``reconstruct`` in [0, 1] pixel scale.

    A model fitted on uint8 images reconstructs uint8 images (rounded to 1/255).
    """

    def unit_scale(a: np.ndarray) -> np.ndarray:
        a = np.asarray(a)
        return a.astype(np.float64) / 255.0 if a.dtype == np.uint8 else a.astype(np.float64)

    total, count = 0.0, 0
    for start in range(0, len(images), chunk):
        batch = np.asarray(images[start : start + chunk])
        x = unit_scale(batch)
        recon = unit_scale(estimator.reconstruct(batch))
        total += float(np.sum((recon - x) ** 2))
        count += x.size
    return total / count


def _versions() -> dict[str, str]:
    import sklearn
    import torch

    import sklvae

    return {
        "sklvae_version": sklvae.__version__,
        "torch_version": torch.__version__,
        "sklearn_version": sklearn.__version__,
    }


def _fit_and_score(task: _FitTask, dataset: Any, X: Any, metrics: dict, settings: dict) -> dict:
    """Fit one task and score it; runs in a joblib worker."""
    with _FIT_LOCK:
        return _fit_and_score_unlocked(task, dataset, X, metrics, settings)


def _fit_and_score_unlocked(task: _FitTask, dataset: Any, X: Any, metrics: dict,
                            settings: dict) -> dict:
    import torch

    previous_threads = torch.get_num_threads()
    if settings["n_threads"] is not None:
        torch.set_num_threads(settings["n_threads"])
    try:
        estimator = task.estimator
        if settings["verbose"] >= 2 and "verbose" in estimator.get_params():
            estimator.set_params(verbose=1)
        start = time.perf_counter()
        estimator.fit(dataset if X is None else X)
        fit_time = time.perf_counter() - start

        row: dict[str, Any] = {"method": task.method, "params": task.params, "seed": task.seed}
        seed = settings["random_state"]
        factors, images = dataset.sample(settings["n_train"], np.random.RandomState(seed))
        names = [m for m in metrics.values() if isinstance(m, str)]
        results = evaluate_disentanglement(
            estimator, dataset, names, n_train=settings["n_train"], n_test=settings["n_test"],
            random_state=seed, metric_params=settings["metric_params"],
        ) if names else {}
        for column, metric in metrics.items():
            if isinstance(metric, str):
                for key, value in results[metric].items():
                    if np.ndim(value) == 0 and isinstance(value, (int, float, np.number)):
                        row[f"{column}.{key}"] = float(value)
            else:
                scorer, n = metric
                if n is None:
                    row[column] = float(scorer(estimator, images, factors))
                else:
                    f_n, x_n = dataset.sample(n, np.random.RandomState(seed))
                    row[column] = float(scorer(estimator, x_n, f_n))
        for key in settings["history_keys"]:
            row[f"history.{key}"] = float(estimator.history_[-1, key])
        row["reconstruction_error"] = _reconstruction_error(estimator, images)
        row["fit_time"] = fit_time
        row["n_steps"] = int(getattr(estimator, "n_steps_", -1))
        net = getattr(estimator, "net_", None)
        row["device"] = str(getattr(net, "device", getattr(estimator, "device", "")))
        row.update(_versions())
        if settings["model_dir"] is not None:
            import joblib

            digest = hashlib.sha1(task.params.encode()).hexdigest()[:10]
            name = f"{task.method}_{digest}_seed{task.seed}.joblib"
            joblib.dump(estimator, Path(settings["model_dir"]) / name)
            row["model_file"] = name
        return row
    finally:
        torch.set_num_threads(previous_threads)


# --------------------------------------------------------------------------- #
# the results file
# --------------------------------------------------------------------------- #
def _parse_value(column: str, text: str) -> Any:
    if column in _STR_COLUMNS:
        return text
    if column in _INT_COLUMNS:
        return int(text)
    return float(text) if text != "" else math.nan


def _canonical(row: Mapping[str, Any]) -> dict[str, Any]:
    """A row as it reads back from the CSV file (floats round-trip exactly)."""
    return {k: _parse_value(k, str(v)) for k, v in row.items()}


def _read_results(path: Path) -> tuple[list[str] | None, list[dict]]:
    if not path.exists() or path.stat().st_size == 0:
        return None, []
    with path.open(newline="") as handle:
        reader = csv.DictReader(handle)
        header = list(reader.fieldnames or [])
        missing = [c for c in KEY_COLUMNS if c not in header]
        if missing:
            raise ValueError(f"{path} is not a study results file: no column(s) {missing}.")
        rows = [{k: _parse_value(k, v) for k, v in r.items()} for r in reader
                if None not in r and all(v is not None for v in r.values())]
    return header, rows


class _ResultsWriter:
    """Appends rows to the CSV file, one flushed line per finished fit."""

    def __init__(self, path: Path | None, header: list[str] | None):
        self.path, self.header = path, header

    def write(self, row: dict) -> None:
        if self.path is None:
            return
        columns = list(row)
        if self.header is None:
            self.header = columns
            with self.path.open("w", newline="") as handle:
                csv.writer(handle).writerow(columns)
        elif columns != self.header:
            raise ValueError(
                f"{self.path} has columns {self.header} but this study writes {columns}: "
                "use a new results_file for different metrics or options."
            )
        with self.path.open("a", newline="") as handle:
            csv.writer(handle).writerow([row[c] for c in columns])
            handle.flush()
            os.fsync(handle.fileno())


class _Progress:
    """One text progress bar over the fits, on stderr."""

    def __init__(self, total: int, done: int, enabled: bool, width: int = 30):
        self.total, self.done, self.enabled, self.width = total, done, enabled, width
        self.start = time.perf_counter()
        if enabled and done:
            print(f"study: {done} of {total} fits already in the results file", file=sys.stderr)
        self._draw("")

    def _draw(self, label: str) -> None:
        if not self.enabled:
            return
        filled = int(self.width * self.done / max(self.total, 1))
        bar = "#" * filled + "." * (self.width - filled)
        elapsed = time.perf_counter() - self.start
        print(f"\rstudy [{bar}] {self.done}/{self.total} fits {elapsed:7.1f}s {label}",
              end="", file=sys.stderr, flush=True)

    def update(self, row: dict) -> None:
        self.done += 1
        self._draw(f"{row['method']} seed={row['seed']}".ljust(40))

    def close(self) -> None:
        if self.enabled:
            print(file=sys.stderr, flush=True)


def run_study(
    estimators: Any,
    dataset: Any,
    *,
    metrics: Any = ("dci", "mig", "sap"),
    seeds: Iterable[int] = (0,),
    X: Any = None,
    n_train: int = 10000,
    n_test: int = 5000,
    random_state: int = 0,
    metric_params: Mapping[str, dict] | None = None,
    history_keys: Sequence[str] = (),
    results_file: str | os.PathLike | None = None,
    model_dir: str | os.PathLike | None = None,
    n_jobs: int | None = None,
    n_threads: int | None = 1,
    verbose: int = 0,
    as_frame: bool = True,
):
    """Fit every estimator over its grid and seeds; score each fit on the dataset.

    Each fit is ``clone(estimator).set_params(**grid_point, random_state=seed)``
    fitted on ``X`` (default: the whole ``dataset``), then evaluated on points
    sampled from the dataset's factors (disentanglement_lib's protocol), and
    written as one row of the results table.

    Parameters
    ----------
    estimators : list of (estimator, param_grid), or dict label -> (estimator, param_grid)
        ``param_grid`` as in ``GridSearchCV`` (dict or list of dicts). The ``method``
        column is the dict label, else the class name.
    dataset : GroundTruthDataset
        Ground truth for the metrics (and the training data unless ``X`` is given).
    metrics : sequence of str, or dict column -> metric
        Names from :data:`sklvae.metrics.DISENTANGLEMENT_METRICS`, evaluated with
        :func:`~sklvae.metrics.evaluate_disentanglement` (one column
        ``"<column>.<score>"`` per scalar score of the result, e.g. ``"dci.completeness"``);
        or, in a dict, scorers ``scorer(estimator, X, y)`` called on the ``n_train``
        sampled points, or ``(scorer, n_samples)`` for their own sample size.
    seeds : iterable of int, default=(0,)
        ``random_state`` of each fit.
    X : array-like, optional
        Training data; default the dataset itself (read lazily in batches).
    n_train, n_test : int, default=10000, 5000
        Sampled points per metric (dlib uses 10,000 and 5,000).
    random_state : int, default=0
        Evaluation seed: every fit is scored on the same sampled points.
    metric_params : dict, optional
        Keyword arguments per metric name, e.g. ``{"sap": {"continuous_factors": True}}``.
    history_keys : sequence of str
        Entries of the fit's last ``history_`` row to record as ``"history.<key>"``,
        e.g. the name of a :class:`~sklvae.callbacks.DisentanglementMonitor`.
    results_file : path, optional
        CSV file, one row per fit, appended as each fit finishes. Fits whose
        ``(method, params, seed)`` are already in it are skipped, so re-running an
        interrupted study finishes it.
    model_dir : path, optional
        Save each fitted estimator there with ``joblib.dump`` (column ``model_file``).
    n_jobs : int, optional
        Fits run in parallel through joblib (``parallel_config`` chooses the backend).
    n_threads : int or None, default=1
        torch threads per fit (restored after it), so that results do not depend on
        how the fits are spread over processes; None leaves torch's setting.
    verbose : int, default=0
        1: a progress bar over fits; 2: also each fit's epoch table.
    as_frame : bool, default=True
        Return a pandas DataFrame (needs pandas), else a list of dicts.

    Returns
    -------
    pandas.DataFrame or list of dict
        One row per fit of this study, in the order estimator, grid point, seed.
    """
    from .metrics._representation import check_ground_truth_dataset

    check_ground_truth_dataset(dataset)
    for name, value in (("n_train", n_train), ("n_test", n_test)):
        if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < 1:
            raise ValueError(f"{name} must be a positive integer, got {value!r}.")
    if not isinstance(random_state, (int, np.integer)):
        raise ValueError(f"random_state must be an int (the evaluation seed), got {random_state!r}.")
    if as_frame:
        try:
            import pandas as pd
        except ImportError as exc:  # pragma: no cover - depends on the environment
            raise ImportError(
                "run_study returns a pandas DataFrame: pip install 'sklvae[study]' "
                "(or pass as_frame=False for a list of dicts)."
            ) from exc
    metrics = _normalise_metrics(metrics)
    if not metrics:
        raise ValueError("metrics is empty: give at least one metric.")
    tasks = study_tasks(estimators, seeds)
    path = None if results_file is None else Path(results_file)
    header, done_rows = _read_results(path) if path is not None else (None, [])
    if model_dir is not None:
        Path(model_dir).mkdir(parents=True, exist_ok=True)
    finished = {(r["method"], r["params"], str(r["seed"])): r for r in done_rows}
    todo = [task for task in tasks if task.key not in finished]
    settings = dict(
        n_train=int(n_train), n_test=int(n_test), random_state=int(random_state),
        metric_params=dict(metric_params or {}), history_keys=tuple(history_keys),
        model_dir=None if model_dir is None else str(model_dir),
        n_threads=n_threads, verbose=int(verbose),
    )
    writer = _ResultsWriter(path, header)
    progress = _Progress(len(tasks), len(tasks) - len(todo), verbose >= 1)
    try:
        if todo:
            parallel = Parallel(n_jobs=n_jobs, return_as="generator_unordered")
            jobs = (delayed(_fit_and_score)(t, dataset, X, metrics, settings) for t in todo)
            for row in parallel(jobs):
                writer.write(row)
                finished[(row["method"], row["params"], str(row["seed"]))] = _canonical(row)
                progress.update(row)
    finally:
        progress.close()
    rows = [finished[task.key] for task in tasks]
    if not as_frame:
        return rows
    return pd.DataFrame(rows)
