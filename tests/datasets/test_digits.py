"""Rotated digits, MNIST through the OpenML cache (no network), group pairs, plot_factor_grid."""

import urllib.error

import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.utils import Bunch

from sklvae.datasets import (
    DatasetNotFoundError,
    fetch_mnist,
    make_dsprites,
    make_group_pairs,
    make_rotated_digits,
)
from sklvae.datasets import digits as digits_module

from .conftest import check_misuse, parametrize_misuse


def test_make_rotated_digits_applies_the_returned_rotation():
    images, labels, elements = make_rotated_digits(60, upsample=2, random_state=0)
    assert images.shape == (60, 16, 16) and images.dtype == np.uint8
    assert labels.dtype == np.int64 and set(labels) <= set(range(10))
    assert set(elements) == {0, 1, 2, 3}
    originals = np.rint(load_digits().images * (255 / 16)).astype(np.uint8)
    originals = originals.repeat(2, axis=1).repeat(2, axis=2)
    by_bytes = {}
    for image, label in zip(originals, load_digits().target):
        by_bytes.setdefault(image.tobytes(), set()).add(label)
    for image, label, k in zip(images, labels, elements):
        undone = np.ascontiguousarray(np.rot90(image, -k))
        assert label in by_bytes[undone.tobytes()]
    again = make_rotated_digits(60, upsample=2, random_state=0)
    np.testing.assert_array_equal(again[0], images)
    all_digits, _, _ = make_rotated_digits(random_state=0)
    assert all_digits.shape == (1797, 8, 8)
    assert make_rotated_digits(2000, random_state=0)[0].shape == (2000, 8, 8)
    flips = make_rotated_digits(10, group="c2", random_state=0)[2]
    assert set(flips) <= {0, 1}
    with pytest.raises(ValueError, match="upsample"):
        make_rotated_digits(5, upsample=0)
    with pytest.raises(ValueError, match="2 axes"):
        make_rotated_digits(5, group="cube")


def test_fetch_mnist_offline_error(monkeypatch, tmp_path):
    def offline(*args, **kwargs):
        raise urllib.error.URLError("no network (test)")

    monkeypatch.setattr(digits_module, "fetch_openml", offline)
    with pytest.raises(DatasetNotFoundError) as info:
        fetch_mnist(data_home=tmp_path)
    assert str(tmp_path / "openml") in str(info.value)
    assert "fetch_openml('mnist_784'" in str(info.value)


def test_fetch_mnist_from_cache(monkeypatch, tmp_path):
    calls = {}

    def cached(name, **kwargs):
        calls.update(kwargs, name=name)
        data = np.zeros((3, 784))
        data[1, 0] = 255.0
        return Bunch(data=data, target=np.array(["5", "0", "4"], dtype=object))

    monkeypatch.setattr(digits_module, "fetch_openml", cached)
    images, labels = fetch_mnist(data_home=tmp_path)
    assert calls["name"] == "mnist_784" and calls["data_home"] == str(tmp_path)
    assert calls["as_frame"] is False
    assert images.shape == (3, 28, 28) and images.dtype == np.uint8 and images[1, 0, 0] == 255
    np.testing.assert_array_equal(labels, [5, 0, 4])


def test_make_group_pairs_c4_c2_d4_images():
    rng = np.random.RandomState(0)
    x = rng.randint(0, 256, size=(4, 5, 5, 3)).astype(np.uint8)  # NHWC
    x0, gx, g = make_group_pairs(x, "c4", elements=[0, 1, 2, 3])
    np.testing.assert_array_equal(x0, x)
    for i in range(4):
        np.testing.assert_array_equal(gx[i], np.rot90(x[i], i, axes=(0, 1)))
    _, gx, _ = make_group_pairs(x, "c2", elements=[1, 0, 1, 0])
    np.testing.assert_array_equal(gx[0], x[0][:, ::-1])
    np.testing.assert_array_equal(gx[1], x[1])
    _, gx, g = make_group_pairs(x, "d4", random_state=1)
    assert g.shape == (4,) and g.max() < 8
    # channels-first images through `axes`
    nchw = np.moveaxis(x, -1, 1)
    _, gx_first, _ = make_group_pairs(nchw, "c4", elements=[1, 1, 1, 1], axes=(2, 3))
    _, gx_last, _ = make_group_pairs(x, "c4", elements=[1, 1, 1, 1])
    np.testing.assert_array_equal(np.moveaxis(gx_first, 1, -1), gx_last)
    with pytest.raises(ValueError, match="entries"):
        make_group_pairs(x, "c4", elements=[0, 1])


def test_make_group_pairs_cube_volumes_and_datasets():
    volumes = np.random.RandomState(0).rand(24, 4, 4, 4)
    x, gx, g = make_group_pairs(volumes, "cube", elements=np.arange(24))
    assert len({v.tobytes() for v in gx}) == 24  # 24 distinct rotations
    np.testing.assert_array_equal(gx[0], volumes[0])
    np.testing.assert_allclose(np.sort(gx.reshape(24, -1)), np.sort(x.reshape(24, -1)))
    ds = make_dsprites(6, random_state=0)
    x, gx, g = make_group_pairs(ds, "c4", random_state=0)
    np.testing.assert_array_equal(x, ds[:])
    for i in range(6):
        np.testing.assert_array_equal(gx[i], np.rot90(x[i], g[i]))


def test_plot_factor_grid():
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    from sklvae.plotting import plot_factor_grid

    ds = make_dsprites()
    fig = plot_factor_grid(ds, n_samples=10, n_cols=4, random_state=0)
    axes = fig.axes
    assert len(axes) == 12 and sum(ax.has_data() for ax in axes) == 10
    title = axes[0].get_title()
    assert all(name in title for name in ds.factor_names)
    factors = ds.sample_factors(10, 0)
    assert f"posY={ds.factor_values[4][factors[0, 4]]:.3g}" in title
    fig2 = plot_factor_grid(ds[:3], factors=ds.factors[:3], factor_names="abcde")
    assert "a=0" in fig2.axes[0].get_title()
    with pytest.raises(ValueError, match="factors are required"):
        plot_factor_grid(ds[:3])
    matplotlib.pyplot.close("all")


# misuse: (id, call(ctx), exception, pattern); ctx has .dsprites, .stored, .file, .folder
MISUSE = [
    (
        "digits-n-float",
        lambda c: make_rotated_digits(3.7),
        TypeError,
        r"n_samples must be an integer",
    ),
    ("digits-n-zero", lambda c: make_rotated_digits(0), ValueError, r"n_samples must be >= 1"),
    (
        "digits-upsample-zero",
        lambda c: make_rotated_digits(5, upsample=0),
        ValueError,
        r"upsample must be >= 1",
    ),
    (
        "digits-upsample-float",
        lambda c: make_rotated_digits(5, upsample=1.5),
        TypeError,
        r"upsample must be an integer",
    ),
    (
        "digits-group-unknown",
        lambda c: make_rotated_digits(5, group="c5"),
        ValueError,
        r"group must be one of",
    ),
    (
        "digits-group-3d",
        lambda c: make_rotated_digits(5, group="cube"),
        ValueError,
        r"group must act on images",
    ),
    (
        "digits-rs-str",
        lambda c: make_rotated_digits(5, random_state="x"),
        TypeError,
        r"random_state",
    ),
    (
        "pairs-element-out-of-group",
        lambda c: make_group_pairs(np.zeros((2, 4, 4)), "c4", elements=[0, 4]),
        ValueError,
        r"elements must be in \[0, 4\)",
    ),
    (
        "pairs-element-negative",
        lambda c: make_group_pairs(np.zeros((2, 4, 4)), "c4", elements=[-1, 0]),
        ValueError,
        r"elements must be in",
    ),
    (
        "pairs-element-fraction",
        lambda c: make_group_pairs(np.zeros((2, 4, 4)), "c4", elements=[0.5, 1]),
        ValueError,
        r"elements must hold integers",
    ),
    (
        "pairs-element-str",
        lambda c: make_group_pairs(np.zeros((2, 4, 4)), "c4", elements=["a", "b"]),
        TypeError,
        r"elements must hold integers",
    ),
    (
        "pairs-elements-length",
        lambda c: make_group_pairs(np.zeros((2, 4, 4)), "c4", elements=[0]),
        ValueError,
        r"elements has 1 entries for 2 images",
    ),
    (
        "pairs-axes-count",
        lambda c: make_group_pairs(np.zeros((2, 4, 4)), "c4", axes=(1,)),
        ValueError,
        r"acts on 2 axes",
    ),
    (
        "pairs-too-few-dims",
        lambda c: make_group_pairs(np.zeros((4, 4)), "c4"),
        ValueError,
        r"sample axis and 2 spatial axes",
    ),
    (
        "pairs-rs-str",
        lambda c: make_group_pairs(np.zeros((2, 4, 4)), "c4", random_state="x"),
        TypeError,
        r"random_state",
    ),
    (
        "mnist-data-home-is-file",
        lambda c: fetch_mnist(data_home=c.file),
        ValueError,
        r"is a file, not a folder",
    ),
    (
        "mnist-retries-negative",
        lambda c: fetch_mnist(data_home=c.folder, n_retries=-1),
        ValueError,
        r"n_retries must be >= 0",
    ),
    (
        "mnist-retries-float",
        lambda c: fetch_mnist(data_home=c.folder, n_retries=1.5),
        TypeError,
        r"n_retries must be an integer",
    ),
]


@parametrize_misuse(MISUSE)
def test_misuse_raises_clear_error(call, error, pattern, misuse_context, fake_network):
    check_misuse(call, error, pattern, misuse_context, fake_network)
