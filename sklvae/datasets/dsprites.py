"""dSprites: a procedural renderer of the factor grid and a loader of the real file.

The real dataset (Matthey et al. 2017, https://github.com/deepmind/dsprites-dataset)
holds every combination of

====== =========== ==========================================
index  factor      classes
====== =========== ==========================================
0      shape       3: square, ellipse, heart
1      scale       6: linspace(0.5, 1, 6)
2      orientation 40: linspace(0, 2 pi, 40) (0 and 2 pi both kept)
3      posX        32: linspace(0, 1, 32) (left to right)
4      posY        32: linspace(0, 1, 32) (top to bottom)
====== =========== ==========================================

as 64x64 binary images, white shape on black, stored row-major in this order (the
file has a leading constant ``color`` factor, dropped here as disentanglement_lib
does). Both :func:`make_dsprites` and :func:`fetch_dsprites` return a
:class:`~sklvae.datasets.GroundTruthDataset` with these five factors and pixels in
``{0, 255}``.

``make_dsprites(variant=...)`` renders disentanglement_lib's RGB variants of the
same grid (Locatello et al. 2019): ``"color"`` (the sprite in a random colour),
``"noisy"`` (on uniform noise) and ``"scream"`` (on a random patch of an image,
the sprite's pixels inverted). Their random parts are a function of the seed and
the grid index, so every read of an image gives the same array.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from ._checks import CorruptDatasetError, check_bool, check_choice, reading_file, seed_of
from ._dataset import GroundTruthDataset
from ._fetch import _ensure_file, get_data_home
from ._grid import grid_indices_of, sample_grid_rows
from ._npz import npz_image_storage
from ._resize import AreaDownsampled, check_image_size
from ._storage import import_pillow

__all__ = [
    "make_dsprites",
    "fetch_dsprites",
    "DSPRITES_FACTOR_NAMES",
    "DSPRITES_FACTOR_SIZES",
    "DSPRITES_VARIANTS",
]

DSPRITES_FACTOR_NAMES = ("shape", "scale", "orientation", "posX", "posY")
DSPRITES_FACTOR_SIZES = (3, 6, 40, 32, 32)
DSPRITES_SHAPE_NAMES = ("square", "ellipse", "heart")
DSPRITES_FILENAME = "dsprites_ndarray_co1sh3sc6or40x32y32_64x64.npz"
DSPRITES_URL = "https://github.com/deepmind/dsprites-dataset/raw/master/" + DSPRITES_FILENAME
# No checksum of the .npz is published; the file is checked structurally on load.
DSPRITES_CHECKSUM: tuple[str, str] | None = None
#: disentanglement_lib's RGB variants (``make_dsprites(variant=...)``).
DSPRITES_VARIANTS = ("color", "noisy", "scream")

_IMAGE_SIZE = 64


def _dsprites_factor_values() -> tuple[np.ndarray, ...]:
    """Real factor values as in the file's ``latents_values`` (colour column dropped)."""
    return (
        np.array([1.0, 2.0, 3.0]),  # the file codes shapes 1, 2, 3
        np.linspace(0.5, 1.0, 6),
        np.linspace(0.0, 2 * np.pi, 40),
        np.linspace(0.0, 1.0, 32),
        np.linspace(0.0, 1.0, 32),
    )


# --------------------------------------------------------------------------- #
# the renderer
# --------------------------------------------------------------------------- #
# Geometry, in pixels of the 64x64 canvas (continuous coordinates: pixel (i, j)
# covers [j, j+1) x [i, i+1)). Chosen to look like the real images; the real
# renderer is not public, so these are approximations (see make_dsprites Notes).
_SQUARE_HALF_SIDE = 10.0  # at scale 1: a 20 px square
_ELLIPSE_SEMI_AXES = (12.0, 6.0)  # at scale 1, long axis horizontal at orientation 0
_HEART_HALF_WIDTH = 11.0  # at scale 1
_POSITION_FIRST = 12.0  # sprite centre for pos = 0
_POSITION_SPAN = 40.0  # sprite centre for pos = 1 is 12 + 40 = 52
_WINDOW = 32  # side of the cached sprite window (holds the largest rotated sprite)
_SUPERSAMPLING = 4  # sub-samples per pixel side when drawing the cached masks


def _inside_shape(shape: int, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Whether points (u right, v up, in pixels at scale 1) lie in the shape."""
    if shape == 0:  # square
        return (np.abs(u) <= _SQUARE_HALF_SIDE) & (np.abs(v) <= _SQUARE_HALF_SIDE)
    if shape == 1:  # ellipse
        a, b = _ELLIPSE_SEMI_AXES
        return (u / a) ** 2 + (v / b) ** 2 <= 1.0
    # heart: the classic sextic (x^2 + y^2 - 1)^3 - x^2 y^3 <= 0, which spans
    # x in [-1.139, 1.139], y in [-1, 1.236]; centred on its bounding box.
    unit = _HEART_HALF_WIDTH / 1.139
    x = u / unit
    y = v / unit + 0.118
    return (x * x + y * y - 1.0) ** 3 - x * x * y**3 <= 0.0


def _draw_masks(shape: int) -> np.ndarray:
    """Binary masks of one shape for every (scale, orientation): (6, 40, W, W) bool.

    The sprite centre sits on the window point (W/2, W/2) (a pixel corner), so
    pasting the window at an integer offset puts the centre on a pixel corner of the
    canvas. Each pixel is on when at least half of its sub-samples are inside.
    """
    s = _SUPERSAMPLING
    sub = (np.arange(_WINDOW * s) + 0.5) / s - _WINDOW / 2  # sub-sample centres
    dx = sub[None, :]
    dy_up = -sub[:, None]  # rows grow downwards, v grows upwards
    scales = _dsprites_factor_values()[1]
    angles = _dsprites_factor_values()[2]
    masks = np.empty((len(scales), len(angles), _WINDOW, _WINDOW), dtype=bool)
    for i, scale in enumerate(scales):
        for j, angle in enumerate(angles):
            # rotate the sample points by -angle: the sprite turns counter-clockwise
            cos, sin = np.cos(angle), np.sin(angle)
            u = (cos * dx + sin * dy_up) / scale
            v = (-sin * dx + cos * dy_up) / scale
            inside = _inside_shape(shape, u, v)
            coverage = inside.reshape(_WINDOW, s, _WINDOW, s).mean(axis=(1, 3))
            masks[i, j] = coverage >= 0.5
    return masks


class DSpritesRenderer:
    """Vectorised dSprites renderer: factor classes ``(b, 5)`` to ``(b, 64, 64)`` uint8.

    The sprite of each (shape, scale, orientation) is drawn once into a cached
    32x32 window (720 windows, 0.7 MB) and pasted at the integer pixel offset of
    its position; the cache is built lazily, shape by shape.
    """

    def __init__(self) -> None:
        self._masks: dict[int, np.ndarray] = {}

    def __getstate__(self) -> dict:
        return {"_masks": {}}  # the cache is rebuilt where needed

    def masks(self, shape: int) -> np.ndarray:
        if shape not in self._masks:
            self._masks[shape] = _draw_masks(shape)
        return self._masks[shape]

    @staticmethod
    def centre_pixels(position_classes: np.ndarray) -> np.ndarray:
        """Integer canvas coordinate of the sprite centre for position classes."""
        positions = _dsprites_factor_values()[3][position_classes]
        return np.rint(_POSITION_FIRST + _POSITION_SPAN * positions).astype(np.int64)

    def __call__(self, factors: np.ndarray) -> np.ndarray:
        factors = np.asarray(factors, dtype=np.int64)
        n = factors.shape[0]
        half = _WINDOW // 2
        padded = np.zeros((n, _IMAGE_SIZE + _WINDOW, _IMAGE_SIZE + _WINDOW), dtype=np.uint8)
        windows = np.empty((n, _WINDOW, _WINDOW), dtype=bool)
        for shape in np.unique(factors[:, 0]):
            sel = factors[:, 0] == shape
            windows[sel] = self.masks(int(shape))[factors[sel, 1], factors[sel, 2]]
        # window top-left in the padded canvas: centre - half + pad (pad = half)
        left = self.centre_pixels(factors[:, 3])
        top = self.centre_pixels(factors[:, 4])
        offsets = np.arange(_WINDOW)
        rows = (top[:, None] + offsets[None, :])[:, :, None]
        cols = (left[:, None] + offsets[None, :])[:, None, :]
        batch = np.arange(n)[:, None, None]
        padded[batch, rows, cols] = windows.view(np.uint8) * np.uint8(255)
        return np.ascontiguousarray(padded[:, half : half + _IMAGE_SIZE, half : half + _IMAGE_SIZE])


_RENDERER = DSpritesRenderer()

# The scream variant's background: disentanglement_lib shrinks The Scream to fit
# 350 x 274 pixels (width x height), which gives about 220 x 274 for the painting.
_SCREAM_THUMBNAIL = (350, 274)
_TEXTURE_SHAPE = (274, 220)


def scream_texture() -> np.ndarray:
    """The default background of the scream variant: ``(274, 220, 3)`` floats in [0, 1].

    A procedural stand-in for The Scream (the painting is not shipped): a sky of
    swirling orange, red and yellow bands over a dark blue lower half, split by a
    wavy horizon. No randomness: the same texture on every call.
    """
    height, width = _TEXTURE_SHAPE
    y, x = np.mgrid[0:height, 0:width] / float(height)
    swirl = 0.5 + 0.5 * np.sin(36.0 * y + 4.0 * np.sin(11.0 * x + 7.0 * y) + 5.0 * x)
    ripple = 0.5 + 0.5 * np.sin(45.0 * x - 17.0 * y + 3.0 * np.sin(14.0 * y))
    sky = (1 - swirl[..., None]) * np.array([0.85, 0.30, 0.12]) + swirl[..., None] * np.array(
        [0.97, 0.78, 0.32]
    )
    water = (1 - ripple[..., None]) * np.array([0.10, 0.14, 0.32]) + ripple[..., None] * np.array(
        [0.22, 0.42, 0.58]
    )
    horizon = 0.55 + 0.06 * np.sin(9.0 * x + 1.0)
    weight = 1.0 / (1.0 + np.exp(-(y - horizon) / 0.02))  # 0 in the sky, 1 below
    return (1 - weight[..., None]) * sky + weight[..., None] * water


def _load_scream_image(scream_image: Any) -> np.ndarray:
    """The scream variant's background as floats in [0, 1], ``(H, W, 3)``, H and W > 64."""
    if scream_image is None:
        return scream_texture()
    if isinstance(scream_image, (str, os.PathLike)):
        image_module = import_pillow("reading scream_image")
        try:
            with image_module.open(scream_image) as im:
                image = im.convert("RGB")
        except (OSError, ValueError) as exc:
            raise ValueError(
                f"Cannot read scream_image {str(scream_image)!r} as an image: {exc}"
            ) from exc
        image.thumbnail(_SCREAM_THUMBNAIL)
        array = np.asarray(image, dtype=np.float64) / 255.0
    elif isinstance(scream_image, np.ndarray):
        if scream_image.dtype != np.uint8:
            raise TypeError(
                f"scream_image must be a uint8 array (H, W, 3) or an image file, got an array "
                f"of dtype {scream_image.dtype}."
            )
        array = scream_image.astype(np.float64) / 255.0
    else:
        raise TypeError(
            "scream_image must be None, a path to an image file or a uint8 array (H, W, 3), "
            f"got {type(scream_image).__name__}."
        )
    if array.ndim != 3 or array.shape[2] != 3 or min(array.shape[:2]) <= _IMAGE_SIZE:
        raise ValueError(
            f"scream_image must be an RGB image larger than 64 x 64 (H, W > 64) after "
            f"shrinking to fit 350 x 274, got shape {array.shape}."
        )
    return array


class DSpritesVariantRenderer:
    """dSprites with disentanglement_lib's random colour, noise or scream background.

    ``renderer(factors)`` gives ``(b, 64, 64, 3)`` uint8 images. The random parts
    of an image come from a generator seeded with ``(seed, grid index)``, so an
    image depends only on its factors and the seed (never on the batch or the
    order of reads).
    """

    def __init__(self, variant: str, seed: int, background: np.ndarray | None = None) -> None:
        self.variant = variant
        self.seed = int(seed)
        self.background = None if background is None else background.astype(np.float32)

    def __call__(self, factors: np.ndarray) -> np.ndarray:
        factors = np.asarray(factors, dtype=np.int64)
        sprite = (_RENDERER(factors) > 0)[..., None]  # (b, 64, 64, 1)
        grid = np.ravel_multi_index(tuple(factors.T), DSPRITES_FACTOR_SIZES)
        rngs = [np.random.default_rng((self.seed, int(index))) for index in grid]
        # float32 values in [0, 1], rounded to uint8 at the end
        if self.variant == "color":  # the sprite in a colour drawn from [0.5, 1]^3
            colors = np.array([rng.uniform(0.5, 1.0, size=3) for rng in rngs], np.float32)
            return sprite * _to_uint8(colors.reshape(-1, 1, 1, 3))
        if self.variant == "noisy":  # a white sprite on uniform noise: min(sprite + noise, 1)
            shape = (_IMAGE_SIZE, _IMAGE_SIZE, 3)
            noise = np.array([rng.random(size=shape, dtype=np.float32) for rng in rngs])
            return np.where(
                sprite, np.uint8(255), _to_uint8(noise.reshape(sprite.shape[:3] + (3,)))
            )
        # scream: a random patch of the background, tinted, inverted under the sprite
        assert self.background is not None
        background = self.background
        height, width = background.shape[:2]
        patches = np.empty(sprite.shape[:3] + (3,), dtype=np.float32)
        for i, rng in enumerate(rngs):
            top = rng.integers(0, height - _IMAGE_SIZE)
            left = rng.integers(0, width - _IMAGE_SIZE)
            tint = rng.uniform(0.0, 1.0, size=3).astype(np.float32)
            patches[i] = background[top : top + _IMAGE_SIZE, left : left + _IMAGE_SIZE] + tint
        patches *= 0.5
        return _to_uint8(np.where(sprite, 1.0 - patches, patches))


def _to_uint8(values: np.ndarray) -> np.ndarray:
    """Values in [0, 1] to uint8 0..255, rounded to the nearest."""
    return (values * np.float32(255.0) + np.float32(0.5)).astype(np.uint8)


def make_dsprites(
    n_samples: int | None = None,
    *,
    random_state: Any = None,
    lazy: bool = True,
    variant: str | None = None,
    scream_image: Any = None,
    image_size: int = 64,
) -> GroundTruthDataset:
    """Procedurally rendered dSprites (no download).

    Parameters
    ----------
    n_samples : int, default=None
        ``None``: the whole grid of 737,280 images in canonical order. An int: a
        random subset of that many distinct grid points (in grid order).
    random_state : int, RandomState instance or None, default=None
        Draws the subset.
    lazy : bool, default=True
        If True, images are rendered when indexed (about 0.25 MB per 64 images,
        nothing stored). If False, the images are rendered once and kept in
        memory (3 GB for the whole grid, 9 GB for a variant).
    variant : {None, "color", "noisy", "scream"}, default=None
        ``None``: white sprites on black. Otherwise one of disentanglement_lib's
        RGB variants, drawn as it draws them: ``"color"`` multiplies the sprite
        by a colour drawn uniformly from ``[0.5, 1]^3``; ``"noisy"`` puts the
        white sprite on noise drawn uniformly from ``[0, 1]`` for every pixel
        and channel; ``"scream"`` takes a random 64 x 64 patch of
        ``scream_image``, averages it with a colour drawn uniformly from
        ``[0, 1]^3`` and inverts it (``1 - x``) under the sprite. The random
        draws of an image come from a generator seeded with the seed and the
        image's grid index, so ``ds[i]`` is the same array on every read, in
        any order, and the same factors give the same image in any subset made
        with the same int ``random_state``.
    scream_image : str, path-like, ndarray or None, default=None
        Background of the ``"scream"`` variant. ``None``: a procedurally
        generated texture of swirling orange bands over dark blue
        (:func:`~sklvae.datasets.dsprites.scream_texture`, 274 x 220), a
        stand-in for The Scream, which disentanglement_lib downloads and which
        is not shipped here. A path: an image file (read with Pillow, converted
        to RGB and shrunk to fit 350 x 274 as disentanglement_lib does, e.g.
        The Scream's JPEG). An array: uint8 ``(H, W, 3)`` used as is. Both
        sides must exceed 64 pixels.
    image_size : int, default=64
        Side of the images. Rendered at 64 x 64, then each block of
        ``64 // image_size`` pixels is averaged (a divisor of 64: 32, 16, ...), so
        edges become grey levels. 32 x 32 trains about four times faster and is
        where a beta-TCVAE disentangles posX, posY and scale within minutes on a CPU.

    Returns
    -------
    GroundTruthDataset
        Images ``(n, image_size, image_size)`` uint8, ``{0, 255}`` at 64 x 64
        (variants: ``(n, image_size, image_size, 3)`` uint8); factors ``shape, scale, orientation, posX, posY`` with
        sizes ``(3, 6, 40, 32, 32)``.

    Notes
    -----
    Follows the public description of the real dataset: same factor grid and
    values (orientation ``linspace(0, 2 pi, 40)`` as in the file's
    ``latents_values``, so the first and last orientation coincide), rotation
    about the sprite centre, posY growing downwards. Differences from the real
    images, whose renderer is not public:

    - sprite sizes are chosen by eye: at scale 1 a 20 px square, a 24 x 12 px
      ellipse, a 22 px wide heart;
    - the sprite centre spans pixels 12 to 52 (positions are rounded to whole
      pixels; neighbouring positions are 1.3 px apart, so all 32 stay distinct);
    - the heart is an algebraic curve, not the original polygon, drawn with its
      lobes up at orientation 0;
    - orientation turns the sprite counter-clockwise as displayed; the real
      dataset's direction and the heart's upright pose were not verified.

    The variants draw from numpy's ``Generator`` seeded per image where
    disentanglement_lib draws from one ``RandomState`` per batch: the
    distributions are the same, the values differ, and an image no longer
    changes from one read to the next.
    """
    lazy = check_bool(lazy, "lazy")
    if variant is not None:
        check_choice(variant, "variant", DSPRITES_VARIANTS)
    if scream_image is not None and variant != "scream":
        raise ValueError(
            f"scream_image is the background of variant='scream'; got variant={variant!r}."
        )
    background = _load_scream_image(scream_image) if variant == "scream" else None
    image_size = check_image_size(image_size, _IMAGE_SIZE)
    factor_values = _dsprites_factor_values()
    n_total = int(np.prod(DSPRITES_FACTOR_SIZES))
    rows = sample_grid_rows(n_total, n_samples, random_state)
    renderer: Any = _RENDERER
    image_shape: tuple[int, ...] = (_IMAGE_SIZE, _IMAGE_SIZE)
    name = "dsprites (procedural)"
    if variant is not None:
        # an int seeds the variant itself, so subsets agree with the full grid
        renderer = DSpritesVariantRenderer(variant, seed_of(random_state), background)
        image_shape = (_IMAGE_SIZE, _IMAGE_SIZE, 3)
        name = f"dsprites (procedural, {variant})"
    if image_size != _IMAGE_SIZE:
        renderer = AreaDownsampled(renderer, _IMAGE_SIZE // image_size)
        image_shape = (image_size, image_size, *image_shape[2:])
        name = f"{name[:-1]}, {image_size}x{image_size})"
    dataset = GroundTruthDataset(
        DSPRITES_FACTOR_NAMES,
        DSPRITES_FACTOR_SIZES,
        image_shape,
        factor_values=factor_values,
        renderer=renderer,
        grid_indices=rows,
        name=name,
    )
    if lazy:
        return dataset
    return _materialise(dataset)


def _materialise(dataset: GroundTruthDataset) -> GroundTruthDataset:
    """Render every image once and keep them in memory (same factors)."""
    images = np.empty(dataset.shape, dtype=np.uint8)
    for start in range(0, len(dataset), 4096):
        images[start : start + 4096] = dataset[start : start + 4096]
    return GroundTruthDataset(
        dataset.factor_names,
        dataset.factor_sizes,
        dataset.image_shape,
        factor_values=dataset.factor_values,
        storage=images,
        grid_indices=dataset.grid_indices,
        name=dataset.name,
    )


# --------------------------------------------------------------------------- #
# the real file
# --------------------------------------------------------------------------- #
def fetch_dsprites(
    *,
    data_home: str | Path | None = None,
    download_if_missing: bool = True,
    overwrite: bool = False,
) -> GroundTruthDataset:
    """The real dSprites file ``dsprites_ndarray_co1sh3sc6or40x32y32_64x64.npz``.

    Downloaded once into the data folder (checksum-verified), then read lazily.

    Parameters
    ----------
    data_home : str or path-like, default=None
        Folder holding the file (see :func:`~sklvae.datasets.get_data_home`).
    download_if_missing : bool, default=True
        Download the file from the dSprites repository when it is missing.
    overwrite : bool, default=False
        Download again and replace an existing file.

    Returns
    -------
    GroundTruthDataset
        Images ``(n, 64, 64)`` uint8 in ``{0, 255}``, the five factors of
        :func:`make_dsprites` (the constant colour factor is dropped).

    Notes
    -----
    The ``imgs`` array (737,280 x 64 x 64, 3 GB unpacked) is never loaded whole:
    on first use it is streamed out of the ``.npz`` into a bit-packed cache
    (``sklvae_cache/`` in the data folder, 377 MB) that is memory-mapped; a row
    is unpacked when it is indexed. ``latents_classes`` gives each row's factors,
    so a file holding only part of the grid is read correctly (as a subset).
    """
    home = get_data_home(data_home)
    what = "the dSprites file"
    path = _ensure_file(
        home / DSPRITES_FILENAME,
        DSPRITES_URL,
        DSPRITES_CHECKSUM,
        what,
        download_if_missing,
        overwrite,
    )
    with reading_file(path, what), np.load(path, allow_pickle=False) as npz:
        keys = set(npz.files)
        missing = {"imgs", "latents_classes"} - keys
        if missing:
            raise CorruptDatasetError(
                f"{path} is not the dSprites file: keys {sorted(missing)} are missing "
                f"(found {sorted(keys)})."
            )
        classes = np.asarray(npz["latents_classes"])
    if classes.ndim != 2 or classes.shape[1] not in (5, 6):
        raise CorruptDatasetError(
            f"{path}: latents_classes has shape {classes.shape}, expected (n, 6)."
        )
    if classes.shape[1] == 6:
        classes = classes[:, 1:]  # drop the constant colour factor
    classes = classes.astype(np.int64)
    sizes = np.asarray(DSPRITES_FACTOR_SIZES)
    if (classes < 0).any() or (classes >= sizes).any():
        raise CorruptDatasetError(f"{path}: latents_classes lie outside the dSprites grid.")
    storage = npz_image_storage(
        path,
        "imgs",
        n_rows=classes.shape[0],
        image_shape=(_IMAGE_SIZE, _IMAGE_SIZE),
        cache_dir=home / "sklvae_cache",
        binary=True,
        what=what,
    )
    return GroundTruthDataset(
        DSPRITES_FACTOR_NAMES,
        DSPRITES_FACTOR_SIZES,
        (_IMAGE_SIZE, _IMAGE_SIZE),
        factor_values=_dsprites_factor_values(),
        storage=storage,
        grid_indices=grid_indices_of(classes, DSPRITES_FACTOR_SIZES),
        name="dsprites",
    )
