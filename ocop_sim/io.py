"""Atomic file writing and safe output paths (the only file-system helpers of the package)."""
from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path


class OutputPathError(ValueError):
    """An output path would escape its output folder."""


def safe_child(folder: str | Path, name: str) -> Path:
    """``folder / name`` for a plain file name; refuses separators, ``..``, NUL and odd names."""
    if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,150}", name) or ".." in name:
        raise OutputPathError(f"unsafe output file name {name!r}: expected letters, digits, _ . - only")
    root = Path(folder).resolve()
    p = (root / name).resolve()
    if p.parent != root:
        raise OutputPathError(f"output {name!r} escapes {root}")
    return p


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


#: Final files get the usual permissions (0644 under umask 022), not mkstemp's private 0600.
_FILE_MODE = 0o666 & ~_umask()


def atomic_write_bytes(path: str | Path, data: bytes, check=None) -> Path:
    """Write to a temporary file in the same folder, fsync, then rename over ``path``.

    ``check(tmp_path)``, when given, runs on the written temporary file before the rename (e.g. a
    validation); if it raises, nothing is renamed and the temporary file is removed."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, _FILE_MODE)
        if check is not None:
            check(tmp)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    return path


def atomic_write_text(path: str | Path, text: str, check=None) -> Path:
    return atomic_write_bytes(path, text.encode("utf-8"), check)


def atomic_copy(src: str | Path, dst: str | Path) -> Path:
    return atomic_write_bytes(dst, Path(src).read_bytes())
