"""Finite groups acting on the spatial axes of arrays and tensors.

Every group here is a group of *signed permutation matrices*: C1 (the identity
alone), C2 (a flip), C4 (the 90-degree rotations, as :func:`numpy.rot90`), D4
(rotations and flips of the square) and the 24 rotations of the cube. A signed permutation acts on an image or a volume
by transposing and reversing axes, which is an exact permutation of pixels (no
interpolation), and the same code serves numpy arrays and torch tensors, so the
datasets (pairs ``(x, g.x, g)``) and the latent actions of
:class:`sklvae.models.GroupActionAE` share one implementation.

Group elements are integers ``0 .. order - 1``; ``0`` is always the identity.
The convention for composition is the one of function composition::

    group.act(group.act(x, h), g) == group.act(x, group.compose(g, h))

The element ``g`` with matrix ``R`` moves the content of the array at (centred)
coordinate ``p`` to coordinate ``R @ p``, i.e. ``(g.x)[q] = x[R^T q]``.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = [
    "FiniteGroup",
    "TrivialGroup",
    "FlipGroup",
    "CyclicGroup4",
    "DihedralGroup4",
    "CubeRotationGroup",
    "get_group",
    "GROUP_NAMES",
]


def _is_torch_tensor(x: Any) -> bool:
    try:
        import torch
    except ImportError:  # pragma: no cover - torch is a hard dependency
        return False
    return isinstance(x, torch.Tensor)


class FiniteGroup:
    """A finite group of signed permutation matrices acting on array axes.

    Parameters
    ----------
    matrices : sequence of (n, n) integer arrays
        The group's elements as signed permutation matrices; the first one must
        be the identity and the set must be closed under multiplication.
    name : str
        Short name used in reprs and error messages.

    Attributes
    ----------
    order : int
        Number of elements.
    elements : tuple of int
        ``(0, 1, ..., order - 1)``.
    identity : int
        Always ``0``.
    ndim : int
        Number of spatial axes the group acts on (2 for images, 3 for volumes).
    matrices : ndarray of shape (order, ndim, ndim)
        The signed permutation matrix of each element.
    cayley_table : ndarray of shape (order, order)
        ``cayley_table[g, h] == compose(g, h)``.
    """

    name: str = "group"

    def __init__(self, matrices: Sequence[np.ndarray], name: str | None = None) -> None:
        mats = np.asarray(matrices, dtype=np.int64)
        if mats.ndim != 3 or mats.shape[1] != mats.shape[2]:
            raise ValueError(f"matrices must have shape (order, n, n), got {mats.shape}.")
        n = mats.shape[1]
        if not np.array_equal(mats[0], np.eye(n, dtype=np.int64)):
            raise ValueError("the first matrix of a group must be the identity.")
        for m in mats:
            if not (np.all(np.abs(m).sum(0) == 1) and np.all(np.abs(m).sum(1) == 1)):
                raise ValueError(f"{m.tolist()} is not a signed permutation matrix.")
        if name is not None:
            self.name = name
        self.matrices = mats
        self.matrices.setflags(write=False)
        keys = {m.tobytes(): i for i, m in enumerate(mats)}
        if len(keys) != len(mats):
            raise ValueError("group matrices must be distinct.")
        order = len(mats)
        table = np.empty((order, order), dtype=np.int64)
        for g, h in itertools.product(range(order), repeat=2):
            key = (mats[g] @ mats[h]).tobytes()
            if key not in keys:
                raise ValueError("the matrices are not closed under multiplication.")
            table[g, h] = keys[key]
        table.setflags(write=False)
        self.cayley_table = table
        self._inverse = np.argmax(table == 0, axis=1)
        # For each element: output axis i reads input axis perm[i], reversed if flips[i].
        self._perms = [tuple(int(np.flatnonzero(row)[0]) for row in m) for m in mats]
        self._flips = [tuple(bool(row.sum() < 0) for row in m) for m in mats]

    # -- group structure ------------------------------------------------------------
    @property
    def order(self) -> int:
        return len(self.matrices)

    @property
    def elements(self) -> tuple[int, ...]:
        return tuple(range(self.order))

    @property
    def identity(self) -> int:
        return 0

    @property
    def ndim(self) -> int:
        return self.matrices.shape[1]

    def _check_element(self, g: Any) -> int:
        try:
            g_int = int(g)
        except (TypeError, ValueError):
            raise TypeError(f"group element must be an integer, got {g!r}.") from None
        if g_int != g or not 0 <= g_int < self.order:
            raise ValueError(f"{self.name} has elements 0..{self.order - 1}; got {g!r}.")
        return g_int

    def compose(self, g: int, h: int) -> int:
        """The element ``g h`` (apply ``h`` first, then ``g``)."""
        return int(self.cayley_table[self._check_element(g), self._check_element(h)])

    def inverse(self, g: int) -> int:
        """The element ``g^{-1}`` with ``compose(g, inverse(g)) == identity``."""
        return int(self._inverse[self._check_element(g)])

    def power(self, g: int, k: int) -> int:
        """``g`` composed with itself ``k`` times (``k`` may be negative)."""
        g = self._check_element(g)
        if k < 0:
            g, k = self.inverse(g), -k
        result = self.identity
        for _ in range(k):
            result = self.compose(g, result)
        return result

    def element_order(self, g: int) -> int:
        """Smallest ``k >= 1`` with ``g^k == identity``."""
        g = self._check_element(g)
        k, current = 1, g
        while current != self.identity:
            current, k = self.compose(g, current), k + 1
        return k

    def matrix(self, g: int) -> np.ndarray:
        """The signed permutation matrix of ``g``."""
        return self.matrices[self._check_element(g)]

    def regular_representation(self) -> np.ndarray:
        """Permutation matrices ``P`` of shape (order, order, order) of the regular
        representation: ``P[g] @ e_h == e_{g h}``, so ``P[g] @ P[h] == P[g h]``."""
        order = self.order
        rep = np.zeros((order, order, order), dtype=np.float64)
        for g, h in itertools.product(range(order), repeat=2):
            rep[g, self.cayley_table[g, h], h] = 1.0
        return rep

    def sample(self, n_samples: int, random_state: Any = None) -> np.ndarray:
        """``n_samples`` elements drawn uniformly (integers in ``0..order-1``)."""
        from sklearn.utils import check_random_state

        return check_random_state(random_state).randint(self.order, size=n_samples)

    # -- action on arrays -----------------------------------------------------------
    def _normalise_axes(self, ndim: int, axes: Sequence[int] | None) -> tuple[int, ...]:
        if axes is None:
            axes = tuple(range(-self.ndim, 0))
        axes = tuple(int(a) for a in axes)
        if len(axes) != self.ndim:
            raise ValueError(f"{self.name} acts on {self.ndim} axes; got axes={axes}.")
        if ndim < self.ndim:
            raise ValueError(f"{self.name} acts on {self.ndim} axes but the input has only {ndim}.")
        normalised = []
        for a in axes:
            if not -ndim <= a < ndim:
                raise ValueError(f"axis {a} is out of range for an input with {ndim} dims.")
            normalised.append(a % ndim)
        if len(set(normalised)) != len(normalised):
            raise ValueError(f"axes must be distinct; got {axes}.")
        return tuple(normalised)

    def act(self, x: Any, g: int, axes: Sequence[int] | None = None) -> Any:
        """Apply element ``g`` to ``x`` over the spatial ``axes``.

        Parameters
        ----------
        x : ndarray or torch.Tensor
            Array with at least ``ndim`` dimensions.
        g : int
            Group element.
        axes : sequence of int, optional
            The spatial axes acted on, in order (default: the last ``ndim`` axes).
            For C4 the element ``k`` equals ``numpy.rot90(x, k, axes)``.

        Returns
        -------
        ndarray or torch.Tensor
            ``g . x``, same type as ``x``. Numpy results may be views.
        """
        g = self._check_element(g)
        axes = self._normalise_axes(x.ndim, axes)
        perm = list(range(x.ndim))
        for i, src in enumerate(self._perms[g]):
            perm[axes[i]] = axes[src]
        flip_axes = tuple(axes[i] for i, f in enumerate(self._flips[g]) if f)
        if _is_torch_tensor(x):
            out = x.permute(*perm)
            return out.flip(flip_axes) if flip_axes else out
        out = np.transpose(x, perm)
        return np.flip(out, flip_axes) if flip_axes else out

    def act_batch(self, x: Any, elements: Any, axes: Sequence[int] | None = None) -> Any:
        """Apply a different element to each sample of a batch.

        Parameters
        ----------
        x : ndarray or torch.Tensor of shape (n, ...)
            Batch; when some element swaps axes (C4, D4, cube) the acted ``axes`` must
            all have the same size (square images, cubic volumes) so that every result
            has the shape of ``x``.
        elements : array-like of int of shape (n,)
            One group element per sample.
        axes : sequence of int, optional
            Spatial axes (default: the last ``ndim``); must not include axis 0.

        Returns
        -------
        ndarray or torch.Tensor
            Batch of ``elements[i] . x[i]``; differentiable for tensors.
        """
        axes = self._normalise_axes(x.ndim, axes)
        if 0 in axes:
            raise ValueError("act_batch acts per sample; the axes must not include axis 0.")
        sizes = {x.shape[a] for a in axes}
        permutes_axes = any(perm != tuple(range(self.ndim)) for perm in self._perms)
        if permutes_axes and len(sizes) > 1:
            raise ValueError(
                f"act_batch needs equal sizes on the acted axes; got shape {tuple(x.shape)} "
                f"with axes {axes}."
            )
        is_torch = _is_torch_tensor(x)
        if is_torch:
            import torch

            g: Any = torch.as_tensor(elements, device=x.device).long().reshape(-1)
        else:
            g = np.asarray(elements).reshape(-1)
        if g.shape[0] != x.shape[0]:
            raise ValueError(
                f"elements has {g.shape[0]} entries but the batch has {x.shape[0]} samples."
            )
        if g.shape[0] and (int(g.min()) < 0 or int(g.max()) >= self.order):
            raise ValueError(f"{self.name} has elements 0..{self.order - 1}.")
        if is_torch:
            pieces, index = [], []
            for e in torch.unique(g).tolist():
                idx: Any = torch.nonzero(g == e).reshape(-1)
                pieces.append(self.act(x[idx], e, axes))
                index.append(idx)
            if not pieces:
                return x.clone()
            order = torch.argsort(torch.cat(index))
            return torch.cat(pieces)[order]
        out = np.empty_like(x)
        for e in np.unique(g):
            idx = np.flatnonzero(g == e)
            out[idx] = self.act(x[idx], int(e), axes)
        return out

    def __repr__(self) -> str:
        return f"{type(self).__name__}(order={self.order})"


class TrivialGroup(FiniteGroup):
    """C1: the identity alone (on two axes); turns GroupActionAE into a plain autoencoder."""

    name = "c1"

    def __init__(self) -> None:
        super().__init__([np.eye(2, dtype=np.int64)])


class FlipGroup(FiniteGroup):
    """C2: the identity and the flip of the last acted axis (left-right for images)."""

    name = "c2"

    def __init__(self) -> None:
        super().__init__([np.eye(2, dtype=np.int64), np.diag([1, -1])])


_ROT90 = np.array([[0, -1], [1, 0]], dtype=np.int64)  # numpy.rot90(x, 1, axes)


class CyclicGroup4(FiniteGroup):
    """C4: element ``k`` is ``numpy.rot90(x, k, axes)`` (rotation by ``90 k`` degrees)."""

    name = "c4"

    def __init__(self) -> None:
        super().__init__([np.linalg.matrix_power(_ROT90, k) for k in range(4)])


class DihedralGroup4(FiniteGroup):
    """D4: element ``k + 4 f`` is ``rot90^k`` applied after ``flip^f`` (8 elements)."""

    name = "d4"

    def __init__(self) -> None:
        flip = np.diag([1, -1]).astype(np.int64)
        super().__init__(
            [
                np.linalg.matrix_power(_ROT90, k) @ np.linalg.matrix_power(flip, f)
                for f in range(2)
                for k in range(4)
            ]
        )


class CubeRotationGroup(FiniteGroup):
    """The 24 proper rotations of the cube acting on three axes (volumes).

    Elements are the signed 3x3 permutation matrices with determinant +1, in a
    fixed order with the identity first.
    """

    name = "cube"

    def __init__(self) -> None:
        mats = []
        for perm in itertools.permutations(range(3)):
            for signs in itertools.product((1, -1), repeat=3):
                m = np.zeros((3, 3), dtype=np.int64)
                for i in range(3):
                    m[i, perm[i]] = signs[i]
                if round(np.linalg.det(m)) == 1:
                    mats.append(m)
        super().__init__(mats)


GROUP_NAMES = {
    "c1": TrivialGroup,
    "c2": FlipGroup,
    "c4": CyclicGroup4,
    "d4": DihedralGroup4,
    "cube": CubeRotationGroup,
}


def get_group(group: str | FiniteGroup) -> FiniteGroup:
    """Return a group instance from a name (``"c1"``, ``"c2"``, ``"c4"``, ``"d4"``, ``"cube"``)
    or pass a :class:`FiniteGroup` through."""
    if isinstance(group, FiniteGroup):
        return group
    if isinstance(group, str) and group.lower() in GROUP_NAMES:
        return GROUP_NAMES[group.lower()]()
    raise ValueError(
        f"group must be one of {sorted(GROUP_NAMES)} or a FiniteGroup instance; got {group!r}."
    )
