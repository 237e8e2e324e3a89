"""Fakes of the network for the dataset tests (no test touches the real network)."""

import pooch
import pytest
import requests


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
