"""Every public entry point of sklvae.datasets rejects bad arguments with a clear error.

One row per misuse: the call, the exception type, and a pattern the message must
contain (it names the argument and what was expected).
"""

import numpy as np
import pytest

from sklvae.datasets import (
    GroundTruthDataset,
    fetch_cars3d,
    fetch_dsprites,
    fetch_mnist,
    fetch_mpi3d,
    fetch_shapes3d,
    get_data_home,
    make_dsprites,
    make_group_pairs,
    make_rotated_digits,
    make_shapes3d,
)


@pytest.fixture(scope="module")
def dsprites():
    return make_dsprites(20, random_state=0)


@pytest.fixture(scope="module")
def stored():
    """A stored (not rendered) dataset of 6 rows holding part of a 2 x 3 x 2 grid."""
    images = np.arange(6 * 4, dtype=np.uint8).reshape(6, 2, 2)
    return GroundTruthDataset(
        ("a", "b", "c"), (2, 3, 2), (2, 2), storage=images, grid_indices=[0, 2, 4, 6, 8, 10]
    )


def _tiny(**kwargs):
    args = dict(
        factor_names=("a", "b"),
        factor_sizes=(2, 3),
        image_shape=(2, 2),
        storage=np.zeros((6, 2, 2), np.uint8),
    )
    args.update(kwargs)
    return GroundTruthDataset(
        args.pop("factor_names"), args.pop("factor_sizes"), args.pop("image_shape"), **args
    )


FETCHERS = {
    "fetch_dsprites": fetch_dsprites,
    "fetch_shapes3d": fetch_shapes3d,
    "fetch_cars3d": fetch_cars3d,
    "fetch_mpi3d": fetch_mpi3d,
}

# (id, call(ctx), exception, pattern); ctx has .dsprites, .stored, .file (an existing file)
CASES = [
    # generators: n_samples, random_state, flags
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
    # make_group_pairs
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
    # data folder
    (
        "data-home-is-file",
        lambda c: get_data_home(c.file),
        ValueError,
        r"data_home .* is a file, not a folder",
    ),
    ("data-home-int", lambda c: get_data_home(123), TypeError, r"data_home must be a folder path"),
    ("data-home-env-is-file", lambda c: c.env_file(), ValueError, r"\$SKLVAE_DATA .* is a file"),
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
    (
        "mpi3d-variant",
        lambda c: fetch_mpi3d("simulated", data_home=c.folder),
        ValueError,
        r"variant must be one of \('toy', 'realistic', 'real'\)",
    ),
    (
        "mpi3d-variant-int",
        lambda c: fetch_mpi3d(3, data_home=c.folder),
        ValueError,
        r"variant must be one of",
    ),
]
for _name, _fetch in FETCHERS.items():
    CASES += [
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
CASES += [
    # the factor grid
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
    # the array-like dataset
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
        lambda c: _tiny(factor_sizes=(2, 0)),
        ValueError,
        r"factor_sizes\[1\] must be >= 1, got 0",
    ),
    (
        "dataset-size-float",
        lambda c: _tiny(factor_sizes=(2, 2.5)),
        TypeError,
        r"factor_sizes\[1\] must be an integer",
    ),
    (
        "dataset-names-sizes",
        lambda c: _tiny(factor_names=("a",)),
        ValueError,
        r"factor_names has 1 entries but factor_sizes has 2",
    ),
    (
        "dataset-values-shape",
        lambda c: _tiny(factor_values=[[0, 1], [0, 1]]),
        ValueError,
        r"factor_values for 'b' has shape \(2,\), expected \(3,\)",
    ),
    (
        "dataset-image-shape",
        lambda c: _tiny(image_shape=(2, 0)),
        ValueError,
        r"image_shape entries must be >= 1",
    ),
    (
        "dataset-renderer-and-storage",
        lambda c: _tiny(renderer=lambda f: f),
        ValueError,
        r"exactly one of `renderer` and `storage`",
    ),
    (
        "dataset-grid-indices",
        lambda c: _tiny(grid_indices=[0, 6]),
        ValueError,
        r"grid_indices must be in \[0, 6\)",
    ),
    (
        "dataset-storage-rows",
        lambda c: _tiny(storage_rows=[0, 1]),
        ValueError,
        r"storage_rows has 2 entries for 6 rows",
    ),
]


class _Context:
    def __init__(self, dsprites, stored, tmp_path, monkeypatch):
        self.dsprites, self.stored = dsprites, stored
        self.folder = tmp_path / "data"
        self.file = tmp_path / "not_a_folder"
        self.file.write_text("x")
        self._monkeypatch = monkeypatch

    def env_file(self):
        self._monkeypatch.setenv("SKLVAE_DATA", str(self.file))
        return get_data_home()


@pytest.mark.parametrize("call, error, pattern", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_misuse_raises_clear_error(
    call, error, pattern, dsprites, stored, tmp_path, monkeypatch, fake_network
):
    with pytest.raises(error, match=pattern):
        call(_Context(dsprites, stored, tmp_path, monkeypatch))
    assert fake_network.calls == []  # validation happens before any download


def test_every_case_has_a_distinct_id():
    ids = [c[0] for c in CASES]
    assert len(ids) == len(set(ids))
