"""What the user drew in the playgrounds, as the run directory stores it.

- the regression playground's support points: ``points.json`` (``run_validation.parse_points``);
- the 2-D classification playground's labelled points: ``class_points.json``::

      {"format": "maml-gui-class-points", "format_version": 1, "points": [[x, y, class], ...]}

  (class: 0-based, below :data:`~maml_gui.core.decision_regions.MAX_CLASSES`; x and y within
  ±:data:`CLASS_POINT_LIMIT`, which the playground keeps its points inside, so its saves always load);
- the image playground's drawn task: ``drawing.json`` (:mod:`~maml_gui.core.drawn_task`).

:class:`DrawnWork` holds all three, frozen, so a training thread can write them with an autosave
while the user goes on drawing: the GUI thread puts the newest into a :class:`LatestDrawnWork`
and the autosave takes whatever is there.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass

from .decision_regions import MAX_CLASSES
from .drawn_task import DrawnTask
from .run_validation import MAX_POINTS, RunError, number, shown, whole_number
from .tasks.base import VALUE_LIMIT

CLASS_POINTS = "class_points.json"
# |x|, |y| of a 2-D point: the task ranges' limit (float32 keeps them exact enough, their squares finite)
CLASS_POINT_LIMIT = VALUE_LIMIT
CLASS_POINTS_FORMAT = 1
ClassPoint = tuple[float, float, int]


def class_points_json(points) -> str:
    """The text of ``class_points.json`` for ``points`` ((x, y, class) triples)."""
    return json.dumps({"format": "maml-gui-class-points", "format_version": CLASS_POINTS_FORMAT,
                       "points": [[float(x), float(y), int(label)] for x, y, label in points]})


def parse_class_points(document, name: str = CLASS_POINTS) -> list[ClassPoint]:
    """The labelled points of a parsed ``class_points.json``; RunError (one line) for anything malformed."""
    if not isinstance(document, dict) or document.get("format") != "maml-gui-class-points":
        raise RunError(f"{name} was not written by MAML Studio (no \"format\": \"maml-gui-class-points\")")
    version = whole_number(document.get("format_version", 0), f"{name}: format_version", 0, 2**31)
    if version > CLASS_POINTS_FORMAT:
        raise RunError(f"{name} was written by a newer MAML Studio (points format {version})")
    points = document.get("points")
    if not isinstance(points, list):
        raise RunError(f"{name} must hold \"points\": [[x, y, class], ...]")
    if len(points) > MAX_POINTS:
        raise RunError(f"{name} holds {len(points):,} points; at most {MAX_POINTS:,} are read")
    parsed = []
    for i, point in enumerate(points):
        if not isinstance(point, list) or len(point) != 3:
            raise RunError(f"{name}: point {i} must be [x, y, class], not {shown(point)}")
        x, y = (number(v, f"{name}: point {i}") for v in point[:2])
        if not (abs(x) <= CLASS_POINT_LIMIT and abs(y) <= CLASS_POINT_LIMIT):
            raise RunError(f"{name}: point {i} must lie within ±{CLASS_POINT_LIMIT:g}, not ({x:g}, {y:g})")
        label = whole_number(point[2], f"{name}: point {i}'s class", 0, MAX_CLASSES - 1)
        parsed.append((x, y, label))
    return parsed


@dataclass(frozen=True)
class DrawnWork:
    """The playgrounds' drawn work at one moment; None: that playground has nothing to say (its
    file is left as it is), an empty list or drawing: the user cleared it (its file goes)."""

    points: tuple[tuple[float, float], ...] | None = None
    class_points: tuple[ClassPoint, ...] | None = None
    drawing: DrawnTask | None = None

    def same_as(self, other: "DrawnWork") -> bool:
        """The same drawings as ``other``, reading None (nothing said) and empty alike as nothing drawn."""
        return _normal(self) == _normal(other)

    def save_arguments(self) -> dict:
        """Keyword arguments of :func:`~maml_gui.core.checkpoint.save_run` / ``save_trainer``."""
        return {"points": None if self.points is None else list(self.points),
                "class_points": None if self.class_points is None else list(self.class_points),
                "drawing": self.drawing}


def _normal(work: DrawnWork) -> tuple:
    drawing = work.drawing if work.drawing is not None and not work.drawing.is_empty() else None
    return tuple(work.points or ()), tuple(work.class_points or ()), drawing


class LatestDrawnWork:
    """The newest :class:`DrawnWork`, set by the GUI thread and read by the training thread, which
    marks what its last autosave wrote."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._work = self._written = DrawnWork()

    def mark_written(self, work: DrawnWork) -> None:
        with self._lock:
            self._written = work

    def written(self) -> DrawnWork:
        """What the last autosave wrote."""
        with self._lock:
            return self._written

    def set(self, work: DrawnWork) -> None:
        with self._lock:
            self._work = work

    def get(self) -> DrawnWork:
        with self._lock:
            return self._work
