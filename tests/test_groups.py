"""Tests of sklvae.groups: group axioms and actions on numpy arrays and torch tensors."""

import itertools

import numpy as np
import pytest
import torch

from sklvae.groups import (
    CubeRotationGroup,
    CyclicGroup4,
    DihedralGroup4,
    FiniteGroup,
    FlipGroup,
    get_group,
)

ALL_GROUPS = ["c2", "c4", "d4", "cube"]


def _sample(group, rng, n=2, size=5):
    return rng.normal(size=(n,) + (size,) * group.ndim)


@pytest.mark.parametrize("name,order", [("c1", 1), ("c2", 2), ("c4", 4), ("d4", 8), ("cube", 24)])
def test_orders_and_distinct_actions(name, order):
    group = get_group(name)
    assert group.order == order
    assert group.elements == tuple(range(order))
    assert group.identity == 0
    x = _sample(group, np.random.default_rng(0), n=1)[0]
    images = {group.act(x, g).tobytes() for g in group.elements}
    assert len(images) == order  # every element acts differently on a generic array


@pytest.mark.parametrize("name", ALL_GROUPS)
def test_group_axioms(name):
    group = get_group(name)
    table = group.cayley_table
    # closure and latin square (each row/column is a permutation)
    for row in table:
        assert sorted(row) == list(group.elements)
    for col in table.T:
        assert sorted(col) == list(group.elements)
    for g in group.elements:
        assert group.compose(g, group.identity) == g == group.compose(group.identity, g)
        assert group.compose(g, group.inverse(g)) == group.identity
        assert group.compose(group.inverse(g), g) == group.identity
    for g, h, k in itertools.product(group.elements, repeat=3):
        assert group.compose(group.compose(g, h), k) == group.compose(g, group.compose(h, k))


@pytest.mark.parametrize("name", ALL_GROUPS)
def test_action_is_homomorphism_numpy_and_torch(name):
    group = get_group(name)
    rng = np.random.default_rng(1)
    x = _sample(group, rng)
    xt = torch.as_tensor(x)
    for g, h in itertools.product(group.elements, repeat=2):
        gh = group.compose(g, h)
        expected = group.act(x, gh)
        np.testing.assert_array_equal(group.act(group.act(x, h), g), expected)
        torch.testing.assert_close(group.act(group.act(xt, h), g), torch.as_tensor(expected.copy()))


def test_c4_matches_rot90_and_has_order_four():
    group = CyclicGroup4()
    x = np.arange(2 * 3 * 4 * 4).reshape(2, 3, 4, 4)
    for k in range(4):
        np.testing.assert_array_equal(group.act(x, k, axes=(2, 3)), np.rot90(x, k, axes=(2, 3)))
        torch.testing.assert_close(
            group.act(torch.as_tensor(x), k, axes=(2, 3)),
            torch.rot90(torch.as_tensor(x), k, (2, 3)),
        )
    y = x
    for _ in range(4):
        y = group.act(y, 1, axes=(-2, -1))
    np.testing.assert_array_equal(y, x)
    assert group.power(1, 4) == group.identity
    assert group.element_order(1) == 4


def test_c2_is_left_right_flip_and_d4_structure():
    x = np.arange(9).reshape(3, 3)
    np.testing.assert_array_equal(FlipGroup().act(x, 1), x[:, ::-1])
    d4 = DihedralGroup4()
    # element k + 4 f = rot90^k after flip^f
    for k, f in itertools.product(range(4), range(2)):
        expected = np.rot90(x[:, ::-1] if f else x, k)
        np.testing.assert_array_equal(d4.act(x, k + 4 * f), expected)
    # non-abelian: flip . rot != rot . flip, and flip rot flip = rot^-1
    assert d4.compose(4, 1) != d4.compose(1, 4)
    assert d4.compose(d4.compose(4, 1), 4) == 3
    assert sorted(d4.element_order(g) for g in d4.elements) == [1, 2, 2, 2, 2, 2, 4, 4]


def test_cube_group_structure():
    cube = CubeRotationGroup()
    assert cube.order == 24
    dets = [round(np.linalg.det(m)) for m in cube.matrices]
    assert dets == [1] * 24
    # element orders of the rotation group of the cube: 1 + 9 (order 2) + 8 (order 3) + 6 (order 4)
    orders = sorted(cube.element_order(g) for g in cube.elements)
    assert orders.count(1) == 1 and orders.count(2) == 9
    assert orders.count(3) == 8 and orders.count(4) == 6
    # each element moves content at coordinate p to R p
    x = np.zeros((5, 5, 5))
    x[4, 2, 2] = 1.0  # centred coordinate (2, 0, 0)
    for g in cube.elements:
        moved = np.argwhere(cube.act(x, g) == 1.0)[0] - 2
        np.testing.assert_array_equal(moved, cube.matrix(g) @ np.array([2, 0, 0]))


def test_cube_acts_on_non_trailing_axes_of_tensors_with_grad():
    cube = CubeRotationGroup()
    x = torch.randn(2, 3, 4, 4, 4, requires_grad=True)
    y = cube.act(x, 7, axes=(2, 3, 4))
    y.sum().backward()
    assert torch.all(x.grad == 1)
    y_back = cube.act(y, cube.inverse(7), axes=(2, 3, 4))
    torch.testing.assert_close(y_back, x)


@pytest.mark.parametrize("name", ALL_GROUPS)
def test_act_batch_matches_per_sample(name):
    group = get_group(name)
    rng = np.random.default_rng(2)
    x = rng.normal(size=(10, 2) + (4,) * group.ndim)
    elements = group.sample(10, random_state=0)
    axes = tuple(range(2, 2 + group.ndim))
    out = group.act_batch(x, elements, axes)
    out_t = group.act_batch(torch.as_tensor(x), torch.as_tensor(elements), axes)
    for i, g in enumerate(elements):
        np.testing.assert_array_equal(out[i], group.act(x[i], g, tuple(a - 1 for a in axes)))
    torch.testing.assert_close(out_t, torch.as_tensor(out))


def test_regular_representation_is_homomorphism():
    group = DihedralGroup4()
    rep = group.regular_representation()
    for g, h in itertools.product(group.elements, repeat=2):
        np.testing.assert_array_equal(rep[g] @ rep[h], rep[group.compose(g, h)])


def test_sample_is_uniform_and_reproducible():
    group = CyclicGroup4()
    draws = group.sample(4000, random_state=0)
    np.testing.assert_array_equal(draws, group.sample(4000, random_state=0))
    counts = np.bincount(draws, minlength=4)
    assert np.all(np.abs(counts / 4000 - 0.25) < 0.03)


def test_errors_name_the_problem():
    with pytest.raises(ValueError, match="group must be one of"):
        get_group("so3")
    c4 = CyclicGroup4()
    with pytest.raises(ValueError, match="elements 0..3"):
        c4.act(np.zeros((3, 3)), 4)
    with pytest.raises(ValueError, match="acts on 2 axes"):
        c4.act(np.zeros((3, 3, 3)), 1, axes=(0, 1, 2))
    with pytest.raises(ValueError, match="equal sizes"):
        c4.act_batch(np.zeros((2, 3, 4)), [0, 1])
    flipped = FlipGroup().act_batch(np.arange(12.0).reshape(1, 3, 4), [1])  # flips need no square
    np.testing.assert_array_equal(flipped[0], np.arange(12.0).reshape(3, 4)[:, ::-1])
    with pytest.raises(ValueError, match="entries"):
        c4.act_batch(np.zeros((2, 3, 3)), [0, 1, 2])
    with pytest.raises(ValueError, match="closed"):
        FiniteGroup([np.eye(2, dtype=int), np.array([[0, -1], [1, 0]])])
    assert get_group(c4) is c4
