"""3D Shapes: a small numpy ray caster of the factor grid and a loader of the real file.

The real dataset (Burgess & Kim 2018, https://github.com/deepmind/3d-shapes) holds
every combination of

====== ============ ==========================================
index  factor       classes
====== ============ ==========================================
0      floor_hue    10: linspace(0, 0.9, 10)
1      wall_hue     10: linspace(0, 0.9, 10)
2      object_hue   10: linspace(0, 0.9, 10)
3      scale        8: linspace(0.75, 1.25, 8)
4      shape        4: cube, cylinder, sphere, capsule (0, 1, 2, 3)
5      orientation  15: linspace(-30, 30, 15) degrees
====== ============ ==========================================

as 64x64 RGB images, stored row-major in this order in ``3dshapes.h5`` (datasets
``images`` uint8 (480000, 64, 64, 3) and ``labels`` float64 (480000, 6) holding
the real values above).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from ._checks import CorruptDatasetError, reading_file
from ._dataset import GroundTruthDataset
from ._fetch import _ensure_file, get_data_home
from ._grid import grid_indices_of, sample_grid_rows
from ._resize import AreaDownsampled, check_image_size
from ._storage import H5Images

__all__ = ["make_shapes3d", "fetch_shapes3d", "SHAPES3D_FACTOR_NAMES", "SHAPES3D_FACTOR_SIZES"]

SHAPES3D_FACTOR_NAMES = ("floor_hue", "wall_hue", "object_hue", "scale", "shape", "orientation")
SHAPES3D_FACTOR_SIZES = (10, 10, 10, 8, 4, 15)
SHAPES3D_SHAPE_NAMES = ("cube", "cylinder", "sphere", "capsule")
SHAPES3D_FILENAME = "3dshapes.h5"
SHAPES3D_URL = "https://storage.googleapis.com/3d-shapes/3dshapes.h5"
# md5 of the whole file, as published by disent's hash-checked download.
SHAPES3D_CHECKSUM = ("md5", "099a2078d58cec4daad0702c55d06868")

_IMAGE_SIZE = 64


def _shapes3d_factor_values() -> tuple[np.ndarray, ...]:
    """Real factor values, as in the file's ``labels``."""
    hues = np.linspace(0.0, 0.9, 10)
    return (
        hues,
        hues.copy(),
        hues.copy(),
        np.linspace(0.75, 1.25, 8),
        np.arange(4, dtype=np.float64),
        np.linspace(-30.0, 30.0, 15),
    )


def hsv_to_rgb(hue: np.ndarray) -> np.ndarray:
    """RGB in [0, 1] of hues in [0, 1) at full saturation and value: (..., 3)."""
    hue = np.asarray(hue, dtype=np.float64)
    # distance to each primary's hue sector, as in the HSV hexcone
    k = (np.array([5.0, 3.0, 1.0]) + hue[..., None] * 6.0) % 6.0
    return 1.0 - np.clip(np.minimum(k, 4.0 - k), 0.0, 1.0)


# --------------------------------------------------------------------------- #
# the ray caster
# --------------------------------------------------------------------------- #
# Scene (y up, object standing on the floor y = 0 at the origin), chosen to look
# like the real images; the real scene file is not public.
_CAMERA = np.array([0.0, 2.1, -5.0])  # before the orbit of `orientation`
_LOOK_AT = np.array([0.0, 0.55, 0.0])
_FIELD_OF_VIEW = np.deg2rad(36.0)  # vertical, full angle
_BACK_WALL_Z = 3.0
_SIDE_WALL_X = 3.5
_LIGHT = np.array([-0.45, 1.0, -0.7]) / np.linalg.norm([-0.45, 1.0, -0.7])
_AMBIENT = 0.45
_DIFFUSE = 0.55
_SUPERSAMPLING = 3
_EPS = 1e-6
_MATERIALS = 3  # floor, wall, object


def _camera_rays(orientation_deg: float) -> tuple[np.ndarray, np.ndarray]:
    """Origin (3,) and unit directions (n_rays, 3) of the supersampled pixels.

    ``orientation`` turns the camera about the vertical axis through the object,
    so the object and the walls turn together (as in the real images, where the
    corner of the room moves with the orientation).
    """
    s = _SUPERSAMPLING
    n = _IMAGE_SIZE * s
    forward = _LOOK_AT - _CAMERA
    forward /= np.linalg.norm(forward)
    right = np.cross(np.array([0.0, 1.0, 0.0]), forward)
    right /= np.linalg.norm(right)
    up = np.cross(forward, right)
    half = np.tan(_FIELD_OF_VIEW / 2)
    coords = ((np.arange(n) + 0.5) / n * 2.0 - 1.0) * half
    px = coords[None, :]  # left to right
    py = -coords[:, None]  # top to bottom
    directions = forward + px[..., None] * right + py[..., None] * up
    directions = directions.reshape(-1, 3)
    directions /= np.linalg.norm(directions, axis=1, keepdims=True)
    angle = np.deg2rad(orientation_deg)
    rotation = np.array(
        [[np.cos(angle), 0.0, np.sin(angle)], [0.0, 1.0, 0.0], [-np.sin(angle), 0.0, np.cos(angle)]]
    )
    return rotation @ _CAMERA, directions @ rotation.T


def _hit_plane(origin, directions, axis, value, facing):
    """Distance to the plane ``x[axis] = value`` (inf where missed), and its normal."""
    d = directions[:, axis]
    with np.errstate(divide="ignore", invalid="ignore"):
        t = (value - np.broadcast_to(origin, directions.shape)[:, axis]) / d
    t = np.where((t > _EPS) & np.isfinite(t), t, np.inf)
    normal = np.zeros(3)
    normal[axis] = facing
    return t, np.broadcast_to(normal, directions.shape)


def _hit_sphere(origin, directions, centre, radius):
    oc = np.broadcast_to(origin, directions.shape) - centre
    b = np.einsum("ij,ij->i", directions, oc)
    c = np.einsum("ij,ij->i", oc, oc) - radius**2
    disc = b * b - c
    root = np.sqrt(np.maximum(disc, 0.0))
    t = -b - root
    t = np.where((disc > 0) & (t > _EPS), t, np.inf)
    points = oc + directions * np.where(np.isfinite(t), t, 0.0)[:, None]
    return t, points / radius


def _hit_vertical_cylinder(origin, directions, radius, y_low, y_high, cap=True):
    """Side (and top cap) of the cylinder x^2 + z^2 <= r^2, y_low <= y <= y_high."""
    dx, dy, dz = directions.T
    ox, oy, oz = np.broadcast_to(origin, directions.shape).T
    a = dx * dx + dz * dz
    b = 2.0 * (ox * dx + oz * dz)
    c = ox * ox + oz * oz - radius**2
    disc = b * b - 4 * a * c
    with np.errstate(divide="ignore", invalid="ignore"):
        t_side = (-b - np.sqrt(np.maximum(disc, 0.0))) / (2 * a)
    y_side = oy + t_side * dy
    ok = (disc > 0) & (a > 0) & (t_side > _EPS) & (y_side >= y_low) & (y_side <= y_high)
    t_side = np.where(ok, t_side, np.inf)
    normal = np.stack([ox + t_side * dx, np.zeros_like(dx), oz + t_side * dz], axis=1) / radius
    normal = np.where(np.isfinite(t_side)[:, None], normal, 0.0)
    if cap:
        with np.errstate(divide="ignore", invalid="ignore"):
            t_cap = (y_high - oy) / dy
        x_cap, z_cap = ox + t_cap * dx, oz + t_cap * dz
        ok_cap = (t_cap > _EPS) & np.isfinite(t_cap) & (x_cap**2 + z_cap**2 <= radius**2)
        t_cap = np.where(ok_cap, t_cap, np.inf)
        use_cap = t_cap < t_side
        t_side = np.where(use_cap, t_cap, t_side)
        normal = np.where(use_cap[:, None], np.array([0.0, 1.0, 0.0]), normal)
    return t_side, normal


def _hit_box(origin, directions, half):
    """The cube [-h, h] x [0, 2h] x [-h, h]."""
    low = np.array([-half, 0.0, -half])
    high = np.array([half, 2 * half, half])
    with np.errstate(divide="ignore", invalid="ignore"):
        inv = 1.0 / directions
        t1 = (low - origin) * inv
        t2 = (high - origin) * inv
    t_min = np.nan_to_num(np.minimum(t1, t2), nan=-np.inf)
    t_max = np.nan_to_num(np.maximum(t1, t2), nan=np.inf)
    t_near = t_min.max(axis=1)
    t_far = t_max.min(axis=1)
    hit = (t_near <= t_far) & (t_near > _EPS)
    axis = t_min.argmax(axis=1)
    normal = np.zeros_like(directions)
    rows = np.arange(directions.shape[0])
    normal[rows, axis] = -np.sign(directions[rows, axis])
    return np.where(hit, t_near, np.inf), normal


def _hit_object(origin, directions, shape, scale):
    """Distance and normal of the object (shape class, scale value)."""
    if shape == 0:  # cube
        return _hit_box(origin, directions, 0.5 * scale)
    if shape == 1:  # cylinder
        return _hit_vertical_cylinder(origin, directions, 0.5 * scale, 0.0, 1.0 * scale)
    if shape == 2:  # sphere
        radius = 0.5 * scale
        return _hit_sphere(origin, directions, np.array([0.0, radius, 0.0]), radius)
    # capsule: an upright cylinder with hemispherical ends
    radius, height = 0.4 * scale, 1.25 * scale
    t, normal = _hit_vertical_cylinder(
        origin, directions, radius, radius, height - radius, cap=False
    )
    for centre_y in (radius, height - radius):
        t_s, n_s = _hit_sphere(origin, directions, np.array([0.0, centre_y, 0.0]), radius)
        closer = t_s < t
        t = np.where(closer, t_s, t)
        normal = np.where(closer[:, None], n_s, normal)
    return t, normal


def _material_weights(shape: int, scale: float, orientation_deg: float) -> np.ndarray:
    """Shaded coverage of floor, wall and object per pixel: (64, 64, 3) float32.

    An image is ``weights @ rgb(hues)``: each material's colour times its Lambert
    shading, averaged over the supersampled rays of the pixel.
    """
    origin, directions = _camera_rays(orientation_deg)
    candidates = [
        _hit_plane(origin, directions, 1, 0.0, 1.0),  # floor
        _hit_plane(origin, directions, 2, _BACK_WALL_Z, -1.0),  # back wall
        _hit_plane(origin, directions, 0, _SIDE_WALL_X, -1.0),  # right wall
        _hit_plane(origin, directions, 0, -_SIDE_WALL_X, 1.0),  # left wall
        _hit_object(origin, directions, shape, scale),
    ]
    material_of = np.array([0, 1, 1, 1, 2])
    ts = np.stack([c[0] for c in candidates], axis=0)
    nearest = ts.argmin(axis=0)
    t = ts[nearest, np.arange(ts.shape[1])]
    normals = np.stack([np.asarray(c[1]) for c in candidates], axis=0)
    normal = normals[nearest, np.arange(ts.shape[1])]
    shading = _AMBIENT + _DIFFUSE * np.clip(normal @ _LIGHT, 0.0, 1.0)
    # the object's shadow on the floor and walls
    points = origin + directions * np.where(np.isfinite(t), t, 0.0)[:, None]
    receives = material_of[nearest] != 2
    if receives.any():
        shadow_t, _ = _hit_object(
            points[receives] + 1e-4 * _LIGHT,
            np.broadcast_to(_LIGHT, (int(receives.sum()), 3)),
            shape,
            scale,
        )
        shaded = shading[receives]
        shaded[np.isfinite(shadow_t)] = _AMBIENT
        shading[receives] = shaded
    s = _SUPERSAMPLING
    weights = np.zeros((t.size, _MATERIALS))
    weights[np.arange(t.size), material_of[nearest]] = shading
    weights = weights.reshape(_IMAGE_SIZE, s, _IMAGE_SIZE, s, _MATERIALS).mean(axis=(1, 3))
    return weights.astype(np.float32)


class Shapes3DRenderer:
    """Vectorised 3D Shapes renderer: factor classes ``(b, 6)`` to ``(b, 64, 64, 3)`` uint8.

    Geometry and shading depend only on (scale, shape, orientation): for each of
    the 480 combinations the ray caster computes once the shaded coverage of the
    floor, wall and object materials (cached lazily, 24 MB when all are built);
    an image is then a per-pixel 3x3 product with the three hue colours.
    """

    def __init__(self) -> None:
        self._weights: dict[tuple[int, int, int], np.ndarray] = {}

    def __getstate__(self) -> dict:
        return {"_weights": {}}

    def weights(self, scale: int, shape: int, orientation: int) -> np.ndarray:
        key = (scale, shape, orientation)
        if key not in self._weights:
            values = _shapes3d_factor_values()
            self._weights[key] = _material_weights(
                shape, float(values[3][scale]), float(values[5][orientation])
            )
        return self._weights[key]

    def __call__(self, factors: np.ndarray) -> np.ndarray:
        factors = np.asarray(factors, dtype=np.int64)
        n = factors.shape[0]
        weights = np.empty((n, _IMAGE_SIZE, _IMAGE_SIZE, _MATERIALS), dtype=np.float32)
        # one cached lookup per distinct geometry in the batch (not per image)
        keys, inverse = np.unique(factors[:, 3:6], axis=0, return_inverse=True)
        inverse = inverse.reshape(-1)
        for i, (scale, shape, orientation) in enumerate(keys):
            weights[inverse == i] = self.weights(int(scale), int(shape), int(orientation))
        hues = _shapes3d_factor_values()[0]
        colours = hsv_to_rgb(hues[factors[:, 0:3]]).astype(np.float32)  # (n, 3 materials, rgb)
        images = np.matmul(weights.reshape(n, -1, _MATERIALS), colours)
        images = np.clip(np.rint(images * 255.0), 0, 255).astype(np.uint8)
        return images.reshape(n, _IMAGE_SIZE, _IMAGE_SIZE, 3)


_RENDERER = Shapes3DRenderer()


def make_shapes3d(
    n_samples: int | None = None,
    *,
    random_state: Any = None,
    image_size: int = 64,
) -> GroundTruthDataset:
    """Procedurally rendered 3D Shapes (no download).

    Parameters
    ----------
    n_samples : int, default=None
        Number of distinct grid points drawn at random (kept in grid order);
        ``None`` for all 480,000 images in canonical order.
    random_state : int, RandomState instance or None, default=None
        Draws the subset.
    image_size : int, default=64
        Side of the images: 64, or a divisor of it for renders block-averaged
        as in :func:`~sklvae.datasets.make_dsprites`.

    Returns
    -------
    GroundTruthDataset
        Images ``(n, image_size, image_size, 3)`` uint8, rendered lazily; factors
        ``floor_hue, wall_hue, object_hue, scale, shape, orientation`` with sizes
        ``(10, 10, 10, 8, 4, 15)`` and the real values of the file.

    Notes
    -----
    A fixed camera looks at an object standing on a floor in front of a back
    wall (side walls come into view at the edges); the three hues become RGB
    through HSV at full saturation and value, as in the real dataset; Lambert
    shading from one directional light plus ambient light, and the object's
    hard shadow. Differences from the real images (rendered with MuJoCo; the
    scene is not public): the camera pose, object proportions, light and
    shadows are chosen by eye; ``orientation`` turns the camera about the
    vertical axis through the object (object and room turn together); the
    capsule stands upright; no texture or specular light.
    """
    n_total = int(np.prod(SHAPES3D_FACTOR_SIZES))
    rows = sample_grid_rows(n_total, n_samples, random_state)
    image_size = check_image_size(image_size, _IMAGE_SIZE)
    factor = _IMAGE_SIZE // image_size
    return GroundTruthDataset(
        SHAPES3D_FACTOR_NAMES,
        SHAPES3D_FACTOR_SIZES,
        (image_size, image_size, 3),
        factor_values=_shapes3d_factor_values(),
        renderer=_RENDERER if factor == 1 else AreaDownsampled(_RENDERER, factor),
        grid_indices=rows,
        name="shapes3d (procedural)"
        if factor == 1
        else f"shapes3d (procedural, {image_size}x{image_size})",
    )


# --------------------------------------------------------------------------- #
# the real file
# --------------------------------------------------------------------------- #
def _classes_from_values(
    values: np.ndarray, table: tuple[np.ndarray, ...], path: Path
) -> np.ndarray:
    """Map real factor values (n, k) to class indices using the canonical tables."""
    classes = np.empty(values.shape, dtype=np.int64)
    for k, grid in enumerate(table):
        distance = np.abs(values[:, k : k + 1] - grid[None, :])
        classes[:, k] = distance.argmin(axis=1)
        if values.shape[0] and distance.min(axis=1).max() > 1e-3 * max(1.0, np.ptp(grid)):
            raise CorruptDatasetError(
                f"{path}: label column {k} holds values that are not on the 3D Shapes grid."
            )
    return classes


def fetch_shapes3d(
    *,
    data_home: str | Path | None = None,
    download_if_missing: bool = True,
    overwrite: bool = False,
) -> GroundTruthDataset:
    """The real 3D Shapes file ``3dshapes.h5`` (read lazily with h5py).

    The factor classes are recovered from the file's real-valued labels.

    Parameters
    ----------
    data_home : str or path-like, default=None
        Folder holding the file (see :func:`~sklvae.datasets.get_data_home`).
    download_if_missing : bool, default=True
        Download the file (md5-checked) from DeepMind's bucket when missing.
    overwrite : bool, default=False
        Download again and replace an existing file.

    Returns
    -------
    GroundTruthDataset
        Images ``(n, 64, 64, 3)`` uint8 read from the file when indexed (never
        loaded whole); factor classes from the ``labels`` real values.
    """
    import h5py

    what = "the 3D Shapes file"
    path = _ensure_file(
        get_data_home(data_home) / SHAPES3D_FILENAME,
        SHAPES3D_URL,
        SHAPES3D_CHECKSUM,
        what,
        download_if_missing,
        overwrite,
    )
    with reading_file(path, what), h5py.File(path, "r") as f:
        missing = {"images", "labels"} - set(f.keys())
        if missing:
            raise CorruptDatasetError(
                f"{path} is not the 3D Shapes file: datasets {sorted(missing)} are "
                f"missing (found {sorted(f.keys())})."
            )
        images, labels = f["images"], f["labels"]
        if images.dtype != np.uint8 or images.shape[1:] != (_IMAGE_SIZE, _IMAGE_SIZE, 3):
            raise CorruptDatasetError(
                f"{path}: images are {images.dtype} {images.shape}, expected uint8 (n, 64, 64, 3)."
            )
        if labels.ndim != 2 or labels.shape != (images.shape[0], 6):
            raise CorruptDatasetError(
                f"{path}: labels have shape {labels.shape}, expected ({images.shape[0]}, 6)."
            )
        values = np.asarray(labels[:], dtype=np.float64)
        # touch the last image so that a truncated file fails now, not mid-training
        if images.shape[0]:
            images[images.shape[0] - 1]
    classes = _classes_from_values(values, _shapes3d_factor_values(), path)
    return GroundTruthDataset(
        SHAPES3D_FACTOR_NAMES,
        SHAPES3D_FACTOR_SIZES,
        (_IMAGE_SIZE, _IMAGE_SIZE, 3),
        factor_values=_shapes3d_factor_values(),
        storage=H5Images(path, "images"),
        grid_indices=grid_indices_of(classes, SHAPES3D_FACTOR_SIZES),
        name="shapes3d",
    )
