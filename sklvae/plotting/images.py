"""Figures of images: samples with their factors, latent traversals, reconstructions."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ._checks import check_fitted, check_positive, import_pyplot


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
        The grid of tiles, ``n_cols`` per row.
    """
    plt = import_pyplot()
    n_cols = check_positive(n_cols, "n_cols", integer=True)
    tile_size = check_positive(tile_size, "tile_size")
    is_dataset = hasattr(dataset, "sample_observations") and hasattr(dataset, "factor_sizes")
    if factors is None:
        if not is_dataset:
            raise ValueError("factors are required when `dataset` is an array of images.")
        factors = dataset.sample_factors(
            check_positive(n_samples, "n_samples", integer=True), random_state
        )
    factors = np.asarray(factors)
    if factors.ndim != 2 or factors.shape[0] == 0:
        raise ValueError(
            f"factors must be 2-D (n, n_factors) with n >= 1, got shape {factors.shape}."
        )
    if is_dataset:
        if factors.shape[1] != len(dataset.factor_sizes):
            raise ValueError(
                f"factors has {factors.shape[1]} columns but the dataset has "
                f"{len(dataset.factor_sizes)} factors."
            )
        images = np.asarray(dataset.sample_observations(factors))
    else:
        images = np.asarray(dataset)
        if images.ndim not in (3, 4) or not np.issubdtype(images.dtype, np.number):
            raise ValueError(
                "dataset must be a GroundTruthDataset or numeric images (n, H, W) / "
                f"(n, H, W, C); got an array of shape {images.shape}, dtype {images.dtype}."
            )
        if images.shape[0] != factors.shape[0]:
            raise ValueError(f"{images.shape[0]} images but {factors.shape[0]} rows of factors.")
    if factor_names is None:
        factor_names = getattr(dataset, "factor_names", None) or [
            f"f{k}" for k in range(factors.shape[1])
        ]
    factor_names = list(factor_names)
    if len(factor_names) != factors.shape[1]:
        raise ValueError(f"{len(factor_names)} factor names for {factors.shape[1]} factor columns.")
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
        Images per row.
    span : float, default=2.0
        Half-width of the range each latent is varied over.
    latents : sequence of int, optional
        Latent dimensions to show (default: all).
    figsize_per_image : float, default=0.9
        Width and height of one image, in inches.

    Returns
    -------
    matplotlib.figure.Figure
        One row per latent, ``n_steps`` images per row.
    """
    plt = import_pyplot()
    check_fitted(estimator, ("transform", "inverse_transform"))
    n_steps = check_positive(n_steps, "n_steps", integer=True)
    span = check_positive(span, "span")
    figsize_per_image = check_positive(figsize_per_image, "figsize_per_image")
    x = np.asarray(x)
    input_shape = tuple(getattr(estimator, "input_shape_", x.shape[1:]))
    if x.shape == input_shape:
        x = x[None]
    if x.shape != (1, *input_shape):
        raise ValueError(
            f"x must be one sample of shape {input_shape} (or a batch of one); got shape {x.shape}."
        )
    code = estimator.transform(x)[0]
    n_latents = code.shape[0]
    latents = list(range(n_latents)) if latents is None else list(np.atleast_1d(latents))
    if not latents:
        raise ValueError("latents is empty: give at least one latent index.")
    for latent in latents:
        if isinstance(latent, bool) or not isinstance(latent, (int, np.integer)):
            raise TypeError(f"latent indices must be integers, got {latent!r}.")
        if not 0 <= latent < n_latents:
            raise ValueError(
                f"latent index {latent} is out of range: the model has {n_latents} latents "
                f"(0..{n_latents - 1})."
            )
    offsets = np.linspace(-span, span, n_steps, dtype=np.float32)
    codes = np.repeat(code[None], len(latents) * n_steps, axis=0).astype(np.float32)
    for row, latent in enumerate(latents):
        codes[row * n_steps : (row + 1) * n_steps, latent] += offsets
    images = _as_display_images(estimator.inverse_transform(codes))
    fig, axes = plt.subplots(
        len(latents),
        n_steps,
        squeeze=False,
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


def plot_reconstructions(
    estimator: Any, X: Any, *, n_images: int = 8, figsize_per_image: float = 1.0
):
    """Plot originals (top row) above their reconstructions (bottom row).

    Parameters
    ----------
    estimator : fitted sklvae estimator
        Anything with ``reconstruct``.
    X : array-like
        Images shaped like the training data; the first ``n_images`` are shown.
    n_images : int, default=8
        Number of images (the first ones of ``X``).
    figsize_per_image : float, default=1.0
        Width and height of one image, in inches.

    Returns
    -------
    matplotlib.figure.Figure
        Two rows: the originals above their reconstructions.
    """
    plt = import_pyplot()
    check_fitted(estimator, ("reconstruct",))
    n_images = check_positive(n_images, "n_images", integer=True)
    figsize_per_image = check_positive(figsize_per_image, "figsize_per_image")
    if not hasattr(X, "__getitem__") or not hasattr(X, "__len__"):
        raise TypeError(f"X must be an array-like of images, got {type(X).__name__}.")
    if len(X) == 0:
        raise ValueError("X has no images.")
    originals = np.asarray(X[:n_images])
    input_shape = getattr(estimator, "input_shape_", None)
    if input_shape is not None and originals.shape[1:] != tuple(input_shape):
        raise ValueError(
            f"X must hold images of shape {tuple(input_shape)} like the training data; "
            f"got shape {originals.shape[1:]} per image."
        )
    recon = estimator.reconstruct(originals)
    fig, axes = plt.subplots(
        2,
        len(originals),
        squeeze=False,
        figsize=(len(originals) * figsize_per_image, 2 * figsize_per_image),
    )
    for row, images in enumerate((_as_display_images(originals), _as_display_images(recon))):
        for col, image in enumerate(images):
            axes[row, col].imshow(image, cmap="gray", vmin=0, vmax=1)
            axes[row, col].axis("off")
    fig.tight_layout()
    return fig
