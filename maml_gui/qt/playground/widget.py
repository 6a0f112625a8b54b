"""PlaygroundWidget: draw support points and watch the meta-learned model adapt to them.

The widget owns the points (a :class:`PointListModel` edited only through commands on
``undo_stack``), the plot, the side controls and an :class:`AdaptationRunner`. Any change
(an edit, a new snapshot, steps/lr/baseline, a sampled task) becomes one frozen request for
the worker thread; the newest request supersedes older pending ones and the widget only
draws what comes back.
"""

from __future__ import annotations

import numpy as np
import torch
from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QKeySequence, QShortcut, QUndoStack
from PySide6.QtWidgets import QHBoxLayout, QLabel, QVBoxLayout, QWidget

from maml_gui.core.config import ExperimentConfig
from maml_gui.core.snapshot import ModelSnapshot
from maml_gui.core.tasks import TaskBatch, TaskFamily, build_family

from maml_gui.qt.panels.algorithm_names import model_algorithm_name

from .adaptation import AdaptationRunner
from .commands import AddPointCommand, ClearPointsCommand, MovePointCommand, RemovePointCommand, ReplacePointsCommand
from .controls import PlaygroundControls
from .plot import PlaygroundPlot
from .points import PointListModel, as_point
from .prediction import AdaptationRequest, AdaptationResult
from .view_range import typical_view

NO_SNAPSHOT_HINT = "Train or open a run to see the meta-learned model adapt."
EDIT_HINT = "Click: add a point · drag a point: move it · right-click or Delete: remove · drag elsewhere: pan"


def as_sentence(note: str) -> str:
    """``"the baseline appears…"`` -> ``"The baseline appears…."``: notes follow a full stop."""
    note = note.strip()
    if not note:
        return note
    return note[0].upper() + note[1:] + ("" if note.endswith((".", "!", "?", "…")) else ".")


class PlaygroundWidget(QWidget):
    pointsChanged = Signal()  # every edit, undo and redo (not set_points: loading is not an edit)
    drawnWorkChanged = Signal()  # every change of the points, loading included (the playground host's)
    adaptationShown = Signal(int)  # request id whose curves are now drawn

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.undo_stack = QUndoStack(self)
        self.model = PointListModel(self)
        self.plot = PlaygroundPlot()
        self.plot.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.controls = PlaygroundControls()
        self.hint = QLabel()
        self.hint.setWordWrap(True)
        self._runner = AdaptationRunner(self)
        self._snapshot: ModelSnapshot | None = None
        self._bundled: tuple[ModelSnapshot, str] | None = None  # the shipped model and what it is
        self._task: TaskBatch | None = None
        self._family: TaskFamily | None = None
        self._family_view: tuple | None = None
        self._shots = 1
        self._selected: int | None = None
        self._loading = False
        self._generator = torch.Generator()
        self._generator.seed()
        self.last_result: AdaptationResult | None = None

        left = QVBoxLayout()
        left.setContentsMargins(0, 0, 0, 0)
        left.addWidget(self.plot, stretch=1)
        left.addWidget(self.plot.key)
        left.addWidget(self.hint)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(left, stretch=1)
        layout.addWidget(self.controls)

        editor = self.plot.editor
        editor.addRequested.connect(self._on_add_requested)
        editor.selectRequested.connect(self._on_select_requested)
        editor.removeRequested.connect(self.remove_point)
        editor.dragMoved.connect(self._on_drag_moved)
        editor.dragFinished.connect(self._on_drag_finished)
        self.model.changed.connect(self._on_points_changed)
        self.model.changed.connect(self.drawnWorkChanged)
        self.controls.settingsChanged.connect(self._request_adaptation)
        self.controls.sampleRequested.connect(self.sample_task)
        self.controls.clearRequested.connect(self.clear_points)
        self._runner.resultReady.connect(self._on_result)
        for key in (QKeySequence(QKeySequence.StandardKey.Delete), QKeySequence(Qt.Key.Key_Backspace)):
            shortcut = QShortcut(key, self.plot)  # only while the plot has focus: not in the lr box
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shortcut.activated.connect(self.remove_selected_point)

        default = ExperimentConfig()
        self.set_family(build_family(default.task), default.task.shots)
        self._update_hint()

    # -- API for the main window ------------------------------------------------------------
    def set_snapshot(self, snapshot: ModelSnapshot | None) -> None:
        """Adapt from these weights from now on (None: no model yet)."""
        self._snapshot = snapshot
        self._update_hint()
        self._request_adaptation()

    def set_bundled_model(self, snapshot: ModelSnapshot | None, description: str = "") -> None:
        """Label ``snapshot`` as the model shipped with the app whenever it is the one shown."""
        self._bundled = (snapshot, description) if snapshot is not None else None
        self._update_hint()

    def showing_bundled_model(self) -> bool:
        return self._bundled is not None and self._snapshot is self._bundled[0]

    def set_family(self, family: TaskFamily, shots: int) -> None:
        """The distribution that Sample task draws from, and K support points per task.

        The view moves to fit the family's typical curves only when that fit changes, so a
        config edit that keeps the distribution keeps the user's pan and zoom.
        """
        if shots < 1:
            raise ValueError(f"shots must be >= 1, got {shots}")
        self._family, self._shots = family, int(shots)
        view = typical_view(family)
        if view != self._family_view:
            self._family_view = view
            (x0, x1), (y0, y1) = view
            self.plot.setRange(xRange=(x0, x1), yRange=(y0, y1), padding=0)
            self._request_adaptation()  # the curves' x grid follows the family's x range

    def reset_view(self) -> None:
        """Back to the view that fits the family's typical curves (the plot menu's Reset view)."""
        if self._family_view is not None:
            (x0, x1), (y0, y1) = self._family_view
            self.plot.setRange(xRange=(x0, x1), yRange=(y0, y1), padding=0)

    def points(self) -> list[tuple[float, float]]:
        return self.model.points()

    def x_range(self) -> tuple[float, float]:
        """The task family's x range: the adapted curves are drawn over it (and every point)."""
        return self._family.x_range if self._family is not None else (-5.0, 5.0)

    def set_points(self, points) -> None:
        """Replace every point (opening an experiment): clears the undo stack and the true curve.

        Raises ValueError for anything that is not a list of finite (x, y) pairs.
        """
        checked = [as_point(p) for p in points]
        self._task = None
        self._selected = None
        self.undo_stack.clear()
        self._loading = True
        try:
            self.model.replace(checked)
        finally:
            self._loading = False

    def clear_points(self) -> None:
        """Remove every point, as one undoable step."""
        if len(self.model):
            self.undo_stack.push(ClearPointsCommand(self.model))

    def has_drawn_work(self) -> bool:
        return len(self.model) > 0

    def clear_drawn_work(self) -> None:
        self.clear_points()

    def sample_task(self) -> None:
        """Draw a task: its true curve (dashed) and K support points, as one undoable step."""
        batch = self._family.sample(1, self._shots, 0, generator=self._generator)
        xy = torch.cat([batch.x_support[0], batch.y_support[0]], dim=1).tolist()
        self.undo_stack.push(ReplacePointsCommand(self.model, xy, "Sample task", on_apply=self._set_task,
                                                  old_extra=self._task, new_extra=batch))

    def remove_point(self, index: int) -> None:
        if 0 <= index < len(self.model):
            self.undo_stack.push(RemovePointCommand(self.model, index))

    def remove_selected_point(self) -> None:
        if self._selected is not None:
            self.remove_point(self._selected)

    def shutdown(self) -> None:
        """Stop the adaptation thread (the main window's closeEvent calls this)."""
        self._runner.shutdown()

    @property
    def true_task(self) -> TaskBatch | None:
        return self._task

    @property
    def selected_index(self) -> int | None:
        return self._selected

    # -- mouse ------------------------------------------------------------------------------
    @Slot(float, float)
    def _on_add_requested(self, x: float, y: float) -> None:
        self.undo_stack.push(AddPointCommand(self.model, (x, y)))
        self._select(len(self.model) - 1)

    @Slot(int)
    def _on_select_requested(self, index: int) -> None:
        self._select(index)

    @Slot(int, float, float)
    def _on_drag_moved(self, index: int, x: float, y: float) -> None:
        if 0 <= index < len(self.model):
            self._selected = index
            self.model.move(index, (x, y))  # live preview; the command is pushed on release

    @Slot(int, float, float, float, float)
    def _on_drag_finished(self, index: int, x0: float, y0: float, x1: float, y1: float) -> None:
        if not 0 <= index < len(self.model):
            return
        if (x0, y0) == (x1, y1):
            if self.model[index] != (x0, y0):
                self.model.move(index, (x0, y0))  # dragged away and back: no command
            return
        self.undo_stack.push(MovePointCommand(self.model, index, (x0, y0), (x1, y1)))
        self._select(index)

    # -- state changes ----------------------------------------------------------------------
    def _select(self, index: int | None) -> None:
        self._selected = index
        if index is not None:
            self.plot.setFocus(Qt.FocusReason.MouseFocusReason)  # so Delete acts on this point
        self.plot.show_points(self.model.points(), self._selected)

    def _set_task(self, task: TaskBatch | None) -> None:
        self._task = task

    @Slot()
    def _on_points_changed(self) -> None:
        if self._selected is not None and self._selected >= len(self.model):
            self._selected = None
        self.plot.show_points(self.model.points(), self._selected)
        self._request_adaptation()
        if not self._loading:
            self.pointsChanged.emit()

    @Slot()
    def _request_adaptation(self) -> None:
        if not self._runner.is_running():
            return
        self._runner.submit(AdaptationRequest(
            request_id=self._runner.next_request_id(), snapshot=self._snapshot,
            points=tuple(self.model.points()), steps=self.controls.steps(), lr=self.controls.lr(),
            baseline=self.controls.baseline_mode(), x_range=self.x_range(), task=self._task))

    @Slot(object)
    def _on_result(self, result: AdaptationResult) -> None:
        self.last_result = result
        self.plot.show_result(None if result.error else result)
        self.controls.show_mse(result.mse, result.baseline_mse)
        self._update_hint(result)
        self.adaptationShown.emit(result.request_id)

    def _update_hint(self, result: AdaptationResult | None = None) -> None:
        if result is not None and result.error:
            self.hint.setText(result.error)
            return
        snapshot = self._snapshot
        name = "" if snapshot is None else model_algorithm_name(snapshot.algorithm, snapshot.rates.per_step is not None)
        bundled = self._bundled[1] if self.showing_bundled_model() else ""
        self.controls.show_model(None if snapshot is None else snapshot.iteration, name, bundled)
        # the hint's text stays the same while training goes on (its iteration is in the
        # fixed-size model label): a changing word-wrapped label would relayout the window
        lines = [NO_SNAPSHOT_HINT if snapshot is None else f"Adapting the meta-learned model ({name})."]
        if bundled:
            lines = [f"Adapting the {bundled} (shipped with the app; Train replaces it)."]
        if result is not None:
            lines.extend(as_sentence(note) for note in result.notes)
        self.hint.setText(" ".join(lines) + "\n" + EDIT_HINT)

    def step_curves(self) -> list[np.ndarray]:
        """y of each drawn step curve, step 0 first (for tests and the benchmark)."""
        return [y for _, y in self.plot.curve_data()]
