"""Image figures: factor grids, latent traversals, reconstructions."""

import numpy as np
import pytest
from sklearn.exceptions import NotFittedError

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")

from sklvae import VAE  # noqa: E402

from .conftest import DATASET, IMAGES, check_rejects  # noqa: E402

#: misuse cases: (function, make_args(fitted) -> (args, kwargs), error, message)
MISUSE = [
    # plot_factor_grid
    (
        "plot_factor_grid",
        lambda m: ((DATASET,), dict(n_samples=0)),
        ValueError,
        "n_samples must be a positive integer",
    ),
    (
        "plot_factor_grid",
        lambda m: ((DATASET,), dict(n_cols=0)),
        ValueError,
        "n_cols must be a positive integer",
    ),
    (
        "plot_factor_grid",
        lambda m: ((DATASET,), dict(tile_size=-1.0)),
        ValueError,
        "tile_size must be a positive",
    ),
    (
        "plot_factor_grid",
        lambda m: ((DATASET, [0, 1]), {}),
        ValueError,
        r"factors must be 2-D \(n, n_factors\)",
    ),
    (
        "plot_factor_grid",
        lambda m: ((DATASET, [[0, 1, 2]]), {}),
        ValueError,
        "3 columns but the dataset has 2 factors",
    ),
    ("plot_factor_grid", lambda m: ((IMAGES,), {}), ValueError, "factors are required"),
    (
        "plot_factor_grid",
        lambda m: ((IMAGES, np.zeros((3, 2), int)), {}),
        ValueError,
        "16 images but 3 rows",
    ),
    (
        "plot_factor_grid",
        lambda m: ((IMAGES[0], np.zeros((16, 2), int)), {}),
        ValueError,
        "numeric images",
    ),
    (
        "plot_factor_grid",
        lambda m: ((DATASET,), dict(factor_names=["a"])),
        ValueError,
        "1 factor names for 2",
    ),
    # plot_latent_traversals
    (
        "plot_latent_traversals",
        lambda m: ((VAE(), IMAGES[0]), {}),
        NotFittedError,
        "not fitted yet",
    ),
    (
        "plot_latent_traversals",
        lambda m: ((object(), IMAGES[0]), {}),
        TypeError,
        "lacks \\['transform', 'inverse_transform'\\]",
    ),
    (
        "plot_latent_traversals",
        lambda m: ((m, IMAGES[:2]), {}),
        ValueError,
        r"one sample of shape \(16, 16\)",
    ),
    (
        "plot_latent_traversals",
        lambda m: ((m, IMAGES[0]), dict(latents=[3])),
        ValueError,
        "latent index 3 is out of range: the model has 3 latents",
    ),
    (
        "plot_latent_traversals",
        lambda m: ((m, IMAGES[0]), dict(latents=[-1])),
        ValueError,
        "latent index -1 is out of range",
    ),
    (
        "plot_latent_traversals",
        lambda m: ((m, IMAGES[0]), dict(latents=[0.5])),
        TypeError,
        "latent indices must be integers",
    ),
    (
        "plot_latent_traversals",
        lambda m: ((m, IMAGES[0]), dict(latents=[])),
        ValueError,
        "latents is empty",
    ),
    (
        "plot_latent_traversals",
        lambda m: ((m, IMAGES[0]), dict(n_steps=0)),
        ValueError,
        "n_steps must be a positive integer",
    ),
    (
        "plot_latent_traversals",
        lambda m: ((m, IMAGES[0]), dict(span=float("nan"))),
        ValueError,
        "span must be a positive finite",
    ),
    (
        "plot_latent_traversals",
        lambda m: ((m, IMAGES[0]), dict(figsize_per_image=0)),
        ValueError,
        "figsize_per_image must be",
    ),
    # plot_reconstructions
    ("plot_reconstructions", lambda m: ((VAE(), IMAGES), {}), NotFittedError, "not fitted yet"),
    (
        "plot_reconstructions",
        lambda m: ((object(), IMAGES), {}),
        TypeError,
        "lacks \\['reconstruct'\\]",
    ),
    (
        "plot_reconstructions",
        lambda m: ((m, IMAGES), dict(n_images=0)),
        ValueError,
        "n_images must be a positive integer, got 0",
    ),
    (
        "plot_reconstructions",
        lambda m: ((m, IMAGES), dict(n_images=2.5)),
        ValueError,
        "n_images must be a positive integer",
    ),
    (
        "plot_reconstructions",
        lambda m: ((m, IMAGES[:, :8]), {}),
        ValueError,
        r"images of shape \(16, 16\)",
    ),
    ("plot_reconstructions", lambda m: ((m, IMAGES[:0]), {}), ValueError, "X has no images"),
    (
        "plot_reconstructions",
        lambda m: ((m, 3), {}),
        TypeError,
        "X must be an array-like of images",
    ),
]


@pytest.mark.parametrize(
    "function, make_args, error, match", MISUSE, ids=[f"{c[0]}-{i}" for i, c in enumerate(MISUSE)]
)
def test_image_plots_reject_bad_input(fitted, function, make_args, error, match):
    check_rejects(fitted, function, make_args, error, match)
