"""Pairs for weak supervision: make_weak_pairs and WeakPairs."""

import pickle

import numpy as np
import pytest

from sklvae.datasets import WeakPairs, make_dsprites, make_shapes3d, make_weak_pairs


def _n_differing(pairs):
    factors = pairs.factors
    return (factors[:, 0] != factors[:, 1]).sum(1)


@pytest.mark.parametrize("name", ["dsprites", "shapes3d"])
@pytest.mark.parametrize("k", [1, 2, 3])
def test_exactly_k_factors_differ_in_every_pair(name, k, request):
    dataset = request.getfixturevalue(name)
    pairs = make_weak_pairs(dataset, 300, k=k, random_state=0)
    assert len(pairs) == 300 and pairs.pairs.shape == (300, 2)
    assert (_n_differing(pairs) == k).all()
    # the factors are those of the rows the pairs index
    np.testing.assert_array_equal(pairs.factors[:, 1], dataset.factors_of_index(pairs.pairs[:, 1]))


@pytest.mark.parametrize("name", ["dsprites", "shapes3d"])
def test_random_k_is_uniform_over_one_to_k_minus_one(name, request):
    dataset = request.getfixturevalue(name)
    n_varying = int((np.asarray(dataset.factor_sizes) > 1).sum())
    pairs = make_weak_pairs(dataset, 2000, k="random", random_state=0)
    counts = np.bincount(_n_differing(pairs), minlength=n_varying + 1)
    assert counts[0] == 0 and counts[n_varying] == 0  # never identical, never all different
    expected = 2000 / (n_varying - 1)
    assert np.all(np.abs(counts[1:n_varying] - expected) < 5 * np.sqrt(expected))


def test_changed_factors_are_spread_over_all_varying_factors(dsprites):
    pairs = make_weak_pairs(dsprites, 1000, k=1, random_state=0)
    factors = pairs.factors
    changed = (factors[:, 0] != factors[:, 1]).sum(0)
    assert (changed > 150).all()  # 5 factors, about 200 each


def test_same_seed_same_pairs_other_seed_other_pairs(shapes3d):
    first = make_weak_pairs(shapes3d, 50, k="random", random_state=3).pairs
    np.testing.assert_array_equal(
        make_weak_pairs(shapes3d, 50, k="random", random_state=3).pairs, first
    )
    assert not np.array_equal(
        make_weak_pairs(shapes3d, 50, k="random", random_state=4).pairs, first
    )


def test_pairs_of_a_subset_are_rows_of_that_subset():
    subset = make_shapes3d(3000, random_state=0)
    pairs = make_weak_pairs(subset, 100, k=2, random_state=0)
    assert pairs.pairs.max() < len(subset)
    assert (_n_differing(pairs) == 2).all()


def test_pairs_read_no_image_until_indexed(dsprites):
    pairs = make_weak_pairs(dsprites, 10, random_state=0)
    first = pairs.first_images()
    assert first.shape == (10, 64, 64) and first.dtype == np.uint8
    np.testing.assert_array_equal(first[[2, 0]], dsprites[pairs.pairs[[2, 0], 0]])
    np.testing.assert_array_equal(first[3], dsprites[int(pairs.pairs[3, 0])])
    np.testing.assert_array_equal(first[1:3, 10:20], dsprites[pairs.pairs[1:3, 0]][:, 10:20])


def test_indexing_gives_pairs_of_the_same_images():
    images = np.arange(5 * 4).reshape(5, 2, 2).astype(np.uint8)
    pairs = WeakPairs(images, [[0, 1], [2, 3], [4, 0]])
    assert pairs.shape == (3, 2)
    assert pairs[1:].pairs.tolist() == [[2, 3], [4, 0]]
    assert pairs[[2]].images is images
    assert pairs[np.array([True, False, True])].pairs.tolist() == [[0, 1], [4, 0]]
    assert pairs[np.array([1]), ...].pairs.tolist() == [[2, 3]]  # scikit-learn's X[rows, ...]
    assert pairs[-1].pairs.tolist() == [[4, 0]]
    assert pairs.factors is None
    restored = pickle.loads(pickle.dumps(pairs))
    np.testing.assert_array_equal(restored.pairs, pairs.pairs)
    with pytest.raises(ValueError):
        pairs.pairs[0, 0] = 1  # read-only


MISUSE = [
    (lambda: WeakPairs(np.zeros((3, 2, 2)), [[0, 1, 2]]), ValueError, r"shape \(n_pairs, 2\)"),
    (lambda: WeakPairs(np.zeros((3, 2, 2)), np.zeros((0, 2), int)), ValueError, "at least one"),
    (lambda: WeakPairs(np.zeros((3, 2, 2)), [[0.0, 1.0]]), TypeError, "integer row indices"),
    (lambda: WeakPairs(np.zeros((3, 2, 2)), [[0, 3]]), ValueError, r"\[0, 3\)"),
    (lambda: WeakPairs([1, 2, 3], [[0, 1]]), TypeError, "array-like of images"),
    (lambda: WeakPairs(np.zeros((3, 2, 2)), [[0, 1]])[5], IndexError, "WeakPairs index"),
    (lambda: WeakPairs(np.zeros((3, 2, 2)), [[0, 1]])[0, 1], IndexError, "by pair only"),
    (lambda: make_weak_pairs(np.zeros((3, 2, 2)), 5), TypeError, "GroundTruthDataset"),
    (lambda: make_weak_pairs(make_dsprites(), 5, k=5), ValueError, "k"),
    (lambda: make_weak_pairs(make_dsprites(), 5, k=0), ValueError, "k"),
    (lambda: make_weak_pairs(make_dsprites(), 5, k="all"), ValueError, "'random'"),
    (lambda: make_weak_pairs(make_dsprites(), 0), ValueError, "n_pairs"),
]


@pytest.mark.parametrize("call, error, message", MISUSE)
def test_misuse_raises_a_clear_error(call, error, message):
    with pytest.raises(error, match=message):
        call()
