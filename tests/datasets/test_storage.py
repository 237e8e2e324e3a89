"""Stored images are read in one call per request, in increasing row order.

h5py accepts only increasing, unique indices; memory maps and HDF5 read blocks
faster than scattered rows. A fake storage with h5py's rule counts the reads.
"""

import h5py
import numpy as np
import pytest

from sklvae.datasets import GroundTruthDataset
from sklvae.datasets._storage import H5Images, read_rows


class StrictCountingStorage:
    """An array that, like h5py, refuses unsorted or repeated indices; counts reads."""

    def __init__(self, array):
        self.array = array
        self.keys = []

    def __len__(self):
        return len(self.array)

    def __getitem__(self, key):
        self.keys.append(key)
        if not isinstance(key, slice):
            key = np.asarray(key)
            if key.ndim != 1 or np.any(np.diff(key) <= 0):
                raise TypeError("Indexing elements must be in increasing order")
        return self.array[key]


N_ROWS = 5000


def _images(n=N_ROWS):
    # every image holds its row number, so the order of the result is visible
    rows = np.arange(n)
    return np.stack([rows % 256, rows // 256], axis=1).astype(np.uint8).reshape(n, 1, 2)


def _dataset(storage, n=N_ROWS):
    return GroundTruthDataset(("row",), (n,), (1, 2), storage=storage)


@pytest.mark.parametrize("k", [1, 7, 256])
def test_k_random_rows_cost_one_sorted_read(k):
    storage = StrictCountingStorage(_images())
    ds = _dataset(storage)
    rows = np.random.RandomState(k).randint(0, N_ROWS, size=k)
    np.testing.assert_array_equal(ds[rows], _images()[rows])  # requested order, repeats kept
    assert len(storage.keys) == 1


def test_scattered_rows_are_read_sorted_and_unique():
    storage = StrictCountingStorage(_images())
    rows = np.array([4000, 17, 2500, 17, 3, 4999])
    np.testing.assert_array_equal(_dataset(storage)[rows], _images()[rows])
    (key,) = storage.keys
    np.testing.assert_array_equal(key, [3, 17, 2500, 4000, 4999])


def test_dense_rows_are_read_as_one_slice_then_reordered():
    storage = StrictCountingStorage(_images())
    rows = np.random.RandomState(0).permutation(np.arange(100, 164))
    rows = np.concatenate([rows, rows[:5]])
    np.testing.assert_array_equal(_dataset(storage)[rows], _images()[rows])
    assert storage.keys == [slice(100, 164)]


def test_index_shape_subsets_and_batches_keep_one_read_each():
    storage = StrictCountingStorage(_images())
    ds = _dataset(storage)
    rows = np.array([[9, 2], [2, 4000]])
    np.testing.assert_array_equal(ds[rows], _images()[rows])
    subset = ds.subset(np.array([3000, 10, 2000, 10]))
    storage.keys.clear()
    np.testing.assert_array_equal(subset[::-1], _images()[[10, 2000, 10, 3000]])
    np.testing.assert_array_equal(
        subset.sample_observations([[2000], [3000]]), _images()[[2000, 3000]]
    )
    assert len(storage.keys) == 2
    storage.keys.clear()
    batches = list(ds.iter_batches(1000))
    assert len(batches) == 5 and storage.keys == [
        slice(s, s + 1000) for s in range(0, N_ROWS, 1000)
    ]


def test_read_rows_from_hdf5_in_any_order(tmp_path):
    path = tmp_path / "images.h5"
    with h5py.File(path, "w") as f:
        f.create_dataset("images", data=_images(), chunks=(64, 1, 2))
    storage = H5Images(path, "images")
    rows = np.array([4999, 0, 1234, 0, 77, 4998])
    np.testing.assert_array_equal(read_rows(storage, rows), _images()[rows])
    np.testing.assert_array_equal(_dataset(storage)[[5, 3, 4]], _images()[[5, 3, 4]])
    storage.close()
