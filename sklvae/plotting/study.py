"""Figures of a study's results table (:func:`sklvae.model_selection.run_study`).

As in the large-scale comparisons of this field (Locatello et al. 2019): the spread of
each metric over seeds for each method, a metric against one hyperparameter, and the
rank correlation between metrics over all fits.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from scipy.stats import spearmanr

from ..model_selection import INFO_COLUMNS, KEY_COLUMNS
from ._checks import check_axes, check_positive, import_pyplot
from .matrices import _figure_and_axes, _write_values

#: Table columns that describe a fit rather than score it.
_NON_METRIC_COLUMNS = {*KEY_COLUMNS, *INFO_COLUMNS, "model_file"}


def _study_columns(results: Any) -> dict[str, np.ndarray]:
    """A DataFrame, a list of row dicts or a results CSV path -> column arrays."""
    if isinstance(results, (str, os.PathLike)):
        from ..model_selection._results import read_results

        path = Path(results)
        if not path.exists():
            raise ValueError(f"no results file at {path}.")
        _, results = read_results(path)
    if hasattr(results, "to_dict") and hasattr(results, "columns"):
        results = results.to_dict("records")
    if not isinstance(results, (list, tuple)) or not all(isinstance(r, dict) for r in results):
        raise TypeError(
            "results must be a run_study table (DataFrame or list of row dicts) or the "
            f"path of its CSV file; got {type(results).__name__}."
        )
    if not results:
        raise ValueError("the results table has no rows.")
    missing = [c for c in ("method", "params", "seed") if c not in results[0]]
    if missing:
        raise ValueError(f"the results table lacks the column(s) {missing}.")
    return {c: np.asarray([row.get(c) for row in results]) for c in results[0]}


def _metric_names(columns: dict[str, np.ndarray], metrics: Any) -> list[str]:
    if metrics is None:
        metrics = [
            c
            for c, v in columns.items()
            if c not in _NON_METRIC_COLUMNS and np.issubdtype(v.dtype, np.number)
        ]
        if not metrics:
            raise ValueError("the results table has no metric columns.")
        return metrics
    metrics = [metrics] if isinstance(metrics, str) else list(metrics)
    if not metrics:
        raise ValueError("metrics is empty.")
    for metric in metrics:
        if metric not in columns:
            raise ValueError(f"no column {metric!r} in the results; columns are {list(columns)}.")
        if not np.issubdtype(columns[metric].dtype, np.number):
            raise ValueError(f"column {metric!r} is not numeric.")
    return metrics


def _methods(columns: dict[str, np.ndarray]) -> list[str]:
    return list(dict.fromkeys(columns["method"].tolist()))  # first-seen order


def plot_metric_distributions(
    results: Any,
    metrics: str | Sequence[str] | None = None,
    *,
    kind: str = "box",
    n_cols: int = 3,
    panel_size: tuple[float, float] = (3.2, 2.8),
):
    """Per metric, the distribution of the scores over seeds (and grid points) per method.

    Parameters
    ----------
    results : DataFrame, list of dict or path
        A table returned by :func:`~sklvae.model_selection.run_study`, or its CSV file.
    metrics : str or sequence of str, optional
        Metric columns (default: every numeric column that scores a fit).
    kind : {"box", "strip"}, default="box"
        Box plots with the fits drawn over them, or the fits only (jittered).
    n_cols : int, default=3
        Panels per row.
    panel_size : (float, float), default=(3.2, 2.8)
        Inches per panel.

    Returns
    -------
    matplotlib.figure.Figure
        One panel per metric, ``n_cols`` panels per row.
    """
    plt = import_pyplot()
    columns = _study_columns(results)
    metrics = _metric_names(columns, metrics)
    if kind not in ("box", "strip"):
        raise ValueError(f"kind must be 'box' or 'strip', got {kind!r}.")
    n_cols = check_positive(n_cols, "n_cols", integer=True)
    methods = _methods(columns)
    n_cols = min(n_cols, len(metrics))
    n_rows = -(-len(metrics) // n_cols)
    fig, axes = plt.subplots(
        n_rows, n_cols, squeeze=False, figsize=(panel_size[0] * n_cols, panel_size[1] * n_rows)
    )
    rng = np.random.RandomState(0)  # jitter only
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for ax, metric in zip(axes.flat, metrics):
        values = [columns[metric][columns["method"] == m].astype(float) for m in methods]
        values = [v[np.isfinite(v)] for v in values]
        if kind == "box":
            ax.boxplot(values, positions=range(len(methods)), widths=0.6, showfliers=False)
        for i, v in enumerate(values):
            jitter = (
                rng.uniform(-0.15, 0.15, len(v))
                if kind == "box"
                else rng.uniform(-0.25, 0.25, len(v))
            )
            ax.scatter(i + jitter, v, s=12, alpha=0.7, color=colors[i % len(colors)], zorder=3)
        ax.set_xticks(range(len(methods)), methods, rotation=30, ha="right")
        ax.set_title(metric, fontsize=10)
        ax.grid(axis="y", color="0.9")
    for ax in list(axes.flat)[len(metrics) :]:
        ax.axis("off")
    fig.tight_layout()
    return fig


def _param_values(columns: dict[str, np.ndarray], param: str) -> np.ndarray:
    values = []
    for text in columns["params"]:
        params = json.loads(text) if isinstance(text, str) else dict(text)
        values.append(params.get(param, np.nan))
    return np.asarray(values, dtype=object)


def plot_metric_vs_param(
    results: Any,
    metric: str,
    param: str,
    *,
    log_scale: bool | None = None,
    ax: Any = None,
):
    """A metric against one hyperparameter: every fit, and the median per value, per method.

    Methods whose grid lacks ``param`` are left out.

    Parameters
    ----------
    results : DataFrame, list of dict or path
        A :func:`~sklvae.model_selection.run_study` table or its CSV file.
    metric : str
        Metric column (y axis).
    param : str
        Hyperparameter of the grid (x axis), e.g. ``"beta"``.
    log_scale : bool, optional
        Logarithmic x axis; default when the values are positive and span more than
        a factor of 10.
    ax : matplotlib Axes, optional
        Draw into this Axes instead of a new figure.

    Returns
    -------
    matplotlib.figure.Figure
        The figure of ``ax`` (or a new one), with a legend of the methods.
    """
    plt = import_pyplot()
    check_axes(ax)
    columns = _study_columns(results)
    (metric,) = _metric_names(columns, [metric])
    values = _param_values(columns, param)
    has_param = np.array(
        [v is not None and not (isinstance(v, float) and np.isnan(v)) for v in values]
    )
    if not has_param.any():
        raise ValueError(
            f"no fit of the study sets {param!r}; its grids set "
            f"{sorted({k for p in columns['params'] for k in json.loads(p)})}."
        )
    try:
        x_all = np.asarray([float(v) if h else np.nan for v, h in zip(values, has_param)])
    except (TypeError, ValueError) as err:
        raise ValueError(
            f"{param!r} takes non-numeric values; plot it as a method label instead."
        ) from err
    fig, ax = _figure_and_axes(plt, ax, (5, 3.5))
    y_all = columns[metric].astype(float)
    for method in _methods(columns):
        rows = (columns["method"] == method) & has_param
        if not rows.any():
            continue
        x, y = x_all[rows], y_all[rows]
        grid = np.unique(x)
        medians = [np.nanmedian(y[x == g]) for g in grid]
        (line,) = ax.plot(grid, medians, marker="o", label=method)
        ax.scatter(x, y, s=10, alpha=0.5, color=line.get_color())
    positive = x_all[has_param]
    if log_scale is None:
        log_scale = bool(np.all(positive > 0) and positive.max() > 10 * positive.min())
    if log_scale:
        ax.set_xscale("log")
    ax.set_xlabel(param)
    ax.set_ylabel(metric)
    ax.legend(fontsize=8)
    ax.grid(color="0.9")
    fig.tight_layout()
    return fig


def plot_metric_rank_correlation(
    results: Any,
    metrics: Sequence[str] | None = None,
    *,
    annotate: bool = True,
    ax: Any = None,
):
    """Spearman rank correlation between metrics over all fits of a study.

    Parameters
    ----------
    results : DataFrame, list of dict or path
        A :func:`~sklvae.model_selection.run_study` table or its CSV file.
    metrics : sequence of str, optional
        At least two metric columns (default: every metric column).
    annotate : bool, default=True
        Write each coefficient in its cell.
    ax : matplotlib Axes, optional
        Axes for the heatmap (default: a new figure).

    Returns
    -------
    matplotlib.figure.Figure
        The heatmap of Spearman's ρ between every pair of metrics.
    """
    plt = import_pyplot()
    check_axes(ax)
    columns = _study_columns(results)
    metrics = _metric_names(columns, metrics)
    if len(metrics) < 2:
        raise ValueError(f"a rank correlation needs at least two metrics, got {metrics}.")
    table = np.column_stack([columns[m].astype(float) for m in metrics])
    table = table[np.all(np.isfinite(table), axis=1)]
    if len(table) < 3:
        raise ValueError(
            f"a rank correlation needs at least 3 fits with every metric; got {len(table)}."
        )
    rho = np.atleast_2d(spearmanr(table).statistic)
    rho = np.where(np.isfinite(rho), rho, 0.0)  # a constant metric correlates with nothing
    fig, ax = _figure_and_axes(plt, ax, (0.7 * len(metrics) + 2.5, 0.6 * len(metrics) + 1.8))
    image = ax.imshow(rho, cmap="RdBu_r", vmin=-1, vmax=1)
    fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04, label="Spearman ρ")
    ax.set_xticks(range(len(metrics)), metrics, rotation=45, ha="right")
    ax.set_yticks(range(len(metrics)), metrics)
    if annotate:
        _write_values(ax, rho, white=np.abs(rho) > 0.6)
    ax.set_title(f"rank correlation over {len(table)} fits")
    fig.tight_layout()
    return fig
