"""The 2-D classification playground's points: (x, y, class) triples, edited through the
regression playground's undoable commands (``commands.py``), which ask the model what a point is."""

from __future__ import annotations

import math

from maml_gui.core.decision_regions import MAX_CLASSES
from maml_gui.core.drawn_work import CLASS_POINT_LIMIT

from .points import PointListModel

LabelledPoint = tuple[float, float, int]


def as_labelled_point(value) -> LabelledPoint:
    """``(x, y, class)``: two floats within ±CLASS_POINT_LIMIT and a class index 0..8; ValueError
    (one line) otherwise (what ``class_points.json`` may hold, so a saved point always loads)."""
    try:
        x, y, label = value
        x, y = float(x), float(y)
    except (TypeError, ValueError):
        raise ValueError(f"a point must be (x, y, class), got {value!r}") from None
    if isinstance(label, bool) or not isinstance(label, int) and not (isinstance(label, float) and label.is_integer()):
        raise ValueError(f"a point's class must be a whole number, got {label!r}")
    label = int(label)
    if not 0 <= label < MAX_CLASSES:
        raise ValueError(f"a point's class must be 0..{MAX_CLASSES - 1} (keys 1..{MAX_CLASSES}), got {label}")
    if not (math.isfinite(x) and math.isfinite(y)):
        raise ValueError(f"a point must be finite, got ({x}, {y})")
    if not (abs(x) <= CLASS_POINT_LIMIT and abs(y) <= CLASS_POINT_LIMIT):
        raise ValueError(f"a point must lie within ±{CLASS_POINT_LIMIT:g}, got ({x:g}, {y:g})")
    return (x, y, label)


def inside_plane(x: float, y: float) -> tuple[float, float]:
    """(x, y) moved onto the nearest place a point may be (within ±CLASS_POINT_LIMIT): where a click
    or a drag past the edge of the plane puts a point."""
    return min(max(x, -CLASS_POINT_LIMIT), CLASS_POINT_LIMIT), min(max(y, -CLASS_POINT_LIMIT), CLASS_POINT_LIMIT)


class LabelledPointListModel(PointListModel):
    """Support points with their class, in insertion order; ``changed`` after every modification."""

    as_point = staticmethod(as_labelled_point)

    def labels(self) -> list[int]:
        return [label for _, _, label in self._points]

    def positions(self) -> list[tuple[float, float]]:
        return [(x, y) for x, y, _ in self._points]
