"""ClassifyPointsWidget: click points of N classes and watch a meta-learned classifier adapt.

The 2-D classification playground. Points are (x, y, class) in a
:class:`LabelledPointListModel`, edited only through the regression playground's commands on
``undo_stack``. Every change becomes one frozen :class:`RegionRequest` for the worker thread
(latest wins, stale results dropped). The first result of an edit carries the regions of the
step on screen and every step's accuracy; the other steps are then drawn one request at a time
(the step on screen, then the small multiples, then the rest), so an edit never waits long.
"""

from __future__ import annotations

import numpy as np
import torch
from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QKeySequence, QShortcut, QUndoStack
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSlider, QVBoxLayout, QWidget

from maml_gui.core.decision_regions import GRID_SIZE, RegionGrid
from maml_gui.core.snapshot import ModelSnapshot
from maml_gui.core.tasks.classification import POINT_RANGE, ClassificationFamily

from .adaptation import AdaptationRunner
from .classify_points_controls import ClassifyControls
from .classify_points_model import LabelledPointListModel, as_labelled_point
from .classify_points_plot import ClassifyPointsPlot, SmallMultiples, small_multiple_steps
from .classify_points_requests import QuerySet, RegionRequest, RegionResult, compute_regions
from .commands import AddPointCommand, ClearPointsCommand, MovePointCommand, RemovePointCommand, ReplacePointsCommand
from .prediction import BASELINE_OFF

NO_MODEL_HINT = "Train or open a classification run on 2-D points to see the meta-learned model adapt."
EDIT_HINT = ("Keys 1–9 or the palette: class · click: add a point · drag a point: move it · "
             "right-click or Delete: remove · Ctrl+Z / Ctrl+Shift+Z: undo / redo")


class ClassifyPointsWidget(QWidget):
    pointsChanged = Signal()       # every edit, undo and redo (not set_points)
    regionsShown = Signal(int)     # request id of an edit whose regions (the step on screen) are drawn
    allStepsShown = Signal(int)    # ... and once every step's image is drawn

    def __init__(self, parent: QWidget | None = None, undo_shortcuts: bool = True) -> None:
        super().__init__(parent)
        self.undo_stack = QUndoStack(self)
        self.model = LabelledPointListModel(self)
        self.plot = ClassifyPointsPlot()
        self.plot.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.plot.setRange(xRange=POINT_RANGE, yRange=POINT_RANGE, padding=0)
        self.plot.setAspectLocked(True)
        self.controls = ClassifyControls()
        self.multiples = SmallMultiples()
        self.step_slider = QSlider(Qt.Orientation.Horizontal)
        self.step_slider.setToolTip("Show the regions after this many steps (also: click a small multiple)")
        self.step_label = QLabel()
        self.hint = QLabel()
        self.hint.setWordWrap(True)
        self._runner = AdaptationRunner(self, compute=compute_regions)
        self._snapshot: ModelSnapshot | None = None
        self._family: ClassificationFamily | None = None
        self._ways, self._shots, self._queries = 3, 5, 10
        self._query: QuerySet | None = None
        self._selected: int | None = None
        self._loading = False
        self._generator = torch.Generator()
        self._generator.seed()
        self.last_result: RegionResult | None = None  # the newest edit's first result (accuracy, adapted steps)
        self.images: dict[int, np.ndarray] = {}
        self.baseline_images: dict[int, np.ndarray] = {}
        self._build_layout()
        self._connect(undo_shortcuts)
        self._set_steps_range(self.controls.steps())
        self.controls.palette.set_ways(self._ways)
        self._update_hint()

    def _build_layout(self) -> None:
        slider_row = QHBoxLayout()
        slider_row.addWidget(QLabel("Step"))
        slider_row.addWidget(self.step_slider, stretch=1)
        slider_row.addWidget(self.step_label)
        left = QVBoxLayout()
        left.setContentsMargins(0, 0, 0, 0)
        left.addWidget(self.plot, stretch=1)
        left.addLayout(slider_row)
        left.addWidget(self.multiples)
        left.addWidget(self.hint)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(left, stretch=1)
        layout.addWidget(self.controls)

    def _connect(self, undo_shortcuts: bool) -> None:
        editor = self.plot.editor
        editor.addRequested.connect(self._on_add_requested)
        editor.selectRequested.connect(self._select)
        editor.removeRequested.connect(self.remove_point)
        editor.dragMoved.connect(self._on_drag_moved)
        editor.dragFinished.connect(self._on_drag_finished)
        self.model.changed.connect(self._on_points_changed)
        self.controls.settingsChanged.connect(self._on_settings_changed)
        self.controls.sampleRequested.connect(self.sample_task)
        self.controls.clearRequested.connect(self.clear_points)
        self.controls.palette.classChosen.connect(self.set_class)
        self.controls.undo_button.clicked.connect(self.undo_stack.undo)
        self.controls.redo_button.clicked.connect(self.undo_stack.redo)
        self.undo_stack.canUndoChanged.connect(self.controls.undo_button.setEnabled)
        self.undo_stack.canRedoChanged.connect(self.controls.redo_button.setEnabled)
        self.controls.undo_button.setEnabled(False)
        self.controls.redo_button.setEnabled(False)
        self.step_slider.valueChanged.connect(self._on_step_changed)
        self.multiples.stepClicked.connect(self.step_slider.setValue)
        self._runner.resultReady.connect(self._on_result)
        self.plot.getViewBox().sigRangeChanged.connect(self._request_regions)
        for key in (QKeySequence(QKeySequence.StandardKey.Delete), QKeySequence(Qt.Key.Key_Backspace)):
            self._shortcut(key, self.remove_selected_point, self.plot)
        for index in range(9):
            self._shortcut(QKeySequence(str(index + 1)), lambda i=index: self.set_class(i))
        if undo_shortcuts:  # off where a window's Edit menu already owns these keys
            self._shortcut(QKeySequence(QKeySequence.StandardKey.Undo), self.undo_stack.undo)
            self._shortcut(QKeySequence(QKeySequence.StandardKey.Redo), self.undo_stack.redo)

    def _shortcut(self, key: QKeySequence, slot, owner: QWidget | None = None) -> None:
        shortcut = QShortcut(key, owner or self)
        shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        shortcut.activated.connect(slot)

    # -- API --------------------------------------------------------------------------------
    def set_snapshot(self, snapshot: ModelSnapshot | None) -> None:
        """Adapt this classifier from now on (None: no model). Its outputs are the classes offered."""
        if snapshot is not None and snapshot.task_kind != "classification":
            raise ValueError("the 2-D classification playground needs a classification model")
        self._snapshot = snapshot
        if snapshot is not None:
            self._ways = int(snapshot.spec.outputs)
            self.controls.palette.set_ways(self._ways)
            if self.current_class >= self._ways:
                self.set_class(0)
        self._update_hint()
        self._request_regions()

    def set_family(self, family: ClassificationFamily | None, ways: int, shots: int, queries: int) -> None:
        """The 2-D point distribution Sample task draws N-way K-shot tasks (Q queries per class) from."""
        if ways < 2 or shots < 1 or queries < 0:
            raise ValueError(f"need ways >= 2, shots >= 1, queries >= 0; got {ways}, {shots}, {queries}")
        self._family, self._shots, self._queries = family, int(shots), int(queries)
        if self._snapshot is None:
            self._ways = int(ways)
            self.controls.palette.set_ways(self._ways)
        self.controls.sample_button.setEnabled(family is not None)

    @property
    def current_class(self) -> int:
        return self.controls.palette.current()

    @Slot(int)
    def set_class(self, index: int) -> None:
        """Clicks add points of class ``index`` (0-based) from now on; classes the model lacks are refused."""
        if 0 <= index < self._ways:
            self.controls.palette.set_current(index)
        else:
            self.hint.setText(f"This model tells {self._ways} classes apart: keys 1–{self._ways}.\n{EDIT_HINT}")

    def points(self) -> list[tuple[float, float, int]]:
        return self.model.points()

    def set_points(self, points) -> None:
        """Replace every point (opening a run): clears the undo stack and the sampled task.
        ValueError for anything that is not a list of (x, y, class)."""
        checked = [as_labelled_point(p) for p in points]
        self._query, self._selected = None, None
        self.undo_stack.clear()
        self._loading = True
        try:
            self.model.replace(checked)
        finally:
            self._loading = False

    def clear_points(self) -> None:
        if len(self.model):
            self.undo_stack.push(ClearPointsCommand(self.model))

    def sample_task(self) -> None:
        """Draw a task: its support points (undoable as one step) and its query points for accuracy."""
        if self._family is None:
            return
        batch = self._family.sample(1, self._ways, self._shots, self._queries, generator=self._generator)
        support = [(x, y, int(label)) for (x, y), label in zip(batch.x_support[0].tolist(), batch.y_support[0].tolist())]
        query = QuerySet(batch.x_query[0].clone(), batch.y_query[0].clone())
        self.undo_stack.push(ReplacePointsCommand(self.model, support, "Sample task", on_apply=self._set_query,
                                                  old_extra=self._query, new_extra=query))

    def remove_point(self, index: int) -> None:
        if 0 <= index < len(self.model):
            self.undo_stack.push(RemovePointCommand(self.model, index))

    def remove_selected_point(self) -> None:
        if self._selected is not None:
            self.remove_point(self._selected)

    @property
    def query(self) -> QuerySet | None:
        return self._query

    @property
    def shown_step(self) -> int:
        return self.step_slider.value()

    def set_step(self, step: int) -> None:
        self.step_slider.setValue(step)

    def shutdown(self) -> None:
        self._runner.shutdown()

    # -- mouse ------------------------------------------------------------------------------
    @Slot(float, float)
    def _on_add_requested(self, x: float, y: float) -> None:
        self.undo_stack.push(AddPointCommand(self.model, (x, y, self.current_class)))
        self._select(len(self.model) - 1)

    @Slot(int, float, float)
    def _on_drag_moved(self, index: int, x: float, y: float) -> None:
        if 0 <= index < len(self.model):
            self._selected = index
            self.model.move(index, (x, y, self.model[index][2]))

    @Slot(int, float, float, float, float)
    def _on_drag_finished(self, index: int, x0: float, y0: float, x1: float, y1: float) -> None:
        if not 0 <= index < len(self.model):
            return
        label = self.model[index][2]
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

    # -- state changes ----------------------------------------------------------------------
    def _set_query(self, query: QuerySet | None) -> None:
        self._query = query

    @Slot()
    def _on_points_changed(self) -> None:
        if self._selected is not None and self._selected >= len(self.model):
            self._selected = None
        self.plot.show_points(self.model.points(), self._selected)
        self._request_regions()
        if not self._loading:
            self.pointsChanged.emit()

    @Slot()
    def _on_settings_changed(self) -> None:
        self._set_steps_range(self.controls.steps())
        self._request_regions()

    def _set_steps_range(self, steps: int) -> None:
        self.step_slider.setRange(0, steps)
        self.multiples.set_steps(small_multiple_steps(steps), self.controls.baseline_mode() != BASELINE_OFF)
        self.multiples.mark_current(self.shown_step)
        self.step_label.setText(f"{self.shown_step} / {steps}")

    def _current_grid(self) -> RegionGrid:
        """A GRID_SIZE x GRID_SIZE grid over what the plot shows (the regions follow pan and zoom)."""
        (x0, x1), (y0, y1) = self.plot.viewRange()
        if not (x1 > x0 and y1 > y0):
            return RegionGrid(*POINT_RANGE, *POINT_RANGE, GRID_SIZE)
        return RegionGrid(float(x0), float(x1), float(y0), float(y1), GRID_SIZE)

    @Slot()
    def _request_regions(self) -> None:
        if not self._runner.is_running():
            return
        self._runner.submit(RegionRequest(
            request_id=self._runner.next_request_id(), snapshot=self._snapshot, points=tuple(self.model.points()),
            steps=self.controls.steps(), draw_steps=(min(self.shown_step, self.controls.steps()),),
            lr=self.controls.lr(), baseline=self.controls.baseline_mode(), grid=self._current_grid(),
            query=self._query))

    def _request_fill(self) -> None:
        """Ask for the next step image not drawn yet (the step on screen first); emit when done."""
        result = self.last_result
        if result is None or result.adapted is None or not self._runner.is_running():
            return
        order = [self.shown_step, *self.multiples.steps, *range(result.steps + 1)]
        missing = [s for s in order if 0 <= s <= result.steps and s not in self.images]
        if not missing:
            self.allStepsShown.emit(result.request_id)
            return
        self._runner.submit(RegionRequest(
            request_id=self._runner.next_request_id(), snapshot=self._snapshot, points=(),
            steps=result.steps, draw_steps=(missing[0],), grid=result.grid, adapted=result.adapted,
            baseline_adapted=result.baseline_adapted))

    @Slot(object)
    def _on_result(self, result: RegionResult) -> None:
        if result.error:
            self.hint.setText(f"{result.error}\n{EDIT_HINT}")
            return
        if not result.fills_in:
            self.last_result = result
            self.images, self.baseline_images = {}, {}
            for step in self.multiples.steps:
                self.multiples.show_image("model", step, None)
                self.multiples.show_image("baseline", step, None)
            self._update_hint()
        self.images.update(result.images)
        self.baseline_images.update(result.baseline_images)
        if not result.fills_in or self.shown_step in result.images:
            self._show_step()  # the big plot first: it is what the user watches
        if not result.fills_in:
            self.regionsShown.emit(result.request_id)
        points = self.last_result.points if self.last_result is not None else ()
        for row, images in (("model", result.images), ("baseline", result.baseline_images)):
            for step, image in images.items():
                self.multiples.show_image(row, step, image, result.grid, points)
        self._request_fill()

    @Slot(int)
    def _on_step_changed(self, step: int) -> None:
        self.step_label.setText(f"{step} / {self.step_slider.maximum()}")
        self.multiples.mark_current(step)
        self._show_step()
        if step not in self.images:
            self._request_fill()

    def _show_step(self) -> None:
        result, step = self.last_result, self.shown_step
        self.plot.show_regions(self.images.get(step), result.grid if result is not None else None)
        if result is None or self._snapshot is None:
            self.controls.show_accuracy(None, None, "", step)
            self.plot.show_query(None, None)
            return
        self.controls.show_accuracy(result.accuracy, result.baseline_accuracy, result.accuracy_on, step,
                                    result.baseline_label)
        query = self._query if result.accuracy_on == "query" else None
        wrong = None
        if query is not None and result.predicted is not None and step < len(result.predicted):
            wrong = result.predicted[step] != query.labels.numpy()
        self.plot.show_query(None if query is None else query.x.numpy(),
                             None if query is None else query.labels.numpy(), wrong)

    def _update_hint(self) -> None:
        snapshot = self._snapshot
        if snapshot is None:
            self.controls.show_model("no classifier yet")
            self.hint.setText(f"{NO_MODEL_HINT}\n{EDIT_HINT}")
            return
        self.controls.show_model(f"model: {snapshot.algorithm}, {self._ways}-way, iteration {snapshot.iteration:,}")
        note = ""
        if self.last_result is not None and self.last_result.baseline_label:
            note = f" Baseline: {self.last_result.baseline_label}."
        self.hint.setText(f"Regions: the adapted model's class (colour) and confidence (white: unsure).{note}\n"
                          f"{EDIT_HINT}")

    def shown_image(self) -> np.ndarray | None:
        """The regions image in the big plot (``[H, W, 3]``, row 0 at the bottom), for tests."""
        return self.plot.regions.image

