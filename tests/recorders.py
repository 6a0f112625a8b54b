"""Helpers shared by the test packages: a folder digest (to prove nothing changed on disk) and,
where Qt is installed, a recorder of signals."""

from __future__ import annotations

import hashlib
import stat
from pathlib import Path


def tree_digest(folder: Path) -> str:
    """Hash of every file name, mode, modification time and content under ``folder``."""
    digest = hashlib.sha256()
    for path in sorted(Path(folder).rglob("*")):
        info = path.stat()
        digest.update(str(path.relative_to(folder)).encode())
        digest.update(f"{stat.S_IMODE(info.st_mode)} {info.st_mtime_ns}".encode())
        if path.is_file():
            digest.update(path.read_bytes())
    return digest.hexdigest()
