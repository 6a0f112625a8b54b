"""The sweep's progress window: trials done / total, each trial's status, live meta-loss curves.

Opened when a sweep starts (and from Training > Sweep Progress). The header and the bar show
the whole sweep; the table has one row per trial (status, iteration reached of its total);
the plot overlays every trial's smoothed meta-loss as its run directory is saved, one colour
per combination of the varied values (the seeds of a combination share it). Stop keeps the
finished trials; the running ones save, so the same sweep started again resumes them.
"""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (QAbstractItemView, QHBoxLayout, QHeaderView, QLabel, QProgressBar, QPushButton,
                               QSplitter, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget)

from maml_gui.core.sweep import trial_name
from maml_gui.qt.playground.compare_window import PALETTE

from .job import QUEUED, RUNNING, SweepJob, TrialCurve

STATUS_TEXT = {QUEUED: "queued", RUNNING: "running", "finished": "finished", "skipped": "finished earlier",
               "interrupted": "stopped (resumable)", "failed": "failed"}
COLUMNS = ("Trial", "Status", "Iteration")


def group_name(values: dict[str, object]) -> str:
    """A trial's varied values without its seed: the colour and the legend's entry."""
    return trial_name(values, 0).rsplit(",seed=0", 1)[0] or "base"


class SweepWindow(QWidget):
    """Shows one :class:`SweepJob`; ``openRequested(path)`` asks to open the sweep's folder as runs."""

    stopRequested = Signal()
    compareRequested = Signal(object)  # the selected trials' folders

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.setObjectName("sweep_window")
        self.setWindowTitle("Sweep")
        self.job: SweepJob | None = None
        self.header = QLabel(objectName="sweep_header")
        self.header.setWordWrap(True)
        self.header.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.bar = QProgressBar(objectName="sweep_progress")
        self.bar.setRange(0, 1000)
        self.stop_button = QPushButton("Stop Sweep", objectName="sweep_stop")
        self.stop_button.setToolTip("finished trials are kept; running ones save and resume when the same sweep "
                                    "is started again")
        self.stop_button.clicked.connect(self.stopRequested)
        self.compare_button = QPushButton("Compare in Playground", objectName="sweep_compare")
        self.compare_button.setToolTip("adapt the selected trials' models to the playground's points, side by side")
        self.compare_button.setEnabled(False)
        self.compare_button.clicked.connect(self._on_compare_clicked)
        self.table = QTableWidget(0, len(COLUMNS), objectName="sweep_trials")
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for column in (1, 2):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        self.table.itemSelectionChanged.connect(self._on_selection_changed)
        self.plot = pg.PlotWidget(objectName="sweep_plot")
        item = self.plot.getPlotItem()
        item.setLabel("bottom", "iteration")
        item.setLabel("left", "meta-loss after adaptation (smoothed)")
        item.setLogMode(y=True)
        item.showGrid(x=True, y=True, alpha=0.2)
        self.legend = item.addLegend(offset=(-10, 10))
        self.curves: dict[str, pg.PlotDataItem] = {}
        self._rows: dict[str, int] = {}
        self._groups: dict[str, str] = {}  # trial -> group
        self._colors: dict[str, object] = {}  # group -> colour

        top = QHBoxLayout()
        top.addWidget(self.bar, stretch=1)
        top.addWidget(self.stop_button)
        top.addWidget(self.compare_button)
        splitter = QSplitter()
        splitter.addWidget(self.table)
        splitter.addWidget(self.plot)
        splitter.setSizes([380, 520])
        layout = QVBoxLayout(self)
        layout.addWidget(self.header)
        layout.addLayout(top)
        layout.addWidget(splitter, stretch=1)
        self.resize(980, 520)

    def show_job(self, job: SweepJob) -> None:
        """Show this sweep from now on (its trials, then its reports as they come)."""
        self.job = job
        self.table.setRowCount(len(job.trials))
        self.curves.clear()
        self.plot.getPlotItem().clear()
        self.legend.clear()
        groups = list(dict.fromkeys(group_name(t.values) for t in job.trials))
        self._colors = {g: PALETTE[i % len(PALETTE)] for i, g in enumerate(groups)}
        self._rows, self._groups = {}, {}
        for row, trial in enumerate(job.trials):
            self._rows[trial.name] = row
            self._groups[trial.name] = group_name(trial.values)
            name = QTableWidgetItem(trial.name)
            name.setToolTip(trial.name)
            self.table.setItem(row, 0, name)
            for column in (1, 2):
                self.table.setItem(row, column, QTableWidgetItem())
            self._show_status(trial.name)
        job.changed.connect(self._on_changed)
        job.curveRead.connect(self._on_curve)
        job.finished.connect(self._on_finished)
        job.failed.connect(self._on_failed)
        self._update_header()

    # -- slots ------------------------------------------------------------------------------
    @Slot(str)
    def _on_changed(self, name: str) -> None:
        self._show_status(name)
        self._update_header()

    @Slot(object)
    def _on_curve(self, curve: TrialCurve) -> None:
        item = self.curves.get(curve.name)
        if item is None:
            group = self._groups.get(curve.name, curve.name)
            first = group not in {self._groups.get(n) for n in self.curves}
            item = pg.PlotDataItem(pen=pg.mkPen(self._colors.get(group, (200, 200, 200)), width=1),
                                   name=group if first else None)
            item.setClipToView(True)
            item.setDownsampling(auto=True, method="peak")
            self.plot.addItem(item)
            self.curves[curve.name] = item
        positive = curve.loss > 0  # a log axis
        item.setData(curve.iterations[positive], curve.loss[positive])

    @Slot()
    def _on_finished(self) -> None:
        self._update_header()

    def selected_trials(self) -> list[str]:
        rows = sorted({index.row() for index in self.table.selectedIndexes()})
        return [self.table.item(row, 0).text() for row in rows]

    @Slot()
    def _on_selection_changed(self) -> None:
        self.compare_button.setEnabled(bool(self.selected_trials()))

    @Slot()
    def _on_compare_clicked(self) -> None:
        if self.job is not None:
            self.compareRequested.emit([self.job.out / name for name in self.selected_trials()])

    @Slot(str)
    def _on_failed(self, message: str) -> None:
        self._update_header()

    # -- drawing ----------------------------------------------------------------------------
    def _show_status(self, name: str) -> None:
        row, status = self._rows.get(name), self.job.status.get(name)
        if row is None or status is None:
            return
        text = STATUS_TEXT.get(status.status, status.status)
        if status.message:
            text += f": {status.message}"
        self.table.item(row, 1).setText(text)
        self.table.item(row, 1).setToolTip(text)
        self.table.item(row, 2).setText(f"{status.iteration:,} / {status.total:,}")

    def _update_header(self) -> None:
        job = self.job
        if job is None:
            return
        counts, total = job.counts(), len(job.trials)
        parts = [f"{job.done_count()} of {total} trials done"]
        for status, word in ((RUNNING, "running"), ("failed", "failed"), ("interrupted", "stopped")):
            if counts.get(status):
                parts.append(f"{counts[status]} {word}")
        if not job.is_running():
            state = "stopped" if job.stopping else "ended"
            parts.append(f"sweep {state}; start the same sweep again to resume" if job.done_count() < total
                         else "sweep complete")
        elif job.stopping:
            parts.append("stopping: running trials save…")
        if job.error:
            parts.append(job.error)
        self.header.setText(f"<b>{job.out}</b><br>" + " · ".join(parts))
        self.bar.setValue(round(1000 * job.fraction()))
        self.bar.setFormat(f"{job.done_count()} / {total} trials")
        self.stop_button.setEnabled(job.is_running() and not job.stopping)

    def status_text(self, name: str) -> str:
        """The Status cell of a trial (for tests)."""
        return self.table.item(self._rows[name], 1).text()
