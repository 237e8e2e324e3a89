"""Fakes of the network for the dataset tests (no test touches the real network)."""

import numpy as np
import pooch
import pytest
import requests

from sklvae.datasets import GroundTruthDataset, get_data_home, make_dsprites, make_shapes3d


class FakeNetwork:
    """Stands in for pooch's HTTP downloader: serves ``payloads[url]`` or fails.

    ``failures[url]`` connection errors are raised before a URL is served; a URL
    absent from ``payloads`` always fails, as when offline. ``calls`` lists every
    attempt and ``progressbars`` the progress-bar setting of each downloader.
    """

    def __init__(self):
        self.payloads = {}
        self.failures = {}
        self.calls = []
        self.progressbars = []

    def download(self, downloader, url, output_file, pooch_obj=None, check_only=False):
        self.calls.append(url)
        self.progressbars.append(downloader.progressbar)
        if self.failures.get(url, 0) > 0:
            self.failures[url] -= 1
            raise requests.exceptions.ConnectionError("connection reset (test)")
        if url not in self.payloads:
            raise requests.exceptions.ConnectionError("network is unreachable (test)")
        with open(output_file, "wb") as out:
            out.write(self.payloads[url])


@pytest.fixture
def fake_network(monkeypatch):
    """Replace pooch's downloads by a :class:`FakeNetwork` and its retry waits by no-ops."""
    network = FakeNetwork()

    def call(self, url, output_file, pooch_obj=None, check_only=False):
        return network.download(self, url, output_file, pooch_obj, check_only)

    monkeypatch.setattr(pooch.HTTPDownloader, "__call__", call)
    monkeypatch.setattr(pooch.core.time, "sleep", lambda seconds: None)
    return network


# --- misuse cases: each test module lists (id, call(ctx), exception, pattern) rows ---------


@pytest.fixture(scope="module")
def dsprites():
    """The whole generated dSprites grid (lazy)."""
    return make_dsprites()


@pytest.fixture(scope="module")
def shapes3d():
    """The whole generated 3D Shapes grid (lazy)."""
    return make_shapes3d()


@pytest.fixture(scope="module")
def small_dsprites():
    return make_dsprites(20, random_state=0)


@pytest.fixture(scope="module")
def stored():
    """A stored (not rendered) dataset of 6 rows holding part of a 2 x 3 x 2 grid."""
    images = np.arange(6 * 4, dtype=np.uint8).reshape(6, 2, 2)
    return GroundTruthDataset(
        ("a", "b", "c"), (2, 3, 2), (2, 2), storage=images, grid_indices=[0, 2, 4, 6, 8, 10]
    )


def tiny_dataset(**kwargs):
    """A stored 2 x 3 dataset of 2 x 2 images; ``kwargs`` replace its arguments."""
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


class MisuseContext:
    """What a misuse row's ``call(ctx)`` may use: datasets, a file, a folder, the env."""

    def __init__(self, dsprites, stored, tmp_path, monkeypatch):
        self.dsprites, self.stored = dsprites, stored
        self.folder = tmp_path / "data"
        self.file = tmp_path / "not_a_folder"
        self.file.write_text("x")
        self._monkeypatch = monkeypatch

    def env_file(self):
        self._monkeypatch.setenv("SKLVAE_DATA", str(self.file))
        return get_data_home()


@pytest.fixture
def misuse_context(small_dsprites, stored, tmp_path, monkeypatch):
    return MisuseContext(small_dsprites, stored, tmp_path, monkeypatch)


def parametrize_misuse(cases):
    """Parametrize a test over ``(id, call(ctx), exception, pattern)`` rows."""
    return pytest.mark.parametrize(
        "call, error, pattern", [c[1:] for c in cases], ids=[c[0] for c in cases]
    )


def check_misuse(call, error, pattern, context, network):
    """The call raises ``error`` matching ``pattern``, before any download."""
    with pytest.raises(error, match=pattern):
        call(context)
    assert network.calls == []  # validation happens before any download
