"""SmallNORB (LeCun et al. 2004): loader of the six ``smallnorb-*.mat`` files.

50 toys photographed by a stereo camera pair: 48,600 pairs of 96x96 grayscale
images, one per combination of

====== =========== ===================================================
index  factor      classes
====== =========== ===================================================
0      category    5: four-legged animal, human figure, airplane, truck, car
1      instance    10 toys per category
2      elevation   9: 30 to 70 degrees in steps of 5
3      azimuth     18: 0 to 340 degrees in steps of 20
4      lighting    6 conditions
====== =========== ===================================================

The release splits the grid into a training half (instances 4, 6, 7, 8, 9) and a
testing half (instances 0, 1, 2, 3, 5), each three files in LeCun's binary matrix
format: ``-dat`` (uint8, n x 2 x 96 x 96: the two cameras), ``-cat`` (int32, n:
the category) and ``-info`` (int32, n x 4: instance, elevation, azimuth as
0, 2, ..., 34, lighting). The files are published gzipped (``.mat.gz``);
disentanglement_lib reads them decompressed (``.mat``). Both halves together
hold every combination once, in no particular order.

As in disentanglement_lib, only the first camera's image is used and the
factor sizes are ``(5, 10, 9, 18, 6)``; disentanglement_lib then treats
``instance`` as a nuisance (drawn at random when sampling) rather than a
ground-truth factor, so its scores use the factors ``category, elevation,
azimuth, lighting`` only (``ds.factors[:, [0, 2, 3, 4]]``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ._checks import CorruptDatasetError, reading_file
from ._dataset import GroundTruthDataset
from ._fetch import _ensure_file, _gunzipped, check_download_flags, get_data_home
from ._grid import grid_indices_of
from ._storage import ConcatStorage, MemmapStorage

__all__ = ["fetch_smallnorb", "SMALLNORB_FACTOR_NAMES", "SMALLNORB_FACTOR_SIZES"]

SMALLNORB_FACTOR_NAMES = ("category", "instance", "elevation", "azimuth", "lighting")
SMALLNORB_FACTOR_SIZES = (5, 10, 9, 18, 6)
SMALLNORB_CHUNKS = (
    "smallnorb-5x46789x9x18x6x2x96x96-training",
    "smallnorb-5x01235x9x18x6x2x96x96-testing",
)
SMALLNORB_URL = "https://cs.nyu.edu/~ylclab/data/norb-v1.0-small/{}.mat.gz"
# md5 of the whole .mat.gz files, as published by disent's hash-checked downloads.
SMALLNORB_CHECKSUMS = {
    "smallnorb-5x46789x9x18x6x2x96x96-training-dat": ("md5", "66054832f9accfe74a0f4c36a75bc0a2"),
    "smallnorb-5x46789x9x18x6x2x96x96-training-cat": ("md5", "23c8b86101fbf0904a000b43d3ed2fd9"),
    "smallnorb-5x46789x9x18x6x2x96x96-training-info": ("md5", "51dee1210a742582ff607dfd94e332e3"),
    "smallnorb-5x01235x9x18x6x2x96x96-testing-dat": ("md5", "e4ad715691ed5a3a5f138751a4ceb071"),
    "smallnorb-5x01235x9x18x6x2x96x96-testing-cat": ("md5", "5aa791cd7e6016cf957ce9bdb93b8603"),
    "smallnorb-5x01235x9x18x6x2x96x96-testing-info": ("md5", "a9454f3864d7fd4bb3ea7fc3eb84924e"),
}
_IMAGE_SIZE = 96
_N_CAMERAS = 2
# LeCun's binary matrix format: the magic number gives the element type.
_MATRIX_TYPES: dict[int, np.dtype] = {
    0x1E3D4C55: np.dtype(np.uint8),
    0x1E3D4C54: np.dtype("<i4"),
}


def _smallnorb_factor_values(sizes: tuple[int, ...]) -> tuple[np.ndarray, ...]:
    """Classes, except elevation and azimuth in degrees."""
    values = [np.arange(size, dtype=np.float64) for size in sizes]
    values[2] = 30.0 + 5.0 * values[2]
    values[3] = 20.0 * values[3]
    return tuple(values)


def _matrix_layout(path: Path, what: str) -> tuple[np.dtype, tuple[int, ...], int]:
    """Element type, shape and data offset of a binary matrix file (size checked)."""
    with reading_file(path, what), open(path, "rb") as f:
        head = f.read(8)
        if len(head) < 8:
            raise CorruptDatasetError(f"{path} is too short to be a binary matrix ({what}).")
        magic, ndim = (int(v) for v in np.frombuffer(head, dtype="<i4"))
        if magic not in _MATRIX_TYPES or not 1 <= ndim <= 8:
            raise CorruptDatasetError(
                f"{path} is not a SmallNORB binary matrix ({what}): magic {magic:#x}, "
                f"{ndim} dimensions; expected magic 0x1e3d4c55 (bytes) or 0x1e3d4c54 (int32)."
            )
        stored = max(3, ndim)  # at least three sizes are always written
        dims = f.read(4 * stored)
    if len(dims) < 4 * stored:
        raise CorruptDatasetError(f"{path} ends inside its header ({what}); it is truncated.")
    shape = tuple(int(d) for d in np.frombuffer(dims, dtype="<i4")[:ndim])
    dtype = _MATRIX_TYPES[magic]
    offset = 8 + 4 * stored
    needed = offset + int(np.prod(shape)) * dtype.itemsize
    size = path.stat().st_size
    if size != needed:
        raise CorruptDatasetError(
            f"{path} has {size:,} bytes, a {dtype} matrix of shape {shape} needs {needed:,} "
            f"({what}); it is {'truncated' if size < needed else 'not that matrix'}."
        )
    return dtype, shape, offset


def _expect(path: Path, layout: tuple, dtype: np.dtype, shape: tuple, what: str) -> int:
    """The data offset, after checking the matrix is ``dtype`` of ``shape``."""
    if layout[0] != dtype or layout[1] != shape:
        raise CorruptDatasetError(
            f"{path} holds a matrix of {layout[0]} {layout[1]}, expected {dtype} {shape} "
            f"({what}; n = {shape[0]} images, from the -cat file)."
        )
    return layout[2]


def _matrix_file(home: Path, stem: str, download_if_missing: bool, overwrite: bool) -> Path:
    """``stem.mat`` in ``home`` if there, else ``stem.mat.gz`` decompressed once into the cache."""
    plain = home / f"{stem}.mat"
    if plain.exists() and not overwrite:
        return plain
    what = f"the SmallNORB file {stem}.mat.gz"
    packed = _ensure_file(
        home / f"{stem}.mat.gz",
        SMALLNORB_URL.format(stem),
        SMALLNORB_CHECKSUMS.get(stem),
        what,
        download_if_missing,
        overwrite,
    )
    return _gunzipped(packed, home / "sklvae_cache" / f"{stem}.mat", what)


def fetch_smallnorb(
    *,
    data_home: str | Path | None = None,
    download_if_missing: bool = True,
    overwrite: bool = False,
) -> GroundTruthDataset:
    """SmallNORB from its six binary matrix files (the images memory-mapped).

    Parameters
    ----------
    data_home : str or path-like, default=None
        Folder holding the files (see :func:`~sklvae.datasets.get_data_home`):
        ``smallnorb-5x46789x9x18x6x2x96x96-training-{dat,cat,info}.mat`` and
        ``smallnorb-5x01235x9x18x6x2x96x96-testing-{dat,cat,info}.mat``, either
        decompressed (``.mat``, as disentanglement_lib keeps them) or as
        published (``.mat.gz``).
    download_if_missing : bool, default=True
        Download a missing ``.mat.gz`` file (md5-checked) from NYU.
    overwrite : bool, default=False
        Download the ``.mat.gz`` files again (and decompress them again), even
        if they or ``.mat`` files are there.

    Returns
    -------
    GroundTruthDataset
        Images ``(48600, 96, 96)`` uint8 (the first camera of each pair), the
        five factors of the module docstring; rows are the training file's
        then the testing file's, in the files' order.

    Raises
    ------
    DatasetNotFoundError
        A file is missing and could not be downloaded.
    CorruptDatasetError
        A file is not a binary matrix of the expected type and shape, is
        truncated, or the two halves together do not hold every factor
        combination exactly once.

    Notes
    -----
    A ``.mat.gz`` file is decompressed once into ``sklvae_cache/`` in the data
    folder. The ``-dat`` files (448 MB each) are memory-mapped: only the labels
    (1.2 MB) are loaded, an image is read when indexed; all 48,600 images take
    448 MB in memory. disentanglement_lib resizes the images to 64x64 (PIL's
    antialiasing filter); this loader returns them as published.
    """
    download_if_missing, overwrite = check_download_flags(download_if_missing, overwrite)
    home = get_data_home(data_home)
    sizes = tuple(SMALLNORB_FACTOR_SIZES)
    parts, factors = [], []
    for chunk in SMALLNORB_CHUNKS:
        paths = {
            kind: _matrix_file(home, f"{chunk}-{kind}", download_if_missing, overwrite)
            for kind in ("dat", "cat", "info")
        }
        what = f"the SmallNORB {chunk.rsplit('-', 1)[1]} files"
        cat_layout = _matrix_layout(paths["cat"], what)
        int32 = np.dtype("<i4")
        if len(cat_layout[1]) != 1:
            raise CorruptDatasetError(
                f"{paths['cat']} holds a matrix of shape {cat_layout[1]}, expected one "
                f"category per image, int32 (n,) ({what})."
            )
        n = cat_layout[1][0]
        cat_offset = _expect(paths["cat"], cat_layout, int32, (n,), what)
        info_offset = _expect(
            paths["info"], _matrix_layout(paths["info"], what), int32, (n, 4), what
        )
        dat_shape = (n, _N_CAMERAS, _IMAGE_SIZE, _IMAGE_SIZE)
        dat_offset = _expect(
            paths["dat"], _matrix_layout(paths["dat"], what), np.dtype(np.uint8), dat_shape, what
        )
        category = np.fromfile(paths["cat"], dtype=int32, offset=cat_offset)
        info = np.fromfile(paths["info"], dtype=int32, offset=info_offset).reshape(n, 4)
        if (info[:, 2] % 2).any():
            raise CorruptDatasetError(
                f"{paths['info']}: azimuths must be even (0, 2, ..., 34) ({what})."
            )
        chunk_factors = np.column_stack(
            [category, info[:, 0], info[:, 1], info[:, 2] // 2, info[:, 3]]
        )
        bad = (chunk_factors < 0) | (chunk_factors >= np.asarray(sizes))
        if bad.any():
            k = int(np.flatnonzero(bad.any(axis=0))[0])
            raise CorruptDatasetError(
                f"{paths['cat' if k == 0 else 'info']}: {SMALLNORB_FACTOR_NAMES[k]} classes "
                f"outside [0, {sizes[k]}) ({what})."
            )
        factors.append(chunk_factors.astype(np.int64))
        parts.append(MemmapStorage(paths["dat"], dat_offset, dat_shape, pick=0))
    all_factors = np.concatenate(factors)
    grid = np.ravel_multi_index(tuple(all_factors.T), sizes)
    n_grid = int(np.prod(sizes))
    if grid.size != n_grid or np.unique(grid).size != n_grid:
        raise CorruptDatasetError(
            f"The SmallNORB files in {home} hold {np.unique(grid).size:,} distinct factor "
            f"combinations in {grid.size:,} images, expected each of the {n_grid:,} "
            f"combinations of {sizes} once; a file is missing rows or from another release."
        )
    return GroundTruthDataset(
        SMALLNORB_FACTOR_NAMES,
        sizes,
        (_IMAGE_SIZE, _IMAGE_SIZE),
        factor_values=_smallnorb_factor_values(sizes),
        storage=ConcatStorage(parts),
        grid_indices=grid_indices_of(all_factors, sizes),
        name="smallnorb",
    )
