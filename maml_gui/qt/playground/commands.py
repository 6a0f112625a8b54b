"""Undoable point edits for the playground's ``QUndoStack``.

Each command holds what it needs to redo and undo itself against a :class:`PointListModel`.
A drag moves the point live (a preview) and pushes one :class:`MovePointCommand` when the
mouse is released, so a whole drag is one undo step.
"""

from __future__ import annotations

from typing import Any, Callable

from PySide6.QtGui import QUndoCommand

from .points import Point, PointListModel


def _fmt(point: Point) -> str:
    return f"({point[0]:.2f}, {point[1]:.2f})"


class AddPointCommand(QUndoCommand):
    """Append a support point."""

    def __init__(self, model: PointListModel, point: Point) -> None:
        self.point = model.as_point(point)
        super().__init__(f"Add point {_fmt(self.point)}")
        self.model = model
        self.index = len(model)

    def redo(self) -> None:
        self.model.insert(self.index, self.point)

    def undo(self) -> None:
        self.model.remove(self.index)


class MovePointCommand(QUndoCommand):
    """Move point ``index`` from ``old`` to ``new`` (the model may already be at ``new``)."""

    def __init__(self, model: PointListModel, index: int, old: Point, new: Point) -> None:
        self.old, self.new = model.as_point(old), model.as_point(new)
        super().__init__(f"Move point to {_fmt(self.new)}")
        self.model = model
        self.index = index

    def redo(self) -> None:
        if self.model[self.index] != self.new:
            self.model.move(self.index, self.new)

    def undo(self) -> None:
        self.model.move(self.index, self.old)


class RemovePointCommand(QUndoCommand):
    """Remove point ``index``; undo puts it back at the same place."""

    def __init__(self, model: PointListModel, index: int) -> None:
        self.point = model[index]
        super().__init__(f"Remove point {_fmt(self.point)}")
        self.model = model
        self.index = index

    def redo(self) -> None:
        self.model.remove(self.index)

    def undo(self) -> None:
        self.model.insert(self.index, self.point)


class ReplacePointsCommand(QUndoCommand):
    """Replace every point at once; ``on_apply(extra)`` restores state that goes with them.

    Clear Points and Sample task are both replacements: Sample task also swaps the task
    (its true curve), passed as ``new_extra``/``old_extra`` and handed back to ``on_apply``.
    """

    def __init__(self, model: PointListModel, points, text: str, *,
                 on_apply: Callable[[Any], None] | None = None, old_extra: Any = None,
                 new_extra: Any = None) -> None:
        super().__init__(text)
        self.model = model
        self.old = model.points()
        self.new = [model.as_point(p) for p in points]
        self.on_apply = on_apply
        self.old_extra, self.new_extra = old_extra, new_extra

    def redo(self) -> None:
        if self.on_apply is not None:
            self.on_apply(self.new_extra)
        self.model.replace(self.new)

    def undo(self) -> None:
        if self.on_apply is not None:
            self.on_apply(self.old_extra)
        self.model.replace(self.old)


class ClearPointsCommand(ReplacePointsCommand):
    """Remove every point (the true curve, if any, stays)."""

    def __init__(self, model: PointListModel) -> None:
        super().__init__(model, [], f"Clear {len(model)} points")
