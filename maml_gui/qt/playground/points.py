"""The playground's support points: an ordered list of (x, y) pairs that emits ``changed``.

Only :mod:`.commands` (and a drag preview) edit it, so every user edit is undoable.
"""

from __future__ import annotations

import math
from typing import Iterable

from PySide6.QtCore import QObject, Signal

Point = tuple[float, float]


def as_point(value) -> Point:
    """``(x, y)`` as two finite floats; ValueError with a readable message otherwise."""
    try:
        x, y = (float(v) for v in value)
    except (TypeError, ValueError):
        raise ValueError(f"a point must be a pair (x, y) of numbers, got {value!r}") from None
    if not (math.isfinite(x) and math.isfinite(y)):
        raise ValueError(f"a point must be finite, got ({x}, {y})")
    return (x, y)


class PointListModel(QObject):
    """Support points in insertion order; ``changed`` fires after every modification."""

    changed = Signal()
    as_point = staticmethod(as_point)  # what a point is; a subclass may carry more (a class label)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._points: list[Point] = []

    def __len__(self) -> int:
        return len(self._points)

    def __getitem__(self, index: int) -> Point:
        return self._points[index]

    def points(self) -> list[Point]:
        """A copy of the points (callers cannot edit the model through it)."""
        return list(self._points)

    def insert(self, index: int, point: Point) -> None:
        self._points.insert(index, self.as_point(point))
        self.changed.emit()

    def remove(self, index: int) -> Point:
        point = self._points.pop(index)
        self.changed.emit()
        return point

    def move(self, index: int, point: Point) -> None:
        self._points[index] = self.as_point(point)
        self.changed.emit()

    def replace(self, points: Iterable) -> list[Point]:
        """Set all points at once; returns the previous ones."""
        new = [self.as_point(p) for p in points]
        old, self._points = self._points, new
        self.changed.emit()
        return old
