"""A small table of task parameter ranges: name, low, high.

Built-in families have fixed parameter names (only the bounds are editable); the formula
family lets the user add, rename and remove parameters.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (QAbstractItemView, QHBoxLayout, QHeaderView, QPushButton, QTableWidget,
                               QTableWidgetItem, QVBoxLayout, QWidget)

Ranges = dict[str, tuple[float, float]]


def format_bound(value: float) -> str:
    """Shortest text that reads back as the same float (``0.1``, ``3.141592653589793``)."""
    return repr(float(value))


def display_bound(value: float) -> str:
    """What a cell shows: six significant digits (``3.14159``), so narrow cells are not cut."""
    return f"{float(value):.6g}"


EXACT = Qt.ItemDataRole.UserRole  # a cell's exact bound, while its text is still the rounded one


def bound_item(value: float) -> QTableWidgetItem:
    item = QTableWidgetItem(display_bound(value))
    item.setData(EXACT, float(value))
    item.setToolTip(format_bound(value))
    return item


def read_bound(item: QTableWidgetItem) -> float:
    """The cell's number: its exact bound while the user has not retyped the rounded text."""
    text = item.text().strip()
    exact = item.data(EXACT)
    if exact is not None and text == display_bound(exact):
        return float(exact)
    return float(text)


class ParameterRangeTable(QWidget):
    """Edits ``{name: (low, high)}``; ``ranges_edited`` fires after each committed cell edit."""

    ranges_edited = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.table = QTableWidget(0, 3, self)
        self.table.setObjectName("parameter_ranges")
        self.table.setHorizontalHeaderLabels(["parameter", "low", "high"])
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)  # names are never cut
        self.table.verticalHeader().setVisible(False)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSizeAdjustPolicy(QAbstractItemView.SizeAdjustPolicy.AdjustToContents)
        self.add_button = QPushButton("Add parameter", self)
        self.remove_button = QPushButton("Remove", self)
        buttons = QHBoxLayout()
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.remove_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.table)
        layout.addLayout(buttons)
        self.add_button.clicked.connect(self.add_parameter)
        self.remove_button.clicked.connect(self.remove_selected)
        self.table.itemChanged.connect(self._on_item_changed)
        self.error = ""
        self.set_names_editable(False)

    def set_names_editable(self, editable: bool) -> None:
        self.names_editable = editable
        self.add_button.setVisible(editable)
        self.remove_button.setVisible(editable)
        self.table.blockSignals(True)  # flag changes emit itemChanged, but edit nothing
        try:
            for row in range(self.table.rowCount()):
                self._set_name_flags(self.table.item(row, 0))
        finally:
            self.table.blockSignals(False)

    def _set_name_flags(self, item: QTableWidgetItem | None) -> None:
        if item is None:
            return
        flags = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        item.setFlags(flags | Qt.ItemFlag.ItemIsEditable if self.names_editable else flags)

    def set_ranges(self, ranges: Ranges) -> None:
        self.table.blockSignals(True)
        try:
            self.table.setRowCount(0)
            for name, (low, high) in ranges.items():
                self._append_row(name, low, high)
        finally:
            self.table.blockSignals(False)
        self.error = ""

    def _append_row(self, name: str, low: float, high: float) -> None:
        row = self.table.rowCount()
        self.table.insertRow(row)
        name_item = QTableWidgetItem(name)
        self._set_name_flags(name_item)
        self.table.setItem(row, 0, name_item)
        self.table.setItem(row, 1, bound_item(low))
        self.table.setItem(row, 2, bound_item(high))

    def ranges(self) -> Ranges:
        """The table's ranges; rows that do not parse are left out and described in ``error``."""
        out: Ranges = {}
        problems = []
        for row in range(self.table.rowCount()):
            cells = [self.table.item(row, col) for col in range(3)]
            name = cells[0].text().strip() if cells[0] is not None else ""
            if not name:
                problems.append(f"row {row + 1} has no parameter name")
                continue
            try:
                low, high = (read_bound(cell) for cell in cells[1:])
            except (AttributeError, ValueError):
                problems.append(f"{name}: low and high must be numbers")
                continue
            if name in out:
                problems.append(f"parameter {name!r} appears twice")
            out[name] = (low, high)
        self.error = problems[0] if problems else ""
        return out

    @Slot()
    def add_parameter(self) -> None:
        taken = {self.table.item(r, 0).text() for r in range(self.table.rowCount()) if self.table.item(r, 0)}
        candidates = [chr(c) for c in range(ord("a"), ord("z") + 1) if chr(c) != "x"]
        candidates += [f"p{i}" for i in range(1, self.table.rowCount() + 2)]
        name = next(n for n in candidates if n not in taken)
        self.table.blockSignals(True)
        self._append_row(name, 0.0, 1.0)
        self.table.blockSignals(False)
        self.ranges_edited.emit()

    @Slot()
    def remove_selected(self) -> None:
        rows = sorted({index.row() for index in self.table.selectedIndexes()}, reverse=True)
        for row in rows:
            self.table.removeRow(row)
        if rows:
            self.ranges_edited.emit()

    @Slot(QTableWidgetItem)
    def _on_item_changed(self, item: QTableWidgetItem) -> None:
        self.ranges_edited.emit()
