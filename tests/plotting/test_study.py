"""Figures of a run_study table: metric distributions, metric against a parameter, rank correlation."""

import numpy as np
import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")

from .conftest import ROWS, check_rejects  # noqa: E402

#: misuse cases: (function, make_args(fitted) -> (args, kwargs), error, message)
MISUSE = [
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
    "function, make_args, error, match", MISUSE, ids=[f"{c[0]}-{i}" for i, c in enumerate(MISUSE)]
)
def test_study_plots_reject_bad_input(function, make_args, error, match):
    check_rejects(None, function, make_args, error, match)
