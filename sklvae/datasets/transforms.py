"""Pairs ``(x, g.x, g)`` of images and their transforms under a finite group.

The groups themselves (C2 flips, C4 ``rot90``, D4, the 24 rotations of the cube)
live in :mod:`sklvae.groups`; this module only draws elements and applies them
to a batch of images or volumes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ._checks import check_integer_array, check_random_state

__all__ = ["make_group_pairs"]


def make_group_pairs(
    X: Any,
    group: Any = "c4",
    *,
    elements: Any = None,
    axes: Sequence[int] | None = None,
    random_state: Any = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Apply one group element to each image: return ``(x, g.x, g)``.

    Parameters
    ----------
    X : array-like of shape (n, H, W), (n, H, W, C) or (n, D, H, W)
        Images in native layout (or volumes for the cube group). A lazy
        array-like (e.g. a :class:`~sklvae.datasets.GroundTruthDataset`) is read
        whole, so pass a subset of a large one.
    group : {"c2", "c4", "d4", "cube"} or FiniteGroup, default="c4"
        See :mod:`sklvae.groups`. The acted axes must have equal sizes.
    elements : array-like of int of shape (n,), default=None
        Element for each image; drawn uniformly (identity included) if None, as
        in the GroupActionAE code, where ``g`` is re-drawn on each access.
    axes : sequence of int, default=None
        The spatial axes acted on. Default: the axes right after the sample axis,
        ``(1, 2)`` for images and ``(1, 2, 3)`` for the cube group; pass
        ``(2, 3)`` for channels-first images.
    random_state : int, RandomState instance or None, default=None
        Draws ``elements`` when they are not given.

    Returns
    -------
    x : ndarray of shape (n, ...)
        The input images (a copy).
    gx : ndarray of shape (n, ...)
        ``g[i] . x[i]``, an exact permutation of pixels (no interpolation).
    g : ndarray of int64 of shape (n,)
        The elements applied.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.arange(8).reshape(2, 2, 2)
    >>> _, gx, g = make_group_pairs(x, "c4", elements=[1, 0])
    >>> bool(np.array_equal(gx[0], np.rot90(x[0])))
    True
    """
    from ..groups import get_group

    group = get_group(group)
    if not hasattr(X, "__getitem__") or isinstance(X, (str, bytes)):
        raise TypeError(f"X must be an array-like of images, got {type(X).__name__}.")
    x = X if isinstance(X, np.ndarray) else np.asarray(X[:])
    x = np.array(x, copy=True)
    if axes is None:
        axes = tuple(range(1, 1 + group.ndim))
    if x.ndim < 1 + group.ndim:
        raise ValueError(
            f"X must have a sample axis and {group.ndim} spatial axes for {group.name}; "
            f"got shape {x.shape}."
        )
    rng = check_random_state(random_state)
    if elements is None:
        g = group.sample(x.shape[0], rng).astype(np.int64)
    else:
        g = check_integer_array(elements, "elements", high=group.order).reshape(-1)
        if g.shape[0] != x.shape[0]:
            raise ValueError(f"elements has {g.shape[0]} entries for {x.shape[0]} images.")
    gx = group.act_batch(x, g, axes=axes)
    return x, np.ascontiguousarray(gx), g
