"""The data folder, downloads through pooch, checksums and atomic writes.

Guarantees of every download made here:

- an existing file is never replaced unless ``overwrite=True`` (the file is looked
  for before pooch is called, because pooch itself replaces a file whose hash
  differs from the known one);
- the data go to a temporary file in the target folder, the checksum is verified
  there, and only then is the file renamed into place (``os.replace``); any
  failure leaves neither a partial file nor a changed target;
- a broken connection is retried (``_DOWNLOAD_RETRIES`` times, waiting 1 s, 2 s,
  ...), a progress bar is shown on stderr when ``tqdm`` is installed, and a
  download that cannot be made raises :class:`DatasetNotFoundError` naming the URL
  and where to place the file by hand.

A release published as an archive of a folder is extracted into a temporary
folder renamed into place once complete (:func:`_ensure_folder`); a gzipped file is
decompressed once, atomically (:func:`_gunzipped`). Both write through
:mod:`sklvae._atomic`.
"""

from __future__ import annotations

import gzip
import os
import shutil
import tarfile
import tempfile
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .._atomic import atomic_folder, atomic_path
from ._checks import CorruptDatasetError, DatasetNotFoundError, check_bool, reading_file

__all__ = ["get_data_home", "DATA_HOME_ENV"]

#: Environment variable naming the data folder (see :func:`get_data_home`).
DATA_HOME_ENV = "SKLVAE_DATA"
# Download attempts after the first one fails (broken connection, bad checksum).
_DOWNLOAD_RETRIES = 2
_DOWNLOAD_TIMEOUT_S = 60.0
_WHERE_FROM = f"argument `data_home`, else ${DATA_HOME_ENV}, else ~/sklvae_data"


def get_data_home(data_home: str | os.PathLike | None = None) -> Path:
    """The folder holding dataset files.

    Parameters
    ----------
    data_home : str or path-like, default=None
        Used if given. Otherwise the environment variable ``SKLVAE_DATA``, else
        ``~/sklvae_data``. ``~`` is expanded. The folder is not created here
        (only a download creates it).

    Returns
    -------
    pathlib.Path
        The folder, absolute, with ``~`` expanded.

    Raises
    ------
    TypeError
        ``data_home`` is not a string or path.
    ValueError
        The path exists and is a file, not a folder.
    """
    source = "data_home"
    if data_home is None:
        source = f"${DATA_HOME_ENV}" if os.environ.get(DATA_HOME_ENV) else "the default data folder"
        data_home = os.environ.get(DATA_HOME_ENV) or os.path.join("~", "sklvae_data")
    if not isinstance(data_home, (str, os.PathLike)) or isinstance(data_home, bytes):
        raise TypeError(
            f"data_home must be a folder path (str or os.PathLike) or None, got "
            f"{data_home!r} of type {type(data_home).__name__}."
        )
    path = Path(data_home).expanduser()
    if path.exists() and not path.is_dir():
        raise ValueError(f"{source} {str(path)!r} is a file, not a folder; pass a folder.")
    return path


def _progressbar_available() -> bool:
    try:
        import tqdm  # noqa: F401
    except ImportError:
        return False
    return True


def _pooch_fetch(url: str, folder: Path, fname: str, known_hash: str | None) -> None:
    """Download ``url`` to ``folder / fname`` with pooch (retries, progress, hash check)."""
    import pooch

    downloader = pooch.HTTPDownloader(
        progressbar=_progressbar_available(), timeout=_DOWNLOAD_TIMEOUT_S
    )
    fetcher = pooch.create(
        path=folder,
        base_url="",
        registry={fname: known_hash},
        urls={fname: url},
        retry_if_failed=_DOWNLOAD_RETRIES,
    )
    fetcher.fetch(fname, downloader=downloader)


def _download(
    url: str,
    target: Path,
    *,
    checksum: tuple[str, str] | None,
    what: str,
    overwrite: bool = False,
) -> Path:
    """Download ``url`` to ``target`` with a checksum check and an atomic rename.

    Parameters
    ----------
    url : str
    target : Path
        Final location. Kept as is when it exists and ``overwrite`` is False.
    checksum : (algorithm, hexdigest) or None
        e.g. ``("md5", "...")``. ``None`` when no published checksum is known.
    what : str
        Human description used in errors ("the dSprites file").
    overwrite : bool, default=False
        Download again and replace an existing ``target``.
    """
    import requests

    target = Path(target)
    if target.exists() and not overwrite:
        return target
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DatasetNotFoundError(
            f"Cannot create the data folder {target.parent} for {what}: {exc}"
        ) from exc
    # pooch downloads to its own temporary file, checks the hash and moves it to
    # this fresh name; only then does the file replace the target.
    fd, part_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    os.close(fd)
    part = Path(part_name)
    part.unlink()
    known_hash = f"{checksum[0]}:{checksum[1].lower()}" if checksum else None
    try:
        try:
            _pooch_fetch(url, target.parent, part.name, known_hash)
        except ValueError as exc:  # pooch: hash mismatch after every retry
            raise CorruptDatasetError(
                f"The download of {what} from {url} does not have the expected "
                f"{checksum[0] if checksum else 'hash'} {checksum[1] if checksum else ''} "
                f"({exc}); nothing was written to {target}. Retry, or place a good copy "
                "there yourself."
            ) from exc
        except (requests.exceptions.RequestException, OSError) as exc:
            raise DatasetNotFoundError(
                f"Could not download {what} from {url} ({type(exc).__name__}: {exc}). "
                f"Without a network, download it elsewhere and place it at {target} "
                f"(data folder: {_WHERE_FROM})."
            ) from exc
        os.replace(part, target)
    finally:
        if part.exists():
            part.unlink()
    return target


def _ensure_file(
    target: Path,
    url: str | None,
    checksum: tuple[str, str] | None,
    what: str,
    download_if_missing: Any,
    overwrite: Any,
) -> Path:
    """Return ``target``, downloading it from ``url`` when missing (or when ``overwrite``).

    ``what`` names the file in messages; the two flags are a ``fetch_*``'s arguments.
    """
    download_if_missing, overwrite = check_download_flags(download_if_missing, overwrite)
    if target.exists() and not overwrite:
        return target
    if not download_if_missing or url is None:
        raise DatasetNotFoundError(
            f"{what} not found at {target}. Place the file there "
            + (f"(from {url}) " if url else "")
            + f"or pass download_if_missing=True. The folder comes from the {_WHERE_FROM}."
        )
    return _download(url, target, checksum=checksum, what=what, overwrite=overwrite)


def _ensure_folder(
    folder: Path,
    archive: Path,
    url: str,
    checksum: tuple[str, str] | None,
    what: str,
    extract: Callable[[Path, Path], None],
    download_if_missing: Any,
    overwrite: Any,
) -> Path:
    """Return ``folder``, extracting it from ``archive`` when it is missing.

    The archive is downloaded first when it is missing too (or when
    ``overwrite``; the old folder is then removed once the new archive is there).
    ``extract(archive, tmp)`` fills a temporary folder beside ``folder`` that is
    renamed to ``folder`` once complete (:func:`sklvae._atomic.atomic_folder`); a
    failed extraction leaves no folder and raises :class:`CorruptDatasetError`
    naming the archive.
    """
    download_if_missing, overwrite = check_download_flags(download_if_missing, overwrite)
    if folder.is_dir() and not overwrite:
        return folder
    if not archive.exists() or overwrite:
        if not download_if_missing:
            raise DatasetNotFoundError(
                f"{what} not found: neither the folder {folder} nor the archive {archive} "
                f"(from {url}) exists. Place either there or pass download_if_missing=True. "
                f"The data folder comes from the {_WHERE_FROM}."
            )
        _download(url, archive, checksum=checksum, what=f"the archive of {what}", overwrite=True)
    if folder.is_dir():
        shutil.rmtree(folder)
    try:
        with atomic_folder(folder) as tmp:
            extract(archive, tmp)
    except (tarfile.TarError, zipfile.BadZipFile, gzip.BadGzipFile, zlib.error, EOFError) as exc:
        raise CorruptDatasetError(
            f"Cannot extract {archive} ({exc}); it is probably truncated or not the "
            f"archive of {what}. Delete it and download it again (or pass overwrite=True)."
        ) from exc
    return folder


def _gunzipped(source: Path, target: Path, what: str) -> Path:
    """``target``: the decompressed ``source`` (a ``.gz``), written once (atomic rename).

    Rebuilt when ``source`` is newer than ``target``; a truncated or corrupt
    ``source`` raises :class:`CorruptDatasetError` naming it.
    """
    if target.exists() and target.stat().st_mtime >= source.stat().st_mtime:
        return target
    with reading_file(source, what), gzip.open(source, "rb") as packed:
        with atomic_path(target) as tmp, open(tmp, "wb") as out:
            shutil.copyfileobj(packed, out, length=16 * 2**20)
    return target


def check_download_flags(download_if_missing: Any, overwrite: Any) -> tuple[bool, bool]:
    """Check the ``download_if_missing`` and ``overwrite`` arguments of a ``fetch_*``."""
    download_if_missing = check_bool(download_if_missing, "download_if_missing")
    overwrite = check_bool(overwrite, "overwrite")
    if overwrite and not download_if_missing:
        raise ValueError(
            "overwrite=True downloads the file again; it needs download_if_missing=True."
        )
    return download_if_missing, overwrite
