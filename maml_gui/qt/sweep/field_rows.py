"""One row of the sweep dialog per varied config field: the field, values or a range, its error.

A row turns into the core's text (``training.inner_lr=0.001,0.01`` or
``training.inner_lr=log:0.001:0.1``) and is checked by the core's own parsing
(:func:`~maml_gui.core.sweep_plan.check_grid_field`, :func:`~maml_gui.core.sweep_plan.check_range_field`);
the one-line error is shown under the row.
"""

from __future__ import annotations

from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import QComboBox, QGridLayout, QLabel, QLineEdit, QToolButton, QWidget

from maml_gui.core.config import ExperimentConfig
from maml_gui.core.sweep import SweepError
from maml_gui.core.sweep_fields import SweepField, current_value
from maml_gui.core.sweep_plan import check_grid_field, check_range_field
from maml_gui.qt.panels.field_errors import ERROR_COLOR, INVALID_FRAME

VALUES = "values"
RANGE_KINDS = (("log", "log range"), ("lin", "linear range"), ("int", "whole-number range"))
VALUES_HINT = "comma-separated values, e.g. 0.001, 0.01, 0.1"
RANGE_HINT = "low:high, e.g. 0.001:0.1 (drawn for each random trial)"


def one_line(error: Exception) -> str:
    """The core's message without the CLI option it names (``--grid``, ``--range``, ``--seeds``)."""
    text = str(error).splitlines()[0] if str(error) else type(error).__name__
    for option in ("--grid ", "--range ", "--seeds "):
        text = text.replace(option, "")
    return text


class FieldRow(QWidget):
    """Field · values-or-range · text · remove, and the row's error under them."""

    changed = Signal()
    removeRequested = Signal(object)  # this row

    def __init__(self, fields: list[SweepField], base: ExperimentConfig, key: str, parent=None) -> None:
        super().__init__(parent)
        self._fields = {f.key: f for f in fields}
        self._base = base
        self.field = QComboBox()
        self.field.setObjectName("sweep_field")
        for f in fields:
            self.field.addItem(f.key)
            self.field.setItemData(self.field.count() - 1, f.description or f.key, 3)  # ToolTipRole
        self.mode = QComboBox()
        self.mode.setObjectName("sweep_mode")
        self.mode.addItem("values", VALUES)
        for kind, text in RANGE_KINDS:
            self.mode.addItem(text, kind)
        self.values = QLineEdit()
        self.values.setObjectName("sweep_values")
        self.remove = QToolButton()
        self.remove.setText("✕")
        self.remove.setToolTip("stop varying this field")
        self.error = QLabel()
        self.error.setObjectName("sweep_field_error")
        self.error.setStyleSheet(f"color: {ERROR_COLOR};")
        self.error.setWordWrap(True)
        self.error.hide()
        layout = QGridLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.field, 0, 0)
        layout.addWidget(self.mode, 0, 1)
        layout.addWidget(self.values, 0, 2)
        layout.addWidget(self.remove, 0, 3)
        layout.addWidget(self.error, 1, 0, 1, 4)
        layout.setColumnStretch(2, 1)
        self.set_field(key)
        self.field.currentTextChanged.connect(self._on_field_changed)
        self.mode.currentIndexChanged.connect(self._on_mode_changed)
        self.values.textChanged.connect(self.changed)
        self.remove.clicked.connect(self._on_remove)

    # -- state ------------------------------------------------------------------------------
    def set_field(self, key: str, values: str | None = None) -> None:
        self.field.blockSignals(True)
        self.field.setCurrentText(key)
        self.field.blockSignals(False)
        self._fill_for_field(values)

    def key(self) -> str:
        return self.field.currentText()

    def is_range(self) -> bool:
        return self.mode.currentData() != VALUES

    def assignment(self) -> str:
        """The core's text for this row: ``key=v1,v2`` or ``key=KIND:LOW:HIGH``."""
        text = self.values.text().strip()
        if not self.is_range():
            return f"{self.key()}={text}"
        low_high = text.replace("..", ":").replace(",", ":").replace(" ", "")
        return f"{self.key()}={self.mode.currentData()}:{low_high}"

    def check(self) -> str:
        """The row's error ('' when the core accepts it); shown under the row."""
        try:
            if self.is_range():
                check_range_field(self._base, self.assignment())
            else:
                check_grid_field(self._base, self.assignment())
            message = ""
        except SweepError as err:
            message = one_line(err)
        self.show_error(message)
        return message

    def show_error(self, message: str) -> None:
        self.error.setText(message)
        self.error.setVisible(bool(message))
        self.values.setStyleSheet(f"QLineEdit {{ {INVALID_FRAME} }}" if message else "")

    # -- slots ------------------------------------------------------------------------------
    def _fill_for_field(self, values: str | None = None) -> None:
        field = self._fields.get(self.key())
        numeric = field is not None and field.kind in ("number", "whole")
        self.mode.blockSignals(True)
        if not numeric:
            self.mode.setCurrentIndex(0)
        for index in range(1, self.mode.count()):  # ranges only for numbers
            self.mode.model().item(index).setEnabled(numeric)
        self.mode.blockSignals(False)
        if values is None and field is not None:
            values = field.suggestion(current_value(self._base, field.key))
        self.values.setText(values or "")
        self._update_hint(field)
        self.changed.emit()

    def _update_hint(self, field: SweepField | None) -> None:
        hint = RANGE_HINT if self.is_range() else VALUES_HINT
        if field is not None and field.choices and not self.is_range():
            hint = "one or more of: " + ", ".join(field.choices)
        self.values.setPlaceholderText(hint)
        self.values.setToolTip(f"{field.description}\n{hint}" if field is not None and field.description else hint)

    @Slot(str)
    def _on_field_changed(self, _key: str) -> None:
        self._fill_for_field()

    @Slot(int)
    def _on_mode_changed(self, _index: int) -> None:
        if self.is_range() and ":" not in self.values.text():
            self.values.clear()
        self._update_hint(self._fields.get(self.key()))
        self.changed.emit()

    @Slot()
    def _on_remove(self) -> None:
        self.removeRequested.emit(self)
