"""Atomic file writing and safe output paths (the only file-system helpers of the package)."""
from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

from .errors import InputError


class OutputPathError(InputError, ValueError):
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


# ----------------------------------------------------------------------------- output folders


class OutputBusyError(OutputPathError):
    """Another run holds the output folder's lock (exit 2: wait for it, or choose another --out)."""


def check_out_dir(folder: str | Path, option: str = "--out") -> Path:
    """The output folder, created if missing and proved writable, before any work.

    Raises OutputPathError (one line: the folder, what was expected, what was found) when the
    path is a file, cannot be created, or a file cannot be written in it."""
    p = Path(folder)
    if p.exists() and not p.is_dir():
        raise OutputPathError(f"{option} {p}: expected a folder, got a file")
    try:
        p.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=".write-probe.", dir=p)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise OutputPathError(f"{option} {p}: expected a writable folder, got {exc.strerror or exc}") from None
    return p


def fsync_dir(folder: str | Path) -> None:
    """Make renames in ``folder`` durable (no-op where directories cannot be opened)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


#: inside a stage: the old files a commit replaces (hard links, for a rollback) and the journal
#: that says a commit of this stage began (a later run rolls an interrupted commit back)
_BACKUP, _JOURNAL = ".old", ".committing"


def _files_under(root: Path) -> list[Path]:
    return sorted(p.relative_to(root) for p in root.rglob("*") if p.is_file() and not p.is_symlink()
                  and p.relative_to(root).parts[0] not in (_BACKUP, _JOURNAL))


def _rollback(stage: Path, folder: Path, rel: list[Path]) -> None:
    """Undo a commit of ``stage`` that moved some of ``rel``: every moved file goes back to its old
    version (or away, where it had none), and an old file removed ahead (the manifest) comes back."""
    for r in rel:
        if (stage / r).exists():
            continue  # not moved yet
        dst, old = folder / r, stage / _BACKUP / r
        if old.exists():
            os.replace(old, dst)
        else:
            try:
                dst.unlink()
            except FileNotFoundError:
                pass
    backup = stage / _BACKUP
    if backup.exists():  # old files removed ahead of the move (``last``): restore them
        for r in _files_under(backup):
            if not (folder / r).exists():
                os.replace(backup / r, folder / r)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def recover_sets(folder: str | Path) -> int:
    """Clean up after processes that died while staging into ``folder``: a commit they left half
    done (a stage holding the journal) is rolled back, a stage they never committed is removed.
    Stages of live processes (their PID is in the stage's name) are left alone: two workers may
    stage into one folder at once.  Returns how many commits were rolled back.  Called before a
    new set is staged into the folder."""
    import shutil

    folder = Path(folder)
    n = 0
    for stage in sorted(folder.glob(".staging.*")):
        parts = stage.name.split(".")
        if len(parts) < 4 or not parts[2].isdigit() or _alive(int(parts[2])):
            continue  # a live process's stage, or one of an unknown layout
        journal = stage / _JOURNAL
        if journal.is_file():
            rel = [Path(line) for line in journal.read_text(encoding="utf-8").splitlines() if line]
            _rollback(stage, folder, rel)
            n += 1
        shutil.rmtree(stage, ignore_errors=True)
    return n


def commit_set(stage: str | Path, folder: str | Path, last: str | None = None) -> list[Path]:
    """Move every file of ``stage`` into ``folder`` (same relative paths) as one set.

    All or nothing: the files it replaces are kept first (hard links in the stage); if a move
    fails, the moved files are put back and the error is raised.  A journal in the stage lists
    the set while it moves, so that a commit interrupted by a kill is rolled back by the next run
    (:func:`recover_sets`).  ``last`` (a relative path, e.g. the manifest) is removed from
    ``folder`` first and moved in last, so a reader that finds it finds the whole new set.  The
    renames are within one file system (the stage lives in ``folder``).  Returns the final paths."""
    import shutil

    stage, folder = Path(stage), Path(folder)
    rel = _files_under(stage)
    last_rel = Path(last) if last is not None else None
    if last_rel is not None and last_rel in rel:
        rel = [r for r in rel if r != last_rel] + [last_rel]
    # keep the old versions (hard links cost no space; a copy where links are not supported)
    for r in rel:
        dst = folder / r
        if dst.is_file():
            keep = stage / _BACKUP / r
            keep.parent.mkdir(parents=True, exist_ok=True)
            try:
                os.link(dst, keep)
            except OSError:
                shutil.copy2(dst, keep)
    # the journal is whole before the first move (a kill while it is written leaves nothing moved)
    with open(stage / _JOURNAL, "w", encoding="utf-8") as fh:
        fh.write("\n".join(str(r) for r in rel) + "\n")
        fh.flush()
        os.fsync(fh.fileno())
    out = []
    try:
        if last_rel is not None and last_rel in rel:
            try:
                (folder / last_rel).unlink()
            except FileNotFoundError:
                pass
        for r in rel:
            dst = folder / r
            dst.parent.mkdir(parents=True, exist_ok=True)
            os.replace(stage / r, dst)
            out.append(dst)
    except BaseException:
        _rollback(stage, folder, rel)
        raise
    (stage / _JOURNAL).unlink()
    shutil.rmtree(stage / _BACKUP, ignore_errors=True)
    for d in {(folder / r).parent for r in rel}:
        fsync_dir(d)
    return out


class staged_output:
    """``with staged_output(folder, last="x_manifest.json") as stage:`` write the set into
    ``stage``; on success every file moves into ``folder`` together (:func:`commit_set`), on any
    failure nothing of the set reaches ``folder``.  The stage (a fresh ``tempfile.mkdtemp`` in
    ``folder``) is the tool's own and is always removed."""

    def __init__(self, folder: str | Path, last: str | None = None) -> None:
        self.folder = Path(folder)
        self.last = last
        self.stage: Path | None = None
        self.files: list[Path] = []

    def __enter__(self) -> Path:
        self.folder.mkdir(parents=True, exist_ok=True)
        recover_sets(self.folder)
        self.stage = Path(tempfile.mkdtemp(prefix=f".staging.{os.getpid()}.", dir=self.folder))
        return self.stage

    def final(self, staged_path: str | Path) -> Path:
        """Where a file written into the stage lands after the commit."""
        return self.folder / Path(staged_path).relative_to(self.stage)

    def __exit__(self, typ, exc, tb) -> bool:
        import shutil

        try:
            if typ is None:
                self.files = commit_set(self.stage, self.folder, self.last)
        finally:
            shutil.rmtree(self.stage, ignore_errors=True)
        return False
