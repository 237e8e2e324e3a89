"""Atomic writes: a file or folder appears complete under its name, or not at all.

Every file sklvae writes for later reading (dataset caches, study results, saved models,
training checkpoints) goes through :func:`atomic_path` or :func:`atomic_folder`: the data
are written to a temporary name in the target's own folder, flushed to disk (``fsync``),
then renamed into place (``os.replace``, atomic on POSIX and Windows), and the folder
entry is synced. A crash or a failed write (no space, no permission, a file-size limit)
leaves the previous complete version, never a partial one, and the failure is raised as
an ``OSError`` that names the file.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

__all__ = ["atomic_path", "atomic_folder", "atomic_write_text"]

#: errors of a write that could not be completed: the target is named in a new error
_WRITE_ERRNOS = {
    errno.ENOSPC,
    errno.EFBIG,
    errno.EACCES,
    errno.EPERM,
    errno.EROFS,
    errno.EIO,
    getattr(errno, "EDQUOT", errno.ENOSPC),
}


def _fsync_folder(folder: Path) -> None:
    """Persist a folder's entries (a rename); a no-op where folders cannot be opened."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # Windows: folders cannot be opened; the rename is already durable
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _fsync_file(path: Path) -> None:
    with open(path, "rb+") as handle:
        os.fsync(handle.fileno())


def _write_error(target: Path, exc: OSError) -> OSError:
    reason = exc.strerror or str(exc)
    return type(exc)(
        exc.errno,
        f"Could not write {target} ({reason}); the previous version of the file, if "
        "any, is unchanged. Free space or fix the permissions and file-size limit, then "
        "run again.",
    )


@contextlib.contextmanager
def _named_write_errors(target: Path) -> Iterator[None]:
    try:
        yield
    except OSError as exc:
        if exc.errno in _WRITE_ERRNOS and str(target) not in str(exc):
            raise _write_error(target, exc) from exc
        raise


@contextlib.contextmanager
def atomic_path(target: str | os.PathLike) -> Iterator[Path]:
    """A temporary path beside ``target`` that replaces it once the block succeeds.

    Parameters
    ----------
    target : path-like
        The file to create or replace; its folder is created if missing.

    Yields
    ------
    pathlib.Path
        An empty file in the target's folder, to be written by the block (by name:
        ``joblib.dump(obj, tmp)``, ``np.save``, ``torch.save``, ...). When the block
        returns, the file is synced and renamed to ``target``; when it raises, the
        file is removed and ``target`` is left as it was.

    Raises
    ------
    OSError
        A write that failed for lack of space or permission, or a file-size limit,
        with a message naming ``target``.
    """
    target = Path(target)
    with _named_write_errors(target):
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(
            prefix=f".{target.name}.", suffix=".part", dir=target.parent
        )
        os.close(fd)
        tmp = Path(tmp_name)
        try:
            yield tmp
            _fsync_file(tmp)
            os.replace(tmp, target)
            _fsync_folder(target.parent)
        finally:
            tmp.unlink(missing_ok=True)


def atomic_write_text(target: str | os.PathLike, text: str) -> None:
    """Write ``text`` (UTF-8) to ``target`` atomically (see :func:`atomic_path`)."""
    with atomic_path(target) as tmp, open(tmp, "w", encoding="utf-8", newline="") as handle:
        handle.write(text)


@contextlib.contextmanager
def atomic_folder(target: str | os.PathLike) -> Iterator[Path]:
    """A temporary folder beside ``target`` that becomes ``target`` once the block succeeds.

    The block fills the folder; then every file in it is synced and the folder is
    renamed to ``target`` (which must not exist yet: a folder cannot replace another
    atomically). When the block raises, the temporary folder is removed.

    Parameters
    ----------
    target : path-like
        The folder to create; its parent is created if missing.

    Yields
    ------
    pathlib.Path
        An empty temporary folder in the target's parent.

    Raises
    ------
    FileExistsError
        ``target`` exists.
    OSError
        A failed write, naming ``target``.
    """
    target = Path(target)
    if target.exists():
        raise FileExistsError(errno.EEXIST, f"{target} exists already", str(target))
    with _named_write_errors(target):
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent))
        try:
            yield tmp
            for path in tmp.rglob("*"):
                if path.is_file():
                    _fsync_file(path)
            _fsync_folder(tmp)
            os.rename(tmp, target)
            _fsync_folder(target.parent)
        finally:
            if tmp.exists():
                shutil.rmtree(tmp, ignore_errors=True)
