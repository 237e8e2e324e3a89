"""Figures of the metric matrices: DCI Hinton diagram and InfoMEC NMI heatmap."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ._checks import check_axes, check_positive, import_pyplot


def _matrix_and_labels(
    matrix, key, n_rows_name, n_cols_name, row_names, col_names, prefix_rows, prefix_cols
):
    if isinstance(matrix, dict):
        if key not in matrix:
            raise ValueError(f"the result dict has no {key!r} entry.")
        matrix = matrix[key]
    try:
        matrix = np.asarray(matrix, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(
            f"{key} must be a numeric 2-D array, got {type(matrix).__name__}."
        ) from None
    if matrix.ndim != 2 or 0 in matrix.shape:
        raise ValueError(f"{key} must be a non-empty 2-D matrix, got shape {matrix.shape}.")
    if not np.all(np.isfinite(matrix)):
        raise ValueError("the matrix contains NaN or infinite values.")
    rows = (
        list(row_names)
        if row_names is not None
        else [f"{prefix_rows}{i}" for i in range(matrix.shape[0])]
    )
    cols = (
        list(col_names)
        if col_names is not None
        else [f"{prefix_cols}{j}" for j in range(matrix.shape[1])]
    )
    if len(rows) != matrix.shape[0]:
        raise ValueError(f"got {len(rows)} {n_rows_name} for {matrix.shape[0]} rows.")
    if len(cols) != matrix.shape[1]:
        raise ValueError(f"got {len(cols)} {n_cols_name} for {matrix.shape[1]} columns.")
    return matrix, rows, cols


def _figure_and_axes(plt, ax, figsize: tuple[float, float]):
    """``(figure, axes)``: a new figure of ``figsize`` when ``ax`` is None, else ``ax``'s."""
    if ax is None:
        return plt.subplots(figsize=figsize)
    return ax.figure, ax


def _write_values(ax, matrix: np.ndarray, white: np.ndarray) -> None:
    """Write each value of ``matrix`` in its cell; ``white`` marks cells with white text."""
    for (row, col), value in np.ndenumerate(matrix):
        ax.text(
            col,
            row,
            f"{value:.2f}",
            ha="center",
            va="center",
            color="white" if white[row, col] else "black",
            fontsize=8,
        )


def _label_matrix_axes(fig, ax, title: str | None, new_figure: bool):
    """Axis labels (latents across, factors down), title, and the layout of a new figure."""
    ax.set_xlabel("latent")
    ax.set_ylabel("factor")
    if title:
        ax.set_title(title)
    if new_figure:
        fig.tight_layout()
    return fig


def plot_dci_matrix(
    importance_matrix: Any,
    *,
    factor_names: Sequence[str] | None = None,
    latent_names: Sequence[str] | None = None,
    max_weight: float | None = None,
    color: str = "tab:blue",
    ax: Any = None,
    title: str | None = "DCI importance matrix",
):
    """Hinton diagram of a DCI importance matrix (as in the MIPET paper's Figure 3).

    Each cell is a square whose area is proportional to the importance of a
    latent (column) for a factor (row), so a disentangled, complete
    representation shows one large square per row and column.

    Parameters
    ----------
    importance_matrix : array-like of shape (n_latents, n_factors), or dict
        ``sklvae.metrics.dci(...)["importance_matrix"]`` or the whole result dict.
    factor_names, latent_names : sequence of str, optional
        Row and column labels (default ``f0, f1, ...`` and ``z0, z1, ...``).
    max_weight : float, optional
        Importance drawn as a full cell (default: the largest entry).
    color : str, default="tab:blue"
        Colour of the squares.
    ax : matplotlib Axes, optional
        Axes to draw the diagram into; a new figure by default.
    title : str or None, default="DCI importance matrix"
        Axes title; None or "" for none.

    Returns
    -------
    matplotlib.figure.Figure
        The figure of the diagram (``ax``'s figure when given).
    """
    plt = import_pyplot()
    from matplotlib.patches import Rectangle

    check_axes(ax)
    if max_weight is not None:
        max_weight = check_positive(max_weight, "max_weight")

    matrix, latents, factors = _matrix_and_labels(
        importance_matrix,
        "importance_matrix",
        "latent_names",
        "factor_names",
        latent_names,
        factor_names,
        "z",
        "f",
    )
    if np.any(matrix < 0):
        raise ValueError("importances must be non-negative.")
    weights = matrix.T  # rows: factors, columns: latents
    top = float(max_weight) if max_weight is not None else float(weights.max())
    new_figure = ax is None
    figsize = (0.5 * weights.shape[1] + 1.5, 0.5 * weights.shape[0] + 1.2)
    fig, ax = _figure_and_axes(plt, ax, figsize)
    ax.set_facecolor("white")
    ax.set_aspect("equal", "box")
    for (row, col), weight in np.ndenumerate(weights):
        if weight <= 0 or top <= 0:
            continue
        side = np.sqrt(min(weight / top, 1.0)) * 0.9
        ax.add_patch(
            Rectangle(
                (col - side / 2, row - side / 2), side, side, facecolor=color, edgecolor=color
            )
        )
    ax.set_xlim(-0.5, weights.shape[1] - 0.5)
    ax.set_ylim(weights.shape[0] - 0.5, -0.5)
    ax.set_xticks(range(weights.shape[1]), latents)
    ax.set_yticks(range(weights.shape[0]), factors)
    ax.set_xticks(np.arange(-0.5, weights.shape[1]), minor=True)
    ax.set_yticks(np.arange(-0.5, weights.shape[0]), minor=True)
    ax.grid(which="minor", color="0.85", linewidth=0.5)
    ax.tick_params(which="minor", length=0)
    return _label_matrix_axes(fig, ax, title, new_figure)


def plot_nmi_heatmap(
    nmi: Any,
    *,
    factor_names: Sequence[str] | None = None,
    latent_names: Sequence[str] | None = None,
    active_latents: Any = None,
    annotate: bool = True,
    cmap: str = "viridis",
    ax: Any = None,
    title: str | None = "normalised mutual information",
):
    """Heatmap of InfoMEC's NMI matrix (sources as rows, latents as columns).

    Parameters
    ----------
    nmi : array-like of shape (n_factors, n_latents), or dict
        ``sklvae.metrics.infomec(...)["nmi"]`` or the whole result dict (whose
        ``"active_latents"`` is then used unless given).
    factor_names, latent_names : sequence of str, optional
        Row and column labels (default ``f0, f1, ...`` and ``z0, z1, ...``).
    active_latents : array-like of bool, optional
        Inactive latents are labelled in grey with a trailing ``*``.
    annotate : bool, default=True
        Write each value in its cell.
    cmap : str, default="viridis"
        Matplotlib colour map.
    ax : matplotlib Axes, optional
        Draw the heatmap and its colour bar into this Axes (default: a new figure).
    title : str or None, default="normalised mutual information"
        Axes title; None or "" for none.

    Returns
    -------
    matplotlib.figure.Figure
        The figure, with a colour bar beside the heatmap.
    """
    plt = import_pyplot()
    check_axes(ax)
    if isinstance(nmi, dict) and active_latents is None:
        active_latents = nmi.get("active_latents")
    matrix, factors, latents = _matrix_and_labels(
        nmi, "nmi", "factor_names", "latent_names", factor_names, latent_names, "f", "z"
    )
    if active_latents is not None:
        active_latents = np.asarray(active_latents, dtype=bool)
        if active_latents.shape != (matrix.shape[1],):
            raise ValueError(
                f"active_latents has shape {active_latents.shape}; expected ({matrix.shape[1]},)."
            )
        latents = [name if on else f"{name}*" for name, on in zip(latents, active_latents)]
    new_figure = ax is None
    fig, ax = _figure_and_axes(plt, ax, (0.6 * matrix.shape[1] + 2.0, 0.5 * matrix.shape[0] + 1.2))
    image = ax.imshow(
        matrix, cmap=cmap, vmin=0.0, vmax=max(1.0, float(matrix.max())), aspect="auto"
    )
    fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04)
    ax.set_xticks(range(matrix.shape[1]), latents)
    ax.set_yticks(range(matrix.shape[0]), factors)
    if active_latents is not None:
        for label, on in zip(ax.get_xticklabels(), active_latents):
            if not on:
                label.set_color("0.6")
    if annotate:
        _write_values(ax, matrix, white=matrix < 0.5)
    return _label_matrix_axes(fig, ax, title, new_figure)
