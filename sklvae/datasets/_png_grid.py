"""Releases stored as one PNG per grid point plus a label array (Isaac3D, Falcor3D).

Both releases (Nie et al. 2020) are a zip archive holding one folder
``<Name>_down128/`` with

- ``images/000000.png`` ... : one 128x128 RGB image per combination of the
  factors, numbered row-major over the factor grid (the last factor varies
  fastest), as the releases' own loaders index them;
- a label array in ``.npy`` format, ``(n_images, n_factors)`` float64: the real
  value of every factor of every image.

:func:`fetch_png_grid` finds (or extracts, or downloads) that folder, checks it
against the grid and returns a lazy :class:`~sklvae.datasets.GroundTruthDataset`
that decodes only the PNG files asked for.
"""

from __future__ import annotations

import os
import shutil
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ._checks import CorruptDatasetError, reading_file
from ._dataset import GroundTruthDataset
from ._fetch import _ensure_folder, get_data_home
from ._storage import PNGFolder

__all__ = ["fetch_png_grid"]

_IMAGE_SHAPE = (128, 128, 3)
_NAME_FORMAT = "{:06d}.png"


def _extract_zip_folder(folder_name: str):
    """An ``extract(archive, tmp)`` copying the archive's ``<folder_name>/`` into ``tmp``."""

    def extract(archive: Path, tmp: Path) -> None:
        prefix = folder_name + "/"
        found = False
        with zipfile.ZipFile(archive) as zf:
            for info in zf.infolist():
                parts = Path(info.filename).parts
                if info.is_dir() or not info.filename.startswith(prefix) or ".." in parts:
                    continue
                target = tmp.joinpath(*parts[1:])
                target.parent.mkdir(parents=True, exist_ok=True)
                with zf.open(info) as source, open(target, "wb") as out:
                    shutil.copyfileobj(source, out)
                found = True
        if not found:
            raise CorruptDatasetError(f"{archive} holds no folder {prefix} (files {prefix}...).")

    return extract


def _factor_values_from_labels(
    labels: np.ndarray, factor_names: Sequence[str], factor_sizes: Sequence[int], path: Path
) -> tuple[np.ndarray, ...]:
    """The value of each class of each factor, read where the other factors are at class 0.

    Every row's labels must then equal the values of its grid classes (the
    releases store the grid row-major); otherwise the file is refused.
    """
    sizes = tuple(factor_sizes)
    bases = np.prod(sizes) // np.cumprod(sizes)
    values = tuple(labels[bases[k] * np.arange(size), k] for k, size in enumerate(sizes))
    rows = np.arange(labels.shape[0])
    for k, name in enumerate(factor_names):  # one column at a time: little memory
        expected = values[k][(rows // bases[k]) % sizes[k]]
        tolerance = 1e-6 * max(1.0, float(np.ptp(values[k])))
        wrong = np.flatnonzero(np.abs(labels[:, k] - expected) > tolerance)
        if wrong.size:
            row = int(wrong[0])
            raise CorruptDatasetError(
                f"{path}: column {k} ({name}) of row {row} is {labels[row, k]!r}, expected "
                f"{expected[row]!r}: the labels do not follow the row-major grid of sizes "
                f"{sizes} ({wrong.size} rows differ)."
            )
    return values


def _check_image_files(images: Path, n_images: int, what: str) -> None:
    """Every ``000000.png`` .. of the grid is present (other files are ignored)."""
    try:
        present = set(os.listdir(images))
    except OSError as exc:
        raise CorruptDatasetError(f"Cannot list {images} ({exc}); {what} is incomplete.") from exc
    missing = [i for i in range(n_images) if _NAME_FORMAT.format(i) not in present]
    if missing:
        shown = ", ".join(_NAME_FORMAT.format(i) for i in missing[:3])
        raise CorruptDatasetError(
            f"{images} lacks {len(missing):,} of the {n_images:,} images of {what} "
            f"(e.g. {shown}); the folder is incomplete. Delete it and extract the "
            "archive again."
        )


def fetch_png_grid(
    *,
    data_home: Any,
    folder_name: str,
    labels_name: str,
    factor_names: Sequence[str],
    factor_sizes: Sequence[int],
    url: str,
    checksum: tuple[str, str] | None,
    what: str,
    name: str,
    download_if_missing: Any,
    overwrite: Any,
) -> GroundTruthDataset:
    """The release folder ``data_home / folder_name`` as a lazy dataset.

    The folder is extracted from ``data_home / (folder_name + ".zip")`` when
    missing (the archive is downloaded from ``url`` when missing too).
    """
    home = get_data_home(data_home)
    folder = _ensure_folder(
        home / folder_name,
        home / f"{folder_name}.zip",
        url,
        checksum,
        what,
        _extract_zip_folder(folder_name),
        download_if_missing,
        overwrite,
    )
    n_images = int(np.prod(factor_sizes))
    labels_path = folder / labels_name
    if not labels_path.exists():
        raise CorruptDatasetError(
            f"{folder} has no label file {labels_name} ({what}); the folder is incomplete."
        )
    with reading_file(labels_path, f"the labels of {what}"):
        labels = np.load(labels_path, allow_pickle=False)
    expected_shape = (n_images, len(factor_sizes))
    if labels.shape != expected_shape or not np.issubdtype(labels.dtype, np.number):
        raise CorruptDatasetError(
            f"{labels_path} holds a {labels.dtype} array of shape {labels.shape}, expected "
            f"numbers of shape {expected_shape} ({what}: one row per image, one column per "
            f"factor {tuple(factor_names)})."
        )
    values = _factor_values_from_labels(
        labels.astype(np.float64, copy=False), factor_names, factor_sizes, labels_path
    )
    del labels
    _check_image_files(folder / "images", n_images, what)
    return GroundTruthDataset(
        factor_names,
        factor_sizes,
        _IMAGE_SHAPE,
        factor_values=values,
        storage=PNGFolder(
            folder / "images", n_images, _IMAGE_SHAPE, name_format=_NAME_FORMAT, what=what
        ),
        name=name,
    )
