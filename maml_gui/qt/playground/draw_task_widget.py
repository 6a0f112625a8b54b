"""Draw your own task: K examples of each of N characters, then test characters to classify.

The widget owns the drawn task (a :class:`DrawnTaskModel` edited through commands on
``undo_stack``), the pad, the N × K grid of thumbnails (each drawing as the model sees it) and
an :class:`AdaptationRunner` that adapts the classifier off the UI thread. Every edit becomes one
frozen :class:`DrawnRequest`; the newest supersedes older pending ones, and the probability
tables only show what comes back.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QKeySequence, QShortcut, QUndoStack
from PySide6.QtWidgets import (QHBoxLayout, QLabel, QScrollArea, QSizePolicy, QSpinBox, QToolButton, QVBoxLayout,
                               QWidget)

from maml_gui.core.drawn_adaptation import ClassProbabilities, DrawnRequest, compute
from maml_gui.core.drawn_task import MAX_SHOTS, MAX_TESTS, MAX_WAYS, Cell, DrawnTask
from maml_gui.core.snapshot import ModelSnapshot
from maml_gui.core.stroke_raster import DrawingStyle, rasterise

from .adaptation import AdaptationRunner
from .draw_cells import DrawTaskGrid, class_colour, model_view
from .draw_commands import DrawnTaskModel, ReplaceTaskCommand, add_stroke_command, erase_example_command
from .draw_pad import DrawingPad
from .draw_probabilities import ProbabilityList

DEFAULT_TESTS = 3


def cell_name(cell: Cell) -> str:
    kind, row, column = cell
    return f"test {column + 1}" if kind == "test" else f"class {row + 1}, example {column + 1}"


class DrawTaskWidget(QWidget):
    drawingChanged = Signal()       # every edit, undo and redo (not set_drawn_task: loading is not an edit)
    adaptationShown = Signal(int)   # request id whose probabilities are now shown

    def __init__(self, steps=lambda: 5, lr=lambda: None, parent: QWidget | None = None,
                 undo_shortcuts: bool = True) -> None:
        super().__init__(parent)
        self._steps, self._lr = steps, lr
        self.undo_stack = QUndoStack(self)
        self.model = DrawnTaskModel(DrawnTask.empty(5, 1, DEFAULT_TESTS), self)
        self.style = DrawingStyle()
        self.snapshot: ModelSnapshot | None = None
        self.images: dict[Cell, object] = {}   # cell -> [C, H, W] model input (drawn cells only)
        self.last_result: ClassProbabilities | None = None
        self._loading = False
        self._runner = AdaptationRunner(self, compute=compute)

        self.pad = DrawingPad()
        self.grid = DrawTaskGrid()
        self.results = ProbabilityList()
        self.where = QLabel()
        self.where.setWordWrap(True)
        self.results.setMinimumWidth(300)
        buttons = QHBoxLayout()
        # undo_shortcuts=False: a window's Edit menu owns Ctrl+Z / Ctrl+Shift+Z / Ctrl+Y (here they would clash)
        self.undo_button = self._button(buttons, "Undo", "Undo the last stroke", self.undo_stack.undo, "Ctrl+Z",
                                        undo_shortcuts)
        self.erase_button = self._button(buttons, "Erase", "Erase the selected example", self.erase_selected, "Delete")
        self.clear_button = self._button(buttons, "Clear", "Erase every drawing", self.clear_all, "")
        self.add_test_button = self._button(buttons, "+ Test", "Add a test drawing", self.add_test, "")
        self.next_button = self._button(buttons, "Next ▸", "Go to the next empty example", self.select_next, "Return")
        self.undo_stack.canUndoChanged.connect(self.undo_button.setEnabled)
        self.undo_button.setEnabled(False)

        left = QVBoxLayout()
        left.addWidget(self.where)
        left.addWidget(self.pad, stretch=1)
        left.addLayout(buttons)
        self.grid_scroll = grid_scroll = QScrollArea()
        grid_scroll.setWidgetResizable(True)
        grid_scroll.setWidget(self.grid)
        grid_scroll.setMinimumWidth(200)
        self.ways_spin, self.shots_spin = QSpinBox(), QSpinBox()
        self.ways_spin.setRange(2, MAX_WAYS)
        self.shots_spin.setRange(1, MAX_SHOTS)
        sizes = QHBoxLayout()
        for text, spin in (("Classes", self.ways_spin), ("× examples", self.shots_spin)):
            sizes.addWidget(QLabel(text))
            sizes.addWidget(spin)
            spin.valueChanged.connect(self._on_size_edited)
        sizes.addStretch(1)
        self._size_chosen = False  # the user set N or K: new models and experiments keep them (within bounds)
        middle = QVBoxLayout()
        middle.addLayout(sizes)
        middle.addWidget(grid_scroll, stretch=1)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(left, stretch=3)
        layout.addLayout(middle, stretch=1)
        layout.addWidget(self.results, stretch=3)
        keys = ((("Ctrl+Shift+Z", self.undo_stack.redo), ("Ctrl+Y", self.undo_stack.redo)) if undo_shortcuts else ())
        for key, slot in (*keys, ("Backspace", self.erase_selected)):
            shortcut = QShortcut(QKeySequence(key), self)
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shortcut.activated.connect(slot)

        self.pad.strokeFinished.connect(self._on_stroke)
        self.grid.cellClicked.connect(self.select)
        self.model.cellChanged.connect(self._on_cell_changed)
        self.model.changed.connect(self._on_changed)
        self._runner.resultReady.connect(self._on_result)
        self._rebuild()
        self.select(("support", 0, 0))

    def _button(self, row: QHBoxLayout, text: str, tip: str, slot, key: str, shortcut: bool = True) -> QToolButton:
        button = QToolButton()
        button.setText(text)
        button.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        button.clicked.connect(slot)
        button.setToolTip(tip)
        if key:
            button.setToolTip(f"{tip} ({QKeySequence(key).toString(QKeySequence.SequenceFormat.NativeText)})")
        if key and shortcut:
            keys = QShortcut(QKeySequence(key), self)
            keys.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            keys.activated.connect(slot)
        row.addWidget(button)
        return button

    # -- API ----------------------------------------------------------------------------------
    @property
    def task(self) -> DrawnTask:
        return self.model.task

    def set_snapshot(self, snapshot: ModelSnapshot | None) -> None:
        """Adapt this model from now on; an image classifier sets the pad's image size and N ways."""
        self.snapshot = snapshot
        shape = getattr(snapshot, "input_shape", ()) if snapshot is not None else ()
        if snapshot is not None and snapshot.task_kind == "classification" and len(shape) == 3:
            self.ways_spin.setMaximum(max(2, snapshot.spec.outputs))
            self.configure(snapshot.spec.outputs, self.task.shots,
                           DrawingStyle(shape[1], shape[0], self.style.ink_bright, self.style.pen, self.style.fit))
        self.request_adaptation()

    def configure(self, ways: int, shots: int, style: DrawingStyle | None = None) -> None:
        """N ways, K shots and how drawings are rendered; drawings already made are kept where they fit.
        Sizes the user chose stay (N within the model's outputs)."""
        style = style or self.style
        task = self.task
        if self._size_chosen:
            ways, shots = min(task.ways, self.ways_spin.maximum()), task.shots
        if (ways, shots, style) == (task.ways, task.shots, self.style):
            return
        self.style = style
        if (ways, shots) != (task.ways, task.shots):
            self.undo_stack.clear()
            self._loading = True
            try:
                self.model.replace(task.resized(ways, shots, len(task.tests)))
            finally:
                self._loading = False
        else:
            self._render_all()
            self.request_adaptation()

    def set_drawn_task(self, task: DrawnTask | None) -> None:
        """Show a saved task (opening an experiment): clears the undo stack; not an edit."""
        task = task or DrawnTask.empty(self.task.ways, self.task.shots, DEFAULT_TESTS)
        self.undo_stack.clear()
        self._loading = True
        try:
            self.model.replace(task)
        finally:
            self._loading = False

    def select(self, cell: Cell | None) -> None:
        if cell is None or cell not in self.grid.thumbs:
            return
        self.grid.select(cell)
        self.grid_scroll.ensureWidgetVisible(self.grid.thumbs[cell])
        kind, row, _ = cell
        colour = class_colour(row if kind == "support" else -1)
        self.pad.set_example(self.model.example(cell), f"Draw {cell_name(cell)} here", colour)
        self.where.setText(f"<b style='color:{colour.name()}'>Drawing {cell_name(cell)}</b> · click a thumbnail "
                           f"to draw another")

    def select_next(self) -> None:
        """The next empty cell after the selected one (support first, then tests)."""
        cells = list(self.grid.thumbs)
        start = cells.index(self.grid.selected) + 1 if self.grid.selected in cells else 0
        for cell in cells[start:] + cells[:start]:
            if not self.model.example(cell):
                self.select(cell)
                return
        if start < len(cells):
            self.select(cells[start])

    def erase_selected(self) -> None:
        cell = self.grid.selected
        if cell is not None and self.model.example(cell):
            self.undo_stack.push(erase_example_command(self.model, cell))

    def clear_all(self) -> None:
        if not self.task.is_empty():
            task = self.task
            self.undo_stack.push(ReplaceTaskCommand(self.model, DrawnTask.empty(task.ways, task.shots, len(task.tests)),
                                                    "Clear drawings"))

    def add_test(self) -> None:
        task = self.task
        if len(task.tests) < MAX_TESTS:
            self.undo_stack.push(ReplaceTaskCommand(self.model, task.resized(task.ways, task.shots,
                                                                             len(task.tests) + 1), "Add test"))
            self.select(("test", 0, len(self.task.tests) - 1))

    def shutdown(self) -> None:
        self._runner.shutdown()

    # -- changes ------------------------------------------------------------------------------
    @Slot(object)
    def _on_stroke(self, stroke) -> None:
        cell = self.grid.selected
        if cell is None:
            return
        problem = self.task.refuses(cell, stroke)
        if problem:  # the file format's limits: what is drawn can always be saved and opened again
            self.pad.set_example(self.model.example(cell), self.pad.caption)
            self.where.setText(f"<b style='color:#d62728'>{problem}</b>")
            return
        self.undo_stack.push(add_stroke_command(self.model, cell, stroke))

    @Slot()
    def _on_size_edited(self) -> None:
        task = self.task
        ways, shots = self.ways_spin.value(), self.shots_spin.value()
        if (ways, shots) != (task.ways, task.shots):
            self._size_chosen = True
            self.undo_stack.push(ReplaceTaskCommand(self.model, task.resized(ways, shots, len(task.tests)),
                                                    "Change task size"))

    def _rebuild(self) -> None:
        task = self.task
        for spin, value in ((self.ways_spin, task.ways), (self.shots_spin, task.shots)):
            spin.blockSignals(True)
            spin.setValue(value)
            spin.blockSignals(False)
        if len(self.grid.thumbs) != task.ways * task.shots + len(task.tests) or any(
                cell not in self.grid.thumbs for cell in self._cells()):
            selected = self.grid.selected
            self.grid.rebuild(task.ways, task.shots, len(task.tests))
            self.select(selected if selected in self.grid.thumbs else ("support", 0, 0))
        self._render_all()

    def _cells(self) -> list[Cell]:
        task = self.task
        return [("support", n, k) for n in range(task.ways) for k in range(task.shots)] + \
               [("test", 0, t) for t in range(len(task.tests))]

    def _render(self, cell: Cell) -> None:
        example = self.model.example(cell)
        self.images[cell] = rasterise(example, self.style) if example else None
        self.grid.thumbs[cell].set_pixels(None if not example else model_view(self.images[cell]))

    def _render_all(self) -> None:
        self.images = {}
        for cell in self._cells():
            self._render(cell)

    @Slot(object)
    def _on_cell_changed(self, cell: Cell | None) -> None:
        if cell is None:
            self._rebuild()
            self.select(self.grid.selected)
            return
        self._render(cell)
        if cell == self.grid.selected and self.pad.example() != self.model.example(cell):
            self.pad.set_example(self.model.example(cell), f"Draw {cell_name(cell)} here")

    @Slot()
    def _on_changed(self) -> None:
        self.request_adaptation()
        if not self._loading:
            self.drawingChanged.emit()

    def request_adaptation(self) -> None:
        if self._runner.is_running():
            self._runner.submit(DrawnRequest(self._runner.next_request_id(), self.snapshot, self.task, self.style,
                                             self._steps(), self._lr()))

    @Slot(object)
    def _on_result(self, result: ClassProbabilities) -> None:
        self.last_result = result
        final = {} if result.probabilities is None else dict(zip(result.tests, result.predictions()[-1].tolist()))
        for t in range(len(self.task.tests)):  # each test thumbnail: its class after the last step
            thumb = self.grid.thumbs.get(("test", 0, t))
            if thumb is not None:
                thumb.set_badge(str(final[t] + 1) if t in final else "", class_colour(final.get(t, -1)))
        if result.error or result.probabilities is None:
            self.results.show_message(result.error)
        else:
            side = self.style.image_size
            images = [model_view(self.images[("test", 0, t)]) if self.images.get(("test", 0, t)) is not None
                      else np.zeros((side, side)) for t in result.tests]
            self.results.show_tables(images, result.probabilities, [f"test {t + 1}" for t in result.tests])
        self.adaptationShown.emit(result.request_id)
