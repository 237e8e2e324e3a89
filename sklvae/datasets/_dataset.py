"""The array-like ground-truth dataset.

Every dataset in :mod:`sklvae.datasets` (procedural generators and loaders of the
canonical files) is a :class:`GroundTruthDataset`: an array-like of images with
known generative factors. It follows the contract in ``docs/design.md``:

- images come back as ``uint8`` in ``0..255`` in their native layout, ``(n, H, W)``
  for one channel and ``(n, H, W, C)`` otherwise;
- the object has ``shape``, ``dtype``, ``ndim``, ``len`` and ``ds[int | slice |
  index array]`` and reads (or renders) only the images asked for, so it can be
  passed as ``X`` to an estimator, which streams it in batches;
- stored images (h5py, memory maps) are read in one call per request, in
  increasing row order (h5py's requirement), and put back in the requested order;
- the ground truth follows disentanglement_lib's ``GroundTruthData``:
  ``factor_sizes``, ``sample_factors``, ``sample_observations`` plus the
  "fix one factor, vary the others" sampler used by the BetaVAE and FactorVAE
  scores. The index arithmetic lives in :class:`~sklvae.datasets._grid.FactorGrid`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from numbers import Integral
from typing import Any

import numpy as np

from ._checks import (
    CorruptDatasetError,
    check_integer,
    check_integer_array,
    check_random_state,
    rows_from_index,
)
from ._grid import FactorGrid
from ._storage import read_rows

__all__ = ["GroundTruthDataset"]

# ``np.asarray(dataset)`` materialises at most this many bytes (see ``__array__``).
_MAX_IMPLICIT_ARRAY_BYTES = 256 * 2**20


class GroundTruthDataset(FactorGrid):
    """An array-like of images with known, discrete generative factors.

    The images are produced on demand, either by a ``renderer`` (procedural
    generators: any factor combination can be drawn) or read from a ``storage``
    (a file on disk: only the rows it holds exist). Nothing is loaded or rendered
    until an image is asked for.

    Parameters
    ----------
    factor_names : sequence of str
        Name of each generative factor, in the canonical order.
    factor_sizes : sequence of int
        Number of classes of each factor. The grid has ``prod(factor_sizes)``
        combinations.
    image_shape : tuple of int
        Shape of one image in native layout, ``(H, W)`` or ``(H, W, C)``.
    factor_values : sequence of array-like, default=None
        Real value of each class of each factor (e.g. the scale ``0.5 .. 1``).
        Defaults to the class indices.
    renderer : callable, default=None
        ``renderer(factors) -> images``: maps an integer array
        ``(b, n_factors)`` to ``uint8`` images ``(b, *image_shape)``. Exactly
        one of ``renderer`` and ``storage`` must be given.
    storage : array-like, default=None
        Images stored in a file: ``storage[start:stop]`` and ``storage[rows]``
        with a sorted array of unique row numbers return ``uint8`` images
        ``(n, *image_shape)``. Each request is one such read (see
        :func:`~sklvae.datasets._storage.read_rows`).
    grid_indices : array-like of int, default=None
        Grid index (``index_of``) of each row of the dataset. ``None`` means the
        full grid in canonical order.
    storage_rows : array-like of int, default=None
        Row of ``storage`` holding each row of the dataset. ``None`` means row
        ``i`` of the dataset is row ``i`` of the storage.
    name : str, default=""
        Short name used in ``repr`` and error messages.

    Attributes
    ----------
    factor_names, factor_sizes, factor_values, n_factors
        As given (see :class:`~sklvae.datasets._grid.FactorGrid`).
    n_samples : int
        Number of images (rows) of this dataset.
    factors : ndarray of shape (n_samples, n_factors), dtype int64
        Factor classes of every row.

    Notes
    -----
    ``sample_factors`` draws uniformly from the whole factor grid when every
    combination can be produced (generators, and files holding the whole grid),
    as disentanglement_lib does, and otherwise uniformly from the rows present.
    ``np.asarray(dataset)`` works only for datasets up to 256 MiB of pixels and
    raises otherwise: use ``dataset[:]`` to load everything on purpose, or
    :meth:`iter_batches` to stream.
    """

    def __init__(
        self,
        factor_names: Sequence[str],
        factor_sizes: Sequence[int],
        image_shape: Sequence[int],
        *,
        factor_values: Sequence[Any] | None = None,
        renderer: Callable[[np.ndarray], np.ndarray] | None = None,
        storage: Any = None,
        grid_indices: Any = None,
        storage_rows: Any = None,
        name: str = "",
    ) -> None:
        super().__init__(factor_names, factor_sizes, factor_values)
        if (renderer is None) == (storage is None):
            raise ValueError("Give exactly one of `renderer` and `storage`.")
        self.image_shape = tuple(
            check_integer(d, "image_shape entries", min_value=1) for d in image_shape
        )
        if len(self.image_shape) not in (2, 3):
            raise ValueError(f"image_shape must be (H, W) or (H, W, C), got {tuple(image_shape)}.")
        if not self.factor_sizes:
            raise ValueError("factor_sizes must hold at least one factor, got none.")
        self.name = name
        self._renderer = renderer
        self._storage = storage
        n_grid = self.n_combinations
        if grid_indices is None:
            self._grid_indices = None
            n_samples = n_grid
        else:
            grid_indices = check_integer_array(grid_indices, "grid_indices", high=n_grid).reshape(
                -1
            )
            self._grid_indices = grid_indices
            n_samples = grid_indices.size
        if renderer is not None and not callable(renderer):
            raise TypeError(
                f"renderer must be callable (factors -> images), got {type(renderer).__name__}."
            )
        n_stored = None
        if storage is not None:
            if not hasattr(storage, "__getitem__"):
                raise TypeError(
                    "storage must be an indexable array-like (ndarray, h5py dataset, "
                    f"memmap), got {type(storage).__name__}."
                )
            # rows are checked where the storage tells its length (images may be packed)
            storage_shape = getattr(storage, "shape", None)
            if storage_shape is not None and len(storage_shape):
                n_stored = int(storage_shape[0])
        if storage_rows is not None:
            storage_rows = check_integer_array(storage_rows, "storage_rows", high=n_stored).reshape(
                -1
            )
            if storage_rows.size != n_samples:
                raise ValueError(
                    f"storage_rows has {storage_rows.size} entries for {n_samples} rows."
                )
        elif n_stored is not None and n_stored < n_samples:
            raise ValueError(f"storage holds {n_stored} images for {n_samples} rows.")
        self._storage_rows = storage_rows
        self._n_samples = int(n_samples)
        self._factors_cache: np.ndarray | None = None
        self._sorted_grid_cache: tuple[np.ndarray, np.ndarray] | None = None
        self._complete_cache: bool | None = None

    # ------------------------------------------------------------------ #
    # array-like protocol
    # ------------------------------------------------------------------ #
    @property
    def n_samples(self) -> int:
        """Number of images in this dataset."""
        return self._n_samples

    @property
    def shape(self) -> tuple[int, ...]:
        """``(n_samples, *image_shape)``."""
        return (self._n_samples,) + self.image_shape

    @property
    def dtype(self) -> np.dtype:
        """Always ``uint8`` (pixels in ``0..255``)."""
        return np.dtype(np.uint8)

    @property
    def ndim(self) -> int:
        """``1 + len(image_shape)``."""
        return 1 + len(self.image_shape)

    @property
    def size(self) -> int:
        """Number of pixel values (as ``ndarray.size``)."""
        return int(np.prod(self.shape, dtype=np.int64))

    @property
    def nbytes(self) -> int:
        """Bytes the images would take if loaded at once."""
        return self.size

    @property
    def images(self) -> GroundTruthDataset:
        """The lazy image array: the dataset itself (``ds.images[i] is ds[i]``)."""
        return self

    def __len__(self) -> int:
        return self._n_samples

    def __getitem__(self, key: Any) -> np.ndarray:
        rest: tuple = ()
        if isinstance(key, tuple):
            if not key:
                key, rest = slice(None), ()
            else:
                key, rest = key[0], key[1:]
        if isinstance(key, Integral) and not isinstance(key, (bool, np.bool_)):
            row = int(key)
            if row < -self._n_samples or row >= self._n_samples:
                raise IndexError(
                    f"index {row} is out of bounds for a dataset of {self._n_samples} images"
                )
            images = self._images_of_rows(np.array([row % self._n_samples]))[0]
            return images[rest] if rest else images
        rows = self._rows_from_key(key)
        images = self._images_of_rows(rows)
        return images[(slice(None),) * rows.ndim + rest] if rest else images

    def _rows_from_key(self, key: Any) -> np.ndarray:
        return rows_from_index(key, self._n_samples)

    def __iter__(self) -> Iterator[np.ndarray]:
        for batch in self.iter_batches(256):
            yield from batch

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        if copy is False:
            raise ValueError("A GroundTruthDataset cannot be viewed as an array without a copy.")
        if self.nbytes > _MAX_IMPLICIT_ARRAY_BYTES:
            raise TypeError(
                f"Refusing to convert {self!r} ({self.nbytes / 2**20:.0f} MiB of pixels) "
                "into one array implicitly. Pass the dataset itself as X (estimators "
                "stream it in batches), iterate with `iter_batches`, or load it on "
                "purpose with `dataset[:]`."
            )
        images = self[:]
        return images if dtype is None else images.astype(dtype)

    def __repr__(self) -> str:
        source = "rendered" if self._renderer is not None else "stored"
        return (
            f"GroundTruthDataset(name={self.name!r}, n_samples={self._n_samples}, "
            f"image_shape={self.image_shape}, "
            f"factors={dict(zip(self.factor_names, self.factor_sizes))}, "
            f"{source})"
        )

    def iter_batches(self, batch_size: int = 256, *, return_factors: bool = False) -> Iterator[Any]:
        """Yield the images in order, ``batch_size`` at a time.

        Parameters
        ----------
        batch_size : int, default=256
            Images per batch (the last batch may be smaller).
        return_factors : bool, default=False
            If True, yield ``(images, factors)`` pairs.

        Yields
        ------
        ndarray or tuple of ndarray
            uint8 images ``(b, *image_shape)``, or ``(images, factors)`` with the
            factor classes ``(b, n_factors)`` when ``return_factors`` is True.
        """
        batch_size = check_integer(batch_size, "batch_size", min_value=1)
        for start in range(0, self._n_samples, batch_size):
            rows = np.arange(start, min(start + batch_size, self._n_samples))
            images = self._images_of_rows(rows)
            if return_factors:
                yield images, self._factors_of_rows(rows)
            else:
                yield images

    # ------------------------------------------------------------------ #
    # ground truth
    # ------------------------------------------------------------------ #
    @property
    def is_complete(self) -> bool:
        """True when every combination of the factor grid can be produced."""
        if self._renderer is not None:
            return True
        if self._grid_indices is None:
            return True
        if self._complete_cache is None:
            self._complete_cache = bool(np.unique(self._grid_indices).size == self.n_combinations)
        return self._complete_cache

    @property
    def grid_indices(self) -> np.ndarray:
        """Grid index (``index_of``) of every row."""
        if self._grid_indices is None:
            return np.arange(self.n_combinations, dtype=np.int64)
        return self._grid_indices

    @property
    def factors(self) -> np.ndarray:
        """Factor classes of every row, ``(n_samples, n_factors)`` int64."""
        if self._factors_cache is None:
            self._factors_cache = self.factors_of_index(self.grid_indices)
            self._factors_cache.setflags(write=False)
        return self._factors_cache

    @property
    def factor_value_table(self) -> np.ndarray:
        """Real factor values of every row, ``(n_samples, n_factors)`` float64."""
        return self.values_of(self.factors)

    def _factors_of_rows(self, rows: np.ndarray) -> np.ndarray:
        if self._grid_indices is None:
            return self.factors_of_index(rows)
        return self.factors_of_index(self._grid_indices[rows])

    def sample_factors(self, n: int, random_state: Any = None) -> np.ndarray:
        """Draw ``n`` factor combinations uniformly.

        From the whole grid when the dataset is complete (``is_complete``), as
        disentanglement_lib does; otherwise from the rows present.

        Parameters
        ----------
        n : int
            Number of combinations.
        random_state : int, RandomState or None, default=None
            Seeds the draw.

        Returns
        -------
        ndarray of int64, shape (n, n_factors)
            Factor classes.
        """
        n = check_integer(n, "n", min_value=1)
        rng = check_random_state(random_state)
        if self.is_complete:
            return self._sample_grid(n, rng)
        rows = rng.randint(self._n_samples, size=n)
        return self._factors_of_rows(rows)

    def sample_observations(self, factors: Any, random_state: Any = None) -> np.ndarray:
        """Return the images of the given factor combinations.

        Parameters
        ----------
        factors : array-like of int, shape (n, n_factors)
            Factor classes, one combination per row.
        random_state : None
            Ignored.
            Kept for disentanglement_lib's signature; every combination has one
            image here.

        Returns
        -------
        ndarray of uint8, shape (n, *image_shape)
            One image per combination.
        """
        factors = self._check_factors(factors)
        if self._renderer is not None:
            return self._render(factors)
        grid = self.index_of(factors)
        rows = self._rows_of_grid(grid)
        return self._images_of_rows(rows)

    def sample(self, n: int, random_state: Any = None) -> tuple[np.ndarray, np.ndarray]:
        """Draw ``n`` ``(factors, images)`` pairs (``sample_factors`` then images).

        Parameters
        ----------
        n : int
            Number of pairs.
        random_state : int, RandomState or None, default=None
            Seeds the draw of the factors (the images follow from them).

        Returns
        -------
        factors : ndarray of int64, shape (n, n_factors)
            Factor classes.
        images : ndarray of uint8, shape (n, *image_shape)
            Their images.
        """
        rng = check_random_state(random_state)
        factors = self.sample_factors(n, rng)
        return factors, self.sample_observations(factors, rng)

    def sample_fixed_factor_batch(
        self, factor_index: int, batch_size: int, random_state: Any = None
    ) -> np.ndarray:
        """Draw the factors of a batch sharing one random value of factor ``factor_index``.

        The other factors are drawn as in :meth:`sample_factors`. This is the
        batch of the BetaVAE score (Higgins et al.) and the FactorVAE score (Kim &
        Mnih): fix factor k, vary the rest.

        Parameters
        ----------
        factor_index : int
            The factor held fixed.
        batch_size : int
            Rows of the batch.
        random_state : int, RandomState or None, default=None
            Seeds the fixed value and the other factors.

        Returns
        -------
        ndarray of int64, shape (batch_size, n_factors)
            Factor classes; column ``factor_index`` holds one value.
        """
        k = self._check_factor_index(factor_index)
        batch_size = check_integer(batch_size, "batch_size", min_value=1)
        rng = check_random_state(random_state)
        if self.is_complete:
            return self._sample_grid_fixing(k, batch_size, rng)
        # Only the rows present can be shown: pick a value seen in the data, then
        # rows having it.
        all_factors = self.factors
        value = all_factors[rng.randint(self._n_samples), k]
        candidates = np.flatnonzero(all_factors[:, k] == value)
        return all_factors[rng.choice(candidates, size=batch_size)].copy()

    def subset(self, rows: Any) -> GroundTruthDataset:
        """Return a dataset of the given rows (same class, its own index list).

        Parameters
        ----------
        rows : slice, array-like of int or array-like of bool
            Rows of this dataset, as for indexing (negative rows count from the end).

        Returns
        -------
        GroundTruthDataset
            A view of those rows; images are still produced on demand.

        Raises
        ------
        TypeError
            ``rows`` is not a slice, integers or a boolean mask.
        ValueError
            A row is out of range, the mask has the wrong length, or no row is
            selected.
        """
        try:
            rows = self._rows_from_key(rows).reshape(-1)
        except IndexError as exc:
            kind = TypeError if "valid indices" in str(exc) else ValueError
            raise kind(f"subset rows: {exc}") from None
        if rows.size == 0:
            raise ValueError("subset rows select no image; pass at least one row.")
        grid = self.grid_indices[rows]
        storage_rows = None
        if self._storage is not None:
            storage_rows = rows if self._storage_rows is None else self._storage_rows[rows]
        return GroundTruthDataset(
            self.factor_names,
            self.factor_sizes,
            self.image_shape,
            factor_values=self.factor_values,
            renderer=self._renderer,
            storage=self._storage,
            grid_indices=grid,
            storage_rows=storage_rows,
            name=self.name,
        )

    # ------------------------------------------------------------------ #
    # image production
    # ------------------------------------------------------------------ #
    def _rows_of_grid(self, grid: np.ndarray) -> np.ndarray:
        """Rows of this dataset holding grid indices ``grid`` (stored data)."""
        if self._grid_indices is None:
            return grid
        if self._sorted_grid_cache is None:
            order = np.argsort(self._grid_indices, kind="stable")
            self._sorted_grid_cache = (self._grid_indices[order], order)
        sorted_grid, order = self._sorted_grid_cache
        pos = np.searchsorted(sorted_grid, grid)
        pos_clipped = np.minimum(pos, max(sorted_grid.size - 1, 0))
        missing = (pos >= sorted_grid.size) | (sorted_grid[pos_clipped] != grid)
        if missing.any():
            bad = self.factors_of_index(grid[missing][:3])
            raise ValueError(
                f"{self.name or 'this dataset'} holds no image for factor classes "
                f"{bad.tolist()} (it is not the full grid: {self._n_samples} of "
                f"{self.n_combinations} combinations)."
            )
        return order[pos_clipped]

    def _render(self, factors: np.ndarray) -> np.ndarray:
        assert self._renderer is not None  # called for rendered datasets only
        images = np.asarray(self._renderer(factors))
        expected = (factors.shape[0],) + self.image_shape
        if images.shape != expected or images.dtype != np.uint8:
            raise RuntimeError(
                f"renderer returned {images.dtype} {images.shape}, expected uint8 {expected}"
            )
        return images

    def _images_of_rows(self, rows: np.ndarray) -> np.ndarray:
        out_shape = rows.shape
        rows = rows.reshape(-1)
        if rows.size == 0:
            images = np.zeros((0,) + self.image_shape, dtype=np.uint8)
        elif self._renderer is not None:
            images = self._render(self._factors_of_rows(rows))
        else:
            storage_rows = rows if self._storage_rows is None else self._storage_rows[rows]
            images = read_rows(self._storage, storage_rows)
            expected = (rows.size,) + self.image_shape
            if images.shape != expected:
                raise CorruptDatasetError(
                    f"{self.name or 'dataset'} storage returned images of shape "
                    f"{images.shape}, expected {expected}."
                )
        return images.reshape(out_shape + self.image_shape)
