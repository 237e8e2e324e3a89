"""Lazy access to one image array inside a ``.npz`` file.

``np.load`` on an ``.npz`` reads a whole member into memory, which is 3 GB for
dSprites and 5.6 to 12 GB for MPI3D. Here instead:

- an uncompressed member (``np.savez``) is memory-mapped in place inside the zip
  file (its bytes are contiguous there);
- a compressed member (``np.savez_compressed``) is streamed once, in chunks, into a
  cache ``.npy`` file next to the data (bit-packed for binary images) that is then
  memory-mapped. The cache is written to a temporary file and renamed atomically;
  the source file is never modified.

Truncated or corrupt files raise :class:`~sklvae.datasets.CorruptDatasetError`.
"""

from __future__ import annotations

import os
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from .._atomic import atomic_path
from ._checks import CorruptDatasetError, reading_file
from ._storage import MemmapStorage, PackedBitsStorage

_CHUNK_BYTES = 64 * 2**20


def _read_npy_header(fileobj: Any) -> tuple[tuple[int, ...], bool, np.dtype]:
    version = np.lib.format.read_magic(fileobj)
    if version == (1, 0):
        return np.lib.format.read_array_header_1_0(fileobj)
    return np.lib.format.read_array_header_2_0(fileobj)


def _npy_data_offset_in_zip(path: Path, info: zipfile.ZipInfo, npy_header_len: int) -> int:
    with open(path, "rb") as f:
        f.seek(info.header_offset)
        local = f.read(30)
    if len(local) != 30 or local[:4] != b"PK\x03\x04":
        raise CorruptDatasetError(f"{path}: bad zip local header for {info.filename}.")
    name_len = int.from_bytes(local[26:28], "little")
    extra_len = int.from_bytes(local[28:30], "little")
    return info.header_offset + 30 + name_len + extra_len + npy_header_len


def npz_image_storage(
    path: Path,
    key: str,
    *,
    n_rows: int | None,
    image_shape: tuple[int, ...],
    cache_dir: Path,
    binary: bool = False,
    what: str = "the file",
) -> MemmapStorage:
    """A lazy row-indexable view of ``npz[key]`` (uint8 images).

    Parameters
    ----------
    n_rows : int or None
        Expected number of images (None: any).
    image_shape : tuple of int
        Expected shape of one image.
    binary : bool
        Pixels are {0, 1}: they are returned as {0, 255} (and cached bit-packed).
    """
    path = Path(path)
    member = key + ".npy"
    with reading_file(path, what), zipfile.ZipFile(path) as zf:
        try:
            info = zf.getinfo(member)
        except KeyError:
            raise CorruptDatasetError(
                f"{path} has no array {key!r} ({what}; found {[n[:-4] for n in zf.namelist()]})."
            ) from None
        with zf.open(info) as f:
            shape, fortran, dtype = _read_npy_header(f)
            header_len = f.tell()
    expected = ((n_rows,) if n_rows is not None else tuple(shape[:1])) + tuple(image_shape)
    if tuple(shape) != expected or np.dtype(dtype) != np.uint8 or fortran:
        raise CorruptDatasetError(
            f"{path}: array {key!r} is {np.dtype(dtype)} {tuple(shape)}"
            f"{' (Fortran order)' if fortran else ''}, expected uint8 {expected} ({what})."
        )
    n = shape[0]
    row_bytes = int(np.prod(image_shape))
    if info.compress_type == zipfile.ZIP_STORED:
        offset = _npy_data_offset_in_zip(path, info, header_len)
        if os.path.getsize(path) < offset + n * row_bytes:
            raise CorruptDatasetError(
                f"{path} is truncated ({what}): {os.path.getsize(path)} bytes, the array "
                f"{key!r} alone needs {offset + n * row_bytes}. Delete it and download it again."
            )
        return MemmapStorage(path, offset, tuple(shape), scale=255 if binary else 1)

    # compressed member: stream once into a memory-mappable cache
    cache_dir = Path(cache_dir)
    suffix = ".packbits.npy" if binary else ".npy"
    cache = cache_dir / f"{path.stem}.{key}{suffix}"
    packed_len = (row_bytes + 7) // 8
    cache_shape = (n, packed_len) if binary else tuple(shape)
    if not (
        cache.exists()
        and cache.stat().st_mtime >= path.stat().st_mtime
        and _cache_shape(cache) == cache_shape
    ):
        _build_cache(path, info, cache, cache_shape, row_bytes, binary, what)
    offset = _npy_header_size(cache)
    if binary:
        return PackedBitsStorage(cache, offset, cache_shape, tuple(image_shape))
    return MemmapStorage(cache, offset, cache_shape)


def _cache_shape(cache: Path) -> tuple[int, ...] | None:
    try:
        with open(cache, "rb") as f:
            shape, _, _ = _read_npy_header(f)
        return tuple(shape)
    except (OSError, ValueError):
        return None


def _npy_header_size(cache: Path) -> int:
    with open(cache, "rb") as f:
        _read_npy_header(f)
        return f.tell()


def _build_cache(
    path: Path,
    info: zipfile.ZipInfo,
    cache: Path,
    cache_shape: tuple[int, ...],
    row_bytes: int,
    binary: bool,
    what: str,
) -> None:
    n = cache_shape[0]
    rows_per_chunk = max(1, _CHUNK_BYTES // row_bytes)

    def write(tmp: Path) -> None:
        out = np.lib.format.open_memmap(tmp, mode="w+", dtype=np.uint8, shape=cache_shape)
        try:
            with reading_file(path, what), zipfile.ZipFile(path) as zf, zf.open(info) as f:
                _read_npy_header(f)
                for start in range(0, n, rows_per_chunk):
                    stop = min(start + rows_per_chunk, n)
                    raw = f.read((stop - start) * row_bytes)
                    if len(raw) != (stop - start) * row_bytes:
                        raise CorruptDatasetError(
                            f"{path} ends early ({what}); it is truncated. Delete it and "
                            "download it again."
                        )
                    chunk = np.frombuffer(raw, dtype=np.uint8).reshape(stop - start, row_bytes)
                    if binary:
                        if chunk.max(initial=0) > 1:
                            raise CorruptDatasetError(
                                f"{path}: expected binary {{0, 1}} pixels ({what})."
                            )
                        out[start:stop] = np.packbits(chunk, axis=1)
                    else:
                        out[start:stop] = chunk.reshape((stop - start,) + cache_shape[1:])
                out.flush()
        finally:
            del out

    try:
        with atomic_path(cache) as tmp:
            write(tmp)
    except PermissionError as exc:
        raise PermissionError(
            f"Cannot write the cache {cache} needed to read {path} lazily ({exc}); make "
            "the data folder writable."
        ) from exc
