"""Spin boxes and combo boxes that take the mouse wheel only when focused.

Scrolling the experiment form with the wheel must scroll the form, not silently change the
value that passes under the pointer (K 10 → 7, inner lr 0.01 → 0.0094). Guarded widgets get
``Qt.StrongFocus`` (a click or Tab focuses them, the wheel does not) and an event filter that
hands an unfocused widget's wheel events to the scroll area around it (or, where there is none,
leaves them to the parents), so the form scrolls.
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QEvent, QObject, Qt
from PySide6.QtWidgets import QAbstractScrollArea, QAbstractSpinBox, QComboBox, QWidget

GUARDED_TYPES = (QAbstractSpinBox, QComboBox)


class UnfocusedWheelFilter(QObject):
    """Event filter: a wheel event over an unfocused widget scrolls the area around it instead."""

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        if event.type() != QEvent.Type.Wheel or not isinstance(watched, QWidget) or watched.hasFocus():
            return False
        area = scroll_area_around(watched)
        if area is not None:  # explicitly: Qt does not pass a sent (non-spontaneous) wheel event on
            QCoreApplication.sendEvent(area.viewport(), event)
        else:
            event.ignore()  # not accepted: Qt offers it to the parents
        return True  # the widget itself never sees it


def scroll_area_around(widget: QWidget) -> QAbstractScrollArea | None:
    """The nearest scroll area whose viewport holds ``widget``, or None."""
    parent = widget.parentWidget()
    while parent is not None:
        if isinstance(parent, QAbstractScrollArea) and parent.viewport().isAncestorOf(widget):
            return parent
        parent = parent.parentWidget()
    return None


def guard_wheel(root: QWidget, wheel_filter: UnfocusedWheelFilter | None = None) -> UnfocusedWheelFilter:
    """Guard every spin box and combo box under ``root`` (call again after adding more)."""
    wheel_filter = wheel_filter or UnfocusedWheelFilter(root)
    for widget in root.findChildren(QWidget):
        if isinstance(widget, GUARDED_TYPES):
            widget.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
            widget.removeEventFilter(wheel_filter)
            widget.installEventFilter(wheel_filter)
    return wheel_filter
