"""The ground-truth dataset object, the data folder, and safe downloads.

Every dataset in :mod:`sklvae.datasets` (procedural generators and loaders of the
canonical files) is a :class:`GroundTruthDataset`: an array-like of images with
known generative factors. It follows the contract in ``docs/design.md``:

- images come back as ``uint8`` in ``0..255`` in their native layout, ``(n, H, W)``
  for one channel and ``(n, H, W, C)`` otherwise;
- the object has ``shape``, ``dtype``, ``ndim``, ``len`` and ``ds[int | slice |
  index array]`` and reads (or renders) only the images asked for, so it can be
  passed as ``X`` to an estimator, which streams it in batches;
- the ground truth follows disentanglement_lib's ``GroundTruthData``:
  ``factor_sizes``, ``sample_factors``, ``sample_observations`` plus the
  "fix one factor, vary the others" sampler used by the BetaVAE and FactorVAE
  scores.

The factor grid is a full factorial design; a combination of factor classes has the
mixed-radix index ``index_of(factors)`` (row-major in factor order, the last factor
varies fastest), which is also the row of that image in the canonical files.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import urllib.error
import urllib.request
from numbers import Integral
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

import numpy as np

__all__ = [
    "GroundTruthDataset",
    "get_data_home",
    "DatasetNotFoundError",
    "CorruptDatasetError",
]

#: Environment variable naming the data folder (see :func:`get_data_home`).
DATA_HOME_ENV = "SKLVAE_DATA"

# ``np.asarray(dataset)`` materialises at most this many bytes (see ``__array__``).
_MAX_IMPLICIT_ARRAY_BYTES = 256 * 2**20


class DatasetNotFoundError(FileNotFoundError):
    """A dataset file is missing and could not be downloaded."""


class CorruptDatasetError(ValueError):
    """A dataset file exists but is truncated, corrupt or not in the expected format."""


# --------------------------------------------------------------------------- #
# random state helper (numpy only; the datasets never touch torch)
# --------------------------------------------------------------------------- #
def _check_random_state(random_state: Any) -> np.random.RandomState:
    """Return a ``np.random.RandomState`` (scikit-learn's convention)."""
    from sklearn.utils import check_random_state

    return check_random_state(random_state)


# --------------------------------------------------------------------------- #
# the ground-truth dataset
# --------------------------------------------------------------------------- #
class GroundTruthDataset:
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
        Images stored in a file: ``storage[rows]`` with a sorted array of unique
        row numbers returns ``uint8`` images ``(len(rows), *image_shape)``.
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
    factor_names : tuple of str
    factor_sizes : tuple of int
    factor_values : tuple of ndarray
    n_factors : int
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
        factor_names = tuple(str(n) for n in factor_names)
        factor_sizes = tuple(int(s) for s in factor_sizes)
        if len(factor_names) != len(factor_sizes):
            raise ValueError(
                f"factor_names has {len(factor_names)} entries but factor_sizes has "
                f"{len(factor_sizes)}."
            )
        if any(s < 1 for s in factor_sizes):
            raise ValueError(f"factor_sizes must be positive, got {factor_sizes}.")
        if (renderer is None) == (storage is None):
            raise ValueError("Give exactly one of `renderer` and `storage`.")
        if factor_values is None:
            factor_values = [np.arange(s, dtype=np.float64) for s in factor_sizes]
        factor_values = tuple(np.asarray(v, dtype=np.float64) for v in factor_values)
        for name_k, size_k, values_k in zip(factor_names, factor_sizes, factor_values):
            if values_k.shape != (size_k,):
                raise ValueError(
                    f"factor_values for {name_k!r} has shape {values_k.shape}, "
                    f"expected ({size_k},)."
                )
        self.factor_names = factor_names
        self.factor_sizes = factor_sizes
        self.factor_values = factor_values
        self.image_shape = tuple(int(d) for d in image_shape)
        self.name = name
        self._renderer = renderer
        self._storage = storage
        n_grid = self.n_combinations
        if grid_indices is None:
            self._grid_indices = None
            n_samples = n_grid
        else:
            grid_indices = np.asarray(grid_indices, dtype=np.int64).reshape(-1)
            if grid_indices.size and (grid_indices.min() < 0 or grid_indices.max() >= n_grid):
                raise ValueError(f"grid_indices must lie in [0, {n_grid}).")
            self._grid_indices = grid_indices
            n_samples = grid_indices.size
        if storage_rows is not None:
            storage_rows = np.asarray(storage_rows, dtype=np.int64).reshape(-1)
            if storage_rows.size != n_samples:
                raise ValueError(
                    f"storage_rows has {storage_rows.size} entries for {n_samples} rows."
                )
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
    def n_factors(self) -> int:
        """Number of generative factors."""
        return len(self.factor_sizes)

    @property
    def n_combinations(self) -> int:
        """Size of the full factor grid, ``prod(factor_sizes)``."""
        return int(np.prod(self.factor_sizes, dtype=np.int64))

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
    def images(self) -> "GroundTruthDataset":
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
        if isinstance(key, slice):
            return np.arange(self._n_samples, dtype=np.int64)[key]
        if key is Ellipsis:
            return np.arange(self._n_samples, dtype=np.int64)
        key_array = np.asarray(key)
        if key_array.dtype == bool:
            if key_array.shape != (self._n_samples,):
                raise IndexError(
                    f"boolean index has shape {key_array.shape}, expected ({self._n_samples},)"
                )
            return np.flatnonzero(key_array)
        if key_array.size == 0:
            return np.zeros(0, dtype=np.int64)
        if not np.issubdtype(key_array.dtype, np.integer):
            raise IndexError(
                f"only integers, slices, integer or boolean arrays are valid indices, "
                f"got dtype {key_array.dtype}"
            )
        rows = key_array.astype(np.int64).reshape(-1)
        if rows.min() < -self._n_samples or rows.max() >= self._n_samples:
            raise IndexError(
                f"index out of bounds for a dataset of {self._n_samples} images"
            )
        rows = rows % self._n_samples
        return rows.reshape(key_array.shape) if key_array.ndim > 1 else rows

    def __iter__(self) -> Iterator[np.ndarray]:
        for batch in self.iter_batches(256):
            yield from batch

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        if copy is False:
            raise ValueError(
                "A GroundTruthDataset cannot be viewed as an array without a copy."
            )
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
            f"image_shape={self.image_shape}, factors={dict(zip(self.factor_names, self.factor_sizes))}, "
            f"{source})"
        )

    def iter_batches(
        self, batch_size: int = 256, *, return_factors: bool = False
    ) -> Iterator[Any]:
        """Yield the images in order, ``batch_size`` at a time.

        Parameters
        ----------
        batch_size : int, default=256
        return_factors : bool, default=False
            If True, yield ``(images, factors)`` pairs.
        """
        if int(batch_size) < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}.")
        batch_size = int(batch_size)
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
            self._complete_cache = bool(
                np.unique(self._grid_indices).size == self.n_combinations
            )
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

    def values_of(self, factors: Any) -> np.ndarray:
        """Real values (e.g. scale 0.5..1) of integer factor classes."""
        factors = self._check_factors(factors)
        values = np.empty(factors.shape, dtype=np.float64)
        for k, table in enumerate(self.factor_values):
            values[:, k] = table[factors[:, k]]
        return values

    def _check_factors(self, factors: Any) -> np.ndarray:
        factors = np.asarray(factors)
        if factors.ndim == 1 and factors.shape[0] == self.n_factors:
            factors = factors[None, :]
        if factors.ndim != 2 or factors.shape[1] != self.n_factors:
            raise ValueError(
                f"factors must have shape (n, {self.n_factors}) (one column per factor "
                f"{self.factor_names}), got {factors.shape}."
            )
        if factors.size and not np.issubdtype(factors.dtype, np.integer):
            as_int = np.round(factors).astype(np.int64)
            if not np.array_equal(as_int, factors):
                raise ValueError(
                    "factors must be integer class indices (use values_of / the "
                    "dataset's factor_values for real values)."
                )
            factors = as_int
        factors = factors.astype(np.int64, copy=False)
        if factors.size:
            sizes = np.asarray(self.factor_sizes)
            bad = (factors < 0) | (factors >= sizes)
            if bad.any():
                k = int(np.flatnonzero(bad.any(axis=0))[0])
                raise ValueError(
                    f"factor {self.factor_names[k]!r} has classes outside "
                    f"[0, {self.factor_sizes[k]}): {np.unique(factors[bad[:, k], k])[:5]}."
                )
        return factors

    def index_of(self, factors: Any) -> np.ndarray:
        """Mixed-radix grid index of factor classes (row-major, last factor fastest).

        Parameters
        ----------
        factors : array-like of int, shape (n, n_factors) or (n_factors,)

        Returns
        -------
        ndarray of int64, shape (n,)
            For the full grid in canonical order this is the row of the image.
        """
        factors = self._check_factors(factors)
        return np.ravel_multi_index(tuple(factors.T), self.factor_sizes).astype(np.int64)

    def factors_of_index(self, index: Any) -> np.ndarray:
        """Inverse of :meth:`index_of`: grid indices to factor classes."""
        index = np.asarray(index, dtype=np.int64).reshape(-1)
        if index.size and (index.min() < 0 or index.max() >= self.n_combinations):
            raise ValueError(f"grid indices must lie in [0, {self.n_combinations}).")
        if index.size == 0:
            return np.zeros((0, self.n_factors), dtype=np.int64)
        return np.stack(np.unravel_index(index, self.factor_sizes), axis=1).astype(np.int64)

    def _factors_of_rows(self, rows: np.ndarray) -> np.ndarray:
        if self._grid_indices is None:
            return self.factors_of_index(rows)
        return self.factors_of_index(self._grid_indices[rows])

    def sample_factors(self, n: int, random_state: Any = None) -> np.ndarray:
        """Draw ``n`` factor combinations uniformly.

        From the whole grid when the dataset is complete (``is_complete``), as
        disentanglement_lib does; otherwise from the rows present.

        Returns
        -------
        ndarray of int64, shape (n, n_factors)
        """
        rng = _check_random_state(random_state)
        n = int(n)
        if self.is_complete:
            return np.stack(
                [rng.randint(size, size=n) for size in self.factor_sizes], axis=1
            ).astype(np.int64).reshape(n, self.n_factors)
        rows = rng.randint(self._n_samples, size=n)
        return self._factors_of_rows(rows)

    def sample_observations(self, factors: Any, random_state: Any = None) -> np.ndarray:
        """Images of the given factor combinations.

        Parameters
        ----------
        factors : array-like of int, shape (n, n_factors)
        random_state : ignored
            Kept for disentanglement_lib's signature; every combination has one
            image here.

        Returns
        -------
        ndarray of uint8, shape (n, *image_shape)
        """
        factors = self._check_factors(factors)
        if self._renderer is not None:
            return self._render(factors)
        grid = self.index_of(factors)
        rows = self._rows_of_grid(grid)
        return self._images_of_rows(rows)

    def sample(self, n: int, random_state: Any = None) -> tuple[np.ndarray, np.ndarray]:
        """Draw ``n`` ``(factors, images)`` pairs (``sample_factors`` then images)."""
        rng = _check_random_state(random_state)
        factors = self.sample_factors(n, rng)
        return factors, self.sample_observations(factors, rng)

    def sample_fixed_factor_batch(
        self, factor_index: int, batch_size: int, random_state: Any = None
    ) -> np.ndarray:
        """Factors of a batch sharing one random value of factor ``factor_index``.

        The other factors are drawn as in :meth:`sample_factors`. This is the
        batch of the BetaVAE score (Higgins et al.) and the FactorVAE score (Kim &
        Mnih): fix factor k, vary the rest.

        Returns
        -------
        ndarray of int64, shape (batch_size, n_factors)
        """
        k = int(factor_index)
        if not 0 <= k < self.n_factors:
            raise ValueError(
                f"factor_index must be in [0, {self.n_factors}), got {factor_index}."
            )
        rng = _check_random_state(random_state)
        if self.is_complete:
            factors = self.sample_factors(batch_size, rng)
            factors[:, k] = rng.randint(self.factor_sizes[k])
            return factors
        # Only the rows present can be shown: pick a value seen in the data, then
        # rows having it.
        all_factors = self.factors
        value = all_factors[rng.randint(self._n_samples), k]
        candidates = np.flatnonzero(all_factors[:, k] == value)
        return all_factors[rng.choice(candidates, size=int(batch_size))].copy()

    def subset(self, rows: Any) -> "GroundTruthDataset":
        """A dataset of the given rows (same class, its own index list)."""
        rows = self._rows_from_key(rows).reshape(-1)
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
            images = _read_rows(self._storage, storage_rows)
            expected = (rows.size,) + self.image_shape
            if images.shape != expected:
                raise CorruptDatasetError(
                    f"{self.name or 'dataset'} storage returned images of shape "
                    f"{images.shape}, expected {expected}."
                )
        return images.reshape(out_shape + self.image_shape)


def _read_rows(storage: Any, rows: np.ndarray) -> np.ndarray:
    """``storage[rows]`` for any row order, reading each row once.

    h5py needs increasing unique indices, so rows are sorted, read once and put
    back in the requested order.
    """
    unique_rows, inverse = np.unique(rows, return_inverse=True)
    if unique_rows.size and unique_rows[-1] - unique_rows[0] + 1 == unique_rows.size:
        block = storage[int(unique_rows[0]) : int(unique_rows[-1]) + 1]
    else:
        block = storage[unique_rows]
    block = np.asarray(block)
    if block.dtype != np.uint8:
        block = block.astype(np.uint8)
    if unique_rows.size == rows.size and np.array_equal(unique_rows, rows):
        return block
    return block[inverse.reshape(-1)]


# --------------------------------------------------------------------------- #
# data folder and downloads
# --------------------------------------------------------------------------- #
def get_data_home(data_home: str | os.PathLike | None = None) -> Path:
    """The folder holding dataset files.

    Parameters
    ----------
    data_home : str or path-like, default=None
        Used if given. Otherwise the environment variable ``SKLVAE_DATA``, else
        ``~/sklvae_data``. ``~`` is expanded. The folder is not created here
        (only a download creates it).

    Returns
    -------
    pathlib.Path
    """
    if data_home is None:
        data_home = os.environ.get(DATA_HOME_ENV) or os.path.join("~", "sklvae_data")
    return Path(data_home).expanduser()


# Indirection so that tests can replace the network opener (tests never use the network).
_urlopen = urllib.request.urlopen


def _file_digest(path: Path, algorithm: str) -> str:
    digest = hashlib.new(algorithm)
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(2**20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _download(
    url: str,
    target: Path,
    *,
    checksum: tuple[str, str] | None,
    what: str,
    overwrite: bool = False,
    timeout: float = 60.0,
) -> Path:
    """Download ``url`` to ``target`` with a checksum check and an atomic rename.

    The data go to a temporary file in the target folder, are hashed while
    written, and replace ``target`` (``os.replace``) only when the checksum
    matches. An existing ``target`` is kept unless ``overwrite``. Any failure
    removes the temporary file and leaves ``target`` untouched.

    Parameters
    ----------
    checksum : (algorithm, hexdigest) or None
        e.g. ``("md5", "...")``. ``None`` when no published checksum is known.
    what : str
        Human description used in errors ("the dSprites file").
    """
    target = Path(target)
    if target.exists() and not overwrite:
        return target
    algorithm = checksum[0] if checksum else "sha256"
    digest = hashlib.new(algorithm)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DatasetNotFoundError(
            f"Cannot create the data folder {target.parent} for {what}: {exc}"
        ) from exc
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    tmp_path = Path(tmp_name)
    try:
        try:
            with os.fdopen(fd, "wb") as out, _urlopen(url, timeout=timeout) as response:
                for chunk in iter(lambda: response.read(2**20), b""):
                    digest.update(chunk)
                    out.write(chunk)
        except (urllib.error.URLError, OSError, TimeoutError) as exc:
            raise DatasetNotFoundError(
                f"Could not download {what} from {url} ({exc}). Without a network, "
                f"download it elsewhere and place it at {target} (data folder: "
                f"argument `data_home`, else ${DATA_HOME_ENV}, else ~/sklvae_data)."
            ) from exc
        if checksum is not None and digest.hexdigest() != checksum[1].lower():
            raise CorruptDatasetError(
                f"The download of {what} from {url} has {algorithm} "
                f"{digest.hexdigest()}, expected {checksum[1]}; nothing was written to "
                f"{target}. Retry, or place a good copy there yourself."
            )
        os.replace(tmp_path, target)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()
    return target


def _ensure_file(
    target: Path,
    *,
    url: str | None,
    checksum: tuple[str, str] | None,
    what: str,
    download_if_missing: bool,
    overwrite: bool = False,
) -> Path:
    """Return ``target``, downloading it when missing (or when ``overwrite``)."""
    if overwrite and not download_if_missing:
        raise ValueError("overwrite=True downloads the file again; it needs download_if_missing=True.")
    if target.exists() and not overwrite:
        return target
    if not download_if_missing or url is None:
        raise DatasetNotFoundError(
            f"{what} not found at {target}. Place the file there "
            + (f"(from {url}) " if url else "")
            + "or pass download_if_missing=True. The folder comes from the argument "
            f"`data_home`, else ${DATA_HOME_ENV}, else ~/sklvae_data."
        )
    return _download(url, target, checksum=checksum, what=what, overwrite=overwrite)


def _atomic_write_npy(target: Path, write: Callable[[Path], None]) -> Path:
    """Create ``target`` through ``write(tmp_path)`` and an atomic rename."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    os.close(fd)
    tmp_path = Path(tmp_name)
    try:
        write(tmp_path)
        os.replace(tmp_path, target)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()
    return target
