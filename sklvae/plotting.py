"""Figures for datasets and fitted models (matplotlib is an optional dependency).

Every function imports matplotlib when it is called, so ``import sklvae`` works
without it; each returns the :class:`matplotlib.figure.Figure` it draws.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

__all__ = ["plot_factor_grid"]


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
