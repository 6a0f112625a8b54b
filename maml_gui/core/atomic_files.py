"""Atomic file writes: a temporary file in the same folder, then a rename.

A killed process leaves either the old or the new file, never half of one. Files get the
permissions ``open()`` would give them (``mkstemp``'s are owner-only), so a run directory or an
export written on a shared server stays readable as the umask allows.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def _read_umask() -> int:
    umask = os.umask(0o022)
    os.umask(umask)
    return umask


# Read once, at import (os.umask can only be read by setting it, which is not thread-safe).
NEW_FILE_MODE = 0o666 & ~_read_umask()


def atomic_write_all(files: dict[Path, bytes | str]) -> None:
    """Write every file to a temporary name first, then rename them all; no temporary file is
    left behind on failure (the ``OSError`` is raised)."""
    pending: list[tuple[str, Path]] = []
    try:
        for target, data in files.items():
            target = Path(target)
            payload = data.encode("utf-8") if isinstance(data, str) else data
            fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
            pending.append((tmp, target))
            with os.fdopen(fd, "wb") as handle:
                if hasattr(os, "fchmod"):
                    os.fchmod(handle.fileno(), NEW_FILE_MODE)
                handle.write(payload)
                handle.flush()
                os.fsync(handle.fileno())
        while pending:
            tmp, target = pending[0]
            os.replace(tmp, target)
            pending.pop(0)
    finally:
        for tmp, _ in pending:
            Path(tmp).unlink(missing_ok=True)


def atomic_write(path: Path, data: bytes | str) -> None:
    """Write ``data`` to ``path`` atomically."""
    atomic_write_all({Path(path): data})
