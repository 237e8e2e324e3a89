"""Pairs of images for weak supervision: :class:`WeakPairs` and :func:`make_weak_pairs`.

Weakly-supervised disentanglement (Locatello et al., "Weakly-Supervised
Disentanglement Without Compromises", ICML 2020) trains on pairs of observations
that share all but ``k`` of their generative factors, without saying which ones.
A :class:`WeakPairs` object is such a training set: the image source (any array-like
an estimator takes, e.g. a :class:`~sklvae.datasets.GroundTruthDataset`) and an
``(n_pairs, 2)`` array of row indices into it. It is lazy: the pairs are indices and
the images of a batch are read (or rendered) when the batch is drawn.

A :class:`WeakPairs` object is what the weakly-supervised estimators
(:class:`~sklvae.AdaGVAE`, :class:`~sklvae.AdaMLVAE`) take as ``X``. It indexes like a
sequence of pairs (``pairs[rows]`` is a :class:`WeakPairs` of those pairs), so
scikit-learn's splitters and ``GridSearchCV`` cut it into folds; what a scorer sees
of a fold is described in :class:`WeakPairs`.
"""

from __future__ import annotations

from numbers import Integral
from typing import Any

import numpy as np

from ._checks import check_integer, check_random_state, rows_from_index
from ._dataset import GroundTruthDataset

__all__ = ["WeakPairs", "make_weak_pairs"]


class _RowView:
    """A lazy array-like of some rows of another array-like (read on indexing)."""

    def __init__(self, source: Any, rows: np.ndarray) -> None:
        self.source = source
        self.rows = rows

    @property
    def shape(self) -> tuple[int, ...]:
        return (int(self.rows.size), *tuple(int(s) for s in self.source.shape[1:]))

    @property
    def dtype(self) -> np.dtype:
        return np.dtype(self.source.dtype)

    @property
    def ndim(self) -> int:
        return len(self.shape)

    def __len__(self) -> int:
        return int(self.rows.size)

    def __getitem__(self, key: Any) -> np.ndarray:
        rest: tuple = ()
        if isinstance(key, tuple):
            key, rest = (key[0], key[1:]) if key else (slice(None), ())
        scalar = isinstance(key, Integral) and not isinstance(key, (bool, np.bool_))
        rows = self.rows[rows_from_index(key, self.rows.size).reshape(-1)]
        images = read_source_rows(self.source, rows)
        if scalar:
            return images[0][rest] if rest else images[0]
        return images[(slice(None), *rest)] if rest else images


def read_source_rows(source: Any, rows: np.ndarray) -> np.ndarray:
    """Rows ``rows`` of an array-like, in that order, in one read of sorted unique rows.

    h5py datasets need increasing indices; numpy arrays are indexed directly.
    """
    rows = np.asarray(rows, dtype=np.int64).reshape(-1)
    if isinstance(source, np.ndarray):
        return source[rows]
    unique, inverse = np.unique(rows, return_inverse=True)
    return np.asarray(source[unique])[inverse]


class WeakPairs:
    """Pairs of images that share some generative factors (weak supervision).

    Parameters
    ----------
    images : array-like of shape (n_images, ...)
        The image source, of any kind an estimator takes as ``X`` (numpy arrays,
        h5py datasets, memory maps, :class:`~sklvae.datasets.GroundTruthDataset`).
        It is never copied or loaded whole.
    pairs : array-like of int of shape (n_pairs, 2)
        Row indices into ``images``: pair ``i`` is ``images[pairs[i, 0]]`` and
        ``images[pairs[i, 1]]``.

    Attributes
    ----------
    images : array-like
        As given.
    pairs : ndarray of int64 of shape (n_pairs, 2)
        The pairs (read-only).
    shape : tuple of int
        ``(n_pairs, 2)``, the shape of ``pairs`` (scikit-learn reads the number of
        samples from it).

    Notes
    -----
    ``len(pairs)`` is the number of pairs and ``pairs[rows]`` (a slice, integers or
    a boolean mask) is a :class:`WeakPairs` of those pairs over the same images, so
    scikit-learn's cross-validation splits a :class:`WeakPairs` into folds of pairs.
    In a search such as ``GridSearchCV(AdaGVAE(), ...).fit(pairs, y)``, pass as ``y``
    the factors of the **first** image of each pair (``pairs.factors[:, 0]`` for
    pairs over a :class:`~sklvae.datasets.GroundTruthDataset`): a scorer is called
    with a fold of pairs and that fold's ``y``, and the estimator's ``transform``
    (and ``score``) of a :class:`WeakPairs` encodes the first image of each pair
    (:meth:`first_images`), so the representations and ``y`` line up.

    Examples
    --------
    >>> import numpy as np
    >>> from sklvae.datasets import WeakPairs
    >>> images = np.zeros((4, 8, 8), dtype=np.uint8)
    >>> pairs = WeakPairs(images, [[0, 1], [2, 3], [1, 2]])
    >>> len(pairs), pairs[1:].pairs.tolist()
    (3, [[2, 3], [1, 2]])
    """

    def __init__(self, images: Any, pairs: Any) -> None:
        if isinstance(images, WeakPairs):
            raise TypeError("images must be an image array-like, not a WeakPairs object.")
        if not hasattr(images, "shape") or not hasattr(images, "__getitem__"):
            raise TypeError(
                f"images must be an array-like of images with a shape; got {type(images).__name__}."
            )
        n_images = int(images.shape[0])
        pairs_array = np.asarray(pairs)
        if pairs_array.ndim != 2 or pairs_array.shape[1] != 2:
            raise ValueError(
                f"pairs must have shape (n_pairs, 2) (two row indices per pair); got "
                f"shape {pairs_array.shape}."
            )
        if pairs_array.shape[0] == 0:
            raise ValueError("pairs must hold at least one pair; got an empty array.")
        if not np.issubdtype(pairs_array.dtype, np.integer):
            raise TypeError(
                f"pairs must be integer row indices into images; got dtype {pairs_array.dtype}."
            )
        low, high = int(pairs_array.min()), int(pairs_array.max())
        if low < 0 or high >= n_images:
            raise ValueError(
                f"pairs must index rows of images in [0, {n_images}); got values in "
                f"[{low}, {high}]."
            )
        self.images = images
        self.pairs = pairs_array.astype(np.int64, copy=True)
        self.pairs.setflags(write=False)

    @property
    def shape(self) -> tuple[int, int]:
        """``(n_pairs, 2)``."""
        return (int(self.pairs.shape[0]), 2)

    def __len__(self) -> int:
        return int(self.pairs.shape[0])

    def __getitem__(self, key: Any) -> WeakPairs:
        if isinstance(key, tuple):  # scikit-learn indexes arrays as X[rows, ...]
            if any(part is not Ellipsis and part != slice(None) for part in key[1:]):
                raise IndexError("WeakPairs are indexed by pair only: pairs[rows].")
            key = key[0] if key else slice(None)
        if isinstance(key, Integral) and not isinstance(key, (bool, np.bool_)):
            key = [key]
        try:
            rows = rows_from_index(key, len(self)).reshape(-1)
        except IndexError as exc:
            raise IndexError(f"WeakPairs index: {exc}") from None
        if rows.size == 0:
            raise IndexError("WeakPairs index selects no pair.")
        return WeakPairs(self.images, self.pairs[rows])

    def __repr__(self) -> str:
        return f"WeakPairs(n_pairs={len(self)}, images={self.images!r})"

    @property
    def factors(self) -> np.ndarray | None:
        """Factor classes of both images of each pair, ``(n_pairs, 2, n_factors)``.

        Read from ``images.factors`` (a :class:`~sklvae.datasets.GroundTruthDataset`);
        None for images without ground truth.
        """
        if not isinstance(self.images, GroundTruthDataset):
            return None
        grid = self.images.grid_indices[self.pairs.reshape(-1)]
        return self.images.factors_of_index(grid).reshape(len(self), 2, -1)

    def first_images(self) -> Any:
        """The first image of every pair, as a lazy array-like.

        What an estimator's ``transform`` and ``score`` encode when given the pairs.

        Returns
        -------
        array-like of shape (n_pairs, ...)
            Reads ``images[pairs[rows, 0]]`` when indexed with ``rows``.
        """
        return _RowView(self.images, self.pairs[:, 0])


def _varying_factors(dataset: GroundTruthDataset) -> np.ndarray:
    return np.flatnonzero(np.asarray(dataset.factor_sizes) > 1)


def _holds_full_grid(dataset: GroundTruthDataset) -> bool:
    """True when every factor combination is a row of ``dataset`` (exactly once)."""
    grid = dataset.grid_indices
    n_grid = dataset.n_combinations
    return grid.size == n_grid and bool(np.bincount(grid, minlength=n_grid).min() == 1)


def _check_k(k: Any, n_varying: int) -> int | None:
    """The fixed k, or None for k drawn per pair (``k="random"``)."""
    if n_varying < 2:
        raise ValueError(
            f"weak pairs need at least 2 factors with more than one value (one shared, "
            f"one differing); the dataset has {n_varying}."
        )
    if isinstance(k, str):
        if k != "random":
            raise ValueError(
                f"k must be an integer in [1, {n_varying - 1}] or 'random'; got {k!r}."
            )
        return None
    return check_integer(k, "k", min_value=1, max_value=n_varying - 1)


def make_weak_pairs(
    dataset: GroundTruthDataset,
    n_pairs: int,
    *,
    k: int | str = 1,
    random_state: Any = None,
) -> WeakPairs:
    """Draw pairs of images that differ in exactly ``k`` generative factors.

    As in Locatello et al. (2020): the first image's factors are drawn uniformly;
    the second image copies them and gets a new value (different from the first's)
    in ``k`` factors chosen uniformly among the factors that vary. ``k`` is fixed, or
    drawn per pair uniformly in ``1 .. K - 1`` (``k="random"``), ``K`` being the
    number of factors with more than one value.

    Parameters
    ----------
    dataset : GroundTruthDataset
        The images and their factors.
    n_pairs : int
        Number of pairs.
    k : int or "random", default=1
        Number of factors that differ within each pair, in ``1 .. K - 1``.
    random_state : int, RandomState instance or None, default=None
        Seeds the draw; the same seed gives the same pairs.

    Returns
    -------
    WeakPairs
        ``(n_pairs, 2)`` row indices into ``dataset`` (no image is read).

    Raises
    ------
    TypeError
        ``dataset`` is not a :class:`~sklvae.datasets.GroundTruthDataset`.
    ValueError
        ``k`` is out of range, or a dataset that is not the full factor grid holds no
        image for a drawn pair.

    Notes
    -----
    disentanglement_lib's weak-supervision code (``methods/weak/train_weak_lib.py``,
    ``simple_dynamics``) changes either 1 or ``k`` factors (each with probability
    1/2) and redraws their values from all classes, so a redrawn value may equal
    the old one and fewer than ``k`` factors may differ. Here exactly ``k`` factors
    differ in every pair. Datasets that are not the full grid (a file's rows, a
    subset) are sampled from the rows present: the first image uniformly, the second
    uniformly among the rows differing from it in exactly ``k`` factors (a first row
    without such a partner is redrawn). Sampling from rows compares every row with
    the first image of each pair, so keep such datasets to some ten thousand rows.

    Examples
    --------
    >>> from sklvae.datasets import make_dsprites, make_weak_pairs
    >>> data = make_dsprites()
    >>> pairs = make_weak_pairs(data, 100, k=1, random_state=0)
    >>> factors = pairs.factors
    >>> bool(((factors[:, 0] != factors[:, 1]).sum(1) == 1).all())
    True
    """
    if not isinstance(dataset, GroundTruthDataset):
        raise TypeError(
            "make_weak_pairs needs a GroundTruthDataset (images with factors); got "
            f"{type(dataset).__name__}. For other images, build WeakPairs(images, pairs) "
            "from your own (n_pairs, 2) index array."
        )
    n_pairs = check_integer(n_pairs, "n_pairs", min_value=1)
    varying = _varying_factors(dataset)
    fixed_k = _check_k(k, varying.size)
    rng = check_random_state(random_state)
    if fixed_k is None:
        ks = rng.randint(1, varying.size, size=n_pairs)
    else:
        ks = np.full(n_pairs, fixed_k)
    if _holds_full_grid(dataset):
        first = dataset._sample_grid(n_pairs, rng)
        second = first.copy()
        sizes = np.asarray(dataset.factor_sizes)
        for i in range(n_pairs):
            changed = rng.choice(varying, size=ks[i], replace=False)
            # a new class, uniform over the factor's other classes
            offsets = rng.randint(1, sizes[changed])
            second[i, changed] = (first[i, changed] + offsets) % sizes[changed]
        rows = dataset._rows_of_grid(dataset.index_of(np.concatenate([first, second])))
        return WeakPairs(dataset, rows.reshape(2, n_pairs).T)
    return WeakPairs(dataset, _pairs_among_rows(dataset.factors, ks, rng))


def _pairs_among_rows(
    factors: np.ndarray, ks: np.ndarray, rng: np.random.RandomState
) -> np.ndarray:
    """Pairs of rows of ``factors`` differing in exactly ``ks[i]`` factors."""
    n_rows = factors.shape[0]
    pairs = np.empty((ks.size, 2), dtype=np.int64)
    for i, k in enumerate(ks):
        for _ in range(100):
            first = rng.randint(n_rows)
            partners = np.flatnonzero((factors != factors[first]).sum(1) == k)
            if partners.size:
                pairs[i] = first, partners[rng.randint(partners.size)]
                break
        else:
            raise ValueError(
                f"found no pair of rows differing in exactly {k} factors in 100 draws; "
                "the dataset's rows cover too little of the factor grid for this k."
            )
    return pairs
