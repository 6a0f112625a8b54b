"""Input widgets whose limits and tooltips come from the config's pydantic fields, so the
form and the validator can never disagree about what is allowed."""

from __future__ import annotations

from typing import TYPE_CHECKING

from annotated_types import Ge, Gt, Le, Lt
from PySide6.QtWidgets import QAbstractSpinBox, QComboBox, QDoubleSpinBox, QSpinBox, QWidget

INT_LIMIT = 2**31 - 1
SMALLEST_STEP = 1e-6

if TYPE_CHECKING:
    from pydantic import BaseModel


def field_bounds(model: type[BaseModel], name: str) -> tuple[float | None, float | None]:
    """(lowest allowed, highest allowed) of a numeric field; ``gt``/``lt`` are nudged inside."""
    field = model.model_fields[name]
    nudge = 1 if field.annotation in (int, int | None) else SMALLEST_STEP
    low = high = None
    for rule in field.metadata:
        if isinstance(rule, Ge):
            low = rule.ge
        elif isinstance(rule, Gt):
            low = rule.gt + nudge
        elif isinstance(rule, Le):
            high = rule.le
        elif isinstance(rule, Lt):
            high = rule.lt - nudge
    return low, high


def _describe(model: type[BaseModel], name: str, tooltip: str) -> str:
    low, high = field_bounds(model, name)
    parts = [tooltip or model.model_fields[name].description or ""]
    if low is not None or high is not None:
        parts.append(f"allowed: {'' if low is None else f'{low:g}'} … {'' if high is None else f'{high:g}'}")
    return "\n".join(p for p in parts if p)


def int_field(model: type[BaseModel], name: str, parent: QWidget | None = None, tooltip: str = "") -> QSpinBox:
    low, high = field_bounds(model, name)
    box = QSpinBox(parent)
    box.setObjectName(name)
    box.setRange(int(low) if low is not None else -INT_LIMIT, min(int(high), INT_LIMIT) if high is not None else INT_LIMIT)
    box.setToolTip(_describe(model, name, tooltip))
    box.setKeyboardTracking(False)  # one edit per committed number, not per keystroke
    box.setCorrectionMode(QAbstractSpinBox.CorrectionMode.CorrectToNearestValue)
    box.setGroupSeparatorShown(True)
    return box


def number_field(name: str, low: float, high: float, parent: QWidget | None = None, tooltip: str = "",
                 decimals: int = 6, step: float = 0.001) -> QDoubleSpinBox:
    box = QDoubleSpinBox(parent)
    box.setObjectName(name)
    box.setDecimals(decimals)
    box.setRange(low, high)
    box.setSingleStep(step)
    box.setStepType(QAbstractSpinBox.StepType.AdaptiveDecimalStepType)
    box.setToolTip(tooltip)
    box.setKeyboardTracking(False)  # one edit per committed number, not per keystroke
    return box


def float_field(model: type[BaseModel], name: str, parent: QWidget | None = None, tooltip: str = "",
                decimals: int = 6, step: float = 0.001) -> QDoubleSpinBox:
    low, high = field_bounds(model, name)
    return number_field(name, low if low is not None else -1e9, high if high is not None else 1e9, parent,
                        _describe(model, name, tooltip), decimals, step)


def choice_field(choices, name: str, parent: QWidget | None = None, tooltip: str = "") -> QComboBox:
    box = QComboBox(parent)
    box.setObjectName(name)
    box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
    box.setMinimumContentsLength(8)  # the form fits a narrow dock; the open list shows whole labels
    for choice in choices:
        box.addItem(str(choice), choice)
    box.setToolTip(tooltip)
    return box


def set_choice(box: QComboBox, value) -> None:
    index = box.findData(value)
    if index >= 0:
        box.setCurrentIndex(index)
