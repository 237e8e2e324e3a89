"""run_study: fit every estimator over its grid and seeds, score each fit, one row each."""

from __future__ import annotations

import hashlib
import os
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from joblib import Parallel, delayed

from ..metrics.scorers import evaluate_disentanglement
from ._results import Progress, ResultsWriter, canonical, read_results
from ._tasks import FitTask, normalise_metrics, study_tasks

__all__ = ["run_study"]

#: torch's random generator and thread count are process-wide: fits in threads of one
#: process (a threaded dask worker, joblib's threading backend) take turns.
_FIT_LOCK = threading.Lock()


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


def _fit_and_score(task: FitTask, dataset: Any, X: Any, metrics: dict, settings: dict) -> dict:
    """Fit one task and score it; runs in a joblib worker."""
    with _FIT_LOCK:
        return _fit_and_score_unlocked(task, dataset, X, metrics, settings)


def _fit_and_score_unlocked(
    task: FitTask, dataset: Any, X: Any, metrics: dict, settings: dict
) -> dict:
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
        results = (
            evaluate_disentanglement(
                estimator,
                dataset,
                names,
                n_train=settings["n_train"],
                n_test=settings["n_test"],
                random_state=seed,
                metric_params=settings["metric_params"],
            )
            if names
            else {}
        )
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
            if key not in estimator.history_[-1]:
                raise KeyError(
                    f"history_keys: {key!r} is not in the last history row of "
                    f"{task.method}; it has {sorted(estimator.history_[-1])}."
                )
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
        Torch threads per fit (restored after it), so that results do not depend on
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
    from ..metrics._representation import check_ground_truth_dataset

    check_ground_truth_dataset(dataset)
    for name, value in (("n_train", n_train), ("n_test", n_test)):
        if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < 1:
            raise ValueError(f"{name} must be a positive integer, got {value!r}.")
    if not isinstance(random_state, (int, np.integer)):
        raise ValueError(
            f"random_state must be an int (the evaluation seed), got {random_state!r}."
        )
    if as_frame:
        try:
            import pandas as pd
        except ImportError as exc:  # pragma: no cover - depends on the environment
            raise ImportError(
                "run_study returns a pandas DataFrame: pip install 'sklvae[study]' "
                "(or pass as_frame=False for a list of dicts)."
            ) from exc
    metrics = normalise_metrics(metrics)
    if not metrics:
        raise ValueError("metrics is empty: give at least one metric.")
    named = {m for m in metrics.values() if isinstance(m, str)}
    stray = sorted(set(metric_params or {}) - named)
    if stray:
        raise ValueError(f"metric_params given for metrics not in the study: {stray}.")
    tasks = study_tasks(estimators, seeds)
    path = None if results_file is None else Path(results_file)
    header, done_rows = read_results(path) if path is not None else (None, [])
    if model_dir is not None:
        Path(model_dir).mkdir(parents=True, exist_ok=True)
    finished = {(r["method"], r["params"], str(r["seed"])): r for r in done_rows}
    todo = [task for task in tasks if task.key not in finished]
    settings = dict(
        n_train=int(n_train),
        n_test=int(n_test),
        random_state=int(random_state),
        metric_params=dict(metric_params or {}),
        history_keys=tuple(history_keys),
        model_dir=None if model_dir is None else str(model_dir),
        n_threads=n_threads,
        verbose=int(verbose),
    )
    writer = ResultsWriter(path, header)
    progress = Progress(len(tasks), len(tasks) - len(todo), verbose >= 1)
    try:
        if todo:
            parallel = Parallel(n_jobs=n_jobs, return_as="generator_unordered")
            jobs = (delayed(_fit_and_score)(t, dataset, X, metrics, settings) for t in todo)
            for row in parallel(jobs):
                writer.write(row)
                finished[(row["method"], row["params"], str(row["seed"]))] = canonical(row)
                progress.update(row)
    finally:
        progress.close()
    rows = [finished[task.key] for task in tasks]
    if not as_frame:
        return rows
    return pd.DataFrame(rows)
