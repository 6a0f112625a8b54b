"""The app's own items at the top of a plot's right-click menu, above pyqtgraph's generic ones.

:class:`PlotContextMenu` adds "Export this plot as PNG/SVG…", optionally "Log y axis" and
"Reset view" to the plot's ViewBox menu. What they do is passed in: a callable that exports
the plot (it asks for the file), a checkable action for the log axis (e.g. the window's
View action, so both stay in step), and a callable that resets the view (default: auto range).
"""

from __future__ import annotations

from typing import Callable

import pyqtgraph as pg
from PySide6.QtCore import QObject, Slot
from PySide6.QtGui import QAction

EXPORT_TEXT = "Export this plot as PNG/SVG…"
LOG_TEXT = "Log y axis"
RESET_TEXT = "Reset view (auto range)"


class PlotContextMenu(QObject):
    """Adds ``export_action``, ``log_action`` (if given) and ``reset_action`` to ``plot``'s menu."""

    def __init__(self, plot: pg.PlotWidget, export: Callable[[], object], log_action: QAction | None = None,
                 reset_view: Callable[[], None] | None = None) -> None:
        super().__init__(plot)
        self.plot = plot
        self._export = export
        self._reset_view = reset_view
        self.menu = plot.getPlotItem().getViewBox().menu  # pyqtgraph's ViewBoxMenu, kept for the plot's life
        self.export_action = QAction(EXPORT_TEXT, self.menu)
        self.export_action.triggered.connect(self.export)
        self.log_action = log_action
        self.reset_action = QAction(RESET_TEXT, self.menu)
        self.reset_action.triggered.connect(self.reset_view)
        ours = [self.export_action] + ([log_action] if log_action is not None else []) + [self.reset_action]
        first = self.menu.actions()[0] if self.menu.actions() else None
        self.menu.insertActions(first, ours)
        self.menu.insertSeparator(first)

    def app_actions(self) -> list[QAction]:
        """The app's actions, as they appear at the top of the menu."""
        return [a for a in (self.export_action, self.log_action, self.reset_action) if a is not None]

    @Slot()
    def export(self) -> None:
        self._export()

    @Slot()
    def reset_view(self) -> None:
        if self._reset_view is not None:
            self._reset_view()
        else:
            self.plot.getPlotItem().enableAutoRange()
