"""Property-based tests of the dataset constructors.

``make_dsprites``, ``make_shapes3d``, ``make_rotated_digits``, ``make_group_pairs`` and
``GroundTruthDataset`` get fuzzed sizes (0, negative, floats, booleans, strings, huge),
random states of every kind and other arguments. Each example either builds a dataset
whose shape, dtype and factors are as documented or raises a ``ValueError`` /
``TypeError`` naming the argument. The example count comes from the hypothesis profile
registered in ``tests/conftest.py``; the explicit tests at the end are the bugs the
fuzzing found.
"""

import re

import numpy as np
import pytest
from hypothesis import event, given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from sklvae.datasets import (
    GroundTruthDataset,
    make_dsprites,
    make_group_pairs,
    make_rotated_digits,
    make_shapes3d,
)
from sklvae.groups import get_group

#: sizes of every kind; positive ints stay small or beyond int64 (a size in between is a
#: legitimate request for that much memory)
SIZES = st.one_of(
    st.none(),
    st.integers(-3, 40),
    st.sampled_from([0, 2.0, 2.5, float("nan"), float("inf"), True, "3", [3], 2**63, 2**64]),
    st.integers(10**7, 10**30),
)
VALID_SEEDS = st.one_of(st.none(), st.integers(0, 2**32 - 1))
SEEDS = st.one_of(
    VALID_SEEDS,
    st.none(),
    st.integers(-(2**33), 2**33),
    st.sampled_from([1.5, "a", True, np.int64(3)]),
    st.builds(np.random.RandomState, st.integers(0, 9)),
    st.builds(np.random.default_rng, st.integers(0, 9)),
)


def _expect_clear_error(call, *names):
    try:
        output = call()
    except (ValueError, TypeError) as exc:
        event(f"raised {type(exc).__name__}")
        assert re.search("|".join(names), str(exc)), str(exc)
        return None
    event("built")
    return output


def _check_ground_truth(dataset, n_expected, image_shape, factor_sizes):
    assert dataset.shape == (n_expected, *image_shape) and dataset.dtype == np.uint8
    images = np.asarray(dataset[: min(2, n_expected)])
    assert images.shape == (min(2, n_expected), *image_shape) and images.dtype == np.uint8
    factors = dataset.factors
    assert factors.shape == (n_expected, len(factor_sizes))
    assert (factors >= 0).all() and (factors < np.asarray(factor_sizes)).all()


@pytest.mark.parametrize(
    "make, grid, image_shape, factor_sizes",
    [
        (make_dsprites, 737_280, (64, 64), (3, 6, 40, 32, 32)),
        (make_shapes3d, 480_000, (64, 64, 3), (10, 10, 10, 8, 4, 15)),
    ],
)
@given(n_samples=SIZES, random_state=SEEDS)
def test_generators_build_the_documented_dataset_or_raise_clearly(
    make, grid, image_shape, factor_sizes, n_samples, random_state
):
    dataset = _expect_clear_error(
        lambda: make(n_samples, random_state=random_state), "n_samples", "random_state"
    )
    if dataset is not None:
        _check_ground_truth(
            dataset, grid if n_samples is None else n_samples, image_shape, factor_sizes
        )


@given(
    n_samples=st.one_of(st.integers(1, 40), SIZES),
    random_state=st.one_of(VALID_SEEDS, SEEDS),
    upsample=st.one_of(st.integers(1, 3), st.integers(-1, 3), st.sampled_from([2.0, None, "2"])),
    group=st.sampled_from(["c4", "c2", "d4", "c1", "c4", "d4", "cube", "x", None, 3]),
)
def test_make_rotated_digits_or_raises_clearly(n_samples, random_state, upsample, group):
    if isinstance(n_samples, int) and 3000 < n_samples < 2**63:
        n_samples = 3000  # a valid request for that much memory, not a misuse
    output = _expect_clear_error(
        lambda: make_rotated_digits(
            n_samples, upsample=upsample, group=group, random_state=random_state
        ),
        "n_samples",
        "random_state",
        "upsample",
        "group",
    )
    if output is not None:
        images, labels, elements = output
        n = 1797 if n_samples is None else n_samples
        assert images.shape == (n, 8 * upsample, 8 * upsample) and images.dtype == np.uint8
        assert labels.shape == (n,) and ((labels >= 0) & (labels <= 9)).all()
        assert elements.shape == (n,)
        assert ((elements >= 0) & (elements < get_group(group).order)).all()


@given(
    X=st.one_of(
        # square images (or cubes), the valid input
        st.tuples(st.integers(0, 3), st.integers(1, 4), st.integers(1, 3)).flatmap(
            lambda t: hnp.arrays(
                st.sampled_from([np.uint8, np.float32, np.float64, np.int16, np.bool_]),
                (t[0],) + (t[1],) * t[2],
            )
        ),
        hnp.arrays(
            st.sampled_from([np.uint8, np.float32, np.float64, np.int16, np.bool_]),
            hnp.array_shapes(min_dims=0, max_dims=5, min_side=0, max_side=4),
        ),
        st.sampled_from([None, 3, "abc"]),
    ),
    group=st.sampled_from(["c4", "c2", "d4", "cube"]),
    elements=st.one_of(
        st.none(),
        st.none(),
        st.lists(st.integers(-2, 50), max_size=5),
        st.lists(st.floats(allow_nan=True), max_size=3),
        st.sampled_from([["a"], [True, False]]),
    ),
    axes=st.one_of(st.none(), st.none(), st.lists(st.integers(-5, 5), min_size=1, max_size=3)),
    random_state=st.one_of(VALID_SEEDS, SEEDS),
)
def test_make_group_pairs_or_raises_clearly(X, group, elements, axes, random_state):
    output = _expect_clear_error(
        lambda: make_group_pairs(X, group, elements=elements, axes=axes, random_state=random_state),
        "X",
        "elements",
        "axes",
        "axis",
        "random_state",
        "group",
        "act_batch",
    )
    if output is not None:
        x, gx, g = output
        assert x.shape == gx.shape == X.shape and gx.dtype == X.dtype
        assert g.shape == (X.shape[0],)
        assert ((g >= 0) & (g < get_group(group).order)).all()
        # an exact permutation of each sample's pixels
        for i in range(X.shape[0]):
            assert np.array_equal(
                np.sort(x[i], axis=None), np.sort(gx[i], axis=None), equal_nan=True
            )


def _render(factors):
    return np.full((len(factors), 2, 2), 7, dtype=np.uint8)


@given(
    factor_sizes=st.one_of(
        st.lists(st.integers(1, 4), min_size=1, max_size=3),
        st.lists(
            st.one_of(st.integers(-1, 4), st.sampled_from([2.5, "2"])), min_size=0, max_size=3
        ),
    ),
    image_shape=st.one_of(
        st.lists(st.integers(1, 3), min_size=2, max_size=3),
        st.lists(st.integers(-1, 3), min_size=0, max_size=4),
    ),
    source=st.sampled_from(
        ["renderer", "storage", "renderer", "storage", "both", "neither", "bad renderer"]
    ),
    n_stored=st.integers(0, 30),
    grid_indices=st.one_of(st.none(), st.none(), st.lists(st.integers(-2, 30), max_size=4)),
    storage_rows=st.one_of(st.none(), st.none(), st.lists(st.integers(-2, 30), max_size=4)),
)
def test_ground_truth_dataset_or_raises_clearly(
    factor_sizes, image_shape, source, n_stored, grid_indices, storage_rows
):
    names = [f"f{k}" for k in range(len(factor_sizes))]
    shape = tuple(image_shape)
    kwargs = {}
    if source in ("renderer", "both"):
        kwargs["renderer"] = lambda f: np.zeros((len(f), *shape), dtype=np.uint8)
    if source == "bad renderer":
        kwargs["renderer"] = 3
    if source in ("storage", "both"):
        kwargs["storage"] = np.zeros((n_stored, *[max(s, 1) for s in shape]), dtype=np.uint8)
        kwargs["storage_rows"] = storage_rows
    dataset = _expect_clear_error(
        lambda: GroundTruthDataset(names, factor_sizes, shape, grid_indices=grid_indices, **kwargs),
        "factor_sizes",
        "factor_names",
        "image_shape",
        "renderer",
        "storage",
        "grid_indices",
        "grid",
    )
    if dataset is not None:
        n = dataset.n_samples
        assert n == (int(np.prod(factor_sizes)) if grid_indices is None else len(grid_indices))
        if n:
            images = dataset[: min(n, 2)]
            assert images.shape == (min(n, 2), *shape) and images.dtype == np.uint8
            assert dataset.sample(2, random_state=0)[1].shape == (2, *shape)


# --- regressions: what the fuzzing found ------------------------------------------------
def test_make_rotated_digits_beyond_int64_is_a_clear_error():
    # n_samples=2**64 gave "OverflowError: Python int too large to convert to C long"
    with pytest.raises(ValueError, match=r"n_samples must be < 2\*\*63"):
        make_rotated_digits(2**64)


def test_ground_truth_grid_beyond_int64_is_a_clear_error():
    # the grid size wrapped around in int64 (then numpy ran out of memory)
    with pytest.raises(ValueError, match="more than a 64-bit index can address"):
        GroundTruthDataset(("a", "b"), (2**40, 2**40), (2, 2), renderer=_render)


def test_ground_truth_renderer_must_be_callable():
    # was accepted, then "'int' object is not callable" at the first read
    with pytest.raises(TypeError, match="renderer must be callable"):
        GroundTruthDataset(("a",), (2,), (2, 2), renderer=3)


def test_ground_truth_storage_rows_are_checked_at_construction():
    storage = np.zeros((6, 2, 2), dtype=np.uint8)
    # rows beyond the storage gave an IndexError at the first read
    with pytest.raises(ValueError, match=r"storage_rows must be in \[0, 6\)"):
        GroundTruthDataset(("a",), (6,), (2, 2), storage=storage, storage_rows=[9] * 6)
    # a storage shorter than the dataset was accepted
    with pytest.raises(ValueError, match="storage holds 5 images for 6 rows"):
        GroundTruthDataset(("a",), (6,), (2, 2), storage=storage[:5])


@pytest.mark.parametrize("X", [None, 3, "abc"])
def test_make_group_pairs_rejects_non_arrays(X):
    # None gave "'NoneType' object is not subscriptable"
    with pytest.raises(TypeError, match="X must be an array-like of images"):
        make_group_pairs(X)


@pytest.mark.parametrize(
    "sizes, shape, message",
    [
        ((), (2, 2), "factor_sizes must hold at least one factor"),  # was a 0-d index error
        ((2,), (), r"image_shape must be \(H, W\) or \(H, W, C\)"),  # images read as (n, 1)
        ((2,), (2, 2, 2, 2), r"image_shape must be \(H, W\) or \(H, W, C\)"),
    ],
)
def test_ground_truth_needs_factors_and_an_image_shape(sizes, shape, message):
    names = [f"f{k}" for k in range(len(sizes))]
    with pytest.raises(ValueError, match=message):
        GroundTruthDataset(names, sizes, shape, renderer=_render)
