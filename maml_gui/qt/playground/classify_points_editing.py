"""Editing the 2-D classification playground's points: the mouse (add, select, drag, remove),
Clear and replacing them all, every user edit an undoable command on ``undo_stack``.

:class:`ClassifyPointsEditing` is mixed into
:class:`~maml_gui.qt.playground.classify_points.ClassifyPointsWidget` and uses its ``model``,
``undo_stack``, ``plot`` and selection.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Slot

from .classify_points_model import as_labelled_point, inside_plane
from .commands import AddPointCommand, ClearPointsCommand, MovePointCommand, RemovePointCommand


class ClassifyPointsEditing:
    """The point edits of :class:`~maml_gui.qt.playground.classify_points.ClassifyPointsWidget`."""

    def set_points(self, points) -> None:
        """Replace every point (opening a run): clears the undo stack and the sampled task.
        ValueError for anything that is not a list of (x, y, class)."""
        checked = [as_labelled_point(p) for p in points]
        self._set_query(None)
        self._selected = None
        self.undo_stack.clear()
        self._loading = True
        try:
            self.model.replace(checked)
        finally:
            self._loading = False

    def clear_points(self) -> None:
        if len(self.model):
            self.undo_stack.push(ClearPointsCommand(self.model))

    def remove_point(self, index: int) -> None:
        if 0 <= index < len(self.model):
            self.undo_stack.push(RemovePointCommand(self.model, index))

    def remove_selected_point(self) -> None:
        if self._selected is not None:
            self.remove_point(self._selected)

    # -- mouse ------------------------------------------------------------------------------
    @Slot(float, float)
    def _on_add_requested(self, x: float, y: float) -> None:
        x, y = inside_plane(x, y)
        self.undo_stack.push(AddPointCommand(self.model, (x, y, self.current_class)))
        self._select(len(self.model) - 1)

    @Slot(int, float, float)
    def _on_drag_moved(self, index: int, x: float, y: float) -> None:
        if 0 <= index < len(self.model):
            x, y = inside_plane(x, y)
            self._selected = index
            self.model.move(index, (x, y, self.model[index][2]))

    @Slot(int, float, float, float, float)
    def _on_drag_finished(self, index: int, x0: float, y0: float, x1: float, y1: float) -> None:
        if not 0 <= index < len(self.model):
            return
        label = self.model[index][2]
        x1, y1 = inside_plane(x1, y1)
        if (x0, y0) == (x1, y1):
            if self.model[index] != (x0, y0, label):
                self.model.move(index, (x0, y0, label))
            return
        self.undo_stack.push(MovePointCommand(self.model, index, (x0, y0, label), (x1, y1, label)))
        self._select(index)

    @Slot(int)
    def _select(self, index: int | None) -> None:
        self._selected = index
        if index is not None:
            self.plot.setFocus(Qt.FocusReason.MouseFocusReason)
        self.plot.show_points(self.model.points(), self._selected)
