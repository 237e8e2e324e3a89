"""Releases stored as one PNG per grid point plus a label array (Isaac3D, Falcor3D).

Both releases (Nie et al. 2020) are a zip archive holding one folder
``<Name>_down128/`` with

- ``images/000000.png`` ... : one 128x128 RGB image per combination of the
  factors, numbered row-major over the factor grid (the last factor varies
  fastest), as the releases' own loaders index them;
- a label array in ``.npy`` format, ``(n_images, n_factors)`` float64: the real
  value of every factor of every image.

A :class:`PNGGridRelease` describes one release; :func:`png_grid_fetcher` makes its
public ``fetch_*`` function (with its docstring), which finds (or extracts, or
downloads) the folder, checks it against the grid and returns a lazy
:class:`~sklvae.datasets.GroundTruthDataset` that decodes only the PNG files asked
for.
"""

from __future__ import annotations

import os
import shutil
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ._checks import CorruptDatasetError, reading_file
from ._dataset import GroundTruthDataset
from ._fetch import _ensure_folder, get_data_home
from ._storage import PNGFolder

__all__ = ["PNGGridRelease", "png_grid_fetcher"]

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


@dataclass
class PNGGridRelease:
    """What differs between the releases read here.

    ``name``: the dataset's short name (``"isaac3d"``); ``title``: as printed
    (``"Isaac3D"``); ``folder``: the release folder (also the archive's name,
    with ``.zip``); ``labels_name``: the label file in it; ``source``: where the
    archive is downloaded from, in words; ``resize_note``: what the papers do to
    the images before training.
    """

    name: str
    title: str
    folder: str
    labels_name: str
    factor_names: tuple[str, ...]
    factor_sizes: tuple[int, ...]
    url: str
    checksum: tuple[str, str] | None
    source: str
    resize_note: str


_DOCSTRING = """{title} from the release folder ``{folder}/`` (PNG files read lazily).

    Parameters
    ----------
    data_home : str or path-like, default=None
        Folder holding ``{folder}/`` or the archive ``{folder}.zip`` (see
        :func:`~sklvae.datasets.get_data_home`).
    download_if_missing : bool, default=True
        When neither the folder nor the archive is there, download the archive
        from {source} (no published checksum), then extract it.
    overwrite : bool, default=False
        Download and extract again; the folder is replaced.

    Returns
    -------
    GroundTruthDataset
        Images ``({n_images}, 128, 128, 3)`` uint8; the {n_factors} factors
        ``{factor_names}`` with sizes ``{factor_sizes}`` and their real values
        from ``{labels_name}``.

    Raises
    ------
    DatasetNotFoundError
        Neither the folder nor the archive is there and no download was possible.
    CorruptDatasetError
        The archive cannot be extracted, ``{labels_name}`` is not
        ``({n_images}, {n_factors})`` or does not follow the row-major grid, or an
        image file is missing; when a PNG file cannot be decoded, the read that
        meets it.

    Notes
    -----
    Needs Pillow to decode the PNG files (it comes with matplotlib). Opening reads
    the labels and lists the image files; each image is decoded when indexed.
    All the images would take {gigabytes:.1f} GB in memory. {resize_note}
    """


def png_grid_fetcher(release: PNGGridRelease, module: str) -> Callable[..., GroundTruthDataset]:
    """The public ``fetch_<release.name>`` function of ``module``, documented."""

    def fetch(
        *,
        data_home: str | Path | None = None,
        download_if_missing: bool = True,
        overwrite: bool = False,
    ) -> GroundTruthDataset:
        return _fetch_png_grid(release, data_home, download_if_missing, overwrite)

    n_images = int(np.prod(release.factor_sizes))
    fetch.__doc__ = _DOCSTRING.format(
        title=release.title,
        folder=release.folder,
        source=release.source,
        n_images=n_images,
        n_factors=len(release.factor_sizes),
        factor_names=", ".join(release.factor_names),
        factor_sizes=release.factor_sizes,
        labels_name=release.labels_name,
        gigabytes=n_images * int(np.prod(_IMAGE_SHAPE)) / 1e9,
        resize_note=release.resize_note,
    )
    fetch.__name__ = fetch.__qualname__ = f"fetch_{release.name}"
    fetch.__module__ = module
    return fetch


def _fetch_png_grid(
    release: PNGGridRelease, data_home: Any, download_if_missing: Any, overwrite: Any
) -> GroundTruthDataset:
    """The release folder in the data folder as a lazy dataset.

    The folder is extracted from its ``.zip`` archive when missing (the archive
    is downloaded when missing too).
    """
    home = get_data_home(data_home)
    folder = _ensure_folder(
        home / release.folder,
        home / f"{release.folder}.zip",
        release.url,
        release.checksum,
        release.title,
        _extract_zip_folder(release.folder),
        download_if_missing,
        overwrite,
    )
    factor_names, factor_sizes, what = release.factor_names, release.factor_sizes, release.title
    n_images = int(np.prod(factor_sizes))
    labels_path = folder / release.labels_name
    if not labels_path.exists():
        raise CorruptDatasetError(
            f"{folder} has no label file {release.labels_name} ({what}); the folder is incomplete."
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
        name=release.name,
    )
