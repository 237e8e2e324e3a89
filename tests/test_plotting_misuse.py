"""Every public plotting function names the problem with bad input (one row per case)."""

import json

import numpy as np
import pytest
from sklearn.exceptions import NotFittedError

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")

from sklvae import VAE, plotting  # noqa: E402
from sklvae.datasets import GroundTruthDataset  # noqa: E402

from .conftest import TINY, make_squares  # noqa: E402


def draw_squares(factors):
    images = np.zeros((len(factors), 16, 16), dtype=np.uint8)
    for i, (x, y) in enumerate(np.asarray(factors)):
        images[i, 3 * y : 3 * y + 4, 3 * x : 3 * x + 4] = 255
    return images


IMAGES = make_squares(16, 16)
DATASET = GroundTruthDataset(("x", "y"), (4, 4), (16, 16), renderer=draw_squares)
ROWS = [  # a tiny run_study table
    {"method": m, "params": json.dumps({"beta": b}), "seed": s, "mig": 0.1 * b + s, "sap": b - s}
    for m in ("A", "B")
    for b in (1.0, 4.0)
    for s in (0, 1)
]


@pytest.fixture(scope="module")
def fitted():
    return VAE(**{**TINY, "backbone": "mlp"}).fit(IMAGES)


CASES = [
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
    # plot_dci_matrix
    (
        "plot_dci_matrix",
        lambda m: ((np.ones(3),), {}),
        ValueError,
        r"non-empty 2-D matrix, got shape \(3,\)",
    ),
    ("plot_dci_matrix", lambda m: ((np.ones((2, 0)),), {}), ValueError, "non-empty 2-D matrix"),
    (
        "plot_dci_matrix",
        lambda m: (([["a", "b"]],), {}),
        TypeError,
        "importance_matrix must be a numeric",
    ),
    (
        "plot_dci_matrix",
        lambda m: (({"nmi": np.ones((2, 2))},), {}),
        ValueError,
        "no 'importance_matrix' entry",
    ),
    ("plot_dci_matrix", lambda m: ((np.full((2, 2), np.nan),), {}), ValueError, "NaN or infinite"),
    ("plot_dci_matrix", lambda m: ((-np.ones((2, 2)),), {}), ValueError, "non-negative"),
    (
        "plot_dci_matrix",
        lambda m: ((np.ones((2, 3)),), dict(latent_names=["z"])),
        ValueError,
        "1 latent_names for 2 rows",
    ),
    (
        "plot_dci_matrix",
        lambda m: ((np.ones((2, 2)),), dict(max_weight=0)),
        ValueError,
        "max_weight must be a positive",
    ),
    (
        "plot_dci_matrix",
        lambda m: ((np.ones((2, 2)),), dict(ax="axes")),
        TypeError,
        "ax must be a matplotlib Axes",
    ),
    # plot_nmi_heatmap
    (
        "plot_nmi_heatmap",
        lambda m: ((np.ones((2, 2, 2)),), {}),
        ValueError,
        "nmi must be a non-empty 2-D matrix",
    ),
    ("plot_nmi_heatmap", lambda m: (({"importance_matrix": 1},), {}), ValueError, "no 'nmi' entry"),
    (
        "plot_nmi_heatmap",
        lambda m: ((np.ones((2, 3)),), dict(active_latents=[True])),
        ValueError,
        r"active_latents has shape \(1,\); expected \(3,\)",
    ),
    (
        "plot_nmi_heatmap",
        lambda m: ((np.ones((2, 3)),), dict(factor_names=["a"])),
        ValueError,
        "1 factor_names for 2 rows",
    ),
    (
        "plot_nmi_heatmap",
        lambda m: ((np.ones((2, 2)),), dict(ax=1)),
        TypeError,
        "ax must be a matplotlib Axes",
    ),
    # study plots
    ("plot_metric_distributions", lambda m: (([],), {}), ValueError, "no rows"),
    (
        "plot_metric_distributions",
        lambda m: ((np.ones(3),), {}),
        TypeError,
        "results must be a run_study table",
    ),
    (
        "plot_metric_distributions",
        lambda m: (("missing.csv",), {}),
        ValueError,
        "no results file at missing.csv",
    ),
    (
        "plot_metric_distributions",
        lambda m: (([{"mig": 1.0}],), {}),
        ValueError,
        r"lacks the column\(s\) \['method', 'params', 'seed'\]",
    ),
    ("plot_metric_distributions", lambda m: ((ROWS, "dci"), {}), ValueError, "no column 'dci'"),
    (
        "plot_metric_distributions",
        lambda m: ((ROWS, "method"), {}),
        ValueError,
        "column 'method' is not numeric",
    ),
    ("plot_metric_distributions", lambda m: ((ROWS, []), {}), ValueError, "metrics is empty"),
    (
        "plot_metric_distributions",
        lambda m: ((ROWS,), dict(kind="violin")),
        ValueError,
        "kind must be 'box' or 'strip'",
    ),
    (
        "plot_metric_distributions",
        lambda m: ((ROWS,), dict(n_cols=0)),
        ValueError,
        "n_cols must be a positive integer",
    ),
    (
        "plot_metric_vs_param",
        lambda m: ((ROWS, "mig", "gamma"), {}),
        ValueError,
        r"no fit of the study sets 'gamma'; its grids set \['beta'\]",
    ),
    ("plot_metric_vs_param", lambda m: ((ROWS, "dci", "beta"), {}), ValueError, "no column 'dci'"),
    (
        "plot_metric_vs_param",
        lambda m: ((ROWS, "mig", "beta"), dict(ax=[])),
        TypeError,
        "ax must be a matplotlib Axes",
    ),
    (
        "plot_metric_rank_correlation",
        lambda m: ((ROWS, ["mig"]), {}),
        ValueError,
        "at least two metrics",
    ),
    ("plot_metric_rank_correlation", lambda m: ((ROWS[:2],), {}), ValueError, "at least 3 fits"),
]


@pytest.mark.parametrize(
    "function, make_args, error, match", CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)]
)
def test_plotting_rejects_bad_input(fitted, function, make_args, error, match):
    args, kwargs = make_args(fitted)
    with pytest.raises(error, match=match):
        getattr(plotting, function)(*args, **kwargs)
    matplotlib.pyplot.close("all")


def test_every_public_plotting_function_has_a_misuse_case():
    assert {c[0] for c in CASES} == set(plotting.__all__)
