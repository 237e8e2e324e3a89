"""Tests of GroundTruthDataset and the procedural generators (make_dsprites, make_shapes3d)."""

import colorsys
import pickle

import numpy as np
import pytest
import torch

from sklvae.datasets import (
    GroundTruthDataset,
    make_dsprites,
    make_shapes3d,
)
from sklvae.datasets.shapes3d import hsv_to_rgb

from .conftest import check_misuse, parametrize_misuse, tiny_dataset


def _centroid(image):
    rows, cols = np.nonzero(image)
    return rows.mean(), cols.mean()


# --------------------------------------------------------------------------- #
# dSprites generator
# --------------------------------------------------------------------------- #
def test_dsprites_full_grid_array_like(dsprites):
    assert len(dsprites) == 737_280 == dsprites.n_samples
    assert dsprites.shape == (737_280, 64, 64)
    assert dsprites.dtype == np.uint8 and dsprites.ndim == 3
    assert dsprites.factor_names == ("shape", "scale", "orientation", "posX", "posY")
    assert dsprites.factor_sizes == (3, 6, 40, 32, 32)
    np.testing.assert_allclose(dsprites.factor_values[1], np.linspace(0.5, 1, 6))
    np.testing.assert_allclose(dsprites.factor_values[2][[0, -1]], [0, 2 * np.pi])
    assert dsprites.is_complete
    image = dsprites[123_456]
    assert image.shape == (64, 64) and image.dtype == np.uint8
    assert set(np.unique(image)) == {0, 255}
    assert dsprites[-1].shape == (64, 64)
    assert dsprites[10:14].shape == (4, 64, 64)
    assert dsprites[np.array([5, 1, 5])].shape == (3, 64, 64)
    np.testing.assert_array_equal(dsprites[[5, 1, 5]][0], dsprites[[5, 1, 5]][2])
    assert dsprites[np.array([[1, 2], [3, 4]])].shape == (2, 2, 64, 64)
    assert dsprites[7, 10:20, 5].shape == (10,)
    with pytest.raises(IndexError, match="out of bounds"):
        dsprites[737_280]
    with pytest.raises(IndexError, match="out of bounds"):
        dsprites[[0, 10**7]]


def test_dsprites_does_not_materialise_silently(dsprites):
    with pytest.raises(TypeError, match="iter_batches"):
        np.asarray(dsprites)
    small = make_dsprites(20, random_state=0)
    array = np.asarray(small)
    assert array.shape == (20, 64, 64)
    np.testing.assert_array_equal(array, small[:])


def test_dsprites_index_of_round_trip(dsprites):
    rng = np.random.RandomState(0)
    factors = dsprites.sample_factors(200, rng)
    index = dsprites.index_of(factors)
    np.testing.assert_array_equal(dsprites.factors_of_index(index), factors)
    np.testing.assert_array_equal(dsprites.factors[index], factors)
    np.testing.assert_array_equal(dsprites[index], dsprites.sample_observations(factors))
    # row-major, last factor fastest: row 1 is posY = 1, row 32 is posX = 1
    np.testing.assert_array_equal(dsprites.factors[1], [0, 0, 0, 0, 1])
    np.testing.assert_array_equal(dsprites.factors[32], [0, 0, 0, 1, 0])
    np.testing.assert_array_equal(dsprites.factors[32 * 32 * 40], [0, 1, 0, 0, 0])
    assert dsprites.index_of([2, 5, 39, 31, 31])[0] == 737_279


def test_dsprites_factor_order_matches_images(dsprites):
    base = np.array([0, 5, 0, 16, 16])  # big square, unrotated, centred
    # posX moves the sprite right, posY moves it down, one step >= 1 pixel
    xs = np.repeat(base[None], 32, axis=0)
    xs[:, 3] = np.arange(32)
    cols = [_centroid(im)[1] for im in dsprites.sample_observations(xs)]
    assert np.all(np.diff(cols) >= 1.0) and cols[0] < 16 and cols[-1] > 48
    ys = np.repeat(base[None], 32, axis=0)
    ys[:, 4] = np.arange(32)
    rows = [_centroid(im)[0] for im in dsprites.sample_observations(ys)]
    assert np.all(np.diff(rows) >= 1.0) and rows[0] < 16 and rows[-1] > 48
    # scale grows the area; scale 1 square is 20 x 20 pixels
    scales = np.repeat(base[None], 6, axis=0)
    scales[:, 1] = np.arange(6)
    areas = (dsprites.sample_observations(scales) > 0).sum(axis=(1, 2))
    assert np.all(np.diff(areas) > 0)
    assert areas[-1] == 400
    # orientation turns the square: at 45 degrees its bounding box is wider
    turned = dsprites.sample_observations([[0, 5, 5, 16, 16]])[0]
    assert (
        np.ptp(np.nonzero(turned)[1])
        > np.ptp(np.nonzero(dsprites.sample_observations([base])[0])[1]) + 5
    )
    # the three shapes differ, the ellipse is wider than tall at orientation 0
    shapes = dsprites.sample_observations([[s, 5, 0, 16, 16] for s in range(3)])
    assert len({im.tobytes() for im in shapes}) == 3
    ellipse_rows, ellipse_cols = np.nonzero(shapes[1])
    assert np.ptp(ellipse_cols) > 1.8 * np.ptp(ellipse_rows)
    # the heart has its lobes on top: its upper half is wider than its lower half
    heart_rows, heart_cols = np.nonzero(shapes[2])
    middle = heart_rows.mean()
    assert np.ptp(heart_cols[heart_rows < middle - 3]) > np.ptp(heart_cols[heart_rows > middle + 3])
    # positions are symmetric about the canvas centre (pixel 31.5)
    np.testing.assert_allclose(np.add(cols, cols[::-1]), 63.0, atol=1.0)
    np.testing.assert_allclose(np.add(rows, rows[::-1]), 63.0, atol=1.0)


def test_dsprites_subset_is_same_class_with_its_rows(dsprites):
    subset = make_dsprites(500, random_state=3)
    again = make_dsprites(500, random_state=3)
    assert isinstance(subset, GroundTruthDataset) and len(subset) == 500
    grid = subset.grid_indices
    np.testing.assert_array_equal(grid, again.grid_indices)
    assert np.all(np.diff(grid) > 0)
    np.testing.assert_array_equal(subset[:20], dsprites[grid[:20]])
    np.testing.assert_array_equal(subset.factors, dsprites.factors[grid])
    # a subset of a generator can still show any combination
    assert subset.is_complete
    eager = make_dsprites(50, random_state=1, lazy=False)
    np.testing.assert_array_equal(eager[:], make_dsprites(50, random_state=1)[:])
    rows = subset.subset([3, 1])
    np.testing.assert_array_equal(rows[:], subset[[3, 1]])
    with pytest.raises(ValueError, match="n_samples"):
        make_dsprites(0)


# --------------------------------------------------------------------------- #
# dSprites variants (disentanglement_lib's color, noisy, scream)
# --------------------------------------------------------------------------- #
VARIANTS = ("color", "noisy", "scream")
# rows of the full grid read in the tests: both ends, the middle, neighbours
ROWS = np.array([0, 1, 2, 33, 368_640, 737_279])


@pytest.mark.parametrize("variant", VARIANTS)
def test_dsprites_variant_same_image_on_every_read(dsprites, variant):
    ds = make_dsprites(random_state=7, variant=variant)
    assert ds.shape == (737_280, 64, 64, 3) and ds.dtype == np.uint8
    # the factor grid is unchanged
    assert ds.factor_names == dsprites.factor_names
    assert ds.factor_sizes == dsprites.factor_sizes
    for ours, plain in zip(ds.factor_values, dsprites.factor_values):
        np.testing.assert_array_equal(ours, plain)
    np.testing.assert_array_equal(ds.factors[ROWS], dsprites.factors[ROWS])
    first = ds[ROWS]
    assert len({image.tobytes() for image in first}) == len(ROWS)  # random parts differ
    np.testing.assert_array_equal(ds[ROWS], first)  # the same on a second read
    shuffled = np.array([5, 2, 0, 4, 1, 3, 2])
    np.testing.assert_array_equal(ds[ROWS[shuffled]], first[shuffled])  # in any order
    for i, row in enumerate(ROWS):
        np.testing.assert_array_equal(ds[int(row)], first[i])  # one at a time
    np.testing.assert_array_equal(ds.sample_observations(ds.factors[ROWS]), first)
    again = make_dsprites(random_state=7, variant=variant)
    np.testing.assert_array_equal(again[ROWS], first)  # the same seed, a new dataset
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(ds))[ROWS], first)
    other_seed = make_dsprites(random_state=8, variant=variant)[ROWS]
    assert not any(np.array_equal(a, b) for a, b in zip(other_seed, first))
    # a subset with the same int seed shows the same images for the same factors
    subset = make_dsprites(30, random_state=7, variant=variant)
    np.testing.assert_array_equal(subset[:], ds[subset.grid_indices])
    eager = make_dsprites(30, random_state=7, variant=variant, lazy=False)
    np.testing.assert_array_equal(eager[:], subset[:])
    # a RandomState draws the seed: one fixed dataset, reproducible from the state
    drawn = make_dsprites(random_state=np.random.RandomState(3), variant=variant)
    np.testing.assert_array_equal(drawn[ROWS], drawn[ROWS])
    redrawn = make_dsprites(random_state=np.random.RandomState(3), variant=variant)
    np.testing.assert_array_equal(redrawn[ROWS], drawn[ROWS])


def test_dsprites_variants_paint_the_sprite_as_dlib(dsprites):
    masks = dsprites[ROWS] > 0
    color = make_dsprites(random_state=0, variant="color")[ROWS].astype(int)
    for image, mask in zip(color, masks):
        assert not image[~mask].any()  # black background
        sprite = image[mask]  # one colour, each channel in [0.5, 1] * 255
        assert (sprite == sprite[0]).all() and sprite.min() >= 127
    noisy = make_dsprites(random_state=0, variant="noisy")[ROWS]
    for image, mask in zip(noisy, masks):
        assert (image[mask] == 255).all()  # a white sprite
        background = image[~mask].astype(float) / 255
        assert 0.4 < background.mean() < 0.6 and background.std() > 0.25  # uniform noise
    # scream on a flat background: outside the sprite (grey + tint) / 2, inside inverted
    flat = np.full((100, 90, 3), 100, np.uint8)
    scream = make_dsprites(random_state=0, variant="scream", scream_image=flat)[ROWS].astype(int)
    for image, mask in zip(scream, masks):
        outside = image[~mask]
        assert (outside == outside[0]).all()
        assert np.all(np.abs(image[mask] - (255 - outside[0])) <= 1)
    # the default background is a texture: patches of it differ within an image
    textured = make_dsprites(random_state=0, variant="scream")[ROWS]
    assert all(image[~mask].std() > 5 for image, mask in zip(textured, masks))


def test_dsprites_scream_image_from_a_file(tmp_path, dsprites):
    image_module = pytest.importorskip("PIL.Image")
    rng = np.random.RandomState(0)
    painting = rng.randint(0, 256, size=(548, 700, 3)).astype(np.uint8)  # H x W
    image_module.fromarray(painting).save(tmp_path / "scream.png")
    from_file = make_dsprites(
        random_state=0, variant="scream", scream_image=tmp_path / "scream.png"
    )
    # shrunk to fit 350 x 274 as disentanglement_lib does: the renderer holds 274 x 350
    assert from_file._renderer.background.shape == (274, 350, 3)
    assert from_file[ROWS].shape == (len(ROWS), 64, 64, 3)
    (tmp_path / "broken.png").write_bytes(b"not an image")
    with pytest.raises(ValueError, match=r"Cannot read scream_image .*broken\.png"):
        make_dsprites(variant="scream", scream_image=str(tmp_path / "broken.png"))


def test_iter_batches_covers_everything_once():
    ds = make_dsprites(1000, random_state=0)
    seen = []
    for images, factors in ds.iter_batches(256, return_factors=True):
        assert images.shape[1:] == (64, 64) and len(images) <= 256
        seen.append(factors)
    np.testing.assert_array_equal(np.concatenate(seen), ds.factors)
    assert sum(1 for _ in ds) == 1000


def test_sample_factors_and_fixed_factor_batch(dsprites):
    a = dsprites.sample_factors(1000, 7)
    np.testing.assert_array_equal(a, dsprites.sample_factors(1000, 7))
    assert a.shape == (1000, 5) and a.dtype == np.int64
    assert np.all(a.min(axis=0) == 0) and np.all(
        a.max(axis=0) == np.array(dsprites.factor_sizes) - 1
    )
    for k in range(5):
        batch = dsprites.sample_fixed_factor_batch(k, 64, random_state=k)
        assert batch.shape == (64, 5)
        assert np.unique(batch[:, k]).size == 1
        others = np.delete(batch, k, axis=1)
        assert all(np.unique(col).size > 1 for col in others.T)
    with pytest.raises(ValueError, match="factor_index"):
        dsprites.sample_fixed_factor_batch(5, 10)
    factors, images = dsprites.sample(5, random_state=0)
    np.testing.assert_array_equal(images, dsprites.sample_observations(factors))


def test_bad_factors_are_named(dsprites):
    with pytest.raises(ValueError, match="posY"):
        dsprites.sample_observations([[0, 0, 0, 0, 32]])
    with pytest.raises(ValueError, match=r"shape \(n, 5\)"):
        dsprites.index_of(np.zeros((3, 4), dtype=int))
    with pytest.raises(ValueError, match="integer class"):
        dsprites.index_of([[0.5, 0, 0, 0, 0]])


def test_incomplete_dataset_samples_rows_present():
    images = np.arange(6 * 4, dtype=np.uint8).reshape(6, 2, 2)
    ds = GroundTruthDataset(
        ["a", "b"], [3, 4], (2, 2), storage=images, grid_indices=[0, 5, 6, 7, 11, 2]
    )
    assert not ds.is_complete
    np.testing.assert_array_equal(ds.factors[1], [1, 1])
    np.testing.assert_array_equal(ds.sample_observations([[1, 3], [0, 0]]), images[[3, 0]])
    with pytest.raises(ValueError, match=r"holds no image for factor classes \[\[0, 1\]\]"):
        ds.sample_observations([[0, 1]])
    present = set(map(tuple, ds.factors.tolist()))
    assert set(map(tuple, ds.sample_factors(100, 0).tolist())) <= present
    batch = ds.sample_fixed_factor_batch(0, 20, random_state=0)
    assert np.unique(batch[:, 0]).size == 1 and set(map(tuple, batch.tolist())) <= present
    with pytest.raises(ValueError, match="exactly one"):
        GroundTruthDataset(["a"], [2], (2, 2))


def test_dataset_pickles_and_is_accepted_as_X():
    from sklvae._validation import ImageDataset, check_input

    ds = make_dsprites(64, random_state=0)
    clone = pickle.loads(pickle.dumps(ds))
    np.testing.assert_array_equal(clone[:8], ds[:8])
    assert len(pickle.dumps(make_dsprites())) < 100_000  # nothing rendered travels
    X, spec = check_input(ds)
    assert X is ds and spec.module_shape == (1, 64, 64) and spec.uint8
    batch, _ = ImageDataset(X, spec).__getitems__([5, 2, 5])
    # batches stay uint8 in the native layout until the net moves them to the device
    assert tuple(batch.shape) == (3, 64, 64) and batch.dtype == torch.uint8
    assert int(batch.max()) == 255


# --------------------------------------------------------------------------- #
# 3D Shapes generator
# --------------------------------------------------------------------------- #
def _hue(pixel):
    return colorsys.rgb_to_hsv(*(np.asarray(pixel, dtype=float) / 255.0))[0]


def _hue_distance(a, b):
    d = abs(a - b) % 1.0
    return min(d, 1.0 - d)


def test_shapes3d_grid_and_layout(shapes3d):
    assert len(shapes3d) == 480_000 and shapes3d.shape == (480_000, 64, 64, 3)
    assert shapes3d.factor_names == (
        "floor_hue",
        "wall_hue",
        "object_hue",
        "scale",
        "shape",
        "orientation",
    )
    assert shapes3d.factor_sizes == (10, 10, 10, 8, 4, 15)
    np.testing.assert_allclose(shapes3d.factor_values[0], np.linspace(0, 0.9, 10))
    np.testing.assert_allclose(shapes3d.factor_values[3], np.linspace(0.75, 1.25, 8))
    np.testing.assert_allclose(shapes3d.factor_values[5], np.linspace(-30, 30, 15))
    image = shapes3d[0]
    assert image.shape == (64, 64, 3) and image.dtype == np.uint8
    rng = np.random.RandomState(1)
    factors = shapes3d.sample_factors(50, rng)
    np.testing.assert_array_equal(
        shapes3d[shapes3d.index_of(factors)], shapes3d.sample_observations(factors)
    )
    np.testing.assert_array_equal(shapes3d.factors_of_index(shapes3d.index_of(factors)), factors)
    np.testing.assert_array_equal(shapes3d.factors[1], [0, 0, 0, 0, 0, 1])


def test_hsv_to_rgb_full_saturation():
    for hue in np.linspace(0, 0.9, 10):
        expected = colorsys.hsv_to_rgb(hue, 1.0, 1.0)
        np.testing.assert_allclose(hsv_to_rgb(hue), expected, atol=1e-12)


def test_shapes3d_factor_order_matches_images(shapes3d):
    # floor (bottom centre-left), wall (top left) and object (centre) show their hues
    factors = np.array([[2, 5, 8, 7, 0, 7], [7, 0, 3, 7, 2, 7], [0, 9, 5, 7, 1, 7]])
    images = shapes3d.sample_observations(factors)
    hues = shapes3d.factor_values[0]
    for image, f in zip(images, factors):
        assert _hue_distance(_hue(image[62, 3]), hues[f[0]]) < 0.02
        assert _hue_distance(_hue(image[2, 20]), hues[f[1]]) < 0.02
        assert _hue_distance(_hue(image[34, 32]), hues[f[2]]) < 0.02

    def object_area(f):
        image = shapes3d.sample_observations([f])[0].reshape(-1, 3)
        return sum(_hue_distance(_hue(p), hues[f[2]]) < 0.02 and p.max() > 40 for p in image)

    # scale grows the object
    areas = [object_area([0, 3, 6, s, 0, 7]) for s in (0, 4, 7)]
    assert areas[0] < areas[1] < areas[2]
    # shape and orientation change the image; hues leave the geometry alone
    by_shape = shapes3d.sample_observations([[0, 3, 6, 7, s, 7] for s in range(4)])
    assert len({im.tobytes() for im in by_shape}) == 4
    sphere = shapes3d.sample_observations([[0, 3, 6, 7, 2, o] for o in (0, 14)])
    assert np.abs(sphere[0].astype(int) - sphere[1]).mean() > 5  # the camera turns
    cube = shapes3d.sample_observations([[0, 3, 6, 7, 0, 7], [4, 3, 6, 7, 0, 7]])
    changed = np.any(cube[0] != cube[1], axis=-1)
    assert changed[60:].mean() > 0.5 and changed[:5].mean() == 0  # floor only


def test_shapes3d_subset_and_batches():
    ds = make_shapes3d(40, random_state=0)
    assert len(ds) == 40 and ds.is_complete
    full = make_shapes3d()
    np.testing.assert_array_equal(ds[:10], full[ds.grid_indices[:10]])
    total = sum(len(b) for b in ds.iter_batches(16))
    assert total == 40


# misuse: (id, call(ctx), exception, pattern); ctx has .dsprites, .stored, .file, .folder
@pytest.mark.parametrize("variant", [None, "color"])
def test_dsprites_image_size_averages_blocks_of_the_64_pixel_render(variant):
    rows = np.array([0, 70_001, 500_123, 737_279])
    full = make_dsprites(variant=variant, random_state=0)
    small = make_dsprites(variant=variant, random_state=0, image_size=32)
    assert small.shape[1:3] == (32, 32) and small.factor_sizes == full.factor_sizes
    big = full[rows].astype(np.float64)
    if variant is None:
        big = big[..., None]
    means = big.reshape(4, 32, 2, 32, 2, -1).mean(axis=(2, 4))
    expected = np.rint(means).astype(np.uint8)
    np.testing.assert_array_equal(small[rows], expected if variant else expected[..., 0])
    # grey edges: an averaged sprite is not binary any more
    assert len(np.unique(small[rows])) > 2


def test_shapes3d_image_size_and_uint8_block_means_round_as_the_float_mean():
    from sklvae.datasets._resize import area_downsample

    small = make_shapes3d(6, random_state=0, image_size=16)
    assert small.shape == (6, 16, 16, 3) and small.dtype == np.uint8
    images = np.random.RandomState(0).randint(0, 256, (5, 64, 64, 3)).astype(np.uint8)
    for factor in (2, 4, 8, 16):  # the uint16-sum path against the float64 mean
        blocks = images.reshape(5, 64 // factor, factor, 64 // factor, factor, 3)
        expected = np.rint(blocks.mean(axis=(2, 4), dtype=np.float64)).astype(np.uint8)
        np.testing.assert_array_equal(area_downsample(images, factor), expected)


MISUSE = [
    (
        "dsprites-image-size-not-a-divisor",
        lambda c: make_dsprites(image_size=48),
        ValueError,
        r"image_size must divide the rendered size 64; got 48\. Choose one of \[64, 32, 16",
    ),
    (
        "shapes3d-image-size-float",
        lambda c: make_shapes3d(image_size=32.0),
        TypeError,
        r"image_size must be an integer, got 32\.0",
    ),
    (
        "dsprites-n-float",
        lambda c: make_dsprites(2.5),
        TypeError,
        r"n_samples must be an integer or None, got 2\.5",
    ),
    (
        "dsprites-n-whole-float",
        lambda c: make_dsprites(10.0),
        TypeError,
        r"n_samples must be an integer",
    ),
    ("dsprites-n-str", lambda c: make_dsprites("10"), TypeError, r"n_samples must be an integer"),
    ("dsprites-n-bool", lambda c: make_dsprites(True), TypeError, r"n_samples must be an integer"),
    (
        "dsprites-n-zero",
        lambda c: make_dsprites(0),
        ValueError,
        r"n_samples must be in \[1, 737280\], got 0",
    ),
    (
        "dsprites-n-too-many",
        lambda c: make_dsprites(10**7),
        ValueError,
        r"n_samples must be in \[1, 737280\]",
    ),
    (
        "dsprites-rs-str",
        lambda c: make_dsprites(5, random_state="abc"),
        TypeError,
        r"random_state must be None, an int seed",
    ),
    (
        "dsprites-rs-float",
        lambda c: make_dsprites(5, random_state=0.5),
        TypeError,
        r"random_state must be None",
    ),
    (
        "dsprites-rs-negative",
        lambda c: make_dsprites(5, random_state=-1),
        ValueError,
        r"random_state must be in \[0, 2\*\*32\)",
    ),
    (
        "dsprites-rs-bad-even-without-n",
        lambda c: make_dsprites(random_state="abc"),
        TypeError,
        r"random_state",
    ),
    (
        "dsprites-lazy-str",
        lambda c: make_dsprites(5, lazy="yes"),
        TypeError,
        r"lazy must be True or False",
    ),
    ("shapes3d-n-float", lambda c: make_shapes3d(1.5), TypeError, r"n_samples must be an integer"),
    (
        "shapes3d-n-negative",
        lambda c: make_shapes3d(-3),
        ValueError,
        r"n_samples must be in \[1, 480000\]",
    ),
    (
        "shapes3d-rs-list",
        lambda c: make_shapes3d(3, random_state=[1, 2]),
        TypeError,
        r"random_state",
    ),
    (
        "index-of-wrong-factor-count",
        lambda c: c.dsprites.index_of([[0, 0, 0]]),
        ValueError,
        r"factors must have shape \(n, 5\) .*got \(1, 3\)",
    ),
    (
        "index-of-out-of-range",
        lambda c: c.dsprites.index_of([[3, 0, 0, 0, 0]]),
        ValueError,
        r"factor 'shape' has classes outside \[0, 3\): \[3\]",
    ),
    (
        "index-of-negative",
        lambda c: c.dsprites.index_of([[0, 0, 0, 0, -1]]),
        ValueError,
        r"factor 'posY' has classes outside \[0, 32\)",
    ),
    (
        "index-of-fraction",
        lambda c: c.dsprites.index_of([[0.5, 0, 0, 0, 0]]),
        ValueError,
        r"factors must be integer class indices",
    ),
    (
        "index-of-str",
        lambda c: c.dsprites.index_of([["a"] * 5]),
        TypeError,
        r"factors must be integer class indices, got dtype <U1",
    ),
    (
        "factors-of-index-negative",
        lambda c: c.dsprites.factors_of_index([-1]),
        ValueError,
        r"grid indices must be in \[0, 737280\)",
    ),
    (
        "factors-of-index-too-large",
        lambda c: c.dsprites.factors_of_index([737_280]),
        ValueError,
        r"grid indices must be in \[0, 737280\), got \[737280\]",
    ),
    (
        "factors-of-index-fraction",
        lambda c: c.dsprites.factors_of_index([1.5]),
        ValueError,
        r"grid indices must hold integers",
    ),
    (
        "values-of-wrong-shape",
        lambda c: c.dsprites.values_of([1, 2]),
        ValueError,
        r"factors must have shape \(n, 5\)",
    ),
    (
        "sample-observations-out-of-range",
        lambda c: c.dsprites.sample_observations([[0, 6, 0, 0, 0]]),
        ValueError,
        r"factor 'scale' has classes outside \[0, 6\)",
    ),
    (
        "sample-observations-missing-row",
        lambda c: c.stored.sample_observations([[0, 0, 1]]),
        ValueError,
        r"holds no image for factor classes \[\[0, 0, 1\]\]",
    ),
    (
        "sample-factors-zero",
        lambda c: c.dsprites.sample_factors(0),
        ValueError,
        r"n must be >= 1, got 0",
    ),
    (
        "sample-factors-negative",
        lambda c: c.stored.sample_factors(-2),
        ValueError,
        r"n must be >= 1, got -2",
    ),
    (
        "sample-factors-float",
        lambda c: c.dsprites.sample_factors(2.5),
        TypeError,
        r"n must be an integer, got 2\.5",
    ),
    (
        "sample-factors-rs-str",
        lambda c: c.dsprites.sample_factors(5, random_state="seed"),
        TypeError,
        r"random_state must be None",
    ),
    ("sample-float", lambda c: c.dsprites.sample(2.0), TypeError, r"n must be an integer"),
    (
        "fixed-factor-index-too-large",
        lambda c: c.dsprites.sample_fixed_factor_batch(5, 10),
        ValueError,
        r"factor_index must be in \[0, 4\], got 5",
    ),
    (
        "fixed-factor-index-float",
        lambda c: c.dsprites.sample_fixed_factor_batch(1.0, 10),
        TypeError,
        r"factor_index must be an integer",
    ),
    (
        "fixed-factor-batch-zero",
        lambda c: c.dsprites.sample_fixed_factor_batch(1, 0),
        ValueError,
        r"batch_size must be >= 1",
    ),
    (
        "fixed-factor-batch-float",
        lambda c: c.stored.sample_fixed_factor_batch(1, 2.5),
        TypeError,
        r"batch_size must be an integer",
    ),
    (
        "fixed-factor-rs-str",
        lambda c: c.dsprites.sample_fixed_factor_batch(1, 4, random_state="x"),
        TypeError,
        r"random_state",
    ),
    (
        "subset-row-out-of-range",
        lambda c: c.stored.subset([0, 6]),
        ValueError,
        r"subset rows: index \[6\] is out of bounds for a dataset of 6 images",
    ),
    (
        "subset-row-float",
        lambda c: c.stored.subset([0.5]),
        TypeError,
        r"subset rows: only integers, slices",
    ),
    (
        "subset-mask-length",
        lambda c: c.stored.subset(np.ones(5, bool)),
        ValueError,
        r"boolean index has shape \(5,\), expected \(6,\)",
    ),
    ("subset-empty", lambda c: c.stored.subset([]), ValueError, r"subset rows select no image"),
    (
        "getitem-out-of-range",
        lambda c: c.stored[[0, 6]],
        IndexError,
        r"out of bounds for a dataset of 6 images",
    ),
    ("getitem-float", lambda c: c.stored[[0.5]], IndexError, r"only integers, slices"),
    (
        "iter-batches-zero",
        lambda c: next(c.stored.iter_batches(0)),
        ValueError,
        r"batch_size must be >= 1",
    ),
    (
        "iter-batches-float",
        lambda c: next(c.stored.iter_batches(1.5)),
        TypeError,
        r"batch_size must be an integer",
    ),
    (
        "dataset-size-zero",
        lambda c: tiny_dataset(factor_sizes=(2, 0)),
        ValueError,
        r"factor_sizes\[1\] must be >= 1, got 0",
    ),
    (
        "dataset-size-float",
        lambda c: tiny_dataset(factor_sizes=(2, 2.5)),
        TypeError,
        r"factor_sizes\[1\] must be an integer",
    ),
    (
        "dataset-names-sizes",
        lambda c: tiny_dataset(factor_names=("a",)),
        ValueError,
        r"factor_names has 1 entries but factor_sizes has 2",
    ),
    (
        "dataset-values-shape",
        lambda c: tiny_dataset(factor_values=[[0, 1], [0, 1]]),
        ValueError,
        r"factor_values for 'b' has shape \(2,\), expected \(3,\)",
    ),
    (
        "dataset-image-shape",
        lambda c: tiny_dataset(image_shape=(2, 0)),
        ValueError,
        r"image_shape entries must be >= 1",
    ),
    (
        "dataset-renderer-and-storage",
        lambda c: tiny_dataset(renderer=lambda f: f),
        ValueError,
        r"exactly one of `renderer` and `storage`",
    ),
    (
        "dsprites-variant-unknown",
        lambda c: make_dsprites(5, variant="rainbow"),
        ValueError,
        r"variant must be one of \('color', 'noisy', 'scream'\), got 'rainbow'",
    ),
    (
        "dsprites-variant-int",
        lambda c: make_dsprites(5, variant=1),
        ValueError,
        r"variant must be one of \('color', 'noisy', 'scream'\), got 1",
    ),
    (
        "dsprites-scream-image-without-scream",
        lambda c: make_dsprites(5, variant="color", scream_image=np.zeros((90, 90, 3), np.uint8)),
        ValueError,
        r"scream_image is the background of variant='scream'; got variant='color'",
    ),
    (
        "dsprites-scream-image-small",
        lambda c: make_dsprites(5, variant="scream", scream_image=np.zeros((64, 90, 3), np.uint8)),
        ValueError,
        r"scream_image must be an RGB image larger than 64 x 64 .* got shape \(64, 90, 3\)",
    ),
    (
        "dsprites-scream-image-gray",
        lambda c: make_dsprites(5, variant="scream", scream_image=np.zeros((90, 90), np.uint8)),
        ValueError,
        r"scream_image must be an RGB image .* got shape \(90, 90\)",
    ),
    (
        "dsprites-scream-image-float",
        lambda c: make_dsprites(5, variant="scream", scream_image=np.zeros((90, 90, 3))),
        TypeError,
        r"scream_image must be a uint8 array \(H, W, 3\) or an image file, got .* float64",
    ),
    (
        "dsprites-scream-image-int",
        lambda c: make_dsprites(5, variant="scream", scream_image=5),
        TypeError,
        r"scream_image must be None, a path to an image file or a uint8 array",
    ),
    (
        "dsprites-scream-image-missing-file",
        lambda c: make_dsprites(5, variant="scream", scream_image=c.folder / "none.jpg"),
        ValueError,
        r"Cannot read scream_image .*none\.jpg",
    ),
    (
        "dsprites-variant-random-state",
        lambda c: make_dsprites(variant="noisy", random_state="abc"),
        TypeError,
        r"random_state must be None, an int seed or a numpy.random.RandomState",
    ),
    (
        "dataset-grid-indices",
        lambda c: tiny_dataset(grid_indices=[0, 6]),
        ValueError,
        r"grid_indices must be in \[0, 6\)",
    ),
    (
        "dataset-storage-rows",
        lambda c: tiny_dataset(storage_rows=[0, 1]),
        ValueError,
        r"storage_rows has 2 entries for 6 rows",
    ),
]


@parametrize_misuse(MISUSE)
def test_misuse_raises_clear_error(call, error, pattern, misuse_context, fake_network):
    check_misuse(call, error, pattern, misuse_context, fake_network)
