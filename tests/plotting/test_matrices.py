"""Figures of the metric matrices: DCI Hinton diagram and InfoMEC NMI heatmap."""

import numpy as np
import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")

from matplotlib.patches import Rectangle  # noqa: E402

from sklvae.plotting import plot_dci_matrix, plot_nmi_heatmap  # noqa: E402

from .conftest import check_rejects  # noqa: E402


def test_plot_dci_matrix_draws_one_square_per_nonzero_importance():
    importance = np.array([[0.9, 0.0], [0.1, 0.0], [0.0, 0.4]])  # (latents, factors)
    fig = plot_dci_matrix({"importance_matrix": importance}, factor_names=["shape", "scale"])
    ax = fig.axes[0]
    squares = [p for p in ax.patches if isinstance(p, Rectangle)]
    assert len(squares) == 3
    sides = sorted(round(p.get_width(), 6) for p in squares)
    # area proportional to importance, the largest filling 90% of its cell side
    np.testing.assert_allclose(sides, np.sqrt([0.1, 0.4, 0.9]) / np.sqrt(0.9) * 0.9, atol=1e-6)
    assert [t.get_text() for t in ax.get_yticklabels()] == ["shape", "scale"]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["z0", "z1", "z2"]
    matplotlib.pyplot.close(fig)


def test_plot_nmi_heatmap_marks_inactive_latents():
    result = {
        "nmi": np.array([[0.9, 0.1, 0.0], [0.0, 0.8, 0.0]]),
        "active_latents": np.array([1, 1, 0], bool),
    }
    fig = plot_nmi_heatmap(result)
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["z0", "z1", "z2*"]
    assert len(ax.texts) == 6 and ax.texts[0].get_text() == "0.90"
    matplotlib.pyplot.close(fig)


def test_plot_functions_reject_bad_input():
    with pytest.raises(ValueError, match="2 factor_names for 3 columns"):
        plot_dci_matrix(np.ones((2, 3)), factor_names=["a", "b"])
    with pytest.raises(ValueError, match="non-negative"):
        plot_dci_matrix(-np.ones((2, 2)))
    with pytest.raises(ValueError, match="active_latents"):
        plot_nmi_heatmap(np.ones((2, 3)), active_latents=[True])


#: misuse cases: (function, make_args(fitted) -> (args, kwargs), error, message)
MISUSE = [
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
]


@pytest.mark.parametrize(
    "function, make_args, error, match", MISUSE, ids=[f"{c[0]}-{i}" for i, c in enumerate(MISUSE)]
)
def test_matrix_plots_reject_bad_input(function, make_args, error, match):
    check_rejects(None, function, make_args, error, match)
