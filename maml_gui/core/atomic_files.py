"""Atomic file writes, and removing what a killed write left behind.

:func:`atomic_write` writes a temporary ``.NAME.xxxxxxxx.tmp`` next to the target, holding an
advisory lock on it, and renames it over the target; a process killed meanwhile leaves the old
file intact plus the temporary one. :func:`remove_stale_temp_files` deletes such leftovers
(our own pattern, our own names, and only when no live writer holds the lock).
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


def atomic_write(path: Path, data: bytes | str) -> None:
    """Write ``data`` to ``path`` via a temporary file in the same directory and a rename.

    The file gets the permissions ``open()`` would give it (mkstemp's are owner-only), so a
    run directory written on a shared server stays readable as the umask allows.
    """
    path = Path(path)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            if fcntl is not None:  # held until the rename: cleaning up leftovers skips a file being written
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
            if hasattr(os, "fchmod"):
                os.fchmod(handle.fileno(), NEW_FILE_MODE)
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
            if os.name == "posix":
                os.replace(tmp, path)
        if os.name != "posix":  # pragma: no cover - Windows cannot rename an open file
            os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def remove_stale_temp_files(folder: Path, names: tuple[str, ...]) -> list[Path]:
    """Delete what a killed :func:`atomic_write` left: ``.NAME.xxxxxxxx.tmp``
    for our own ``names`` only, and only when no live writer holds the file's lock. Returns what went."""
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
