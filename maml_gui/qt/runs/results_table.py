"""The results table: one row per run, the config fields that differ as columns, then the final
validation metric and the paper protocol's evaluation (``evaluation.json``) where a run has one.

:class:`ResultsTableModel` holds a :class:`~maml_gui.core.run_table.RunTable` built from the
runs of a :class:`~maml_gui.qt.runs.runs_model.RunsModel` (:func:`results_of`); clicking a
header sorts by that column (numbers as numbers, empty cells last), and the CSV export writes
the rows in the order shown.
"""

from __future__ import annotations

import math

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor

from maml_gui.core.run_table import RunTable, text_cell, table_of
from maml_gui.qt.runs.runs_model import RunEntry

Role = Qt.ItemDataRole
Index = QModelIndex | QPersistentModelIndex


def results_of(entries: list[RunEntry]) -> RunTable:
    """The table over ``entries`` (the current experiment is the row named 'current experiment')."""
    rows = []
    for entry in entries:
        config, metrics = entry.run.results_row()
        metrics["run"] = entry.name
        rows.append((config, metrics))
    return table_of(rows)


def _sort_key(value: object) -> tuple:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return (2, 0, "")
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return (0, value, "")
    return (1, 0, text_cell(value))


class ResultsTableModel(QAbstractTableModel):
    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.table = RunTable([])
        self.colors: dict[str, tuple[int, int, int]] = {}

    def set_entries(self, entries: list[RunEntry], colors: dict[str, tuple[int, int, int]] | None = None) -> None:
        """The rows of ``entries``; ``colors`` (run name -> colour) for the swatches, default each run's own."""
        self.beginResetModel()
        self.table = results_of(entries)
        self.colors = colors if colors is not None else {entry.name: entry.color for entry in entries}
        self.endResetModel()

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802 - Qt's name
        return 0 if parent.isValid() else len(self.table.rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802 - Qt's name
        return 0 if parent.isValid() else len(self.table.columns)

    def headerData(self, section, orientation, role=Role.DisplayRole):  # noqa: N802 - Qt's name
        if orientation != Qt.Orientation.Horizontal or section >= len(self.table.columns):
            return None
        column = self.table.columns[section]
        if role == Role.DisplayRole:
            return column.rsplit(".", 1)[-1] if "." in column and "@" not in column else column
        if role == Role.ToolTipRole:
            return column
        return None

    def value(self, row: int, column: str) -> object:
        return self.table.rows[row].get(column)

    def data(self, index: Index, role=Role.DisplayRole):
        if not index.isValid():
            return None
        column = self.table.columns[index.column()]
        value = self.table.rows[index.row()].get(column)
        if role == Role.DisplayRole:
            return "" if value is None else text_cell(value)
        if role == Role.ToolTipRole and value is not None:
            return f"{column} = {value!r}" if isinstance(value, float) else f"{column} = {text_cell(value)}"
        if role == Role.TextAlignmentRole and isinstance(value, (int, float)) and not isinstance(value, bool):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Role.DecorationRole and column == "run":
            color = self.colors.get(str(value))
            return QColor(*color) if color else None
        return None

    def sort(self, column: int, order=Qt.SortOrder.AscendingOrder) -> None:
        if not 0 <= column < len(self.table.columns):
            return
        name = self.table.columns[column]
        self.layoutAboutToBeChanged.emit()
        present = [row for row in self.table.rows if _sort_key(row.get(name))[0] < 2]
        missing = [row for row in self.table.rows if _sort_key(row.get(name))[0] == 2]
        present.sort(key=lambda row: _sort_key(row.get(name)), reverse=order == Qt.SortOrder.DescendingOrder)
        self.table.rows = present + missing  # empty cells last either way
        self.layoutChanged.emit()
