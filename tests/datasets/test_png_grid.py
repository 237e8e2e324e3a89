"""Isaac3D and Falcor3D: release folders of numbered PNG files plus a label array.

Each test writes a tiny release in the canonical layout (``<Name>_down128/images/
000000.png`` ..., the label file) over a small factor grid patched into the
release's description; no test touches the network.
"""

import hashlib
import pickle
import zipfile

import numpy as np
import pytest
from PIL import Image

from sklvae.datasets import (
    CorruptDatasetError,
    DatasetNotFoundError,
    _storage,
    falcor3d,
    fetch_falcor3d,
    fetch_isaac3d,
    isaac3d,
)

# name: (release, fetch, folder, label file, tiny sizes)
RELEASES = {
    "isaac3d": (
        isaac3d.ISAAC3D,
        fetch_isaac3d,
        "Isaac3D_down128",
        "labels.npy",
        (2, 1, 1, 1, 1, 1, 1, 1, 3),
    ),
    "falcor3d": (
        falcor3d.FALCOR3D,
        fetch_falcor3d,
        "Falcor3D_down128",
        "train-rec.labels",
        (2, 1, 1, 1, 1, 1, 3),
    ),
}


@pytest.fixture(autouse=True)
def network(fake_network):
    return fake_network


@pytest.fixture(params=sorted(RELEASES))
def release(request, monkeypatch):
    release, fetch, folder, labels_name, sizes = RELEASES[request.param]
    monkeypatch.setattr(release, "factor_sizes", sizes)
    return request.param, release, fetch, folder, labels_name, sizes


def _image(row):
    """A 128x128 RGB image telling its row: a flat colour and one marked pixel."""
    image = np.zeros((128, 128, 3), dtype=np.uint8)
    image[..., 0] = 40 * row
    image[..., 1] = 7
    image[..., 2] = 200 - row
    image[row, 2 * row] = 255
    return image


def _values(sizes):
    """The real value of class c of factor k: 0.25 k + 0.5 c (row-major grid)."""
    classes = np.stack(np.unravel_index(np.arange(int(np.prod(sizes))), sizes), axis=1)
    return 0.25 * np.arange(len(sizes)) + 0.5 * classes


def _write_release(root, folder, labels_name, sizes):
    n = int(np.prod(sizes))
    images = root / folder / "images"
    images.mkdir(parents=True)
    for row in range(n):
        Image.fromarray(_image(row)).save(images / f"{row:06d}.png")
    with open(root / folder / labels_name, "wb") as f:  # .npy format, whatever the name
        np.save(f, _values(sizes))
    return np.stack([_image(row) for row in range(n)])


def _zip_release(root, folder, archive):
    with zipfile.ZipFile(archive, "w") as zf:
        for path in sorted((root / folder).rglob("*")):
            zf.write(path, path.relative_to(root).as_posix())


def test_reads_the_release_folder_lazily(tmp_path, release, monkeypatch):
    name, spec, fetch, folder, labels_name, sizes = release
    images = _write_release(tmp_path, folder, labels_name, sizes)
    reads = []
    original = _storage.PNGFolder._read

    def counting(self, row):
        reads.append(row)
        return original(self, row)

    monkeypatch.setattr(_storage.PNGFolder, "_read", counting)
    ds = fetch(data_home=tmp_path, download_if_missing=False)
    assert reads == []  # nothing decoded at load time
    assert ds.name == name and ds.shape == (6, 128, 128, 3) and ds.dtype == np.uint8
    assert ds.factor_sizes == sizes and ds.is_complete
    assert ds.factor_names == spec.factor_names
    names = isaac3d.ISAAC3D_FACTOR_NAMES if name == "isaac3d" else falcor3d.FALCOR3D_FACTOR_NAMES
    assert spec.factor_names == names and len(names) == len(sizes)
    np.testing.assert_array_equal(ds.factor_value_table, _values(sizes))
    np.testing.assert_array_equal(ds[[5, 0, 5]], images[[5, 0, 5]])
    assert sorted(set(reads)) == [0, 5]
    # row-major: the last factor varies fastest
    last = [0] * (len(sizes) - 1)
    np.testing.assert_array_equal(ds.sample_observations([[1] + last[1:] + [2]])[0], images[5])
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(ds))[:], images)


def test_extracts_a_local_archive_then_downloads_a_missing_one(tmp_path, release, network):
    name, spec, fetch, folder, labels_name, sizes = release
    staging = tmp_path / "staging"
    images = _write_release(staging, folder, labels_name, sizes)
    home = tmp_path / "home"
    home.mkdir()
    _zip_release(staging, folder, home / f"{folder}.zip")
    ds = fetch(data_home=home, download_if_missing=False)  # no network needed
    np.testing.assert_array_equal(ds[:], images)
    assert (home / folder / "images" / "000005.png").exists()
    assert network.calls == []

    other = tmp_path / "other"
    _zip_release(staging, folder, tmp_path / "served.zip")
    payload = (tmp_path / "served.zip").read_bytes()
    network.payloads[spec.url] = payload
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(spec, "checksum", ("sha256", hashlib.sha256(payload).hexdigest()))
        np.testing.assert_array_equal(fetch(data_home=other)[:], images)
    assert network.calls == [spec.url]
    assert sorted(p.name for p in other.iterdir()) == [folder, f"{folder}.zip"]


def test_refuses_wrong_labels(tmp_path, release):
    name, spec, fetch, folder, labels_name, sizes = release
    _write_release(tmp_path, folder, labels_name, sizes)
    labels = tmp_path / folder / labels_name
    values = _values(sizes)
    with open(labels, "wb") as f:
        np.save(f, values[:4])  # a partial label file
    with pytest.raises(CorruptDatasetError) as info:
        fetch(data_home=tmp_path)
    assert str(labels) in str(info.value)
    assert f"shape (4, {len(sizes)}), expected numbers of shape (6, {len(sizes)})" in str(
        info.value
    )
    values[3, -1] += 1.0  # a row whose labels are not those of its grid point
    with open(labels, "wb") as f:
        np.save(f, values)
    with pytest.raises(CorruptDatasetError, match=r"row 3 .* do not follow the row-major grid"):
        fetch(data_home=tmp_path)
    labels.unlink()
    with pytest.raises(CorruptDatasetError, match=f"no label file {labels_name}"):
        fetch(data_home=tmp_path)


def test_refuses_missing_or_broken_images(tmp_path, release):
    name, spec, fetch, folder, labels_name, sizes = release
    _write_release(tmp_path, folder, labels_name, sizes)
    images = tmp_path / folder / "images"
    (images / "000003.png").unlink()
    with pytest.raises(CorruptDatasetError, match=r"lacks 1 of the 6 images .*000003\.png"):
        fetch(data_home=tmp_path)
    (images / "000003.png").write_bytes(b"\x89PNG\r\n\x1a\n truncated")
    ds = fetch(data_home=tmp_path)  # present: checked when read
    np.testing.assert_array_equal(ds[2], _image(2))
    with pytest.raises(CorruptDatasetError, match=r"000003\.png"):
        ds[3]
    Image.fromarray(np.zeros((64, 64, 3), np.uint8)).save(images / "000003.png")
    with pytest.raises(CorruptDatasetError, match=r"000003\.png .*\(64, 64, 3\), expected uint8"):
        ds[[1, 3]]


def test_fetchers_are_documented_public_functions():
    assert fetch_isaac3d.__name__ == "fetch_isaac3d"
    assert fetch_isaac3d.__module__ == "sklvae.datasets.isaac3d"
    assert "Images ``(737280, 128, 128, 3)`` uint8; the 9 factors" in fetch_isaac3d.__doc__
    assert "``(3, 8, 5, 4, 4, 4, 6, 4, 4)``" in fetch_isaac3d.__doc__
    assert "take 36.2 GB" in fetch_isaac3d.__doc__
    assert "``(233280, 7)``" in fetch_falcor3d.__doc__ and "11.5 GB" in fetch_falcor3d.__doc__


def test_refuses_bad_archives_and_says_where(tmp_path, release):
    name, spec, fetch, folder, labels_name, sizes = release
    home = tmp_path / "home"
    with pytest.raises(DatasetNotFoundError) as info:
        fetch(data_home=home, download_if_missing=False)
    assert str(home / folder) in str(info.value) and f"{folder}.zip" in str(info.value)
    with pytest.raises(DatasetNotFoundError, match="place it"):
        fetch(data_home=home)  # offline
    home.mkdir(exist_ok=True)
    (home / f"{folder}.zip").write_bytes(b"<html>a login page, not a zip</html>")
    with pytest.raises(CorruptDatasetError, match=rf"Cannot extract .*{folder}\.zip"):
        fetch(data_home=home)
    with zipfile.ZipFile(home / f"{folder}.zip", "w") as zf:
        zf.writestr("something_else/labels.npy", b"")
    with pytest.raises(CorruptDatasetError, match=rf"holds no folder {folder}/"):
        fetch(data_home=home)
    assert sorted(p.name for p in home.iterdir()) == [f"{folder}.zip"]  # nothing half-made
