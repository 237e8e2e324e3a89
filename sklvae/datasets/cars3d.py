"""Cars3D (Reed et al. 2015, "Deep Visual Analogy-Making"): loader of the ``.mat`` files.

The archive ``nips2015-analogy-data.tar.gz`` holds ``data/cars/car_XXX_mesh.mat``,
one file per car model (183 of them), each with a key ``im`` of shape
``(128, 128, 3, 24, 4)``: height, width, RGB, 24 azimuths, 4 elevations. The
factors follow disentanglement_lib's order, row-major:

====== ============ ==================================
index  factor       classes
====== ============ ==================================
0      elevation    4
1      azimuth      24
2      object_type  183 (car models, in ``list.txt`` order if present, else by file name)
====== ============ ==================================

giving 4 x 24 x 183 = 17,568 images, resized to 64 x 64 by 2 x 2 area averaging
in numpy (no PIL dependency; disentanglement_lib resizes with PIL's default
filter, so pixel values differ slightly).
"""

from __future__ import annotations

import shutil
import tarfile
import warnings
from pathlib import Path

import numpy as np

from .._atomic import atomic_path
from ._checks import CorruptDatasetError, DatasetNotFoundError
from ._dataset import GroundTruthDataset
from ._fetch import _ensure_folder, get_data_home
from ._npz import _npy_header_size, _read_npy_header
from ._resize import area_downsample
from ._storage import MemmapStorage

__all__ = ["fetch_cars3d", "CARS3D_FACTOR_NAMES", "area_downsample"]

CARS3D_FACTOR_NAMES = ("elevation", "azimuth", "object_type")
CARS3D_N_OBJECTS = 183
CARS3D_URL = "http://www.scottreed.info/files/nips2015-analogy-data.tar.gz"
CARS3D_ARCHIVE = "nips2015-analogy-data.tar.gz"
# md5 of the whole archive, as published by disent's hash-checked download.
CARS3D_CHECKSUM = ("md5", "4e866a7919c1beedf53964e6f7a23686")
_RAW_SIZE = 128
_IMAGE_SIZE = 64


def _car_files(folder: Path) -> list[Path]:
    listing = folder / "list.txt"
    if listing.exists():
        names = [line.strip() for line in listing.read_text().splitlines() if line.strip()]
        files = [folder / (name if name.endswith(".mat") else name + ".mat") for name in names]
        missing = [f.name for f in files if not f.exists()]
        if missing:
            raise CorruptDatasetError(
                f"{listing} names files that are missing: {missing[:5]}"
                f"{' ...' if len(missing) > 5 else ''}."
            )
        return files
    return sorted(folder.glob("car_*_mesh.mat"))


def _load_car(path: Path) -> np.ndarray:
    """One car: (4 elevations, 24 azimuths, 64, 64, 3) uint8."""
    from scipy.io import loadmat

    try:
        im = loadmat(path)["im"]
    except KeyError:
        raise CorruptDatasetError(f"{path} has no key 'im' (not a Cars3D mesh file).") from None
    except Exception as exc:  # scipy raises ValueError, MatReadError, OSError, ...
        raise CorruptDatasetError(
            f"Cannot read the Cars3D file {path} ({type(exc).__name__}: {exc}); it is "
            "probably truncated. Replace it with a good copy."
        ) from exc
    if im.shape != (_RAW_SIZE, _RAW_SIZE, 3, 24, 4):
        raise CorruptDatasetError(
            f"{path}: 'im' has shape {im.shape}, expected (128, 128, 3, 24, 4)."
        )
    if im.dtype != np.uint8:
        im = np.asarray(im, dtype=np.float64)
        if im.max() <= 1.0:
            im = im * 255.0
        im = np.clip(np.rint(im), 0, 255).astype(np.uint8)
    # (H, W, C, azimuth, elevation) -> (elevation, azimuth, H, W, C)
    im = np.transpose(im, (4, 3, 0, 1, 2))
    return area_downsample(im, _RAW_SIZE // _IMAGE_SIZE)


def _extract_cars(archive: Path, folder: Path) -> None:
    """Copy the archive's ``data/cars/*`` files into ``folder`` (flat)."""
    with tarfile.open(archive, "r:*") as tar:
        for member in tar.getmembers():
            parts = Path(member.name).parts
            if member.isfile() and len(parts) >= 2 and parts[-2] == "cars" and ".." not in parts:
                source = tar.extractfile(member)
                if source is None:  # never for a regular file; narrows the type
                    continue
                with open(folder / parts[-1], "wb") as out:
                    shutil.copyfileobj(source, out)
    if not any(folder.glob("car_*_mesh.mat")):
        raise CorruptDatasetError(f"{archive} holds no data/cars/car_*_mesh.mat files.")


def fetch_cars3d(
    *,
    data_home: str | Path | None = None,
    download_if_missing: bool = True,
    overwrite: bool = False,
) -> GroundTruthDataset:
    """Cars3D from the ``cars/car_XXX_mesh.mat`` files in ``data_home``.

    The files are read once and cached at 64 x 64; the cache is memory-mapped.

    Parameters
    ----------
    data_home : str or path-like, default=None
        Folder whose ``cars/`` subfolder holds the ``.mat`` files (see
        :func:`~sklvae.datasets.get_data_home`).
    download_if_missing : bool, default=True
        When ``cars/`` is missing, extract the ``data/cars/`` files of Reed et
        al.'s archive there, downloading the archive (md5-checked) when it is
        missing too.
    overwrite : bool, default=False
        Download and extract again even if ``cars/`` exists (it is replaced).

    Returns
    -------
    GroundTruthDataset
        Images ``(17568, 64, 64, 3)`` uint8 (fewer if fewer car files are
        present, with a warning), factors ``elevation, azimuth, object_type``.

    Notes
    -----
    The first call resizes every car once and writes the 64 x 64 images to
    ``sklvae_cache/cars3d_64x64_<n>.npy`` (216 MB for 183 cars), which is then
    memory-mapped; it is rebuilt when a ``.mat`` file is newer.
    """
    home = get_data_home(data_home)
    folder = _ensure_folder(
        home / "cars",
        home / CARS3D_ARCHIVE,
        CARS3D_URL,
        CARS3D_CHECKSUM,
        "Cars3D (folder data/cars of the archive)",
        _extract_cars,
        download_if_missing,
        overwrite,
    )
    files = _car_files(folder)
    if not files:
        raise DatasetNotFoundError(
            f"No car_XXX_mesh.mat files in {folder}; place the files of {CARS3D_URL} "
            "(folder data/cars) there."
        )
    n_cars = len(files)
    if n_cars != CARS3D_N_OBJECTS:
        warnings.warn(
            f"{folder} holds {n_cars} car files; the full Cars3D has {CARS3D_N_OBJECTS}. "
            f"object_type has {n_cars} classes.",
            UserWarning,
            stacklevel=2,
        )
    factor_sizes = (4, 24, n_cars)
    n_images = 4 * 24 * n_cars
    cache = home / "sklvae_cache" / f"cars3d_{_IMAGE_SIZE}x{_IMAGE_SIZE}_{n_cars}.npy"
    shape = (n_images, _IMAGE_SIZE, _IMAGE_SIZE, 3)
    newest = max(f.stat().st_mtime for f in files)
    fresh = False
    if cache.exists() and cache.stat().st_mtime >= newest:
        with open(cache, "rb") as f:
            fresh = tuple(_read_npy_header(f)[0]) == shape

    if not fresh:

        def write(tmp: Path) -> None:
            out = np.lib.format.open_memmap(tmp, mode="w+", dtype=np.uint8, shape=shape)
            grid = out.reshape(4, 24, n_cars, _IMAGE_SIZE, _IMAGE_SIZE, 3)
            for i, path in enumerate(files):
                grid[:, :, i] = _load_car(path)
            out.flush()
            del grid, out

        with atomic_path(cache) as tmp:
            write(tmp)
    storage = MemmapStorage(cache, _npy_header_size(cache), shape)
    return GroundTruthDataset(
        CARS3D_FACTOR_NAMES,
        factor_sizes,
        (_IMAGE_SIZE, _IMAGE_SIZE, 3),
        storage=storage,
        name="cars3d",
    )
