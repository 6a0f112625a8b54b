"""ClassifyPointsWidget: click points of N classes and watch a meta-learned classifier adapt.

The 2-D classification playground. Points are (x, y, class) in a
:class:`LabelledPointListModel`, edited only through the regression playground's commands on
``undo_stack``. Every change becomes one frozen :class:`RegionRequest` for the worker thread
(latest wins, stale results dropped) through :class:`StepRegions`, which draws the regions
of the step on screen first and the other steps after. The point edits are in
:mod:`.classify_points_editing`.
"""

from __future__ import annotations

import numpy as np
import torch
from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QKeySequence, QShortcut, QUndoStack
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSlider, QVBoxLayout, QWidget

from maml_gui.core.config import ConfigError, ExperimentConfig
from maml_gui.core.experiment_setup import build_classification_family
from maml_gui.core.snapshot import ModelSnapshot
from maml_gui.core.tasks.classification import POINT_RANGE, ClassificationFamily

from .by_kind import POINTS, register_playground
from .classify_points_controls import ClassifyControls
from .classify_points_editing import ClassifyPointsEditing
from .classify_points_model import LabelledPointListModel
from .classify_points_plot import ClassifyPointsPlot, SmallMultiples
from .classify_points_regions import StepRegions
from .classify_points_requests import QuerySet, RegionResult
from .commands import ReplacePointsCommand

NO_MODEL_HINT = "Train or open a classification run on 2-D points to see the meta-learned model adapt."
EDIT_HINT = ("Keys 1–9 or the palette: class · click: add a point · drag a point: move it · "
             "right-click or Delete: remove · Ctrl+Z / Ctrl+Shift+Z: undo / redo")


class ClassifyPointsWidget(ClassifyPointsEditing, QWidget):
    pointsChanged = Signal()       # every edit, undo and redo (not set_points)
    drawnWorkChanged = Signal()    # every change of the points, loading included (the playground host's)

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
        self.regions = StepRegions(self.plot, self.multiples, self.controls, self.step_slider, self.step_label, self)
        self._runner = self.regions.runner
        self.regionsShown, self.allStepsShown = self.regions.regionsShown, self.regions.allStepsShown
        self._snapshot: ModelSnapshot | None = None
        self._family: ClassificationFamily | None = None
        self._ways, self._shots, self._queries = 3, 5, 10
        self._query: QuerySet | None = None
        self._unusable = ""  # why the last model given is not used ("" when it is)
        self._selected: int | None = None
        self._loading = False
        self._generator = torch.Generator()
        self._generator.seed()
        self._build_layout()
        self._connect(undo_shortcuts)
        self.regions.set_steps_range(self.controls.steps())
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
        self.model.changed.connect(self.drawnWorkChanged)
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
        self.regions.failed.connect(self._on_failed)
        self.regions.resultChanged.connect(self._update_hint)
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
        """Adapt this classifier from now on (None: no model). Its outputs are the classes offered.
        A model that is not a 2-D point classifier is not used; the hint says why."""
        self._unusable = ""
        if snapshot is not None and (snapshot.task_kind != "classification" or tuple(snapshot.input_shape) != (2,)):
            what = "a regression model" if snapshot.task_kind != "classification" else \
                f"a classifier of inputs shaped {tuple(snapshot.input_shape)}"
            self._unusable = f"The model is {what}, not of 2-D points: train or open a 2-D points run."
            snapshot = None
        self._snapshot = snapshot
        if snapshot is not None:
            self._ways = int(snapshot.spec.outputs)
            self.controls.palette.set_ways(self._ways)
            if self.current_class >= self._ways:
                self.set_class(0)
        self._update_hint()
        self._request_regions()

    def set_experiment(self, config: ExperimentConfig) -> None:
        """The experiment in the form: Sample task draws from its 2-D point family (the playground
        host calls this on every valid edit); a form that is not 2-D points leaves Sample task off."""
        task = config.task
        try:
            family = build_classification_family(task) if task.kind == "classification" else None
        except ConfigError:
            family = None
        if family is not None and tuple(family.input_shape) != (2,):
            family = None
        self.set_family(family, task.ways, task.shots, task.queries)

    def drawn_state(self) -> dict:
        """What the user drew, for saving with the experiment: ``{"points": [[x, y, class], ...]}``."""
        return {"points": [list(p) for p in self.model.points()]}

    def restore_drawn_state(self, state: dict) -> None:
        """Inverse of :meth:`drawn_state`; ValueError (one line) and nothing changed on anything else."""
        if not isinstance(state, dict) or not isinstance(state.get("points"), list):
            raise ValueError("drawn points must be {\"points\": [[x, y, class], ...]}")
        self.set_points(state["points"])

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
    def snapshot(self) -> ModelSnapshot | None:
        """The classifier being adapted (None: none, or the last one given was not for 2-D points)."""
        return self._snapshot

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

    def has_drawn_work(self) -> bool:
        return len(self.model) > 0

    def clear_drawn_work(self) -> None:
        self.clear_points()

    def sample_task(self) -> None:
        """Draw a task: its support points (undoable as one step) and its query points for accuracy."""
        if self._family is None:
            return
        batch = self._family.sample(1, self._ways, self._shots, self._queries, generator=self._generator)
        labels = batch.y_support[0].tolist()
        support = [(x, y, int(label)) for (x, y), label in zip(batch.x_support[0].tolist(), labels)]
        query = QuerySet(batch.x_query[0].clone(), batch.y_query[0].clone())
        self.undo_stack.push(ReplacePointsCommand(self.model, support, "Sample task", on_apply=self._set_query,
                                                  old_extra=self._query, new_extra=query))

    @property
    def query(self) -> QuerySet | None:
        return self._query

    @property
    def shown_step(self) -> int:
        return self.regions.shown_step

    def set_step(self, step: int) -> None:
        self.step_slider.setValue(step)

    def shutdown(self) -> None:
        self.regions.shutdown()

    @property
    def last_result(self) -> RegionResult | None:
        return self.regions.last_result

    @property
    def images(self) -> dict[int, np.ndarray]:
        """step -> the regions image of the newest edit, for the steps drawn so far."""
        return self.regions.images

    @property
    def baseline_images(self) -> dict[int, np.ndarray]:
        return self.regions.baseline_images

    # -- state changes ----------------------------------------------------------------------
    def _set_query(self, query: QuerySet | None) -> None:
        self._query = self.regions.query = query

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
        self.regions.set_steps_range(self.controls.steps())
        self._request_regions()

    @Slot()
    def _request_regions(self) -> None:
        self.regions.request(self._snapshot, tuple(self.model.points()))

    @Slot(str)
    def _on_failed(self, error: str) -> None:
        self.hint.setText(f"{error}\n{EDIT_HINT}")

    @Slot()
    def _update_hint(self) -> None:
        snapshot = self._snapshot
        if snapshot is None:
            self.controls.show_model("no classifier yet")
            self.hint.setText(f"{self._unusable or NO_MODEL_HINT}\n{EDIT_HINT}")
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


def create_points_playground(parent: QWidget) -> ClassifyPointsWidget:
    """The playground host's factory: there the window's Edit menu owns Ctrl+Z / Ctrl+Shift+Z."""
    return ClassifyPointsWidget(parent, undo_shortcuts=False)


register_playground(POINTS, create_points_playground)
