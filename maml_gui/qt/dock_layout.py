"""The main window's docks: their default places, View > Reset Layout, and the saved layout.

Qt's ``saveState``/``restoreState`` keep the user's arrangement between sessions;
:meth:`DockLayout.reset` rebuilds the default one from scratch (every dock docked, shown and
in its area, toolbars on top), whatever was moved, floated, hidden or closed.
"""

from __future__ import annotations

from PySide6.QtCore import QByteArray, Qt
from PySide6.QtWidgets import QDockWidget, QMainWindow, QToolBar, QWidget

Area = Qt.DockWidgetArea


class DockLayout:
    """Creates one dock per ``(key, title, widget, area)`` and knows how to put them back."""

    def __init__(self, window: QMainWindow, panels: list[tuple[str, str, QWidget, Area]]) -> None:
        self.window = window
        self.docks: dict[str, QDockWidget] = {}
        self.areas: dict[str, Area] = {}
        self.toolbars: list[QToolBar] = []
        for key, title, widget, area in panels:
            dock = QDockWidget(title, window)
            dock.setObjectName(f"dock_{widget.objectName() or title}")  # the saved layout refers to it
            dock.setWidget(widget)
            window.addDockWidget(area, dock)
            self.docks[key] = dock
            self.areas[key] = area

    def apply_default_sizes(self) -> None:
        """Form on the left, full height; training numbers on the right; curves along the bottom."""
        w, d = self.window, self.docks
        w.setCorner(Qt.Corner.BottomLeftCorner, Area.LeftDockWidgetArea)
        w.setCorner(Qt.Corner.BottomRightCorner, Area.RightDockWidgetArea)
        w.resizeDocks([d["experiment"], d["training"]], [420, 300], Qt.Orientation.Horizontal)
        w.resizeDocks([d["meta_loss"]], [300], Qt.Orientation.Vertical)

    def reset(self) -> None:
        """Every dock back in its default area, docked and visible, in the default order."""
        for dock in self.docks.values():
            dock.setFloating(False)
            self.window.removeDockWidget(dock)
        for key, dock in self.docks.items():
            self.window.addDockWidget(self.areas[key], dock)
            dock.setFloating(False)
            dock.show()
        for toolbar in self.toolbars:
            self.window.removeToolBar(toolbar)
            self.window.addToolBar(Qt.ToolBarArea.TopToolBarArea, toolbar)
            toolbar.show()
        self.apply_default_sizes()

    def restore(self, geometry: QByteArray, state: QByteArray, default_size: tuple[int, int]) -> None:
        """The saved geometry and arrangement, or the defaults where there are none (or they are damaged)."""
        if geometry.isEmpty() or not self.window.restoreGeometry(geometry):
            self.window.resize(*default_size)
        if state.isEmpty() or not self.window.restoreState(state):
            self.apply_default_sizes()
