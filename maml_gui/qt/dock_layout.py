"""The main window's docks: their default places, View > Reset Layout, and the saved layout.

Qt's ``saveState``/``restoreState`` keep the user's arrangement between sessions;
:meth:`DockLayout.reset` rebuilds the default one from scratch (every dock docked, shown and
in its area, toolbars on top), whatever was moved, floated, hidden or closed, and sizes the
docks as proportions of the window's current size, so it holds from 1024×640 up.

The default: the experiment form on the left, full height, with the training figures under
it; the meta-loss and the validation curve side by side under the playground, which keeps
the largest share of the window. Every dock has a minimum size, and the playground has one,
so shrinking the window squeezes the docks down to their minimum instead of the playground
down to a thumbnail.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QByteArray, QEvent, QObject, Qt, QTimer, Slot
from PySide6.QtWidgets import QDockWidget, QMainWindow, QToolBar, QWidget

Area = Qt.DockWidgetArea
Horizontal, Vertical = Qt.Orientation.Horizontal, Qt.Orientation.Vertical
# saved layouts of another version (an older arrangement of the docks) are not restored
LAYOUT_VERSION = 2


@dataclass(frozen=True)
class DockProportions:
    """The default layout, as shares of the window's size clamped to pixel bounds."""

    left_share: float = 0.27  # experiment form (and the training figures under it)
    left_px: tuple[int, int] = (316, 440)
    bottom_share: float = 0.34  # the curves under the playground
    bottom_px: tuple[int, int] = (170, 380)
    training_px: int = 190  # the training figures' height, under the form


DEFAULT_PROPORTIONS = DockProportions()


def _clamp(value: float, bounds: tuple[int, int]) -> int:
    return int(min(max(value, bounds[0]), bounds[1]))


class DockLayout(QObject):
    """Creates one dock per ``(key, title, widget, area)`` and knows how to put them back."""

    def __init__(self, window: QMainWindow, panels: list[tuple[str, str, QWidget, Area]],
                 minimum_sizes: dict[str, tuple[int, int]] | None = None,
                 proportions: DockProportions = DEFAULT_PROPORTIONS) -> None:
        super().__init__(window)
        self.window = window
        self.sized_on_show = False  # True once the default sizes were fitted to the shown window
        self._pending_shares: list | None = None  # dock shares of the window before a resize, to apply after
        self.proportions = proportions
        self.docks: dict[str, QDockWidget] = {}
        self.areas: dict[str, Area] = {}
        self.toolbars: list[QToolBar] = []
        for key, title, widget, area in panels:
            dock = QDockWidget(title, window)
            dock.setObjectName(f"dock_{widget.objectName() or title}")  # the saved layout refers to it
            dock.setWidget(widget)
            if minimum_sizes and key in minimum_sizes:
                widget.setMinimumSize(*minimum_sizes[key])
            window.addDockWidget(area, dock)
            self.docks[key] = dock
            self.areas[key] = area
        self.stacked_under: dict[str, str] = {}  # dock key -> the dock it sits under in the same area

    def stack(self, lower: str, upper: str) -> None:
        """Put dock ``lower`` under dock ``upper`` in the same area (now and on every reset)."""
        self.stacked_under[lower] = upper
        self.window.splitDockWidget(self.docks[upper], self.docks[lower], Vertical)

    def docked_by_area(self) -> dict[Area, list[QDockWidget]]:
        """The docks shown and docked, by area, in the order they were created."""
        by_area: dict[Area, list[QDockWidget]] = {}
        for dock in self.docks.values():
            if not dock.isHidden() and not dock.isFloating():
                by_area.setdefault(self.window.dockWidgetArea(dock), []).append(dock)
        return by_area

    def dock_shares(self, width: int, height: int) -> list[tuple[list[QDockWidget], list[float], Qt.Orientation]]:
        """Each docked area's thickness as a share of a ``width`` × ``height`` window (left and
        right areas: width; top and bottom: height), and the split between docks side by side in
        the bottom or top area (as shares of their row, negative to tell them apart)."""
        shares = []
        for area, docks in self.docked_by_area().items():
            if area in (Area.LeftDockWidgetArea, Area.RightDockWidgetArea):
                shares.append((docks[:1], [docks[0].width() / width], Horizontal))
                continue
            shares.append((docks[:1], [docks[0].height() / height], Vertical))
            row = [dock for dock in docks if dock.y() == docks[0].y()]  # the curves side by side
            if len(row) > 1:
                total = sum(dock.width() for dock in row)
                shares.append((row, [-dock.width() / total for dock in row], Horizontal))
        return shares

    def apply_default_sizes(self) -> None:
        """Shares of the window's current size: form on the left, curves along the bottom,
        the rest (the largest part) for the playground."""
        w, d, p = self.window, self.docks, self.proportions
        w.setCorner(Qt.Corner.BottomLeftCorner, Area.LeftDockWidgetArea)
        w.setCorner(Qt.Corner.TopLeftCorner, Area.LeftDockWidgetArea)
        w.setCorner(Qt.Corner.BottomRightCorner, Area.BottomDockWidgetArea)
        width, height = w.width(), w.height()
        left = _clamp(p.left_share * width, p.left_px)
        by_area = self.docked_by_area()
        left_docks = by_area.get(Area.LeftDockWidgetArea, [])
        bottom_docks = by_area.get(Area.BottomDockWidgetArea, [])
        if left_docks:
            w.resizeDocks(left_docks[:1], [left], Horizontal)
            if len(left_docks) > 1:
                rest = max(height - 120 - p.training_px * (len(left_docks) - 1), 150)
                w.resizeDocks(left_docks, [rest] + [p.training_px] * (len(left_docks) - 1), Vertical)
        if bottom_docks:
            w.resizeDocks(bottom_docks[:1], [_clamp(p.bottom_share * height, p.bottom_px)], Vertical)
            if len(bottom_docks) > 1:
                share = max((width - left) // len(bottom_docks), 1)
                w.resizeDocks(bottom_docks, [share] * len(bottom_docks), Horizontal)

    def reset(self) -> None:
        """Every dock back in its default area, docked and visible, in the default order,
        sized for the window as it is now."""
        for dock in self.docks.values():
            dock.setFloating(False)
            self.window.removeDockWidget(dock)
        for key, dock in self.docks.items():
            if key in self.stacked_under:
                continue
            self.window.addDockWidget(self.areas[key], dock)
            dock.setFloating(False)
            dock.show()
        for lower, upper in self.stacked_under.items():
            self.window.splitDockWidget(self.docks[upper], self.docks[lower], Vertical)
            self.docks[lower].setFloating(False)
            self.docks[lower].show()
        for toolbar in self.toolbars:
            self.window.removeToolBar(toolbar)
            self.window.addToolBar(Qt.ToolBarArea.TopToolBarArea, toolbar)
            toolbar.show()
        self.apply_default_sizes()

    def save_state(self) -> QByteArray:
        return self.window.saveState(LAYOUT_VERSION)

    def restore(self, geometry: QByteArray, state: QByteArray, default_size: tuple[int, int]) -> bool:
        """The saved geometry and arrangement, or the defaults where there are none (or they are
        damaged, or of an older layout): then sized again for the size the window is first shown
        at. True when a saved arrangement was restored."""
        if geometry.isEmpty() or not self.window.restoreGeometry(geometry):
            self.window.resize(*default_size)
        restored = not state.isEmpty() and self.window.restoreState(state, LAYOUT_VERSION)
        if not restored:
            self.apply_default_sizes()
        self.sized_on_show = restored  # a restored arrangement keeps its sizes
        self.window.installEventFilter(self)
        return restored

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        """On the first show, the default sizes for the shown window; on a resize, each dock
        area keeps its share of the window (Qt would give or take the whole difference from
        the playground: a wide layout shrunk to 1024×640 left it a thumbnail)."""
        if watched is not self.window:
            return False
        if event.type() == QEvent.Type.Show and not self.sized_on_show:
            self.sized_on_show = True
            QTimer.singleShot(0, self._size_for_the_shown_window)  # after the window (manager) settled its size
        elif event.type() == QEvent.Type.Resize and self.window.isVisible() and self._pending_shares is None:
            old = event.oldSize()
            if old.width() > 0 and old.height() > 0:
                self._pending_shares = self.dock_shares(old.width(), old.height())
                QTimer.singleShot(0, self._keep_dock_shares)  # once the window's layout has the new size
        return False

    @Slot()
    def _size_for_the_shown_window(self) -> None:
        self.apply_default_sizes()

    @Slot()
    def _keep_dock_shares(self) -> None:
        shares, self._pending_shares = self._pending_shares, None
        for docks, fractions, orientation in shares or ():
            if fractions[0] < 0:  # docks side by side: the same split of their row as before
                span = sum(dock.width() for dock in docks)
            else:
                span = self.window.width() if orientation is Horizontal else self.window.height()
            self.window.resizeDocks(docks, [max(round(abs(f) * span), 1) for f in fractions], orientation)
