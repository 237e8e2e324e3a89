"""Operating-system file locks: the results file's lock and the per-fit claims.

A lock is ``fcntl.flock`` on a small lock file: it is held by an open file, so the
operating system releases it when the process ends in any way (a SIGKILL, a reclaimed
node), and a lock left by a dead process never blocks the next run. Where ``fcntl`` is
missing (Windows) the locks do nothing: one process per results file.
"""

from __future__ import annotations

import os
from pathlib import Path

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

__all__ = ["FileLock", "LOCKS_AVAILABLE"]

#: whether locks exclude other processes on this platform
LOCKS_AVAILABLE = fcntl is not None


class FileLock:
    """An exclusive ``flock`` on ``path`` (created if missing), held until released.

    Parameters
    ----------
    path : path-like
        The lock file. Locks on one file exclude each other across processes and
        across the threads of one process.
    """

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        self._fd: int | None = None

    def acquire(self, blocking: bool = True) -> bool:
        """Take the lock; without ``blocking``, return False if another holder has it."""
        if self._fd is not None:
            raise RuntimeError(f"the lock {self.path} is already held by this object.")
        for attempt in range(3):
            self.path.parent.mkdir(parents=True, exist_ok=True)
            try:
                fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
                break
            except FileNotFoundError:  # the folder was removed meanwhile by another process
                if attempt == 2:
                    raise
        if fcntl is not None:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
            except BlockingIOError:
                os.close(fd)
                return False
            except BaseException:
                os.close(fd)
                raise
        self._fd = fd
        return True

    def release(self, remove: bool = False) -> None:
        """Let the lock go; ``remove`` also deletes the lock file (while still held)."""
        if self._fd is None:
            return
        try:
            if remove:
                self.path.unlink(missing_ok=True)
        finally:
            os.close(self._fd)
            self._fd = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def __enter__(self) -> FileLock:
        self.acquire()
        return self

    def __exit__(self, *exc_info) -> None:
        self.release()
