"""factor_split and the downstream scorer on its test rows."""

import numpy as np
import pytest
from sklearn.linear_model import LinearRegression

from sklvae import BetaVAE
from sklvae.datasets import GroundTruthDataset
from sklvae.model_selection import (
    SPLIT_KINDS,
    factor_split,
    make_factor_split_scorer,
    run_study,
)

#: the benchmark's datasets
GRIDS = {
    "dsprites": (3, 6, 40, 32, 32),
    "shapes3d": (10, 10, 10, 8, 4, 15),
    "mpi3d": (6, 6, 2, 3, 3, 40, 40),
}


def full_grid(sizes):
    axes = np.meshgrid(*[np.arange(s) for s in sizes], indexing="ij")
    return np.stack(axes, axis=-1).reshape(-1, len(sizes))


def chosen(sizes):
    return np.flatnonzero(np.array(sizes) >= 3)  # the default factors


@pytest.fixture(scope="module", params=sorted(GRIDS))
def grid(request):
    return request.param, full_grid(GRIDS[request.param])


@pytest.mark.parametrize("kind", SPLIT_KINDS)
def test_splits_are_disjoint_and_cover_the_grid(grid, kind):
    _, classes = grid
    train, test = factor_split(classes, kind, random_state=0)
    # every row in exactly one of the two sets
    assert np.all(np.bincount(np.r_[train, test], minlength=len(classes)) == 1)


@pytest.mark.parametrize("kind", ["random", "interpolation", "extrapolation"])
def test_split_sizes_are_the_benchmarks(grid, kind):
    # the benchmark's test_load_dataset: "roughly a 70:30 split", test 0.7, train 0.3
    _, classes = grid
    train, test = factor_split(classes, kind, random_state=0)
    assert np.round(len(test) / len(classes), 1) == 0.7
    assert np.round(len(train) / len(classes), 1) == 0.3


def test_composition_test_combinations_never_appear_in_training(grid):
    name, classes = grid
    factors = chosen(GRIDS[name])
    train, test = factor_split(classes, "composition")
    sizes = np.array(GRIDS[name])[factors]
    combination = np.ravel_multi_index(classes[:, factors].T, sizes)
    assert np.intersect1d(combination[train], combination[test]).size == 0
    # ... while every value of every chosen factor is seen in training
    for j in factors:
        np.testing.assert_array_equal(np.unique(classes[train, j]), np.arange(GRIDS[name][j]))
    # the test set is a corner: every chosen factor at one of its highest values
    low = classes[test][:, factors].min(axis=0)
    assert np.all(classes[test][:, factors] >= low)
    assert np.all(low >= 1)


def test_extrapolation_test_values_lie_outside_the_training_range(grid):
    name, classes = grid
    factors = chosen(GRIDS[name])
    train, test = factor_split(classes, "extrapolation")
    high = classes[train][:, factors].max(axis=0)
    outside = classes[test][:, factors] > high
    assert np.all(outside.any(axis=1))  # every test point is beyond the range in a factor
    # every held-out value is above the whole training range of its factor
    for i, j in enumerate(factors):
        held_out = np.setdiff1d(classes[test, j], classes[train, j])
        assert held_out.size >= 1 and np.all(held_out > high[i])


def test_interpolation_test_values_are_unseen_but_inside_the_training_range(grid):
    name, classes = grid
    factors = chosen(GRIDS[name])
    train, test = factor_split(classes, "interpolation")
    test_values = classes[test][:, factors]
    seen = [np.unique(classes[train, j]) for j in factors]
    unseen = np.stack([~np.isin(test_values[:, i], seen[i]) for i in range(len(factors))], axis=1)
    assert np.all(unseen.any(axis=1))  # every test point has an unseen value ...
    for i in range(len(factors)):  # ... inside the training range
        assert seen[i].min() <= test_values[:, i].min() <= test_values[:, i].max() <= seen[i].max()
        assert seen[i].min() == 0 and seen[i].max() == GRIDS[name][factors[i]] - 1


def test_the_benchmark_figure_on_a_7_by_7_grid():
    # assets/dataset_splits.png: 7x7 grids; extrapolation holds out the top 2 values of
    # each factor, interpolation 2 interior values each (test: any), 25 training points
    classes = full_grid((7, 7))
    train, test = factor_split(classes, "extrapolation", train_size=25 / 49)
    assert (len(train), len(test)) == (25, 24)
    assert classes[train].max() == 4
    train, test = factor_split(classes, "interpolation", train_size=25 / 49)
    assert (len(train), len(test)) == (25, 24)
    held_out = np.setdiff1d(np.arange(7), np.unique(classes[train, 0]))
    np.testing.assert_array_equal(held_out, [2, 4])


def test_random_split_is_seeded_and_exact():
    classes = full_grid((4, 5))
    first = factor_split(classes, "random", train_size=0.3, random_state=1)
    again = factor_split(classes, "random", train_size=0.3, random_state=1)
    np.testing.assert_array_equal(first[0], again[0])
    assert len(first[0]) == 6
    assert not np.array_equal(first[0], factor_split(classes, "random", random_state=2)[0])


def test_split_on_a_dataset_uses_its_rows_and_factor_names():
    dataset = GroundTruthDataset(("a", "b", "c"), (2, 4, 5), (2, 2), renderer=_render)
    part = dataset.subset(np.arange(0, len(dataset), 3))  # an incomplete grid
    train, test = factor_split(part, "extrapolation", factors=["b", "c"])
    assert len(train) + len(test) == len(part)
    assert part.factors[test][:, 1:].max() >= part.factors[train][:, 1:].max()
    train, test = factor_split(part, "composition", factors=[1, 2])
    assert len(train) and len(test)


def _render(factors):
    return np.full((len(factors), 2, 2), 255, dtype=np.uint8) * (
        np.asarray(factors)[:, :1, None] > 0
    )


SQUARES = GroundTruthDataset(
    ("size", "x", "y"),
    (2, 5, 5),
    (12, 12),
    renderer=lambda f: _squares(np.asarray(f)),
    name="squares",
)


def _squares(factors):
    images = np.zeros((len(factors), 12, 12), dtype=np.uint8)
    for i, (size, x, y) in enumerate(factors):
        side = 2 + 2 * size
        images[i, 1 + y : 1 + y + side, 1 + x : 1 + x + side] = 255
    return images


@pytest.fixture(scope="module")
def fitted_on_train():
    train, test = factor_split(SQUARES, "composition", factors=["x", "y"])
    model = BetaVAE(n_latents=3, max_steps=40, batch_size=16, random_state=0)
    return model.fit(SQUARES.subset(train)), train, test


def test_split_scorer_scores_the_test_rows(fitted_on_train):
    model, train, test = fitted_on_train
    scorer = make_factor_split_scorer(SQUARES, train, test, regressor=LinearRegression())
    scores = scorer.scores(model)
    assert scores["r2_per_factor"].shape == (3,)
    assert scorer(model) == pytest.approx(scores["r2"])
    # an oracle representation (the factors themselves) is predicted almost perfectly
    oracle = _Oracle()
    assert make_factor_split_scorer(SQUARES, train, test, regressor=LinearRegression())(
        oracle
    ) == pytest.approx(1.0)
    recon = make_factor_split_scorer(SQUARES, train, test, key="neg_reconstruction_error")
    error = -recon(model)
    assert 0.0 < error < 1.0
    mse = make_factor_split_scorer(
        SQUARES, train, test, key="neg_mse", regressor=LinearRegression()
    )
    assert -mse(model) == pytest.approx(scores["mse"])


class _Oracle:
    """Encodes a square image by its size and position (read off the pixels)."""

    def transform(self, images):
        images = np.asarray(images) > 0
        rows, cols = images.any(axis=2), images.any(axis=1)
        top, left = rows.argmax(axis=1), cols.argmax(axis=1)
        side = rows.sum(axis=1)
        return np.c_[(side - 2) / 2, left - 1, top - 1].astype(float)


def test_split_scorer_is_a_run_study_metric(fitted_on_train):
    _, train, test = fitted_on_train
    scorer = make_factor_split_scorer(
        SQUARES, train, test, n_train=100, n_test=50, regressor=LinearRegression()
    )
    table = run_study(
        [(BetaVAE(n_latents=2, max_steps=10, batch_size=16), {"beta": [1.0, 4.0]})],
        SQUARES,
        X=SQUARES.subset(train),
        metrics={"ood_r2": (scorer, 1)},
        n_train=32,
        as_frame=False,
    )
    assert [row["params"] for row in table] == ['{"beta": 1.0}', '{"beta": 4.0}']
    assert all(np.isfinite(row["ood_r2"]) for row in table)


MISUSE = [
    (
        "unknown kind",
        lambda: factor_split(full_grid((3, 3)), "diagonal"),
        ValueError,
        "kind must be one of",
    ),
    (
        "train_size",
        lambda: factor_split(full_grid((3, 3)), train_size=1.0),
        ValueError,
        "train_size must be a fraction",
    ),
    (
        "unknown factor",
        lambda: factor_split(SQUARES, "extrapolation", factors=["z"]),
        ValueError,
        "unknown factor 'z'",
    ),
    (
        "factor index",
        lambda: factor_split(SQUARES, "extrapolation", factors=[5]),
        ValueError,
        "out of range",
    ),
    (
        "repeated factor",
        lambda: factor_split(SQUARES, "extrapolation", factors=[1, 1]),
        ValueError,
        "distinct factors",
    ),
    (
        "factor type",
        lambda: factor_split(SQUARES, "extrapolation", factors=[1.5]),
        TypeError,
        "names or indices",
    ),
    (
        "interpolation of 2 values",
        lambda: factor_split(SQUARES, "interpolation", factors=["size"]),
        ValueError,
        r"at least 3 values; \['size'\]",
    ),
    (
        "composition of 1 factor",
        lambda: factor_split(SQUARES, "composition", factors=["x"]),
        ValueError,
        "at least 2 factors",
    ),
    (
        "no factor of 3 values",
        lambda: factor_split(full_grid((2, 2)), "extrapolation"),
        ValueError,
        "no factor has 3 or more values",
    ),
    (
        "non-integer classes",
        lambda: factor_split(full_grid((3, 3)) + 0.5),
        ValueError,
        "integer factor classes",
    ),
    ("negative classes", lambda: factor_split(full_grid((3, 3)) - 1), ValueError, ">= 0"),
    (
        "too few rows",
        lambda: factor_split(np.zeros((1, 2), int), "random"),
        ValueError,
        "too few to split",
    ),
    (
        "scorer dataset",
        lambda: make_factor_split_scorer(full_grid((3, 3)), [0], [1]),
        TypeError,
        "ground-truth dataset",
    ),
    (
        "scorer key",
        lambda: make_factor_split_scorer(SQUARES, [0], [1], key="r3"),
        ValueError,
        "key must be one of",
    ),
    (
        "scorer overlap",
        lambda: make_factor_split_scorer(SQUARES, [0, 1], [1]),
        ValueError,
        "share rows",
    ),
    ("scorer rows", lambda: make_factor_split_scorer(SQUARES, [0], [10**6]), ValueError, "outside"),
    (
        "scorer empty",
        lambda: make_factor_split_scorer(SQUARES, [], [1]),
        ValueError,
        "non-empty 1-D",
    ),
    (
        "scorer regressor",
        lambda: make_factor_split_scorer(SQUARES, [0], [1], regressor=object()),
        TypeError,
        "fit and predict",
    ),
    (
        "scorer seed",
        lambda: make_factor_split_scorer(SQUARES, [0], [1], random_state=None),
        ValueError,
        "random_state must be an int",
    ),
    (
        "scorer n_train",
        lambda: make_factor_split_scorer(SQUARES, [0], [1], n_train=0),
        ValueError,
        "n_train must be a positive",
    ),
]


@pytest.mark.parametrize(
    "call, exception, message", [c[1:] for c in MISUSE], ids=[c[0] for c in MISUSE]
)
def test_misuse_is_reported(call, exception, message):
    with pytest.raises(exception, match=message):
        call()
