"""Reading a file the user named: only a regular file, only up to a size limit.

A FIFO would block forever, ``/dev/zero`` or ``/dev/urandom`` never end, and a symlink loop or a
path component longer than the file system allows raise OSErrors with no path in the message.
:func:`read_regular_file` opens without blocking, checks what it opened, and reads at most the
limit, so each of these becomes one :class:`UnreadableFile` line.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

from .messages import one_line

MAX_CONFIG_BYTES = 1 << 20  # 1 MiB: a config is a few hundred bytes


class UnreadableFile(ValueError):
    """The path is not a readable regular file of acceptable size; ``str()`` is one line."""


def _reason(err: OSError) -> str:
    if err.errno == errno.ELOOP:
        return "too many levels of symbolic links (a symlink loop?)"
    if err.errno == errno.ENAMETOOLONG:
        return "a name in the path is too long"
    return err.strerror or type(err).__name__


def read_regular_file(path: str | Path, max_bytes: int = MAX_CONFIG_BYTES, what: str = "file") -> bytes:
    """The bytes of the regular file at ``path``; UnreadableFile for anything else."""
    shown = one_line(os.fspath(path), limit=300)
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    except (OSError, ValueError) as err:  # ValueError: an embedded NUL byte
        reason = _reason(err) if isinstance(err, OSError) else "the path contains a NUL character"
        raise UnreadableFile(f"cannot read {what} {shown}: {reason}") from None
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise UnreadableFile(f"cannot read {what} {shown}: it is a directory")
        if not stat.S_ISREG(info.st_mode):
            raise UnreadableFile(f"cannot read {what} {shown}: not a regular file (a device, FIFO or socket)")
        if info.st_size > max_bytes:
            raise UnreadableFile(f"{what} {shown} is {info.st_size:,} bytes; at most {max_bytes:,} are read")
        chunks, total = [], 0
        while total <= max_bytes:
            chunk = os.read(fd, min(1 << 16, max_bytes + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
        if total > max_bytes:  # the file grew after fstat
            raise UnreadableFile(f"{what} {shown} is larger than {max_bytes:,} bytes")
        return b"".join(chunks)
    except OSError as err:
        raise UnreadableFile(f"cannot read {what} {shown}: {_reason(err)}") from None
    finally:
        os.close(fd)
