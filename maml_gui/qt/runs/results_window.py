"""The Results window: the results table of the compared runs (sortable, exported as CSV) and
the sweep view (hyperparameters against the final metric), as two tabs.

It follows the :class:`~maml_gui.qt.runs.runs_model.RunsModel`: every run in the Runs panel
is a row (hidden runs too: the table is where runs are compared number by number).
``ask_csv_path`` is the one dialog (tests replace it); the CSV is written atomically.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Slot
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (QAbstractItemView, QFileDialog, QHBoxLayout, QLabel, QPushButton, QTableView,
                               QTabWidget, QVBoxLayout, QWidget)

from maml_gui.core.atomic_files import atomic_write
from maml_gui.qt.runs.results_table import ResultsTableModel
from maml_gui.qt.runs.runs_model import RunsModel
from maml_gui.qt.runs.sweep_view import SweepView

CSV_FILTER = "CSV table (*.csv);;All files (*)"


class ResultsWindow(QWidget):
    def __init__(self, runs: RunsModel, settings, show_error, show_message, parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.setObjectName("results_window")
        self.setWindowTitle("Results — MAML Studio")
        self.resize(1000, 560)
        self.runs, self.settings = runs, settings
        self.show_error, self.show_message = show_error, show_message
        self.model = ResultsTableModel(self)
        self.table = QTableView(self)
        self.table.setObjectName("results_table")
        self.table.setModel(self.model)
        self.table.horizontalHeader().setSortIndicator(-1, Qt.SortOrder.AscendingOrder)  # as the runs came
        self.table.setSortingEnabled(True)
        self.table.horizontalHeader().setSortIndicatorShown(True)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().hide()
        self.table.setWordWrap(False)
        self.export_button = QPushButton("Export CSV…", self)
        self.export_button.setObjectName("export_results_csv")
        self.export_button.clicked.connect(self.export_csv)
        export = QAction(self)
        export.setShortcut(QKeySequence(QKeySequence.StandardKey.Save))
        export.triggered.connect(self.export_csv)
        self.addAction(export)
        self.summary = QLabel(self)
        table_page = QWidget(self)
        row = QHBoxLayout()
        row.addWidget(self.summary, stretch=1)
        row.addWidget(self.export_button)
        layout = QVBoxLayout(table_page)
        layout.addWidget(self.table, stretch=1)
        layout.addLayout(row)
        self.sweep_view = SweepView(self)
        self.tabs = QTabWidget(self)
        self.tabs.addTab(table_page, "Table")
        self.tabs.addTab(self.sweep_view, "Sweep view")
        outer = QVBoxLayout(self)
        outer.setContentsMargins(4, 4, 4, 4)
        outer.addWidget(self.tabs)
        runs.changed.connect(self.refresh)
        runs.view_changed.connect(self.refresh)  # grouped runs take their group's colour
        runs.current_changed.connect(self._on_current_changed)
        self.refresh()

    @Slot()
    def _on_current_changed(self) -> None:
        if self.isVisible():  # the current experiment's row, while it trains
            self.refresh()

    @Slot()
    def refresh(self) -> None:
        entries = self.runs.runs()
        colors = {entry.name: self.runs.shown_color(entry) for entry in entries}  # as the Runs panel shows them
        self.model.set_entries(entries, colors)
        header = self.table.horizontalHeader()
        if header.sortIndicatorSection() >= 0 and header.sortIndicatorSection() < self.model.columnCount():
            self.model.sort(header.sortIndicatorSection(), header.sortIndicatorOrder())
        self.table.resizeColumnsToContents()
        evaluated = sum(1 for entry in entries if entry.run.evaluation is not None)
        self.summary.setText(f"{len(entries)} run(s); {evaluated} with the paper protocol's evaluation "
                             "(eval_*: mean over the test tasks after n inner steps)" if entries else
                             "no runs: File ▸ Open Runs… adds a folder of runs or a sweep")
        self.export_button.setEnabled(bool(entries))
        self.sweep_view.set_entries(entries, colors)

    def show_tab(self, name: str) -> None:
        """Show the window at the ``"table"`` or ``"sweep"`` tab."""
        self.tabs.setCurrentIndex(1 if name == "sweep" else 0)
        self.show()
        self.raise_()
        self.activateWindow()

    # -- export ------------------------------------------------------------------------------------
    def ask_csv_path(self) -> str:
        path, _ = QFileDialog.getSaveFileName(self, "Export the results table", self.settings.start_directory(),
                                              CSV_FILTER)
        if path and not Path(path).suffix:
            path += ".csv"
        if path:
            self.settings.remember_directory(path)
        return path

    @Slot()
    def export_csv(self) -> bool:
        if not self.model.table.rows:
            return False
        path = self.ask_csv_path()
        if not path:
            return False
        try:
            atomic_write(Path(path), self.model.table.to_csv())
        except OSError as err:
            self.show_error(f"cannot write {path}: {err.strerror or err}")
            return False
        self.show_message(f"wrote {len(self.model.table.rows)} run(s) to {path}")
        return True
