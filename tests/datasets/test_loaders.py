"""Loaders of the canonical files (tiny files written here), downloads, data_home.

No test touches the network: pooch's downloader is replaced by a fake (conftest).
"""

import hashlib
import io
import tarfile
from pathlib import Path

import h5py
import numpy as np
import pytest
from scipy.io import savemat

from sklvae.datasets import (
    CorruptDatasetError,
    DatasetNotFoundError,
    _storage,
    cars3d,
    dsprites,
    fetch_cars3d,
    fetch_dsprites,
    fetch_falcor3d,
    fetch_isaac3d,
    fetch_mpi3d,
    fetch_shapes3d,
    fetch_smallnorb,
    get_data_home,
    make_dsprites,
    make_shapes3d,
    mpi3d,
)
from sklvae.datasets.cars3d import area_downsample

from .conftest import check_misuse, parametrize_misuse


@pytest.fixture(autouse=True)
def network(fake_network):
    """Offline unless a test serves a payload."""
    return fake_network


def _listing(folder):
    return sorted(p.name for p in Path(folder).rglob("*"))


# --------------------------------------------------------------------------- #
# data_home
# --------------------------------------------------------------------------- #
def test_get_data_home_order(monkeypatch, tmp_path):
    monkeypatch.setenv("SKLVAE_DATA", str(tmp_path / "env"))
    assert get_data_home(tmp_path / "arg") == tmp_path / "arg"
    assert get_data_home() == tmp_path / "env"
    monkeypatch.delenv("SKLVAE_DATA")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert get_data_home() == tmp_path / "home" / "sklvae_data"
    assert not (tmp_path / "home").exists()  # nothing is created by asking


# --------------------------------------------------------------------------- #
# dSprites
# --------------------------------------------------------------------------- #
def _write_dsprites(path, rows, compressed=True):
    """A tiny file in the canonical format: imgs {0,1}, 6 latent columns incl. colour."""
    ds = make_dsprites()
    factors = ds.factors[rows]
    classes = np.concatenate([np.zeros((len(rows), 1), dtype=np.int64), factors], axis=1)
    values = np.concatenate([np.ones((len(rows), 1)), ds.values_of(factors)], axis=1)
    imgs = (ds[rows] // 255).astype(np.uint8)
    save = np.savez_compressed if compressed else np.savez
    save(path, imgs=imgs, latents_classes=classes, latents_values=values)
    return imgs, factors


@pytest.mark.parametrize("compressed", [True, False])
def test_fetch_dsprites_reads_tiny_canonical_file(tmp_path, compressed):
    rows = np.array([0, 1, 33, 5000, 737_279, 400_000])
    imgs, factors = _write_dsprites(tmp_path / dsprites.DSPRITES_FILENAME, rows, compressed)
    ds = fetch_dsprites(data_home=tmp_path, download_if_missing=False)
    assert ds.shape == (6, 64, 64) and ds.dtype == np.uint8
    assert ds.factor_names == ("shape", "scale", "orientation", "posX", "posY")
    np.testing.assert_array_equal(ds.factors, factors)
    np.testing.assert_array_equal(ds[:], imgs * 255)
    np.testing.assert_array_equal(ds[[4, 0, 4]], imgs[[4, 0, 4]] * 255)
    np.testing.assert_array_equal(ds.sample_observations(factors[::-1]), imgs[::-1] * 255)
    np.testing.assert_array_equal(ds.index_of(ds.factors), rows)
    assert not ds.is_complete
    with pytest.raises(ValueError, match="holds no image"):
        ds.sample_observations([[1, 1, 1, 1, 1]])
    # loading again reuses the cache; a second dataset gives the same images
    np.testing.assert_array_equal(
        fetch_dsprites(data_home=tmp_path, download_if_missing=False)[:], ds[:]
    )


def test_fetch_dsprites_truncated_file_is_reported_and_kept(tmp_path):
    path = tmp_path / dsprites.DSPRITES_FILENAME
    _write_dsprites(path, np.arange(300))
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(CorruptDatasetError, match="truncated"):
        fetch_dsprites(data_home=tmp_path, download_if_missing=True)
    assert path.read_bytes() == data[: len(data) // 2]  # never overwritten
    assert not list(tmp_path.rglob("*.part"))


def test_fetch_dsprites_wrong_keys(tmp_path):
    np.savez(tmp_path / dsprites.DSPRITES_FILENAME, images=np.zeros((2, 64, 64), np.uint8))
    with pytest.raises(CorruptDatasetError, match="imgs"):
        fetch_dsprites(data_home=tmp_path)


def test_fetch_dsprites_offline_error_says_where(tmp_path):
    home = tmp_path / "data"
    with pytest.raises(DatasetNotFoundError) as info:
        fetch_dsprites(data_home=home, download_if_missing=True)
    message = str(info.value)
    assert str(home / dsprites.DSPRITES_FILENAME) in message
    assert "place it" in message and dsprites.DSPRITES_URL in message
    assert _listing(home) == []  # no partial download left behind
    with pytest.raises(DatasetNotFoundError, match="download_if_missing=True"):
        fetch_dsprites(data_home=home, download_if_missing=False)


# --------------------------------------------------------------------------- #
# downloads through the loaders
# --------------------------------------------------------------------------- #
def test_fetch_dsprites_downloads_when_missing(tmp_path, monkeypatch, network):
    source = tmp_path / "source.npz"
    imgs, _ = _write_dsprites(source, np.arange(40))
    payload = source.read_bytes()
    network.payloads[dsprites.DSPRITES_URL] = payload
    monkeypatch.setattr(
        dsprites, "DSPRITES_CHECKSUM", ("sha256", hashlib.sha256(payload).hexdigest())
    )
    ds = fetch_dsprites(data_home=tmp_path / "home")
    assert network.calls == [dsprites.DSPRITES_URL]
    assert network.progressbars == [True]  # the download shows a progress bar
    np.testing.assert_array_equal(ds[:], imgs * 255)


# --------------------------------------------------------------------------- #
# 3D Shapes
# --------------------------------------------------------------------------- #
def _write_shapes3d(path, rows, shuffle=None):
    ds = make_shapes3d()
    rows = np.asarray(rows) if shuffle is None else np.asarray(rows)[shuffle]
    images = ds[rows]
    labels = ds.values_of(ds.factors[rows])
    with h5py.File(path, "w") as f:
        f.create_dataset("images", data=images, chunks=(1, 64, 64, 3))
        f.create_dataset("labels", data=labels.astype(np.float64))
    return images, ds.factors[rows]


def test_fetch_shapes3d_reads_lazily(tmp_path, monkeypatch):
    rows = [0, 7, 1234, 479_999, 250_000]
    images, factors = _write_shapes3d(tmp_path / "3dshapes.h5", rows, shuffle=[3, 1, 0, 4, 2])
    reads = []
    original = _storage.H5Images.__getitem__

    def counting(self, key):
        out = original(self, key)
        reads.append(len(out))
        return out

    monkeypatch.setattr(_storage.H5Images, "__getitem__", counting)
    ds = fetch_shapes3d(data_home=tmp_path, download_if_missing=False)
    assert reads == []  # nothing read at load time
    assert ds.shape == (5, 64, 64, 3)
    assert ds.factor_names[0] == "floor_hue" and ds.factor_sizes == (10, 10, 10, 8, 4, 15)
    np.testing.assert_array_equal(ds.factors, factors)
    np.testing.assert_array_equal(ds[[4, 0, 2, 0]], images[[4, 0, 2, 0]])
    assert reads == [5]  # one read: the dense span of rows 0..4 as a slice
    np.testing.assert_array_equal(ds.sample_observations(factors[[1]]), images[[1]])
    np.testing.assert_array_equal(ds.index_of(factors), make_shapes3d().index_of(factors))


def test_fetch_shapes3d_bad_files(tmp_path):
    path = tmp_path / "3dshapes.h5"
    _write_shapes3d(path, range(20))
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 3])
    with pytest.raises(CorruptDatasetError, match="truncated"):
        fetch_shapes3d(data_home=tmp_path)
    assert path.stat().st_size == len(data) // 3
    with h5py.File(path, "w") as f:
        f.create_dataset("images", data=np.zeros((2, 64, 64, 3), np.uint8))
        f.create_dataset("labels", data=np.full((2, 6), 0.55))
    with pytest.raises(CorruptDatasetError, match="not on the 3D Shapes grid"):
        fetch_shapes3d(data_home=tmp_path)
    with pytest.raises(DatasetNotFoundError, match="3dshapes.h5"):
        fetch_shapes3d(data_home=tmp_path / "empty")


# --------------------------------------------------------------------------- #
# Cars3D
# --------------------------------------------------------------------------- #
def _car_images(car):
    """(128, 128, 3, 24, 4): each view a constant colour encoding (car, azimuth, elevation)."""
    im = np.zeros((128, 128, 3, 24, 4), dtype=np.uint8)
    for a in range(24):
        for e in range(4):
            im[:, :, 0, a, e] = 10 * a
            im[:, :, 1, a, e] = 50 * e
            im[:, :, 2, a, e] = 30 * car
    im[:2, :2, :, 0, 0] = 255  # one 2x2 block, averaged into one pixel
    return im


def _write_cars(folder, ids):
    folder.mkdir(parents=True, exist_ok=True)
    for car in ids:
        savemat(folder / f"car_{car:03d}_mesh.mat", {"im": _car_images(car)}, do_compression=True)


def test_fetch_cars3d_factor_order_and_resize(tmp_path):
    _write_cars(tmp_path / "cars", [1, 2])
    with pytest.warns(UserWarning, match="183"):
        ds = fetch_cars3d(data_home=tmp_path, download_if_missing=False)
    assert ds.factor_names == ("elevation", "azimuth", "object_type")
    assert ds.factor_sizes == (4, 24, 2) and ds.shape == (192, 64, 64, 3)
    for e, a, car in [(0, 0, 0), (3, 5, 1), (2, 23, 0)]:
        image = ds.sample_observations([[e, a, car]])[0]
        np.testing.assert_array_equal(image[10, 10], [10 * a, 50 * e, 30 * (car + 1)])
        np.testing.assert_array_equal(ds[ds.index_of([e, a, car])[0]], image)
    np.testing.assert_array_equal(ds[0][0, 0], [255, 255, 255])
    np.testing.assert_array_equal(ds[0][0, 1], [0, 0, 30])


def test_area_downsample():
    x = np.arange(16, dtype=np.uint8).reshape(1, 4, 4, 1)
    np.testing.assert_array_equal(area_downsample(x, 2)[0, :, :, 0], [[2, 4], [10, 12]])
    with pytest.raises(ValueError, match="divisible"):
        area_downsample(x, 3)


def test_fetch_cars3d_download_and_extract(tmp_path, monkeypatch, network):
    staging = tmp_path / "staging" / "data" / "cars"
    _write_cars(staging, [7])
    (staging / "list.txt").write_text("car_007_mesh\n")
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        tar.add(tmp_path / "staging" / "data", arcname="data")
    payload = buffer.getvalue()
    network.payloads[cars3d.CARS3D_URL] = payload
    monkeypatch.setattr(cars3d, "CARS3D_CHECKSUM", ("md5", hashlib.md5(payload).hexdigest()))
    home = tmp_path / "home"
    with pytest.warns(UserWarning):
        ds = fetch_cars3d(data_home=home)
    assert network.calls == [cars3d.CARS3D_URL]
    assert sorted(p.name for p in (home / "cars").iterdir()) == ["car_007_mesh.mat", "list.txt"]
    assert ds.factor_sizes == (4, 24, 1)
    np.testing.assert_array_equal(ds.sample_observations([[1, 2, 0]])[0][5, 5], [20, 50, 210])


def test_fetch_cars3d_errors(tmp_path):
    with pytest.raises(DatasetNotFoundError, match="cars"):
        fetch_cars3d(data_home=tmp_path, download_if_missing=False)
    with pytest.raises(DatasetNotFoundError, match="place"):
        fetch_cars3d(data_home=tmp_path)
    folder = tmp_path / "cars"
    folder.mkdir()
    (folder / "car_001_mesh.mat").write_bytes(b"MATLAB 5.0 MAT-file, truncated")
    with pytest.raises(CorruptDatasetError, match="car_001_mesh.mat"), pytest.warns(UserWarning):
        fetch_cars3d(data_home=tmp_path)


# --------------------------------------------------------------------------- #
# MPI3D
# --------------------------------------------------------------------------- #
@pytest.mark.parametrize("compressed", [False, True])
def test_fetch_mpi3d_infers_sizes_from_count(tmp_path, monkeypatch, compressed):
    tiny_sizes = (2, 2, 1, 1, 1, 2, 3)
    monkeypatch.setitem(mpi3d.MPI3D_FACTOR_SIZES_BY_COUNT, 24, tiny_sizes)
    images = np.random.RandomState(0).randint(0, 256, size=(24, 64, 64, 3)).astype(np.uint8)
    (np.savez_compressed if compressed else np.savez)(tmp_path / "mpi3d_real.npz", images=images)
    ds = fetch_mpi3d("real", data_home=tmp_path, download_if_missing=False)
    assert ds.factor_sizes == tiny_sizes and ds.shape == (24, 64, 64, 3)
    assert ds.factor_names[0] == "object_color" and ds.factor_names[-1] == "vertical_axis"
    np.testing.assert_array_equal(ds[:], images)
    # row-major: the last factor (vertical axis) varies fastest
    np.testing.assert_array_equal(
        ds.sample_observations([[1, 0, 0, 0, 0, 1, 2]])[0], images[12 + 3 + 2]
    )
    assert ds.is_complete


def test_fetch_mpi3d_variants_and_errors(tmp_path):
    assert mpi3d.MPI3D_FACTOR_SIZES_BY_COUNT[460_800] == (4, 4, 2, 3, 3, 40, 40)
    assert mpi3d.MPI3D_FACTOR_SIZES_BY_COUNT[1_036_800] == (6, 6, 2, 3, 3, 40, 40)
    with pytest.raises(ValueError, match="variant"):
        fetch_mpi3d("simulated", data_home=tmp_path)
    np.savez(tmp_path / "mpi3d_toy.npz", images=np.zeros((10, 64, 64, 3), np.uint8))
    with pytest.raises(CorruptDatasetError, match="460,800"):
        fetch_mpi3d("toy", data_home=tmp_path)
    with pytest.raises(DatasetNotFoundError, match="mpi3d_realistic.npz"):
        fetch_mpi3d("realistic", data_home=tmp_path)
    path = tmp_path / "mpi3d_toy.npz"
    data = path.read_bytes()
    path.write_bytes(data[:50_000])
    with pytest.raises(CorruptDatasetError, match="truncated"):
        fetch_mpi3d("toy", data_home=tmp_path)


def test_fetch_mpi3d_complex_reads_its_release_file(tmp_path, monkeypatch):
    tiny_sizes = (2, 1, 1, 1, 1, 2, 3)
    monkeypatch.setitem(mpi3d.MPI3D_FACTOR_SIZES_BY_COUNT, 12, tiny_sizes)
    images = np.random.RandomState(1).randint(0, 256, size=(12, 64, 64, 3)).astype(np.uint8)
    np.savez(tmp_path / "real3d_complicated_shapes_ordered.npz", images=images)
    ds = fetch_mpi3d("complex", data_home=tmp_path, download_if_missing=False)
    assert ds.name == "mpi3d_complex" and ds.factor_sizes == tiny_sizes
    assert ds.factor_names == mpi3d.MPI3D_FACTOR_NAMES
    np.testing.assert_array_equal(ds.sample_observations([[1, 0, 0, 0, 0, 1, 2]])[0], images[11])
    # a wrong count is refused, naming only the complex release's count
    np.savez(tmp_path / "real3d_complicated_shapes_ordered.npz", images=images[:10])
    with pytest.raises(CorruptDatasetError) as info:
        fetch_mpi3d("complex", data_home=tmp_path)
    message = str(info.value)
    assert "real3d_complicated_shapes_ordered.npz holds 10 images" in message
    assert "460,800 images = 4x4x2x3x3x40x40" in message and "1,036,800" not in message
    with pytest.raises(DatasetNotFoundError) as info:
        fetch_mpi3d("complex", data_home=tmp_path / "empty")
    assert "real3d_complicated_shapes_ordered.npz" in str(info.value)
    assert "1Tp8eTdHxgUMtsZv5uAoYAbJR1BOa_OQm" in str(info.value)


# misuse: (id, call(ctx), exception, pattern); ctx has .dsprites, .stored, .file, .folder
MISUSE = [
    (
        "data-home-is-file",
        lambda c: get_data_home(c.file),
        ValueError,
        r"data_home .* is a file, not a folder",
    ),
    ("data-home-int", lambda c: get_data_home(123), TypeError, r"data_home must be a folder path"),
    ("data-home-env-is-file", lambda c: c.env_file(), ValueError, r"\$SKLVAE_DATA .* is a file"),
    (
        "mpi3d-variant",
        lambda c: fetch_mpi3d("simulated", data_home=c.folder),
        ValueError,
        r"variant must be one of \('toy', 'realistic', 'real', 'complex'\)",
    ),
    (
        "mpi3d-variant-int",
        lambda c: fetch_mpi3d(3, data_home=c.folder),
        ValueError,
        r"variant must be one of",
    ),
]
FETCHERS = {
    "fetch_dsprites": fetch_dsprites,
    "fetch_shapes3d": fetch_shapes3d,
    "fetch_cars3d": fetch_cars3d,
    "fetch_mpi3d": fetch_mpi3d,
    "fetch_isaac3d": fetch_isaac3d,
    "fetch_falcor3d": fetch_falcor3d,
    "fetch_smallnorb": fetch_smallnorb,
}
for _name, _fetch in FETCHERS.items():
    MISUSE += [
        (
            f"{_name}-data-home-is-file",
            lambda c, f=_fetch: f(data_home=c.file),
            ValueError,
            r"is a file, not a folder",
        ),
        (
            f"{_name}-data-home-int",
            lambda c, f=_fetch: f(data_home=3.5),
            TypeError,
            r"data_home must be a folder path",
        ),
        (
            f"{_name}-download-str",
            lambda c, f=_fetch: f(data_home=c.folder, download_if_missing="no"),
            TypeError,
            r"download_if_missing must be True or False",
        ),
        (
            f"{_name}-overwrite-int",
            lambda c, f=_fetch: f(data_home=c.folder, overwrite=1),
            TypeError,
            r"overwrite must be True or False",
        ),
        (
            f"{_name}-overwrite-without-download",
            lambda c, f=_fetch: f(data_home=c.folder, download_if_missing=False, overwrite=True),
            ValueError,
            r"overwrite=True .* needs download_if_missing=True",
        ),
    ]


@parametrize_misuse(MISUSE)
def test_misuse_raises_clear_error(call, error, pattern, misuse_context, fake_network):
    check_misuse(call, error, pattern, misuse_context, fake_network)
