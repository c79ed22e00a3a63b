"""One run per output folder: an advisory lock (``fcntl.flock``) on ``OUT/.ocop-sim.lock``.

A second batch on the same ``--out`` fails fast with :class:`~ocop_sim.io.OutputBusyError`
(exit 2) naming the folder and the PID holding it.  The kernel releases a ``flock`` when its
holder dies, so the lock file a killed run leaves behind never blocks (no stale locks); the
file is kept (removing it would let two runs lock two different files of the same name).
"""
from __future__ import annotations

import os
from pathlib import Path

from .io import OutputBusyError, OutputPathError

LOCK_FILE = ".ocop-sim.lock"


class OutputLock:
    """``with OutputLock(folder):`` hold the folder's lock for the duration of a run."""

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)
        self.path = self.folder / LOCK_FILE
        self._fd: int | None = None

    def acquire(self) -> "OutputLock":
        try:
            import fcntl
        except ImportError:  # pragma: no cover - not POSIX: no lock, as before
            return self
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o644)
        except OSError as exc:
            raise OutputPathError(f"--out {self.folder}: expected a writable folder, got {exc.strerror}") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read_pid(fd)
            os.close(fd)
            raise OutputBusyError(f"--out {self.folder}: in use by another ocop-sim run (PID {holder}); wait for it "
                                  "to finish or choose another folder") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self._fd = fd
        return self

    def release(self) -> None:
        if self._fd is not None:
            import fcntl

            try:
                if os.getpid() == _read_pid(self._fd, default=-1):
                    os.ftruncate(self._fd, 0)
                fcntl.flock(self._fd, fcntl.LOCK_UN)
            finally:
                os.close(self._fd)
                self._fd = None

    def __enter__(self) -> "OutputLock":
        return self.acquire()

    def __exit__(self, *exc) -> bool:
        self.release()
        return False


def _read_pid(fd: int, default="unknown"):
    try:
        raw = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
        return int(raw) if raw.isdigit() else default
    except OSError:
        return default
