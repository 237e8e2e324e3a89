"""Falcor3D (Nie et al. 2020): loader of the release folder ``Falcor3D_down128/``.

A living-room scene rendered with NVIDIA Falcor: 233,280 images of 128x128 RGB,
one per combination of

====== =================== =======
index  factor              classes
====== =================== =======
0      lighting_intensity  5
1      lighting_x_dir      6
2      lighting_y_dir      6
3      lighting_z_dir      6
4      camera_x_pos        6
5      camera_y_pos        6
6      camera_z_pos        6
====== =================== =======

The release is a zip archive of one folder ``Falcor3D_down128/`` holding
``images/000000.png`` ... ``images/233279.png`` (row-major over the factors, the
last varies fastest) and ``train-rec.labels`` (an ``.npy`` array of 233,280 x 7
float64, the real value of each factor of each image). The factor order and
sizes are those of the latent_quantization loader, which evaluates on it.
"""

from __future__ import annotations

from pathlib import Path

from ._dataset import GroundTruthDataset
from ._png_grid import fetch_png_grid

__all__ = ["fetch_falcor3d", "FALCOR3D_FACTOR_NAMES", "FALCOR3D_FACTOR_SIZES"]

FALCOR3D_FACTOR_NAMES = (
    "lighting_intensity",
    "lighting_x_dir",
    "lighting_y_dir",
    "lighting_z_dir",
    "camera_x_pos",
    "camera_y_pos",
    "camera_z_pos",
)
FALCOR3D_FACTOR_SIZES = (5, 6, 6, 6, 6, 6, 6)
FALCOR3D_FOLDER = "Falcor3D_down128"
# The archive on Google Drive, as latent_quantization's dataset builder downloads it.
FALCOR3D_URL = (
    "https://drive.google.com/uc?export=download&confirm=pbef&id=1XAQfFK1x6cpN1eiovbP0hVfLTm5SsSoJ"
)
# No checksum of the archive is published; the folder is checked structurally on load.
FALCOR3D_CHECKSUM: tuple[str, str] | None = None


def fetch_falcor3d(
    *,
    data_home: str | Path | None = None,
    download_if_missing: bool = True,
    overwrite: bool = False,
) -> GroundTruthDataset:
    """Falcor3D from the release folder ``Falcor3D_down128/`` (PNG files read lazily).

    Parameters
    ----------
    data_home : str or path-like, default=None
        Folder holding ``Falcor3D_down128/`` or the archive
        ``Falcor3D_down128.zip`` (see :func:`~sklvae.datasets.get_data_home`).
    download_if_missing : bool, default=True
        When neither the folder nor the archive is there, download the archive
        from the authors' Google Drive (no published checksum), then extract it.
    overwrite : bool, default=False
        Download and extract again; the folder is replaced.

    Returns
    -------
    GroundTruthDataset
        Images ``(233280, 128, 128, 3)`` uint8, the seven factors of the module
        docstring with their real values from ``train-rec.labels``.

    Raises
    ------
    DatasetNotFoundError
        Neither the folder nor the archive is there and no download was possible.
    CorruptDatasetError
        The archive cannot be extracted, ``train-rec.labels`` is not
        ``(233280, 7)`` or does not follow the row-major grid, or an image file
        is missing; when a PNG file cannot be decoded, the read that meets it.

    Notes
    -----
    Needs Pillow to decode the PNG files (it comes with matplotlib). Only the
    labels (13 MB) are loaded; each image is decoded when indexed. All the
    images would take 11.5 GB in memory. latent_quantization resizes them to
    64x64 (bicubic) before training; this loader returns them as published.
    """
    return fetch_png_grid(
        data_home=data_home,
        folder_name=FALCOR3D_FOLDER,
        labels_name="train-rec.labels",
        factor_names=FALCOR3D_FACTOR_NAMES,
        factor_sizes=FALCOR3D_FACTOR_SIZES,
        url=FALCOR3D_URL,
        checksum=FALCOR3D_CHECKSUM,
        what="Falcor3D",
        name="falcor3d",
        download_if_missing=download_if_missing,
        overwrite=overwrite,
    )
