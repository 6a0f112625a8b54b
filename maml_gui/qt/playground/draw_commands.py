"""The drawn task as a Qt model, edited only through undo commands.

:class:`DrawnTaskModel` holds an immutable :class:`~maml_gui.core.drawn_task.DrawnTask` and says
which cell changed. Every edit is a :class:`SetExampleCommand` (one stroke drawn, one example
erased) or a :class:`ReplaceTaskCommand` (clear all, a new grid size), so Ctrl+Z undoes the
last stroke and "Erase example" is itself one undoable step.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoCommand

from maml_gui.core.drawn_task import Cell, DrawnTask, Example, Stroke



class DrawnTaskModel(QObject):
    changed = Signal()           # anything changed (the task is re-adapted)
    cellChanged = Signal(object)  # Cell whose drawing changed; None: the whole grid

    def __init__(self, task: DrawnTask | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.task = task or DrawnTask.empty(5, 1)

    def example(self, cell: Cell) -> Example:
        return self.task.example(cell)

    def set_example(self, cell: Cell, example: Example) -> None:
        self.task = self.task.with_example(cell, example)
        self.cellChanged.emit(cell)
        self.changed.emit()

    def replace(self, task: DrawnTask) -> None:
        self.task = task
        self.cellChanged.emit(None)
        self.changed.emit()


class SetExampleCommand(QUndoCommand):
    """Set one cell's strokes (``text`` says what the user did: "Draw stroke", "Erase example")."""

    def __init__(self, model: DrawnTaskModel, cell: Cell, new: Example, text: str) -> None:
        super().__init__(text)
        self.model, self.cell = model, cell
        self.old, self.new = model.example(cell), new

    def redo(self) -> None:
        self.model.set_example(self.cell, self.new)

    def undo(self) -> None:
        self.model.set_example(self.cell, self.old)


def add_stroke_command(model: DrawnTaskModel, cell: Cell, stroke: Stroke) -> SetExampleCommand:
    return SetExampleCommand(model, cell, model.example(cell) + (tuple(stroke),), "Draw stroke")


def erase_example_command(model: DrawnTaskModel, cell: Cell) -> SetExampleCommand:
    return SetExampleCommand(model, cell, (), "Erase example")


class ReplaceTaskCommand(QUndoCommand):
    """Swap the whole task (clear all, resize the grid, load a sample)."""

    def __init__(self, model: DrawnTaskModel, new: DrawnTask, text: str) -> None:
        super().__init__(text)
        self.model, self.old, self.new = model, model.task, new

    def redo(self) -> None:
        self.model.replace(self.new)

    def undo(self) -> None:
        self.model.replace(self.old)
