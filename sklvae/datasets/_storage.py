"""Lazy row storages of image files, and the one way rows are read from them.

A storage is anything with ``storage[rows]`` returning uint8 images: an
in-memory array, :class:`MemmapStorage` (a ``.npy``, an uncompressed ``.npz``
member or any raw uint8 file, memory-mapped), :class:`PackedBitsStorage` (binary
images stored one bit per pixel), :class:`H5Images` (an HDF5 dataset),
:class:`PNGFolder` (a folder of numbered PNG files) or :class:`ConcatStorage`
(several storages one after another). :func:`read_rows` is how
:class:`~sklvae.datasets.GroundTruthDataset` reads any of them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from ._checks import CorruptDatasetError, reading_file, rows_from_index

__all__ = [
    "MemmapStorage",
    "PackedBitsStorage",
    "H5Images",
    "PNGFolder",
    "ConcatStorage",
    "read_rows",
]

# Rows read beyond those requested when a request is read as one contiguous span.
_DENSE_SLACK = 64


def read_rows(storage: Any, rows: np.ndarray) -> np.ndarray:
    """``storage[rows]`` for any row order, in one storage read.

    h5py accepts only increasing, unique indices, and both h5py and memory maps
    read a contiguous block much faster than scattered rows. So the requested
    rows are sorted and deduplicated; when they are dense (their span is at most
    twice their number, plus ``_DENSE_SLACK`` rows) the whole span is read as one
    slice and the rows are picked from it in memory, otherwise the sorted unique
    rows are read in one fancy-indexing call. The images are then put back in the
    requested order (repeats included). A storage whose ``dense_reads`` is False
    (one file per row: a span costs as much per row as scattered rows) is always
    read row by row.
    """
    unique_rows, inverse = np.unique(rows, return_inverse=True)
    inverse = inverse.reshape(-1)
    first, last = int(unique_rows[0]), int(unique_rows[-1])
    span = last - first + 1
    dense = getattr(storage, "dense_reads", True)
    if span == unique_rows.size or (dense and span <= 2 * unique_rows.size + _DENSE_SLACK):
        block = np.asarray(storage[first : last + 1])
        if span != unique_rows.size:
            block = block[unique_rows - first]
    else:
        block = np.asarray(storage[unique_rows])
    if block.dtype != np.uint8:
        block = block.astype(np.uint8)
    if unique_rows.size == rows.size and np.array_equal(unique_rows, rows):
        return block
    return block[inverse]


class MemmapStorage:
    """Rows of a memory-mapped uint8 array; pickles as (path, offset, shape).

    ``scale`` multiplies every pixel ({0, 1} images read as {0, 255}). ``pick``:
    each stored row holds several images along axis 1 (SmallNORB's stereo pairs)
    and only image ``pick`` of each row is read.
    """

    def __init__(
        self,
        path: Path,
        offset: int,
        shape: tuple[int, ...],
        scale: int = 1,
        pick: int | None = None,
    ) -> None:
        self.path = Path(path)
        self.offset = int(offset)
        self.shape = tuple(shape)
        self.scale = int(scale)
        self.pick = pick
        self._array: np.memmap | None = None

    def __getstate__(self) -> dict:
        state = self.__dict__.copy()
        state["_array"] = None
        return state

    @property
    def array(self) -> np.ndarray:
        if self._array is None:
            self._array = np.memmap(
                self.path, dtype=np.uint8, mode="r", offset=self.offset, shape=self.shape
            )
        if self.pick is not None:
            return self._array[:, self.pick]
        return self._array

    def __len__(self) -> int:
        return self.shape[0]

    def __getitem__(self, key: Any) -> np.ndarray:
        block = np.array(self.array[key])
        if self.scale != 1:
            block *= np.uint8(self.scale)
        return block


class PackedBitsStorage(MemmapStorage):
    """Rows of binary images stored with ``np.packbits`` (one bit per pixel)."""

    def __init__(
        self, path: Path, offset: int, shape: tuple[int, ...], image_shape: tuple[int, ...]
    ) -> None:
        super().__init__(path, offset, shape)
        self.image_shape = tuple(image_shape)

    def __getitem__(self, key: Any) -> np.ndarray:
        packed = np.asarray(self.array[key])
        n_pixels = int(np.prod(self.image_shape))
        bits = np.unpackbits(packed, axis=-1, count=n_pixels)
        return (bits * np.uint8(255)).reshape(packed.shape[:-1] + self.image_shape)


class H5Images:
    """Lazy rows of an HDF5 dataset; the file is opened on first read.

    Pickles as (path, key) so that it can travel to DataLoader workers.
    """

    def __init__(self, path: Path, key: str) -> None:
        self.path = Path(path)
        self.key = key
        self._file: Any = None
        self._dataset: Any = None

    def __getstate__(self) -> dict:
        return {"path": self.path, "key": self.key, "_file": None, "_dataset": None}

    def _open(self):
        if self._dataset is None:
            import h5py

            self._file = h5py.File(self.path, "r")
            self._dataset = self._file[self.key]
        return self._dataset

    def __getitem__(self, key: Any) -> np.ndarray:
        try:
            return np.asarray(self._open()[key])
        except OSError as exc:
            raise CorruptDatasetError(
                f"Cannot read images from {self.path} ({exc}); the file is probably "
                "truncated. Delete it and download it again (or pass overwrite=True)."
            ) from exc

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
        self._file = self._dataset = None


class PNGFolder:
    """Rows stored as one PNG file each, ``folder / name_format.format(row)``.

    A request decodes only the rows asked for (with Pillow); a file that cannot be
    decoded, or holds an image of another shape, raises
    :class:`~sklvae.datasets.CorruptDatasetError` naming it. Pickles as its
    arguments.
    """

    dense_reads = False  # reading a span decodes every file in it

    def __init__(
        self,
        folder: Path,
        n_rows: int,
        image_shape: tuple[int, ...],
        *,
        name_format: str = "{:06d}.png",
        what: str = "the image",
    ) -> None:
        self.folder = Path(folder)
        self.n_rows = int(n_rows)
        self.image_shape = tuple(image_shape)
        self.name_format = name_format
        self.what = what

    def __len__(self) -> int:
        return self.n_rows

    def __getitem__(self, key: Any) -> np.ndarray:
        rows = rows_from_index(key, self.n_rows).reshape(-1)
        images = np.empty((rows.size,) + self.image_shape, dtype=np.uint8)
        for i, row in enumerate(rows):
            images[i] = self._read(int(row))
        return images

    def _read(self, row: int) -> np.ndarray:
        image_module = import_pillow(f"reading {self.what}")
        path = self.folder / self.name_format.format(row)
        with reading_file(path, self.what), image_module.open(path) as image:
            array = np.asarray(image)
        if array.shape != self.image_shape or array.dtype != np.uint8:
            raise CorruptDatasetError(
                f"{path} holds a {array.dtype} image of shape {array.shape}, expected uint8 "
                f"{self.image_shape} ({self.what})."
            )
        return array


class ConcatStorage:
    """The rows of several storages one after another (SmallNORB's two files)."""

    def __init__(self, parts: list[Any]) -> None:
        self.parts = list(parts)
        self.bounds = np.cumsum([0] + [len(part) for part in self.parts])

    def __len__(self) -> int:
        return int(self.bounds[-1])

    def __getitem__(self, key: Any) -> np.ndarray:
        rows = rows_from_index(key, len(self)).reshape(-1)
        images: np.ndarray | None = None
        for part, low, high in zip(self.parts, self.bounds[:-1], self.bounds[1:]):
            inside = (rows >= low) & (rows < high)
            if not inside.any():
                continue
            block = read_rows(part, rows[inside] - low)
            if images is None:
                images = np.empty((rows.size,) + block.shape[1:], dtype=np.uint8)
            images[inside] = block
        if images is None:  # no row asked for
            return np.asarray(self.parts[0][0:0], dtype=np.uint8)
        return images


def import_pillow(purpose: str) -> Any:
    """``PIL.Image``, or an ImportError saying what needs it and how to install it."""
    try:
        from PIL import Image
    except ImportError as exc:  # pragma: no cover - Pillow comes with matplotlib
        raise ImportError(
            f"Pillow is needed for {purpose}; install it with `pip install pillow` "
            "(or `pip install sklvae[images]`)."
        ) from exc
    return Image
