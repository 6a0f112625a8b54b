"""Reading the complete lines added to a text file since the last read, without writing anything.

A run's ``metrics.csv`` and ``validation.jsonl`` grow while another process trains: rewritten
whole and renamed into place (:mod:`~maml_gui.core.atomic_files`), or appended to. A
:class:`LineTail` remembers how far it has read and the last complete line it read; the next
read checks that line is still where it was and reads on from there, so a growing file costs
only its new bytes. A last line without its newline (still being written) is left for the next
read. When the line it remembers is gone (a resumed run rewrote the file from an earlier
iteration, or another file took its place) the read starts over and says so.

:class:`MetricsTail` and :class:`ValidationTail` parse those lines with the checks of
:mod:`~maml_gui.core.run_validation`; a damaged line is skipped and named, the others are kept.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from .metrics import MetricsHistory, ValidationRecord
from .run_validation import RunError, parse_history, parse_json, validation_record

MAX_PROBLEMS = 3  # damaged lines named per read; the rest are counted


class LineTail:
    """The complete lines appended to ``path`` since the last :meth:`read`."""

    def __init__(self, path: Path, name: str, limit: int) -> None:
        self.path, self.name, self.limit = Path(path), name, limit
        self.offset = 0  # bytes of complete lines read so far
        self._anchor = b""  # the last complete line read (with its newline)

    def read(self) -> tuple[list[str], bool]:
        """(the new complete lines, restarted): ``restarted`` when the file no longer continues
        what was read, and the lines are the whole file's. An absent file has no lines."""
        try:
            fd = os.open(self.path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
        except FileNotFoundError:
            return [], False
        except OSError as err:
            raise RunError(f"cannot read {self.name}: {err.strerror or err}") from None
        try:
            info = os.fstat(fd)
            if not stat.S_ISREG(info.st_mode):
                raise RunError(f"{self.name} is not a regular file")
            if info.st_size > self.limit:
                raise RunError(f"{self.name} is too large ({info.st_size:,} bytes; at most {self.limit:,} are read)")
            restarted = self.offset > 0 and not self._continues(fd, info.st_size)
            if restarted:
                self.offset, self._anchor = 0, b""
            data = os.pread(fd, max(info.st_size - self.offset, 0), self.offset)
        except OSError as err:
            raise RunError(f"cannot read {self.name}: {err.strerror or err}") from None
        finally:
            os.close(fd)
        end = data.rfind(b"\n") + 1
        if end == 0:
            return [], restarted
        complete = data[:end]
        self.offset += end
        self._anchor = complete[complete.rfind(b"\n", 0, end - 1) + 1:]
        try:
            text = complete.decode("utf-8")
        except UnicodeDecodeError as err:
            raise RunError(f"{self.name} is not UTF-8 text (byte {self.offset - end + err.start})") from None
        return text.split("\n")[:-1], restarted

    def _continues(self, fd: int, size: int) -> bool:
        n = len(self._anchor)
        return size >= self.offset and os.pread(fd, n, self.offset - n) == self._anchor


def _named(problems: list[str]) -> list[str]:
    if len(problems) <= MAX_PROBLEMS:
        return problems
    return problems[:MAX_PROBLEMS] + [f"... and {len(problems) - MAX_PROBLEMS} more damaged lines skipped"]


class MetricsTail:
    """New rows of ``metrics.csv`` (its header is read once, and again when the file starts over)."""

    def __init__(self, path: Path, name: str, limit: int) -> None:
        self.lines = LineTail(path, name, limit)
        self.name = name
        self.header: str | None = None

    def read(self) -> tuple[MetricsHistory, bool, list[str]]:
        """(the new rows, restarted, one line per damaged row skipped)."""
        lines, restarted = self.lines.read()
        if restarted:
            self.header = None
        if self.header is None and lines:
            self.header, lines = lines[0], lines[1:]
            try:
                parse_history(self.header + "\n", "", self.name, "")
            except RunError as err:
                self.header = None
                return MetricsHistory(), restarted, [str(err)]
        lines = [line for line in lines if line.strip()]
        if not lines:
            return MetricsHistory(), restarted, []
        try:
            return parse_history("\n".join([self.header, *lines]) + "\n", "", self.name, ""), restarted, []
        except RunError:
            pass
        rows, problems = MetricsHistory(), []  # line by line: keep every good row
        for line in lines:
            try:
                row = parse_history(f"{self.header}\n{line}\n", "", self.name, "")
            except RunError as err:
                problems.append(str(err).replace(", line 2:", ":"))
                continue
            rows.rows.extend(row.rows)
            rows.accuracy.extend(row.accuracy)
        return rows, restarted, _named(problems)


class ValidationTail:
    """New records of ``validation.jsonl``."""

    def __init__(self, path: Path, name: str, limit: int) -> None:
        self.lines = LineTail(path, name, limit)
        self.name = name

    def read(self) -> tuple[list[ValidationRecord], bool, list[str]]:
        lines, restarted = self.lines.read()
        records, problems = [], []
        for line in lines:
            if not line.strip():
                continue
            try:
                records.append(validation_record(parse_json(line, self.name), self.name))
            except RunError as err:
                problems.append(str(err))
        return records, restarted, _named(problems)
