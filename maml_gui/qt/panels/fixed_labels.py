"""Labels for numbers that change ten times a second.

``QLabel.setText`` re-lays out its parents, up to the whole window, unless the label has a
fixed size. These helpers keep a label's width fixed and widen it only when a longer text
comes, so a running training repaints its figures alone.
"""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QWidget

PADDING = 8


def fixed_label(parent: QWidget, name: str, room_for: str) -> QLabel:
    """A label of fixed height with room for ``room_for``."""
    label = QLabel(parent)
    label.setObjectName(name)
    label.setFixedHeight(label.fontMetrics().height() + 4)
    fit_width(label, room_for)
    return label


def fit_width(label: QLabel, text: str) -> None:
    label.setFixedWidth(label.fontMetrics().horizontalAdvance(text) + PADDING)


def show_text(label: QLabel, text: str) -> None:
    """Set ``text``, widening the label's fixed width if it does not fit (never narrowing it)."""
    needed = label.fontMetrics().horizontalAdvance(text) + PADDING
    if needed > label.width():
        label.setFixedWidth(needed)
    label.setText(text)
