"""SmallNORB: the six binary matrix files, written small by the tests.

The factor grid is patched down to ``(2, 2, 1, 2, 1)`` (8 image pairs, 4 per file);
no test touches the network.
"""

import gzip
import hashlib
import os

import numpy as np
import pytest

from sklvae.datasets import CorruptDatasetError, DatasetNotFoundError, fetch_smallnorb, smallnorb

SIZES = (2, 2, 1, 2, 1)
TRAIN, TEST = smallnorb.SMALLNORB_CHUNKS
MAGIC = {np.dtype(np.uint8): 0x1E3D4C55, np.dtype("<i4"): 0x1E3D4C54}


@pytest.fixture(autouse=True)
def tiny_grid(monkeypatch, fake_network):
    monkeypatch.setattr(smallnorb, "SMALLNORB_FACTOR_SIZES", SIZES)
    return fake_network


def _matrix_bytes(array):
    """LeCun's binary matrix format: magic, ndim, at least three sizes, the data."""
    array = np.ascontiguousarray(array)
    dims = list(array.shape) + [1] * max(0, 3 - array.ndim)
    header = np.array([MAGIC[array.dtype], array.ndim, *dims], dtype="<i4").tobytes()
    return header + array.tobytes()


def _pair(factors):
    """Camera 0 shows the factors as pixel values; camera 1 is its negative."""
    left = np.zeros((96, 96), np.uint8)
    left[:, :] = 10 + 40 * factors[0] + 20 * factors[1] + 5 * factors[3]
    left[0, : len(factors)] = factors
    return np.stack([left, 255 - left])


def _chunk(instance, order):
    """The four rows of one file (one instance of each category), in ``order``."""
    factors = np.array(
        [[c, instance, 0, a, 0] for c in range(2) for a in range(2)], dtype=np.int64
    )[order]
    dat = np.stack([_pair(f) for f in factors]).astype(np.uint8)
    cat = factors[:, 0].astype("<i4")
    info = np.column_stack([factors[:, 1], factors[:, 2], 2 * factors[:, 3], factors[:, 4]])
    return factors, {"dat": dat, "cat": cat, "info": info.astype("<i4")}


def _write(home, gzipped=(), chunks=None):
    """Write both halves (instance 1 trains, 0 tests); ``gzipped``: parts written as .gz."""
    home.mkdir(parents=True, exist_ok=True)
    chunks = chunks or {TRAIN: _chunk(1, [2, 0, 3, 1]), TEST: _chunk(0, [1, 3, 0, 2])}
    for stem, (_, parts) in chunks.items():
        for kind, array in parts.items():
            data = _matrix_bytes(array)
            if f"{stem}-{kind}" in gzipped:
                (home / f"{stem}-{kind}.mat.gz").write_bytes(gzip.compress(data))
            else:
                (home / f"{stem}-{kind}.mat").write_bytes(data)
    return np.concatenate([chunks[TRAIN][0], chunks[TEST][0]])


def test_reads_both_halves_camera_zero(tmp_path):
    factors = _write(tmp_path)
    ds = fetch_smallnorb(data_home=tmp_path, download_if_missing=False)
    assert ds.name == "smallnorb" and ds.shape == (8, 96, 96) and ds.dtype == np.uint8
    assert ds.factor_names == ("category", "instance", "elevation", "azimuth", "lighting")
    assert ds.factor_sizes == SIZES and ds.is_complete
    np.testing.assert_array_equal(ds.factors, factors)  # the files' rows, training first
    expected = np.stack([_pair(f)[0] for f in factors])
    np.testing.assert_array_equal(ds[:], expected)
    np.testing.assert_array_equal(ds[[7, 0, 4, 3]], expected[[7, 0, 4, 3]])  # both files
    combo = [1, 0, 0, 1, 0]
    np.testing.assert_array_equal(ds.sample_observations([combo])[0], _pair(combo)[0])
    np.testing.assert_array_equal(ds.factor_values[2], [30.0])  # elevation in degrees
    np.testing.assert_array_equal(ds.factor_values[3], [0.0, 20.0])  # azimuth in degrees


def test_gzipped_files_are_decompressed_once_into_the_cache(tmp_path):
    stems = [f"{chunk}-{kind}" for chunk in (TRAIN, TEST) for kind in ("dat", "cat", "info")]
    factors = _write(tmp_path, gzipped=stems[:4])  # a mix of .mat.gz and .mat
    before = {p.name: p.read_bytes() for p in tmp_path.glob("*.gz")}
    ds = fetch_smallnorb(data_home=tmp_path, download_if_missing=False)
    np.testing.assert_array_equal(ds[:], np.stack([_pair(f)[0] for f in factors]))
    cache = sorted(p.name for p in (tmp_path / "sklvae_cache").iterdir())
    assert cache == sorted(f"{stem}.mat" for stem in stems[:4])
    assert {p.name: p.read_bytes() for p in tmp_path.glob("*.gz")} == before
    stamp = (tmp_path / "sklvae_cache" / f"{stems[0]}.mat").stat().st_mtime_ns
    fetch_smallnorb(data_home=tmp_path, download_if_missing=False)
    assert (tmp_path / "sklvae_cache" / f"{stems[0]}.mat").stat().st_mtime_ns == stamp


def test_downloads_missing_files(tmp_path, tiny_grid, monkeypatch):
    staging = tmp_path / "staging"
    stems = [f"{chunk}-{kind}" for chunk in (TRAIN, TEST) for kind in ("dat", "cat", "info")]
    factors = _write(staging, gzipped=stems)
    checksums = {}
    for stem in stems:
        payload = (staging / f"{stem}.mat.gz").read_bytes()
        tiny_grid.payloads[smallnorb.SMALLNORB_URL.format(stem)] = payload
        checksums[stem] = ("md5", hashlib.md5(payload).hexdigest())
    monkeypatch.setattr(smallnorb, "SMALLNORB_CHECKSUMS", checksums)
    ds = fetch_smallnorb(data_home=tmp_path / "home")
    assert len(tiny_grid.calls) == 6
    assert tiny_grid.calls[0] == (
        "https://cs.nyu.edu/~ylclab/data/norb-v1.0-small/"
        "smallnorb-5x46789x9x18x6x2x96x96-training-dat.mat.gz"
    )
    np.testing.assert_array_equal(ds.factors, factors)


def test_missing_file_names_it_and_its_url(tmp_path):
    _write(tmp_path)
    os.remove(tmp_path / f"{TEST}-info.mat")
    with pytest.raises(DatasetNotFoundError) as info:
        fetch_smallnorb(data_home=tmp_path, download_if_missing=False)
    assert f"{TEST}-info.mat.gz" in str(info.value)
    assert smallnorb.SMALLNORB_URL.format(f"{TEST}-info") in str(info.value)


@pytest.mark.parametrize(
    "damage, pattern",
    [
        (
            "truncated-dat",
            r"training-dat\.mat has 73,652 bytes, a uint8 matrix of shape \(4, 2, 96, 96\) "
            r"needs 73,752 .*truncated",
        ),
        ("wrong-magic", r"training-cat\.mat is not a SmallNORB binary matrix"),
        (
            "cat-shape",
            r"training-info\.mat holds a matrix of int32 \(4, 4\), expected int32 \(3, 4\)",
        ),
        ("info-columns", r"training-info\.mat holds a matrix of int32 \(4, 3\), expected"),
        ("dat-no-pairs", r"training-dat\.mat holds a matrix of uint8 \(4, 96, 96\), expected"),
        ("odd-azimuth", r"training-info\.mat: azimuths must be even"),
        ("category-range", r"training-cat\.mat: category classes outside \[0, 2\)"),
        ("duplicate-rows", r"hold 7 distinct factor combinations in 8 images, expected each"),
        ("bad-gzip", r"Cannot read the SmallNORB file .*testing-cat\.mat\.gz"),
    ],
)
def test_refuses_wrong_or_partial_files(tmp_path, damage, pattern):
    train_factors, train = _chunk(1, [0, 1, 2, 3])
    chunks = {TRAIN: (train_factors, train), TEST: _chunk(0, [0, 1, 2, 3])}
    if damage == "cat-shape":
        train["cat"] = train["cat"][:3]
    elif damage == "info-columns":
        train["info"] = train["info"][:, :3]
    elif damage == "dat-no-pairs":
        train["dat"] = train["dat"][:, 0]
    elif damage == "odd-azimuth":
        train["info"][0, 2] = 1
    elif damage == "category-range":
        train["cat"][0] = 2
    elif damage == "duplicate-rows":
        train["info"][1] = train["info"][0]
        train["cat"][1] = train["cat"][0]
    _write(tmp_path, chunks=chunks)
    if damage == "truncated-dat":
        path = tmp_path / f"{TRAIN}-dat.mat"
        path.write_bytes(path.read_bytes()[:-100])
    elif damage == "wrong-magic":
        path = tmp_path / f"{TRAIN}-cat.mat"
        path.write_bytes(b"\x00\x00\x00\x00" + path.read_bytes()[4:])
    elif damage == "bad-gzip":
        os.remove(tmp_path / f"{TEST}-cat.mat")
        (tmp_path / f"{TEST}-cat.mat.gz").write_bytes(gzip.compress(bytes(range(256)) * 40)[:200])
    with pytest.raises(CorruptDatasetError, match=pattern):
        fetch_smallnorb(data_home=tmp_path, download_if_missing=False)
