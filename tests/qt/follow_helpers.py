"""Seeing whether anything writes into a folder: its listing, and an audit hook on file operations."""

from __future__ import annotations

import os
import sys
from pathlib import Path

WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND
CHANGING_EVENTS = {"os.rename", "os.replace", "os.remove", "os.unlink", "os.rmdir", "os.mkdir", "os.chmod", "os.chown",
                   "os.utime", "os.truncate", "os.link", "os.symlink", "shutil.rmtree", "shutil.move"}
_audits: list["WriteAudit"] = []  # the active ones; sys.addaudithook cannot be removed, so it is added once


def listing(folder: Path) -> dict[str, tuple[int, int, int]]:
    """Every entry's (size, modification time in ns, inode): a file written, replaced or touched changes it."""
    return {entry.name: (entry.stat().st_size, entry.stat().st_mtime_ns, entry.inode())
            for entry in os.scandir(folder)}


def _hook(event: str, args: tuple) -> None:
    if not _audits:
        return
    if event == "open":
        path, mode, flags = args
        writing = (isinstance(mode, str) and any(c in mode for c in "wax+")) or (
            isinstance(flags, int) and flags & WRITE_FLAGS)
        paths = [path]
    elif event in CHANGING_EVENTS:
        writing, paths = True, [a for a in args[:2] if isinstance(a, (str, bytes, os.PathLike))]
    else:
        return
    for audit in _audits:
        for path in paths:
            if not isinstance(path, (str, bytes, os.PathLike)):
                continue
            inside = audit.covers(path)
            if inside and writing:
                audit.writes.append((event, os.fsdecode(path)))
            elif inside:
                audit.opened += 1


class WriteAudit:
    """``with WriteAudit(folder) as audit:`` records in ``audit.writes`` every attempt, from any
    thread, to create, open for writing, rename, remove or touch something inside ``folder``."""

    _installed = False

    def __init__(self, folder: Path) -> None:
        self.folder = os.path.realpath(folder)
        self.writes: list[tuple[str, str]] = []
        self.opened = 0

    def covers(self, path) -> bool:
        full = os.path.realpath(os.fsdecode(path))
        return full == self.folder or full.startswith(self.folder + os.sep)

    def __enter__(self) -> "WriteAudit":
        if not WriteAudit._installed:
            sys.addaudithook(_hook)
            WriteAudit._installed = True
        _audits.append(self)
        return self

    def __exit__(self, *exc) -> None:
        _audits.remove(self)
