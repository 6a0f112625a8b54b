"""Atomic file writes, and removing what a killed write left behind.

A file is written to a temporary ``.NAME.xxxxxxxx.tmp`` in the same folder, then renamed over
the target: a killed process leaves either the old or the new file, never half of one, plus
possibly the temporary file, which :func:`remove_stale_temp_files` deletes later (our own
pattern and names only, and only when no live writer holds its lock: a writer keeps an
advisory lock on each temporary file until it is renamed). Files get the permissions
``open()`` would give them (``mkstemp``'s are owner-only), so a run directory or an export
written on a shared server stays readable as the umask allows.
"""

from __future__ import annotations

import os
import re
import tempfile
import time
from pathlib import Path

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX
    fcntl = None

TEMP_FILE = re.compile(r"^\.(?P<name>.+)\.[a-z0-9_]{8}\.tmp$")  # tempfile.mkstemp(prefix=".NAME.", suffix=".tmp")
UNLOCKED_TEMP_AGE_S = 3600.0  # where files cannot be locked (not POSIX): remove only old ones


def _read_umask() -> int:
    umask = os.umask(0o022)
    os.umask(umask)
    return umask


# Read once, at import (os.umask can only be read by setting it, which is not thread-safe).
NEW_FILE_MODE = 0o666 & ~_read_umask()


def atomic_write_all(files: dict[Path, bytes | str]) -> None:
    """Write every file to a temporary name first, then rename them all; no temporary file is
    left behind on failure (the ``OSError`` is raised)."""
    pending: list[tuple[str, Path, object]] = []  # (temporary name, target, open locked handle)
    try:
        for target, data in files.items():
            target = Path(target)
            payload = data.encode("utf-8") if isinstance(data, str) else data
            fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
            handle = os.fdopen(fd, "wb")
            pending.append((tmp, target, handle))
            if fcntl is not None:  # held until the rename: cleaning up leftovers skips a file being written
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
            if hasattr(os, "fchmod"):
                os.fchmod(handle.fileno(), NEW_FILE_MODE)
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        if os.name != "posix":  # pragma: no cover - Windows cannot rename an open file
            for _, _, handle in pending:
                handle.close()
        while pending:
            tmp, target, handle = pending[0]
            os.replace(tmp, target)
            pending.pop(0)
            handle.close()
    finally:
        for tmp, _, handle in pending:
            handle.close()
            Path(tmp).unlink(missing_ok=True)


def atomic_write(path: Path, data: bytes | str) -> None:
    """Write ``data`` to ``path`` atomically."""
    atomic_write_all({Path(path): data})


def remove_stale_temp_files(folder: Path, names: tuple[str, ...]) -> list[Path]:
    """Delete what a killed :func:`atomic_write` left: ``.NAME.xxxxxxxx.tmp`` for our own
    ``names`` only, and only when no live writer holds the file's lock. Returns what went."""
    removed = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    for entry in entries:
        match = TEMP_FILE.match(entry.name)
        if match is None or match["name"] not in names:
            continue
        path = Path(entry.path)
        try:
            if entry.is_file(follow_symlinks=False) and _abandoned(path):
                path.unlink()
                removed.append(path)
        except OSError:  # read-only folder, or removed meanwhile: leave it
            continue
    return removed


def _abandoned(path: Path) -> bool:
    if fcntl is None:  # pragma: no cover - not POSIX
        return time.time() - path.stat().st_mtime > UNLOCKED_TEMP_AGE_S
    with open(path, "rb") as handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False  # a writer is still at work on it
        return True
