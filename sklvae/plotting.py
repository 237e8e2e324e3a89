"""Figures for datasets and fitted models (matplotlib is an optional dependency).

Every function imports matplotlib when it is called, so ``import sklvae`` works
without it; each returns the :class:`matplotlib.figure.Figure` it draws.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

__all__ = [
    "plot_factor_grid",
    "plot_latent_traversals",
    "plot_reconstructions",
    "plot_dci_matrix",
    "plot_nmi_heatmap",
]


def _import_pyplot():
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            "Plotting needs matplotlib: pip install 'sklvae[plot]' (or matplotlib)."
        ) from exc
    return plt


def plot_factor_grid(
    dataset: Any,
    factors: Any = None,
    *,
    n_samples: int = 32,
    n_cols: int = 8,
    factor_names: Sequence[str] | None = None,
    random_state: Any = None,
    show_values: bool = True,
    tile_size: float = 1.5,
    title: str | None = None,
):
    """A grid of images, each titled with its factor values.

    Parameters
    ----------
    dataset : GroundTruthDataset or array-like of images
        A :class:`~sklvae.datasets.GroundTruthDataset` (images are drawn with
        ``sample_observations``), or images ``(n, H, W)`` / ``(n, H, W, C)``
        (uint8 in 0..255 or floats in [0, 1]), in which case ``factors`` must
        give one row per image.
    factors : array-like of int, shape (n, n_factors), default=None
        Factor classes to show. Default: ``n_samples`` combinations drawn with
        ``dataset.sample_factors``.
    n_samples : int, default=32
        Number of images when ``factors`` is None.
    n_cols : int, default=8
        Images per row.
    factor_names : sequence of str, default=None
        Names in the tile titles. Default: ``dataset.factor_names``, else
        ``f0, f1, ...``.
    random_state : int, RandomState instance or None, default=None
        Draws the factors when they are not given.
    show_values : bool, default=True
        Title the tiles with the factors' real values (e.g. ``scale=0.8``) when
        the dataset has ``factor_values``; otherwise with the classes.
    tile_size : float, default=1.5
        Inches per tile.
    title : str, default=None
        Figure title.

    Returns
    -------
    matplotlib.figure.Figure
    """
    plt = _import_pyplot()
    is_dataset = hasattr(dataset, "sample_observations") and hasattr(dataset, "factor_sizes")
    if factors is None:
        if not is_dataset:
            raise ValueError("factors are required when `dataset` is an array of images.")
        factors = dataset.sample_factors(int(n_samples), random_state)
    factors = np.asarray(factors)
    if factors.ndim != 2:
        raise ValueError(f"factors must be 2-D (n, n_factors), got shape {factors.shape}.")
    if is_dataset:
        images = np.asarray(dataset.sample_observations(factors))
    else:
        images = np.asarray(dataset)
        if images.shape[0] != factors.shape[0]:
            raise ValueError(
                f"{images.shape[0]} images but {factors.shape[0]} rows of factors."
            )
    if factor_names is None:
        factor_names = getattr(dataset, "factor_names", None) or [
            f"f{k}" for k in range(factors.shape[1])
        ]
    factor_names = list(factor_names)
    if len(factor_names) != factors.shape[1]:
        raise ValueError(
            f"{len(factor_names)} factor names for {factors.shape[1]} factor columns."
        )
    values = factors
    if show_values and is_dataset and hasattr(dataset, "values_of"):
        values = dataset.values_of(factors)

    n = images.shape[0]
    n_cols = max(1, min(int(n_cols), n))
    n_rows = int(np.ceil(n / n_cols))
    label_lines = len(factor_names)
    fig, axes = plt.subplots(
        n_rows,
        n_cols,
        figsize=(tile_size * n_cols, (tile_size + 0.13 * label_lines) * n_rows),
        squeeze=False,
    )
    for i, ax in enumerate(axes.flat):
        ax.set_xticks([])
        ax.set_yticks([])
        if i >= n:
            ax.axis("off")
            continue
        image = images[i]
        if image.ndim == 3 and image.shape[-1] == 1:
            image = image[..., 0]
        vmax = 255 if image.dtype == np.uint8 else 1.0
        if image.ndim == 2:
            ax.imshow(image, cmap="gray", vmin=0, vmax=vmax, interpolation="nearest")
        else:
            ax.imshow(image, interpolation="nearest")
        lines = [f"{name}={_format_value(v)}" for name, v in zip(factor_names, values[i])]
        ax.set_title("\n".join(lines), fontsize=6, linespacing=1.0)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def _format_value(value: Any) -> str:
    value = float(value)
    if value.is_integer():
        return str(int(value))
    return f"{value:.3g}"


def _as_display_images(images: np.ndarray) -> np.ndarray:
    """(n, H, W[, C]) or (n, C, H, W) images → (n, H, W[, 3]) floats in [0, 1]."""
    images = np.asarray(images)
    if images.ndim == 4 and images.shape[1] in (1, 3) and images.shape[-1] not in (1, 3):
        images = images.transpose(0, 2, 3, 1)
    if images.ndim == 4 and images.shape[-1] == 1:
        images = images[..., 0]
    images = images.astype(np.float32)
    if images.max() > 1.0:
        images = images / 255.0
    return np.clip(images, 0.0, 1.0)


def plot_latent_traversals(
    estimator: Any,
    x: Any,
    *,
    n_steps: int = 9,
    span: float = 2.0,
    latents: Sequence[int] | None = None,
    figsize_per_image: float = 0.9,
):
    """Decode the code of one image with one latent swept at a time.

    Row ``i`` varies latent ``latents[i]`` over ``mu_i ± span`` (in posterior-mean units,
    as disentanglement_lib's fixed-interval traversals) and keeps the others at the code
    of ``x``.

    Parameters
    ----------
    estimator : fitted sklvae estimator
        Anything with ``transform`` and ``inverse_transform``.
    x : array-like
        One image, shaped like one sample of the training data (or a batch of one).
    n_steps : int, default=9
    span : float, default=2.0
    latents : sequence of int, optional
        Latent dimensions to show (default: all).

    Returns
    -------
    matplotlib.figure.Figure
    """
    plt = _import_pyplot()
    x = np.asarray(x)
    if x.shape == tuple(estimator.input_shape_):
        x = x[None]
    code = estimator.transform(x)[0]
    latents = list(range(code.shape[0])) if latents is None else list(latents)
    offsets = np.linspace(-span, span, n_steps, dtype=np.float32)
    codes = np.repeat(code[None], len(latents) * n_steps, axis=0).astype(np.float32)
    for row, latent in enumerate(latents):
        codes[row * n_steps : (row + 1) * n_steps, latent] += offsets
    images = _as_display_images(estimator.inverse_transform(codes))
    fig, axes = plt.subplots(
        len(latents), n_steps, squeeze=False,
        figsize=(n_steps * figsize_per_image, len(latents) * figsize_per_image),
    )
    for row, latent in enumerate(latents):
        for col in range(n_steps):
            ax = axes[row, col]
            ax.imshow(images[row * n_steps + col], cmap="gray", vmin=0, vmax=1)
            ax.set_xticks([])
            ax.set_yticks([])
            if col == 0:
                ax.set_ylabel(f"z{latent}", rotation=0, labelpad=14)
    fig.suptitle(f"{type(estimator).__name__}: latent traversals (±{span:g})")
    fig.tight_layout()
    return fig


def plot_reconstructions(estimator: Any, X: Any, *, n_images: int = 8, figsize_per_image: float = 1.0):
    """Originals (top row) above their reconstructions (bottom row)."""
    plt = _import_pyplot()
    originals = np.asarray(X[:n_images])
    recon = estimator.reconstruct(originals)
    fig, axes = plt.subplots(2, len(originals), squeeze=False,
                             figsize=(len(originals) * figsize_per_image, 2 * figsize_per_image))
    for row, images in enumerate((_as_display_images(originals), _as_display_images(recon))):
        for col, image in enumerate(images):
            axes[row, col].imshow(image, cmap="gray", vmin=0, vmax=1)
            axes[row, col].axis("off")
    fig.tight_layout()
    return fig


# --------------------------------------------------------------------------- #
# metric matrices (sklvae.metrics)
# --------------------------------------------------------------------------- #
def _matrix_and_labels(matrix, key, n_rows_name, n_cols_name, row_names, col_names, prefix_rows, prefix_cols):
    if isinstance(matrix, dict):
        if key not in matrix:
            raise ValueError(f"the result dict has no {key!r} entry.")
        matrix = matrix[key]
    matrix = np.asarray(matrix, dtype=np.float64)
    if matrix.ndim != 2:
        raise ValueError(f"expected a 2-D matrix, got shape {matrix.shape}.")
    if not np.all(np.isfinite(matrix)):
        raise ValueError("the matrix contains NaN or infinite values.")
    rows = list(row_names) if row_names is not None else [f"{prefix_rows}{i}" for i in range(matrix.shape[0])]
    cols = list(col_names) if col_names is not None else [f"{prefix_cols}{j}" for j in range(matrix.shape[1])]
    if len(rows) != matrix.shape[0]:
        raise ValueError(f"got {len(rows)} {n_rows_name} for {matrix.shape[0]} rows.")
    if len(cols) != matrix.shape[1]:
        raise ValueError(f"got {len(cols)} {n_cols_name} for {matrix.shape[1]} columns.")
    return matrix, rows, cols


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
    ax : matplotlib Axes, optional
        Draw into this Axes instead of a new figure.
    title : str or None

    Returns
    -------
    matplotlib.figure.Figure
    """
    plt = _import_pyplot()
    from matplotlib.patches import Rectangle

    matrix, latents, factors = _matrix_and_labels(
        importance_matrix, "importance_matrix", "latent_names", "factor_names",
        latent_names, factor_names, "z", "f",
    )
    if np.any(matrix < 0):
        raise ValueError("importances must be non-negative.")
    weights = matrix.T  # rows: factors, columns: latents
    top = float(max_weight) if max_weight is not None else float(weights.max())
    new_figure = ax is None
    if new_figure:
        fig, ax = plt.subplots(figsize=(0.5 * weights.shape[1] + 1.5, 0.5 * weights.shape[0] + 1.2))
    else:
        fig = ax.figure
    ax.set_facecolor("white")
    ax.set_aspect("equal", "box")
    for (row, col), weight in np.ndenumerate(weights):
        if weight <= 0 or top <= 0:
            continue
        side = np.sqrt(min(weight / top, 1.0)) * 0.9
        ax.add_patch(Rectangle((col - side / 2, row - side / 2), side, side, facecolor=color, edgecolor=color))
    ax.set_xlim(-0.5, weights.shape[1] - 0.5)
    ax.set_ylim(weights.shape[0] - 0.5, -0.5)
    ax.set_xticks(range(weights.shape[1]), latents)
    ax.set_yticks(range(weights.shape[0]), factors)
    ax.set_xticks(np.arange(-0.5, weights.shape[1]), minor=True)
    ax.set_yticks(np.arange(-0.5, weights.shape[0]), minor=True)
    ax.grid(which="minor", color="0.85", linewidth=0.5)
    ax.tick_params(which="minor", length=0)
    ax.set_xlabel("latent")
    ax.set_ylabel("factor")
    if title:
        ax.set_title(title)
    if new_figure:
        fig.tight_layout()
    return fig


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
    active_latents : array-like of bool, optional
        Inactive latents are labelled in grey with a trailing ``*``.
    annotate : bool, default=True
        Write each value in its cell.
    cmap : str, default="viridis"
    ax : matplotlib Axes, optional
    title : str or None

    Returns
    -------
    matplotlib.figure.Figure
    """
    plt = _import_pyplot()
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
    if new_figure:
        fig, ax = plt.subplots(figsize=(0.6 * matrix.shape[1] + 2.0, 0.5 * matrix.shape[0] + 1.2))
    else:
        fig = ax.figure
    image = ax.imshow(matrix, cmap=cmap, vmin=0.0, vmax=max(1.0, float(matrix.max())), aspect="auto")
    fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04)
    ax.set_xticks(range(matrix.shape[1]), latents)
    ax.set_yticks(range(matrix.shape[0]), factors)
    if active_latents is not None:
        for label, on in zip(ax.get_xticklabels(), active_latents):
            if not on:
                label.set_color("0.6")
    if annotate:
        for (row, col), value in np.ndenumerate(matrix):
            ax.text(col, row, f"{value:.2f}", ha="center", va="center",
                    color="white" if value < 0.5 else "black", fontsize=8)
    ax.set_xlabel("latent")
    ax.set_ylabel("factor")
    if title:
        ax.set_title(title)
    if new_figure:
        fig.tight_layout()
    return fig
