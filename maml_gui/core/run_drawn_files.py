"""The playgrounds' drawn work in a run directory (``points.json``, ``drawing.json``,
``class_points.json``; their formats: :mod:`~maml_gui.core.drawn_work`): what a save writes or
removes, decided before anything is written, and reading one file without stopping the run.
"""

from __future__ import annotations

import json
from pathlib import Path

from .atomic_files import atomic_write
from .drawn_task import DrawnTask
from .drawn_work import CLASS_POINTS, ClassPoint, class_points_json
from .run_validation import PARSE_ERRORS, RunError, parse_json, present, read_text

POINTS, DRAWING = "points.json", "drawing.json"
DRAWN_TEXT_LIMIT = 16 << 20  # bytes, checked before reading

FileChange = tuple[str, str | None]  # (name, text to write) or (name, None): remove it


def drawn_file_changes(path: Path, points: list[tuple[float, float]] | None, drawing: DrawnTask | None,
                       class_points: list[ClassPoint] | None) -> list[FileChange]:
    """What saving this drawn work does to the files in ``path``, in order: None leaves a file as
    it is, an empty ``drawing`` or ``class_points`` removes a stored one (the user cleared the
    playground). A folder where a drawing or class points would be written: RunError (one line)."""
    changes: list[FileChange] = []
    if points is not None:
        changes.append((POINTS, json.dumps({"points": [[float(x), float(y)] for x, y in points]})))
    if drawing is not None and not drawing.is_empty():
        changes.append((DRAWING, json.dumps(drawing.to_json())))
    elif drawing is not None and present(path, DRAWING):
        changes.append((DRAWING, None))
    if class_points:
        changes.append((CLASS_POINTS, class_points_json(class_points)))
    elif class_points is not None and present(path, CLASS_POINTS):
        changes.append((CLASS_POINTS, None))
    for name, text in changes:
        if name != POINTS and text is not None and (path / name).is_dir() and not (path / name).is_symlink():
            raise RunError(f"{name} is not a regular file")
    return changes


def apply_drawn_file_changes(path: Path, changes: list[FileChange]) -> None:
    """Write (atomically) or remove the files :func:`drawn_file_changes` decided on."""
    for name, text in changes:
        if text is None:
            (path / name).unlink()
        else:
            atomic_write(path / name, text)


def read_drawn_file(path: Path, name: str, parse, missing, unread: dict[str, str]):
    """A playground's drawn work read from ``name`` (``missing`` when absent). A damaged file does
    not stop the run from opening (the model, curves and everything else are intact): its reason
    goes into ``unread`` and the file is left as it is."""
    try:
        if not present(path, name):
            return missing
        return parse(parse_json(read_text(path / name, DRAWN_TEXT_LIMIT, name), name), name)
    except RunError as err:
        unread[name] = str(err)
    except (*PARSE_ERRORS, OSError) as err:
        unread[name] = str(RunError(f"{name}: cannot read it: {type(err).__name__}: {err}"))
    return missing
