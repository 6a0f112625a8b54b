"""The Runs dock: every run being compared with its colour, a visibility box, its name and key
settings; how the plots group them and what their x axis is; buttons for the results table and
the sweep view.

:class:`RunsTableModel` shows a :class:`~maml_gui.qt.runs.runs_model.RunsModel` in a
``QTableView`` (the check box of the first column shows or hides a run, Delete removes the
selected ones); :class:`RunsPanel` puts it together with the group-by and x-axis choices.
"""

from __future__ import annotations

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal, Slot
from PySide6.QtGui import QAction, QColor, QKeySequence
from PySide6.QtWidgets import (QAbstractItemView, QComboBox, QHBoxLayout, QHeaderView, QLabel, QTableView,
                               QToolButton, QVBoxLayout, QWidget)

from maml_gui.core.compared_run import key_settings
from maml_gui.core.run_table import differing_fields
from maml_gui.qt.runs.runs_model import X_AXES, RunsModel

Role = Qt.ItemDataRole
COLUMNS = ("Run", "Settings")
NO_GROUPS = "no grouping: one curve per run"
BUT_SEED = "all settings but the seed"
Index = QModelIndex | QPersistentModelIndex


class RunsTableModel(QAbstractTableModel):
    def __init__(self, runs: RunsModel, parent=None) -> None:
        super().__init__(parent)
        self.runs = runs
        self._entries = runs.runs()
        runs.changed.connect(self._on_changed)
        runs.current_changed.connect(self._on_current_changed)
        runs.view_changed.connect(self._on_view_changed)

    @Slot()
    def _on_changed(self) -> None:
        self.beginResetModel()
        self._entries = self.runs.runs()
        self.endResetModel()

    @Slot()
    def _on_current_changed(self) -> None:
        self._entries = self.runs.runs()
        if self._entries and self._entries[0].is_current:
            self.dataChanged.emit(self.index(0, 0), self.index(0, len(COLUMNS) - 1))

    @Slot()
    def _on_view_changed(self) -> None:  # grouped runs take their group's colour
        if self._entries:
            self.dataChanged.emit(self.index(0, 0), self.index(len(self._entries) - 1, 0))

    def key_at(self, row: int) -> str:
        return self._entries[row].key

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802 - Qt's name
        return 0 if parent.isValid() else len(self._entries)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802 - Qt's name
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section, orientation, role=Role.DisplayRole):  # noqa: N802 - Qt's name
        if orientation == Qt.Orientation.Horizontal and role == Role.DisplayRole:
            return COLUMNS[section]
        return None

    def flags(self, index: Index):
        flags = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        return flags | Qt.ItemFlag.ItemIsUserCheckable if index.column() == 0 else flags

    def data(self, index: Index, role=Role.DisplayRole):
        if not index.isValid():
            return None
        entry = self._entries[index.row()]
        if index.column() == 0:
            if role == Role.DisplayRole:
                return entry.name
            if role == Role.CheckStateRole:
                return Qt.CheckState.Checked if entry.visible else Qt.CheckState.Unchecked
            if role == Role.DecorationRole:
                return QColor(*self.runs.shown_color(entry))
        elif role == Role.DisplayRole:
            return key_settings(entry.run.config, entry.run.iteration)
        if role == Role.ToolTipRole:
            where = "the experiment in the window" if entry.is_current else str(entry.run.path)
            sweep = f"\nsweep: {entry.run.sweep}" if entry.run.sweep is not None else ""
            group = self.runs.group_label_of(entry)
            grouped = f"\ndrawn in the group {group}" if group is not None else ""
            return f"{where}{sweep}\n{key_settings(entry.run.config, entry.run.iteration)}{grouped}"
        return None

    def setData(self, index: Index, value, role=Role.EditRole) -> bool:  # noqa: N802 - Qt's name
        if index.isValid() and index.column() == 0 and role == Role.CheckStateRole:
            checked = value == Qt.CheckState.Checked or value == Qt.CheckState.Checked.value
            self.runs.set_visible(self._entries[index.row()].key, checked)
            return True
        return False


class RunsPanel(QWidget):
    """``table`` of runs, ``group_combo``, ``x_axis_combo`` and the given actions as buttons;
    a double-click on a run asks to open it in the window (``open_requested`` with its key)."""

    open_requested = Signal(str)

    def __init__(self, runs: RunsModel, actions: list[QAction], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("runs_panel")
        self.runs = runs
        self.table_model = RunsTableModel(runs, self)
        self.table = QTableView(self)
        self.table.setObjectName("runs_table")
        self.table.setModel(self.table_model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setWordWrap(False)
        self.table.setToolTip("tick to show a run in the plots; double-click to open it in the window; Delete "
                              "removes the selected runs from the comparison")
        self.table.doubleClicked.connect(self._on_double_clicked)
        self.remove_action = QAction("Remove", self)
        self.remove_action.setObjectName("remove_runs")
        self.remove_action.setToolTip("remove the selected runs from the comparison (nothing on disk changes)")
        self.remove_action.setShortcut(QKeySequence(QKeySequence.StandardKey.Delete))
        self.remove_action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.remove_action.triggered.connect(self.remove_selected)
        self.addAction(self.remove_action)
        self.group_combo = QComboBox(self)
        self.group_combo.setObjectName("group_by")
        self.group_combo.setToolTip("one curve per group of runs: the mean over its runs (seeds) with a 95% band")
        self.group_combo.currentIndexChanged.connect(self._on_group_chosen)
        self.x_axis_combo = QComboBox(self)
        self.x_axis_combo.setObjectName("x_axis")
        self.x_axis_combo.addItems(list(X_AXES))
        self.x_axis_combo.setToolTip("the meta-loss against the meta-iteration or the seconds each run trained")
        self.x_axis_combo.currentTextChanged.connect(runs.set_x_axis)
        self.status = QLabel(self)
        self.status.setObjectName("runs_status")
        self.status.setWordWrap(True)
        self.buttons = buttons = QHBoxLayout()
        for action in [*actions, self.remove_action]:
            button = QToolButton(self)
            button.setDefaultAction(action)
            buttons.addWidget(button)
        buttons.addStretch(1)
        choices = QHBoxLayout()
        choices.addWidget(QLabel("Group by"))
        choices.addWidget(self.group_combo, stretch=1)
        choices.addWidget(QLabel("x"))
        choices.addWidget(self.x_axis_combo)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(buttons)
        layout.addWidget(self.table, stretch=1)
        layout.addLayout(choices)
        layout.addWidget(self.status)
        self._choices: list[tuple[str, tuple[str, ...] | None]] = []
        runs.changed.connect(self._update_group_choices)
        runs.view_changed.connect(self._show_view)
        self._update_group_choices()

    def selected_keys(self) -> list[str]:
        rows = sorted({index.row() for index in self.table.selectionModel().selectedRows()})
        return [self.table_model.key_at(row) for row in rows]

    @Slot(QModelIndex)
    def _on_double_clicked(self, index: QModelIndex) -> None:
        if index.isValid():
            self.open_requested.emit(self.table_model.key_at(index.row()))

    @Slot()
    def remove_selected(self) -> None:
        for key in self.selected_keys():
            self.runs.remove(key)

    def group_choices(self) -> list[tuple[str, tuple[str, ...] | None]]:
        """(text, fields) of each grouping offered: none, every differing field but the seed (runs
        that differ only in their seed: one group), each differing field."""
        entries = self.runs.runs()
        fields = differing_fields([entry.run.flat_config() for entry in entries])
        choices: list[tuple[str, tuple[str, ...] | None]] = [(NO_GROUPS, None)]
        if len(entries) > 1 and len(fields) != 1:
            choices.append((BUT_SEED, tuple(fields)))
        choices += [(field, (field,)) for field in fields]
        return choices

    @Slot()
    def _update_group_choices(self) -> None:
        chosen_text = self.group_combo.currentText()
        choices = self._choices = self.group_choices()
        self.group_combo.blockSignals(True)
        self.group_combo.clear()
        for text, _ in choices:
            self.group_combo.addItem(text)
        at = next((i for i, (text, _) in enumerate(choices) if text == chosen_text), 0)  # the same choice again
        self.group_combo.setCurrentIndex(at)
        self.group_combo.blockSignals(False)
        self.runs.set_group_fields(choices[at][1])

    @Slot()
    def _show_view(self) -> None:
        """The combos as the model is (its grouping or x axis may be set by code)."""
        chosen = self.runs.group_fields
        at = next((i for i, (_, fields) in enumerate(self._choices) if fields == chosen), None)
        if at is None and chosen is not None:  # fields no choice offers: add them as a choice
            self._choices.append((", ".join(chosen) or BUT_SEED, chosen))
            self.group_combo.blockSignals(True)
            self.group_combo.addItem(self._choices[-1][0])
            self.group_combo.blockSignals(False)
            at = len(self._choices) - 1
        for combo, index in ((self.group_combo, at or 0), (self.x_axis_combo, X_AXES.index(self.runs.x_axis))):
            combo.blockSignals(True)
            combo.setCurrentIndex(index)
            combo.blockSignals(False)

    @Slot(int)
    def _on_group_chosen(self, index: int) -> None:
        if 0 <= index < len(self._choices):
            self.runs.set_group_fields(self._choices[index][1])

    def add_button(self, button: QWidget) -> None:
        """Another button in the row above the table (before the stretch)."""
        self.buttons.insertWidget(self.buttons.count() - 1, button)

    def show_status(self, text: str) -> None:
        self.status.setText(text)
