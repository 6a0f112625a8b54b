"""Checks on what is read from a run directory, before any of it is used.

Every file of a run may have been damaged, truncated, hand-edited or crafted. These helpers
read with size limits, parse JSON and CSV without letting Python's own errors (overflow,
recursion, memory) escape, and check types, lengths and ranges. Everything wrong is a
:class:`RunError`, whose text is one printable line.
"""

from __future__ import annotations

import csv
import io
import json
import math
import stat
import unicodedata
from pathlib import Path

from .evaluation import AdaptationCurve
from .metrics import ACCURACY_COLUMN, COLUMNS, MetricsHistory, ValidationRecord

# What Python raises while parsing hostile text (besides ValueError): a number too large for an
# int, nesting deeper than the interpreter's stack, a file that does not fit in memory.
PARSE_ERRORS = (ValueError, TypeError, KeyError, IndexError, OverflowError, RecursionError, MemoryError,
                UnicodeDecodeError)
MAX_ITERATION = 2**53  # far above any config's iterations; exact in a float64
MAX_POINTS = 10_000  # drawn support points; the playground hit-tests each one per mouse event
MAX_SHOWN = 80  # characters of a value from a file quoted in a message


def one_line(text: str) -> str:
    """``text`` with line breaks, control and bidirectional characters escaped, so it prints as one line."""
    out = []
    for char in str(text):
        if char == "\n":
            out.append("\\n")
        elif unicodedata.category(char) in ("Cc", "Cf", "Zl", "Zp") and char != "\t":
            out.append(repr(char)[1:-1] if char.isascii() else f"\\u{ord(char):04x}")
        else:
            out.append(" " if char == "\t" else char)
    return "".join(out)


class RunError(ValueError):
    """A directory that is not a readable run; ``str()`` is one line for the user."""

    def __init__(self, message: str) -> None:
        super().__init__(one_line(message))


def shown(value) -> str:
    """A value from a file, quoted for a message and cut to a readable length."""
    text = repr(value)
    return text if len(text) <= MAX_SHOWN else text[:MAX_SHOWN - 3] + "..."


# -- reading ------------------------------------------------------------------------------------
def present(folder: Path, name: str) -> bool:
    """True for a regular file (or a link to one), False when absent; anything else there is refused."""
    path = folder / name
    try:
        info = path.stat()
    except FileNotFoundError:
        if path.is_symlink():
            raise RunError(f"{name} is a link to nothing") from None
        return False
    except OSError as err:  # a loop of links, a name too long, no permission
        raise RunError(f"cannot read {name}: {err.strerror or err}") from None
    if not stat.S_ISREG(info.st_mode):
        raise RunError(f"{name} is not a regular file")
    return True


def read_bytes(path: Path, limit: int, name: str) -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes (checked before reading)."""
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):
            raise RunError(f"{name} is not a regular file")
        if info.st_size > limit:
            raise RunError(f"{name} is too large ({info.st_size:,} bytes; at most {limit:,} expected)")
        with open(path, "rb") as handle:
            data = handle.read(limit + 1)
    except MemoryError:
        raise RunError(f"{name} is too large to read") from None
    except OSError as err:
        raise RunError(f"cannot read {name}: {err.strerror or err}") from None
    if len(data) > limit:  # grew while being read
        raise RunError(f"{name} is too large (more than {limit:,} bytes)")
    return data


def read_text(path: Path, limit: int, name: str) -> str:
    try:
        return read_bytes(path, limit, name).decode("utf-8")
    except UnicodeDecodeError as err:
        raise RunError(f"{name} is not UTF-8 text (byte {err.start})") from None


def parse_json(text: str, name: str):
    try:
        return json.loads(text)
    except RecursionError:
        raise RunError(f"{name} is nested too deeply") from None
    except (ValueError, MemoryError) as err:
        raise RunError(f"{name} is not valid JSON: {err}") from None


def whole_number(value, what: str, low: int = 0, high: int = MAX_ITERATION) -> int:
    """``value`` if it is an int (or a whole float, as JSON may write one) in [low, high]."""
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise RunError(f"{what} must be a whole number, not {shown(value)}")
    if not low <= value <= high:
        raise RunError(f"{what} must be between {low:,} and {high:,}, not {shown(value)}")
    return value


def number(value, what: str, finite: bool = True) -> float:
    """``value`` as a float if it is a JSON number (finite unless ``finite`` is False)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise RunError(f"{what} must be a number, not {shown(value)}")
    try:
        result = float(value)
    except OverflowError:
        raise RunError(f"{what} is too large: {shown(value)}") from None
    if finite and not math.isfinite(result):
        raise RunError(f"{what} must be finite, not {result}")
    return result


# -- run.json, points.json -----------------------------------------------------------------------
def check_run_info(info, name: str, newest_format: int) -> dict:
    if not isinstance(info, dict) or info.get("format") != "maml-gui-run":
        raise RunError(f"{name} was not written by MAML Studio")
    version = whole_number(info.get("format_version", 0), f"{name}: format_version", 0, 2**31)
    if version > newest_format:
        raise RunError(f"{name}: the run was written by a newer MAML Studio (run format {version})")
    if "iteration" in info:
        whole_number(info["iteration"], f"{name}: iteration")
    return info


def parse_points(document, name: str) -> list[tuple[float, float]]:
    points = document.get("points") if isinstance(document, dict) else None
    if not isinstance(points, list):
        raise RunError(f"{name} must hold {{\"points\": [[x, y], ...]}}")
    if len(points) > MAX_POINTS:
        raise RunError(f"{name} holds {len(points):,} points; at most {MAX_POINTS:,} are read")
    parsed = []
    for i, point in enumerate(points):
        if not isinstance(point, list) or len(point) != 2:
            raise RunError(f"{name}: point {i} must be [x, y], not {shown(point)}")
        parsed.append((number(point[0], f"{name}: point {i}"), number(point[1], f"{name}: point {i}")))
    return parsed


# -- metrics.csv, validation.jsonl ---------------------------------------------------------------
def parse_history(csv_text: str, jsonl_text: str, metrics_name: str, validation_name: str) -> MetricsHistory:
    history = MetricsHistory()
    reader = csv.reader(io.StringIO(csv_text))
    try:
        header = next(reader, None)
        if header is None or tuple(header[:len(COLUMNS)]) != COLUMNS:
            raise RunError(f"{metrics_name} has an unexpected header")
        accuracy_at = header.index(ACCURACY_COLUMN) if ACCURACY_COLUMN in header else None
        for line, row in enumerate(reader, start=2):
            if not row:
                continue
            if len(row) != len(header):
                raise RunError(f"{metrics_name}, line {line}: {len(row)} values for {len(header)} columns")
            iteration = whole_number(_csv_number(row[0], metrics_name, line), f"{metrics_name}, line {line}: iteration")
            values = [_csv_number(v, metrics_name, line) for v in row[1:len(COLUMNS)]]
            for column, value in zip(COLUMNS[3:], values[2:]):  # meta_lr, elapsed_s: finite, not negative
                if not (math.isfinite(value) and value >= 0):
                    raise RunError(f"{metrics_name}, line {line}: {column} must be a finite number >= 0, not {value}")
            history.rows.append((iteration, *values))
            if accuracy_at is not None:
                accuracy = _csv_number(row[accuracy_at], metrics_name, line)
                if not 0.0 <= accuracy <= 1.0:
                    raise RunError(f"{metrics_name}, line {line}: {ACCURACY_COLUMN} must be between 0 and 1, "
                                   f"not {accuracy}")
                history.accuracy.append(accuracy)
    except csv.Error as err:
        raise RunError(f"{metrics_name} is not valid CSV: {err}") from None
    for line, text in enumerate(jsonl_text.splitlines(), start=1):
        if text.strip():
            where = f"{validation_name}, line {line}"
            history.validations.append(validation_record(parse_json(text, where), where))
    return history


def _csv_number(text: str, name: str, line: int) -> float:
    try:
        value = float(text)
    except ValueError:
        raise RunError(f"{name}, line {line}: {shown(text)} is not a number") from None
    return value


def validation_record(row, where: str) -> ValidationRecord:
    """One line of validation.jsonl, checked: numbers where numbers belong, every curve as long as ``steps``."""
    if not isinstance(row, dict):
        raise RunError(f"{where}: expected a JSON object")
    metric = row.get("metric", "mse")  # classification runs: "accuracy"
    if metric not in ("mse", "accuracy"):
        raise RunError(f"{where}: 'metric' must be mse or accuracy, not {shown(metric)}")
    for key in ("iteration", "loss_before", "loss_after", "steps", metric, "ci95"):
        if key not in row:
            raise RunError(f"{where}: no {key!r}")
    steps = row["steps"]
    if not isinstance(steps, list) or not steps:
        raise RunError(f"{where}: 'steps' must be a list of step counts")
    for key, value in row.items():  # every curve (also ones added later, e.g. accuracy) matches the steps
        if isinstance(value, list) and len(value) != len(steps) and not (key.endswith("diverged") and not value):
            raise RunError(f"{where}: {shown(key)} has {len(value)} values for {len(steps)} steps")
    steps = tuple(whole_number(s, f"{where}: a step", 0, 1_000_000) for s in steps)

    def curve(prefix: str) -> AdaptationCurve:
        values = [number(v, f"{where}: {prefix}{metric}", finite=False) for v in _list(row, prefix + metric, where)]
        ci95 = [number(v, f"{where}: {prefix}ci95", finite=False) for v in _list(row, prefix + "ci95", where)]
        diverged = [whole_number(n, f"{where}: {prefix}diverged", 0, 2**31) for n in _list(row, prefix + "diverged", where)]
        return AdaptationCurve(steps, tuple(values), tuple(ci95), tuple(diverged), metric)

    baseline = curve("baseline_") if f"baseline_{metric}" in row else None
    return ValidationRecord(whole_number(row["iteration"], f"{where}: iteration"),
                            number(row["loss_before"], f"{where}: loss_before", finite=False),
                            number(row["loss_after"], f"{where}: loss_after", finite=False), curve(""), baseline)


def _list(row: dict, key: str, where: str) -> list:
    value = row.get(key, [])
    if not isinstance(value, list):
        raise RunError(f"{where}: {key!r} must be a list")
    return value
