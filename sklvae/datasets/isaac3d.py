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

from ._png_grid import PNGGridRelease, png_grid_fetcher

__all__ = ["fetch_isaac3d", "ISAAC3D", "ISAAC3D_FACTOR_NAMES", "ISAAC3D_FACTOR_SIZES"]

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
#: The release: folder, label file, download (the archive on Google Drive, as the
#: FactorQVAE preparation script downloads it; no checksum is published, so the
#: folder is checked structurally on load).
ISAAC3D = PNGGridRelease(
    name="isaac3d",
    title="Isaac3D",
    folder="Isaac3D_down128",
    labels_name="labels.npy",
    factor_names=ISAAC3D_FACTOR_NAMES,
    factor_sizes=ISAAC3D_FACTOR_SIZES,
    url=(
        "https://drive.google.com/uc?export=download&confirm=pbef"
        "&id=1OmQ1G2wnm6eTsSFGTKFZZAh5D3nQTW1B"
    ),
    checksum=None,
    source="the authors' Google Drive",
    resize_note=(
        "FactorQVAE and latent_quantization resize the images to 64x64 (bicubic) "
        "before training; this loader returns them as published."
    ),
)
fetch_isaac3d = png_grid_fetcher(ISAAC3D, __name__)
