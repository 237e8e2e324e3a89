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

from ._png_grid import PNGGridRelease, png_grid_fetcher

__all__ = ["fetch_falcor3d", "FALCOR3D", "FALCOR3D_FACTOR_NAMES", "FALCOR3D_FACTOR_SIZES"]

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
#: The release: folder, label file, download (the archive on Google Drive, as
#: latent_quantization's dataset builder downloads it; no checksum is published, so
#: the folder is checked structurally on load).
FALCOR3D = PNGGridRelease(
    name="falcor3d",
    title="Falcor3D",
    folder="Falcor3D_down128",
    labels_name="train-rec.labels",
    factor_names=FALCOR3D_FACTOR_NAMES,
    factor_sizes=FALCOR3D_FACTOR_SIZES,
    url=(
        "https://drive.google.com/uc?export=download&confirm=pbef"
        "&id=1XAQfFK1x6cpN1eiovbP0hVfLTm5SsSoJ"
    ),
    checksum=None,
    source="the authors' Google Drive",
    resize_note=(
        "latent_quantization resizes the images to 64x64 (bicubic) before training; "
        "this loader returns them as published."
    ),
)
fetch_falcor3d = png_grid_fetcher(FALCOR3D, __name__)
