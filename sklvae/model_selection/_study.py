"""run_study: fit every estimator over its grid and seeds, score each fit, one row each."""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from joblib import Parallel, delayed

from .._atomic import atomic_path
from ..metrics.scorers import evaluate_disentanglement
from ._checkpoints import StudyCheckpoint, remove_checkpoints
from ._locks import FileLock
from ._results import Progress, ResultsFile, canonical
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


def _fit(estimator: Any, X: Any, task: FitTask, settings: dict) -> int:
    """Fit ``estimator`` (resuming from its checkpoint); the step it resumed from."""
    if settings["checkpoint_dir"] is None:
        estimator.fit(X)
        _raise_if_interrupted(estimator, task)
        return 0
    if "callbacks" not in estimator.get_params():
        raise ValueError(
            f"{task.method}: checkpoint_dir needs estimators that take skorch callbacks "
            f"(sklvae's), not {type(estimator).__name__}."
        )
    checkpoint = StudyCheckpoint(
        Path(settings["checkpoint_dir"]) / task.name, settings["checkpoint_every"]
    )
    callbacks = estimator.get_params()["callbacks"]
    estimator.set_params(callbacks=[*(callbacks or []), ("study_checkpoint", checkpoint)])
    try:
        estimator.fit(X)
    finally:
        # the fitted model keeps no trace of the study's checkpoints
        estimator.set_params(callbacks=callbacks)
        net = getattr(estimator, "net_", None)
        if net is not None:
            net.callbacks_ = [(n, c) for n, c in net.callbacks_ if c is not checkpoint]
            net.callbacks = [e for e in net.callbacks if e != ("study_checkpoint", checkpoint)]
    _raise_if_interrupted(estimator, task)
    return int(checkpoint.resumed_from_step_)


def _raise_if_interrupted(estimator: Any, task: FitTask) -> None:
    """A fit stopped by a KeyboardInterrupt stops the study (its row is not written)."""
    if getattr(getattr(estimator, "net_", None), "interrupted_", False):
        raise KeyboardInterrupt(
            f"the fit {task.key} was interrupted at step {estimator.n_steps_}; run the "
            "study again to finish it (with checkpoint_dir, it resumes from its checkpoint)."
        )


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
        resumed_from_step = _fit(estimator, dataset if X is None else X, task, settings)
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
        row["resumed_from_step"] = resumed_from_step
        net = getattr(estimator, "net_", None)
        row["device"] = str(getattr(net, "device", getattr(estimator, "device", "")))
        row.update(_versions())
        if settings["model_dir"] is not None:
            import joblib

            name = task.name + ".joblib"
            with atomic_path(Path(settings["model_dir"]) / name) as tmp:
                joblib.dump(estimator, tmp)
            row["model_file"] = name
        return row
    finally:
        torch.set_num_threads(previous_threads)


def _row_key(row: Mapping[str, Any]) -> tuple[str, str, str]:
    return (row["method"], row["params"], str(row["seed"]))


def _claimed_jobs(todo, results, claims, held, busy, finished, progress, job_args):
    """The fits to dispatch, each claimed just before (see :func:`_run_fits`)."""
    for task in todo:
        if results is not None and claims is not None:
            claim = FileLock(claims / task.name)
            if not claim.acquire(blocking=False):
                busy.append(task)  # another process runs it
                continue
            row = {_row_key(r): r for r in results.read()[1]}.get(task.key)
            if row is not None:  # another process finished it meanwhile
                claim.release()
                finished[task.key] = row
                progress.update(row)
                continue
            held[task.key] = claim
        yield delayed(_fit_and_score)(task, *job_args)


def _run_fits(
    tasks: list[FitTask],
    finished: dict,
    results: ResultsFile | None,
    progress: Progress,
    n_jobs: int | None,
    job_args: tuple,
) -> None:
    """Run every task without a row in ``finished``, adding each row as it comes.

    With a results file, a fit runs only in the process that holds its claim (a lock
    file ``<results_file>.claims/<fit>``, held from just before the fit is dispatched
    until its row is written), and only if the file has no row for it once the claim
    is held: processes sharing a results file split the fits, and none runs a fit
    that another has finished or is running. Fits claimed by another process are
    waited for (its claim is released when its row is written, or when it dies:
    then this process runs the fit, from its checkpoint).
    """
    settings = job_args[-1]
    claims = None if results is None else results.path.with_name(results.path.name + ".claims")
    while True:
        todo = [task for task in tasks if task.key not in finished]
        if not todo:
            break
        held: dict[tuple, FileLock] = {}
        busy: list[FitTask] = []

        names = {task.key: task.name for task in todo}
        try:
            jobs = _claimed_jobs(todo, results, claims, held, busy, finished, progress, job_args)
            for row in Parallel(n_jobs=n_jobs, return_as="generator_unordered")(jobs):
                key = _row_key(row)
                if results is not None:
                    results.append(row)
                finished[key] = canonical(row)
                if settings["checkpoint_dir"] is not None:
                    remove_checkpoints(Path(settings["checkpoint_dir"]) / names[key])
                claim = held.pop(key, None)
                if claim is not None:
                    claim.release(remove=True)
                progress.update(row)
        except Exception as exc:
            if type(exc).__name__ == "KilledWorker":  # dask gave up on a fit
                raise RuntimeError(
                    f"A dask worker died on every try of a fit ({exc}); the study stops. "
                    "Every finished fit's row is in the results file: run the study again "
                    "to finish the others (they resume from their checkpoints with "
                    "checkpoint_dir)."
                ) from exc
            raise
        finally:
            for claim in held.values():
                claim.release()
        if busy and results is not None and claims is not None:
            # wait until the other process writes the row (or dies), then look again
            progress.note(f"waiting for {len(busy)} fit(s) run by another process")
            claim = FileLock(claims / busy[0].name)
            claim.acquire()
            claim.release()
            for row in results.read()[1]:
                key = _row_key(row)
                if key in names and key not in finished:
                    finished[key] = row
                    progress.update(row)
    if claims is not None:
        with contextlib.suppress(OSError):
            claims.rmdir()  # only when empty: no process has a claim left


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
    checkpoint_dir: str | os.PathLike | None = None,
    checkpoint_every: int | None = None,
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
        CSV file, one row per fit, added as each fit finishes (after its model file,
        if any, is complete). Fits whose ``(method, params, seed)`` are already in it
        are skipped, so re-running an interrupted study finishes it. The file is
        rewritten atomically under an OS lock (``<results_file>.lock``), and each
        running fit is claimed (``<results_file>.claims/``), so several processes
        may run the same study on one results file: they split the fits and never
        run one twice (POSIX; on Windows run one process per results file). A last
        row cut short by a crash is ignored and that fit runs again.
    model_dir : path, optional
        Save each fitted estimator there with ``joblib.dump`` (column ``model_file``),
        written atomically.
    checkpoint_dir : path, optional
        Checkpoint each running fit into its own folder there (named after its
        method, params and seed); a fit interrupted by a crash, a kill or a lost
        worker resumes from its newest checkpoint when the study runs again, and ends
        exactly as if it had not stopped (column ``resumed_from_step``: the step it
        resumed from, 0 when it ran from the start). A finished fit's folder is
        removed once its row is written. With several processes or dask workers, it
        must be a folder they all see at the same path.
    checkpoint_every : int, optional
        Optimizer steps between two checkpoints (with ``checkpoint_dir``). Resume
        points are epoch ends: a checkpoint is written at the end of the first epoch
        by which ``checkpoint_every`` steps have passed since the last one (None: at
        every epoch end), and when training ends, so that a fit killed while it is
        scored is not trained again.
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
    if checkpoint_every is not None:
        if checkpoint_dir is None:
            raise ValueError("checkpoint_every needs checkpoint_dir (where checkpoints go).")
        if (
            not isinstance(checkpoint_every, (int, np.integer))
            or isinstance(checkpoint_every, bool)
            or checkpoint_every < 1
        ):
            raise ValueError(
                f"checkpoint_every must be a positive integer (steps) or None, got "
                f"{checkpoint_every!r}."
            )
    results = None if results_file is None else ResultsFile(Path(results_file))
    _, done_rows = results.read() if results is not None else (None, [])
    if model_dir is not None:
        Path(model_dir).mkdir(parents=True, exist_ok=True)
    finished = {_row_key(r): r for r in done_rows}
    settings = dict(
        n_train=int(n_train),
        n_test=int(n_test),
        random_state=int(random_state),
        metric_params=dict(metric_params or {}),
        history_keys=tuple(history_keys),
        model_dir=None if model_dir is None else str(model_dir),
        checkpoint_dir=None if checkpoint_dir is None else str(checkpoint_dir),
        checkpoint_every=None if checkpoint_every is None else int(checkpoint_every),
        n_threads=n_threads,
        verbose=int(verbose),
    )
    done = sum(task.key in finished for task in tasks)
    progress = Progress(len(tasks), done, verbose >= 1)
    try:
        _run_fits(tasks, finished, results, progress, n_jobs, (dataset, X, metrics, settings))
    finally:
        progress.close()
    rows = [finished[task.key] for task in tasks]
    if not as_frame:
        return rows
    return pd.DataFrame(rows)
