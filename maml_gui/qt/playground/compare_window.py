"""Compare Models: the playground's drawn points adapted by two or more runs, side by side or
overlaid, with the per-step MSE of each.

The window follows the main playground: its points, inner steps, inner lr and sampled task
(read through a :class:`PlaygroundInputs` callable). Models come from the current experiment,
from run folders opened here, from the Runs panel's visible runs (a source callable set by the
window that has one) or from a sweep's trials. Every change becomes one frozen
:class:`~.comparison.ComparisonRequest` for an :class:`~.adaptation.AdaptationRunner` thread
(newest wins); the window only draws what comes back.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer, Signal, Slot
from PySide6.QtWidgets import (QAbstractItemView, QComboBox, QFileDialog, QHBoxLayout, QLabel, QListWidget,
                               QListWidgetItem, QPushButton, QSplitter, QStackedWidget, QTableWidget, QVBoxLayout,
                               QWidget)

from maml_gui.core.checkpoint import RunError, load_run
from maml_gui.core.snapshot import ModelSnapshot
from maml_gui.core.tasks import TaskBatch

from .adaptation import AdaptationRunner
from .compare_plots import draw_mse, draw_overlay, draw_side_by_side, setup_curve_plot, swatch
from .comparison import ComparedModel, ComparisonRequest, ComparisonResult, ModelAdaptation, compute_comparison

PALETTE = ((31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40), (148, 103, 189), (140, 86, 75),
           (227, 119, 194), (127, 127, 127), (188, 189, 34), (23, 190, 207))
CURRENT = "current experiment"
OVERLAY, SIDE_BY_SIDE = "overlay", "side by side"
COALESCE_MS = 0  # edits of one event-loop turn (points, task, steps) become one request
ROW_HEADER_WIDTH = 200


@dataclass(frozen=True)
class PlaygroundInputs:
    """What the main playground adapts to right now."""

    points: tuple[tuple[float, float], ...]
    steps: int
    lr: float | None
    x_range: tuple[float, float]
    task: TaskBatch | None = None


class CompareModelsWindow(QWidget):
    resultShown = Signal(int)  # request id now drawn

    def __init__(self, inputs: Callable[[], PlaygroundInputs], parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.setObjectName("compare_window")
        self.setWindowTitle("Compare Models")
        self._inputs = inputs
        self._models: dict[str, ComparedModel] = {}  # key (a path, or CURRENT) -> model
        self._colors: dict[str, tuple] = {}
        self._visible_runs: Callable[[], list[tuple[str, Path]]] | None = None
        self.last_result: ComparisonResult | None = None
        self._runner = AdaptationRunner(self, compute=compute_comparison)
        self._runner.resultReady.connect(self._on_result)
        self._timer = QTimer(self, singleShot=True, interval=COALESCE_MS)
        self._timer.timeout.connect(self._submit)

        self.model_list = QListWidget(objectName="compare_models")
        self.model_list.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.model_list.setMaximumHeight(120)
        self.model_list.itemChanged.connect(self.refresh)
        self.add_run_button = QPushButton("Add Run…", objectName="compare_add_run")
        self.add_run_button.setToolTip("add a run folder's model (a run saved by the app, `maml-gui train` or a "
                                       "sweep trial)")
        self.add_run_button.clicked.connect(self._on_add_run)
        self.add_visible_button = QPushButton("Add Visible Runs", objectName="compare_add_visible")
        self.add_visible_button.setToolTip("add every run shown in the Runs panel")
        self.add_visible_button.setEnabled(False)
        self.add_visible_button.clicked.connect(self.add_visible_runs)
        self.remove_button = QPushButton("Remove", objectName="compare_remove")
        self.remove_button.clicked.connect(self.remove_selected)
        self.mode = QComboBox(objectName="compare_mode")
        self.mode.addItems([OVERLAY, SIDE_BY_SIDE])
        self.mode.currentTextChanged.connect(self._on_mode_changed)
        self.message = QLabel(objectName="compare_message")
        self.message.setWordWrap(True)

        self.overlay = pg.PlotWidget(objectName="compare_overlay")
        setup_curve_plot(self.overlay.getPlotItem())
        self.overlay_legend = self.overlay.getPlotItem().addLegend(offset=(-10, 10))
        self.side_by_side = pg.GraphicsLayoutWidget()
        self.side_by_side.setObjectName("compare_side_by_side")
        self.plots = QStackedWidget()
        self.plots.addWidget(self.overlay)
        self.plots.addWidget(self.side_by_side)
        self.mse_plot = pg.PlotWidget(objectName="compare_mse")
        item = self.mse_plot.getPlotItem()
        item.setLabel("bottom", "inner step")
        item.setLogMode(y=True)
        item.getAxis("left").enableAutoSIPrefix(False)  # MSE values as they are, not "x0.001"
        item.showGrid(x=True, y=True, alpha=0.2)
        self.mse_table = QTableWidget(objectName="compare_mse_table")
        self.mse_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.mse_table.verticalHeader().setMaximumWidth(ROW_HEADER_WIDTH)  # long run names: elided, full in tooltip
        self.mse_table.verticalHeader().setTextElideMode(Qt.TextElideMode.ElideMiddle)

        buttons = QVBoxLayout()
        for widget in (self.add_run_button, self.add_visible_button, self.remove_button, self.mode):
            buttons.addWidget(widget)
        buttons.addStretch(1)
        top = QHBoxLayout()
        top.addWidget(self.model_list, stretch=1)
        top.addLayout(buttons)
        right = QSplitter(Qt.Orientation.Vertical)
        right.addWidget(self.mse_plot)
        right.addWidget(self.mse_table)
        body = QSplitter()
        body.addWidget(self.plots)
        body.addWidget(right)
        body.setSizes([600, 500])
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.message)
        layout.addWidget(body, stretch=1)
        self.resize(1100, 700)

    # -- models -----------------------------------------------------------------------------
    def set_current_snapshot(self, snapshot: ModelSnapshot | None) -> None:
        """The current experiment's model (first in the list) follows training and opening."""
        if snapshot is None:
            self._remove_key(CURRENT)
        else:
            self._put(CURRENT, ComparedModel(CURRENT, snapshot), first=True)
        self.refresh()

    def add_run(self, path: str | Path) -> bool:
        """Add a run folder's model; False (and a one-line message) when it cannot be compared."""
        try:
            run = load_run(path, with_history=False)
        except RunError as err:
            self.message.setText(str(err))
            return False
        if run.snapshot is None:
            self.message.setText(f"{path} has no trained weights yet")
            return False
        name = f"{Path(path).name} ({run.config.training.algorithm}, it {run.iteration:,})"
        self._put(str(Path(path).resolve()), ComparedModel(name, run.snapshot))
        self.message.clear()
        self.refresh()
        return True

    def add_runs(self, paths) -> None:
        for path in paths:
            self.add_run(path)

    def set_visible_runs_source(self, source: Callable[[], list[tuple[str, Path]]] | None) -> None:
        """Where Add Visible Runs gets the Runs panel's visible runs ((name, folder) pairs)."""
        self._visible_runs = source
        self.add_visible_button.setEnabled(source is not None)

    @Slot()
    def add_visible_runs(self) -> None:
        if self._visible_runs is not None:
            self.add_runs(path for _, path in self._visible_runs())

    @Slot()
    def remove_selected(self) -> None:
        for item in self.model_list.selectedItems():
            self._remove_key(item.data(Qt.ItemDataRole.UserRole))
        self.refresh()

    def model_names(self) -> list[str]:
        return [self.model_list.item(i).text() for i in range(self.model_list.count())]

    def _put(self, key: str, model: ComparedModel, first: bool = False) -> None:
        if key not in self._colors:
            used = set(self._colors.values())
            self._colors[key] = next((c for c in PALETTE if c not in used), PALETTE[len(self._colors) % len(PALETTE)])
        self._models[key] = model
        self.model_list.blockSignals(True)
        item = next((self.model_list.item(i) for i in range(self.model_list.count())
                     if self.model_list.item(i).data(Qt.ItemDataRole.UserRole) == key), None)
        if item is None:
            item = QListWidgetItem(swatch(self._colors[key]), model.name)
            item.setData(Qt.ItemDataRole.UserRole, key)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked)
            if first:
                self.model_list.insertItem(0, item)
            else:
                self.model_list.addItem(item)
        item.setText(model.name)
        self.model_list.blockSignals(False)

    def _remove_key(self, key: str) -> None:
        self._models.pop(key, None)
        self._colors.pop(key, None)
        for i in range(self.model_list.count()):
            if self.model_list.item(i).data(Qt.ItemDataRole.UserRole) == key:
                self.model_list.takeItem(i)
                break

    def _checked(self) -> list[tuple[str, ComparedModel]]:
        items = (self.model_list.item(i) for i in range(self.model_list.count()))
        keys = [item.data(Qt.ItemDataRole.UserRole) for item in items if item.checkState() == Qt.CheckState.Checked]
        return [(k, self._models[k]) for k in keys if k in self._models]

    # -- adaptation -------------------------------------------------------------------------
    @Slot()
    def refresh(self) -> None:
        """Re-adapt (coalesced: every edit of one event-loop turn makes one request)."""
        self._timer.start()

    @Slot()
    def _submit(self) -> None:
        if not self._runner.is_running():
            return
        checked = self._checked()
        if len(self._models) < 2:
            self.message.setText("Add two or more runs to compare them on the playground's points "
                                 "(Add Run…, Add Visible Runs, or a sweep's Compare button).")
        inputs = self._inputs()
        self._shown_keys = [k for k, _ in checked]
        self._runner.submit(ComparisonRequest(self._runner.next_request_id(), tuple(m for _, m in checked),
                                              inputs.points, inputs.steps, inputs.lr, inputs.x_range, inputs.task))

    @Slot(object)
    def _on_result(self, result: ComparisonResult) -> None:
        self.last_result = result
        colors = [self._colors.get(k, PALETTE[0]) for k in self._shown_keys]
        points = self._inputs().points
        draw_overlay(self.overlay.getPlotItem(), self.overlay_legend, result, colors, points)
        draw_side_by_side(self.side_by_side, result, colors, points)
        draw_mse(self.mse_plot.getPlotItem(), self.mse_table, result, colors)
        errors = [f"{m.name}: {m.error}" for m in result.models if m.error]
        if errors:
            self.message.setText(" · ".join(errors))
        elif len(self._models) >= 2:
            self.message.setText("" if points else "Draw support points in the playground (or Sample task) "
                                 "to see the models adapt.")
        self.resultShown.emit(result.request_id)

    # -- slots and closing ------------------------------------------------------------------
    @Slot(str)
    def _on_mode_changed(self, mode: str) -> None:
        self.plots.setCurrentIndex(0 if mode == OVERLAY else 1)

    @Slot()
    def _on_add_run(self) -> None:
        folder = self.ask_run_folder()
        if folder:
            self.add_run(folder)

    def ask_run_folder(self) -> str:  # replaced in tests
        return QFileDialog.getExistingDirectory(self, "Add a run to compare")

    def shown_models(self) -> list[ModelAdaptation]:
        return list(self.last_result.models) if self.last_result is not None else []

    def shutdown(self) -> None:
        self._runner.shutdown()
