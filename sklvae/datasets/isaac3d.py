"""Isaac3D (Nie et al. 2020): loader of the release folder ``Isaac3D_down128/``.

A robot arm and an object in a room, rendered with NVIDIA Isaac Sim: 737,280
images of 128x128 RGB, one per combination of

====== =================== =======
index  factor              classes
====== =================== =======
0      object_shape        3
1      robot_x             8 (movement of the arm, horizontal)
2      robot_y             5 (movement of the arm, vertical)
3      camera_height       4
4      object_scale        4
5      lighting_intensity  4
6      lighting_y_dir      6 (direction of the light)
7      object_color        4
8      wall_color          4
====== =================== =======

The release is a zip archive of one folder ``Isaac3D_down128/`` holding
``images/000000.png`` ... ``images/737279.png`` (row-major over the factors, the
last varies fastest) and ``labels.npy`` (737,280 x 9 float64, the real value of
each factor of each image). The factor order and sizes are those of the
FactorQVAE and latent_quantization loaders, which evaluate on it.
"""

from __future__ import annotations

from pathlib import Path

from ._dataset import GroundTruthDataset
from ._png_grid import fetch_png_grid

__all__ = ["fetch_isaac3d", "ISAAC3D_FACTOR_NAMES", "ISAAC3D_FACTOR_SIZES"]

ISAAC3D_FACTOR_NAMES = (
    "object_shape",
    "robot_x",
    "robot_y",
    "camera_height",
    "object_scale",
    "lighting_intensity",
    "lighting_y_dir",
    "object_color",
    "wall_color",
)
ISAAC3D_FACTOR_SIZES = (3, 8, 5, 4, 4, 4, 6, 4, 4)
ISAAC3D_FOLDER = "Isaac3D_down128"
# The archive on Google Drive, as the FactorQVAE preparation script downloads it.
ISAAC3D_URL = (
    "https://drive.google.com/uc?export=download&confirm=pbef&id=1OmQ1G2wnm6eTsSFGTKFZZAh5D3nQTW1B"
)
# No checksum of the archive is published; the folder is checked structurally on load.
ISAAC3D_CHECKSUM: tuple[str, str] | None = None


def fetch_isaac3d(
    *,
    data_home: str | Path | None = None,
    download_if_missing: bool = True,
    overwrite: bool = False,
) -> GroundTruthDataset:
    """Isaac3D from the release folder ``Isaac3D_down128/`` (PNG files read lazily).

    Parameters
    ----------
    data_home : str or path-like, default=None
        Folder holding ``Isaac3D_down128/`` or the archive
        ``Isaac3D_down128.zip`` (see :func:`~sklvae.datasets.get_data_home`).
    download_if_missing : bool, default=True
        When neither the folder nor the archive is there, download the archive
        from the authors' Google Drive (no published checksum), then extract it.
    overwrite : bool, default=False
        Download and extract again; the folder is replaced.

    Returns
    -------
    GroundTruthDataset
        Images ``(737280, 128, 128, 3)`` uint8, the nine factors of the module
        docstring with their real values from ``labels.npy``.

    Raises
    ------
    DatasetNotFoundError
        Neither the folder nor the archive is there and no download was possible.
    CorruptDatasetError
        The archive cannot be extracted, ``labels.npy`` is not ``(737280, 9)`` or
        does not follow the row-major grid, or an image file is missing; when a
        PNG file cannot be decoded, the read that meets it.

    Notes
    -----
    Needs Pillow to decode the PNG files (it comes with matplotlib). Only the
    labels (53 MB) are loaded; each image is decoded when indexed. All the
    images would take 36 GB in memory. The releases' own pipelines resize the
    images to 64x64 (bicubic) before training; this loader returns them as
    published.
    """
    return fetch_png_grid(
        data_home=data_home,
        folder_name=ISAAC3D_FOLDER,
        labels_name="labels.npy",
        factor_names=ISAAC3D_FACTOR_NAMES,
        factor_sizes=ISAAC3D_FACTOR_SIZES,
        url=ISAAC3D_URL,
        checksum=ISAAC3D_CHECKSUM,
        what="Isaac3D",
        name="isaac3d",
        download_if_missing=download_if_missing,
        overwrite=overwrite,
    )
