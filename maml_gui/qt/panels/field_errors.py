"""Showing a config error at the field it is about.

The engine's validator says what is wrong in one line, ``section.field: message`` (or
``task: expression: column 9: unknown name 'q'`` for a formula the parser refused). :func:`error_field`
reads which form field that line is about, and a :class:`FieldErrorMarker` frames that field
in red and writes the reason on the row just below it.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QCheckBox, QFormLayout, QLabel, QLayout, QWidget

ERROR_COLOR = "#c0392b"
INVALID_FRAME = f"border: 1px solid {ERROR_COLOR}; border-radius: 2px;"
INVALID_CHECK = f"QCheckBox {{ color: {ERROR_COLOR}; }}"
COLUMN = re.compile(r"(?:^|: )column (\d+): ")
# validator messages of a whole section that name their field in the text
TASK_TEXT_FIELDS = (("column ", "task.expression"), ("expression", "task.expression"), ("formula", "task.expression"),
                    ("x_range", "task.x_range"), ("noise_std", "task.noise_std"), ("polynomial degree", "task.degree"),
                    ("mixture", "task.family"))
TRAINING_TEXT_FIELDS = ("learn_inner_lr", "multi_step_loss", "min_meta_lr")


def error_field(message: str) -> str:
    """``"training.inner_lr: ..."`` -> ``"training.inner_lr"``; ``"task: expression: column 3: ..."``
    -> ``"task.expression"``; ``""`` when the line names no field of the form."""
    path, _, text = message.partition(": ")
    parts = path.split(".")
    section = parts[0]
    if section not in ("task", "model", "training", "evaluation"):
        return ""
    if len(parts) > 1:
        return f"{section}.{parts[1]}"
    if section == "task":
        for start, field in TASK_TEXT_FIELDS:
            if text.startswith(start):
                return field
        return "task.params" if "parameter" in text else ""
    if section == "training":
        return next((f"training.{name}" for name in TRAINING_TEXT_FIELDS if text.startswith(name)), "")
    return ""


def formula_column(message: str) -> int | None:
    """The 1-based column of a formula error line (``task: expression: column 9: ...``), or None."""
    match = COLUMN.search(message.partition(": ")[2])
    return int(match.group(1)) if match else None


def formula_error_html(expression: str, message: str) -> str:
    """The expression with the offending character highlighted, and the reason below it."""
    reason = html.escape(message.partition(": ")[2].removeprefix("expression: ") or message)
    column = formula_column(message)
    if column is None:
        return reason
    index = max(0, min(column - 1, len(expression)))
    before, at, after = (html.escape(part) for part in
                         (expression[:index], expression[index:index + 1] or " ", expression[index + 1:]))
    shown = (f"<span style='font-family: monospace'>{before}<span style='background: #f5b7b1; "
             f"text-decoration: underline'>{at}</span>{after}</span>")
    return f"{shown}<br>{reason}"


@dataclass(frozen=True)
class FieldSpot:
    """Where a field sits: the row's item in ``marker``'s form and the widgets to frame."""

    marker: FieldErrorMarker
    anchor: QWidget | QLayout
    widgets: tuple[QWidget, ...]


class FieldErrorMarker:
    """Marks at most one row of a QFormLayout as invalid, with the reason on the row below."""

    def __init__(self, form: QFormLayout, parent: QWidget) -> None:
        self.form = form
        self.label = QLabel(parent)
        self.label.setObjectName("field_error")
        self.label.setWordWrap(True)
        self.label.setTextFormat(Qt.TextFormat.RichText)
        self.label.setStyleSheet(f"color: {ERROR_COLOR};")
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.label.hide()
        self.spacer = QWidget(parent)  # the empty label column of the reason's row
        self.spacer.setFixedSize(0, 0)
        self.spacer.hide()
        self.marked: tuple[QWidget, ...] = ()
        self._in_form = False

    def spot(self, anchor: QWidget | QLayout, *widgets: QWidget) -> FieldSpot:
        return FieldSpot(self, anchor, widgets or ((anchor,) if isinstance(anchor, QWidget) else ()))

    def show(self, spot: FieldSpot, text: str) -> None:
        self.clear()
        position = (self.form.getWidgetPosition(spot.anchor) if isinstance(spot.anchor, QWidget)
                    else self.form.getLayoutPosition(spot.anchor))
        row = position[0]
        if row < 0:
            return
        self.form.insertRow(row + 1, self.spacer, self.label)
        self._in_form = True
        self.label.setText(text)
        self.label.show()
        for widget in spot.widgets:
            widget.setStyleSheet(INVALID_CHECK if isinstance(widget, QCheckBox) else INVALID_FRAME)
        self.marked = spot.widgets

    def clear(self) -> None:
        if self._in_form:
            self.form.takeRow(self.label)
            self._in_form = False
        self.label.hide()
        self.spacer.hide()
        self.label.clear()
        for widget in self.marked:
            widget.setStyleSheet("")
        self.marked = ()

    @property
    def text(self) -> str:
        return self.label.text() if self._in_form else ""
