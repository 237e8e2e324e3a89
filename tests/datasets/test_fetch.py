"""Downloads through pooch against a local HTTP server on 127.0.0.1 (no network).

The server serves files the tests write and can break a connection mid-file,
so the real pooch/requests code path runs: progress bar, retry after a broken
connection, checksum before the file is moved into place, the offline error.
"""

import hashlib
import http.server
import socket
import threading
from pathlib import Path

import numpy as np
import pooch
import pytest

from sklvae.datasets import (
    CorruptDatasetError,
    DatasetNotFoundError,
    _fetch,
    dsprites,
    fetch_dsprites,
    make_dsprites,
)


class _Server:
    """Serves ``routes[path]``: a list of responses used in turn (the last one repeats).

    A response is ``bytes`` (sent whole) or ``("broken", bytes)``: the headers
    announce the whole file but the connection closes after half of it.
    """

    def __init__(self):
        self.routes = {}
        self.hits = []
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                server.hits.append(self.path)
                responses = server.routes.get(self.path)
                if not responses:
                    self.send_error(404)
                    return
                response = responses.pop(0) if len(responses) > 1 else responses[0]
                broken = isinstance(response, tuple)
                payload = response[1] if broken else response
                self.send_response(200)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload[: len(payload) // 2] if broken else payload)
                if broken:
                    self.wfile.flush()
                    self.close_connection = True

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)

    def url(self, path):
        return f"http://127.0.0.1:{self.httpd.server_address[1]}{path}"


@pytest.fixture
def server(monkeypatch):
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setattr(pooch.core.time, "sleep", lambda seconds: None)  # retry waits
    s = _Server()
    s.thread.start()
    yield s
    s.httpd.shutdown()
    s.httpd.server_close()
    s.thread.join(timeout=5)


def _closed_port_url(path):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}{path}"


def _leftovers(folder):
    return sorted(p.name for p in Path(folder).iterdir())


PAYLOAD = bytes(range(256)) * 4000  # 1 MB


def _md5(data):
    return ("md5", hashlib.md5(data).hexdigest())


def test_progress_bar_and_retry_after_broken_connection(server, tmp_path, capfd):
    server.routes["/file.bin"] = [("broken", PAYLOAD), PAYLOAD]
    target = tmp_path / "home" / "file.bin"
    result = _fetch._download(
        server.url("/file.bin"), target, checksum=_md5(PAYLOAD), what="the file"
    )
    assert result == target and target.read_bytes() == PAYLOAD
    assert server.hits == ["/file.bin", "/file.bin"]  # the broken attempt, then the retry
    assert "100%" in capfd.readouterr().err  # tqdm's progress bar on stderr
    assert _leftovers(target.parent) == ["file.bin"]


def test_existing_file_with_other_hash_is_kept_without_overwrite(server, tmp_path):
    server.routes["/file.bin"] = [PAYLOAD]
    target = tmp_path / "file.bin"
    target.write_bytes(b"my own copy")
    url = server.url("/file.bin")
    assert _fetch._download(url, target, checksum=_md5(PAYLOAD), what="the file") == target
    assert target.read_bytes() == b"my own copy" and server.hits == []
    _fetch._download(url, target, checksum=_md5(PAYLOAD), what="the file", overwrite=True)
    assert target.read_bytes() == PAYLOAD and server.hits == ["/file.bin"]


def test_loader_reports_a_bad_existing_file_and_keeps_it(server, tmp_path, monkeypatch):
    source = tmp_path / "source.npz"
    rows = np.arange(30)
    ds = make_dsprites()
    classes = np.concatenate([np.zeros((30, 1), np.int64), ds.factors[rows]], axis=1)
    np.savez_compressed(source, imgs=(ds[rows] // 255).astype(np.uint8), latents_classes=classes)
    good = source.read_bytes()
    server.routes["/dsprites.npz"] = [good]
    monkeypatch.setattr(dsprites, "DSPRITES_URL", server.url("/dsprites.npz"))
    home = tmp_path / "home"
    home.mkdir()
    path = home / dsprites.DSPRITES_FILENAME
    path.write_bytes(b"not the dSprites file")
    with pytest.raises(CorruptDatasetError, match="overwrite=True"):
        fetch_dsprites(data_home=home)
    assert path.read_bytes() == b"not the dSprites file" and server.hits == []
    fetched = fetch_dsprites(data_home=home, overwrite=True)
    assert path.read_bytes() == good and len(server.hits) == 1
    np.testing.assert_array_equal(fetched.factors, ds.factors[rows])


def test_checksum_mismatch_leaves_nothing_in_place(server, tmp_path):
    server.routes["/file.bin"] = [PAYLOAD]
    folder = tmp_path / "home"
    target = folder / "file.bin"
    wrong = ("md5", "0" * 32)
    with pytest.raises(CorruptDatasetError, match=r"expected md5 0{32}.*nothing was written"):
        _fetch._download(server.url("/file.bin"), target, checksum=wrong, what="the file")
    assert not target.exists() and _leftovers(folder) == []
    assert len(server.hits) == 1 + _fetch._DOWNLOAD_RETRIES  # a bad checksum is retried too
    # an existing file stays as it was when the replacement is bad
    target.write_bytes(b"old")
    with pytest.raises(CorruptDatasetError):
        _fetch._download(
            server.url("/file.bin"), target, checksum=wrong, what="the file", overwrite=True
        )
    assert target.read_bytes() == b"old" and _leftovers(folder) == ["file.bin"]


def test_offline_error_names_url_and_where_to_place_the_file(tmp_path, monkeypatch):
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setattr(pooch.core.time, "sleep", lambda seconds: None)
    url = _closed_port_url("/dsprites.npz")
    monkeypatch.setattr(dsprites, "DSPRITES_URL", url)
    home = tmp_path / "home"
    with pytest.raises(DatasetNotFoundError) as info:
        fetch_dsprites(data_home=home)
    message = str(info.value)
    assert url in message
    assert f"place it at {home / dsprites.DSPRITES_FILENAME}" in message
    assert "data_home" in message and "SKLVAE_DATA" in message
    assert _leftovers(home) == []  # no partial file
