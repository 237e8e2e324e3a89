"""Lazy row storages of image files, and the one way rows are read from them.

A storage is anything with ``storage[rows]`` returning uint8 images: an
in-memory array, :class:`MemmapStorage` (a ``.npy`` or uncompressed ``.npz``
member, memory-mapped), :class:`PackedBitsStorage` (binary images stored one bit
per pixel) or :class:`H5Images` (an HDF5 dataset). :func:`read_rows` is how
:class:`~sklvae.datasets.GroundTruthDataset` reads any of them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from ._checks import CorruptDatasetError

__all__ = ["MemmapStorage", "PackedBitsStorage", "H5Images", "read_rows"]

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
    requested order (repeats included).
    """
    unique_rows, inverse = np.unique(rows, return_inverse=True)
    inverse = inverse.reshape(-1)
    first, last = int(unique_rows[0]), int(unique_rows[-1])
    span = last - first + 1
    if span <= 2 * unique_rows.size + _DENSE_SLACK:
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
    """Rows of a memory-mapped uint8 array; pickles as (path, offset, shape)."""

    def __init__(self, path: Path, offset: int, shape: tuple[int, ...], scale: int = 1) -> None:
        self.path = Path(path)
        self.offset = int(offset)
        self.shape = tuple(shape)
        self.scale = int(scale)
        self._array: np.memmap | None = None

    def __getstate__(self) -> dict:
        state = self.__dict__.copy()
        state["_array"] = None
        return state

    @property
    def array(self) -> np.memmap:
        if self._array is None:
            self._array = np.memmap(
                self.path, dtype=np.uint8, mode="r", offset=self.offset, shape=self.shape
            )
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
