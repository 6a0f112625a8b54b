"""Mouse editing of support points on a pyqtgraph ViewBox.

:class:`PointEditViewBox` turns mouse gestures into requests (signals); it never edits data
itself. Left click on empty space asks to add a point, left click on a point selects it,
right click on a point asks to remove it (elsewhere the usual context menu opens). A left
drag that starts on a point moves it (``dragMoved`` while moving, ``dragFinished`` once);
any other drag is the ViewBox's own pan/zoom. Positions come from ``ev.scenePos()`` mapped
with ``mapSceneToView``; hit-testing is in scene (screen) pixels, so it does not depend on
the zoom level.
"""

from __future__ import annotations

import math

import pyqtgraph as pg
from PySide6.QtCore import QPointF, Qt, Signal

HIT_RADIUS_PX = 9.0


class PointEditViewBox(pg.ViewBox):
    addRequested = Signal(float, float)
    selectRequested = Signal(int)
    removeRequested = Signal(int)
    dragMoved = Signal(int, float, float)  # index, new x, new y (live preview)
    dragFinished = Signal(int, float, float, float, float)  # index, old x, old y, new x, new y

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._points: list[tuple[float, float]] = []
        self._drag: tuple[int, tuple[float, float], QPointF] | None = None  # index, start, grab offset

    def set_points(self, points) -> None:
        """The points to hit-test against (the plot keeps this in sync with the model)."""
        self._points = list(points)

    @property
    def dragging(self) -> bool:
        return self._drag is not None

    def point_at(self, scene_pos: QPointF) -> int | None:
        """Index of the point drawn nearest ``scene_pos`` within the hit radius, or None."""
        best, best_dist = None, HIT_RADIUS_PX
        for index, (x, y) in enumerate(self._points):
            at = self.mapViewToScene(QPointF(x, y))
            dist = math.hypot(at.x() - scene_pos.x(), at.y() - scene_pos.y())
            if dist <= best_dist:
                best, best_dist = index, dist
        return best

    def mouseClickEvent(self, ev) -> None:
        index = self.point_at(ev.scenePos())
        if ev.button() == Qt.MouseButton.LeftButton:
            ev.accept()
            if index is None:
                at = self.mapSceneToView(ev.scenePos())
                self.addRequested.emit(at.x(), at.y())
            else:
                self.selectRequested.emit(index)
        elif ev.button() == Qt.MouseButton.RightButton and index is not None:
            ev.accept()
            self.removeRequested.emit(index)
        else:
            super().mouseClickEvent(ev)

    def mouseDragEvent(self, ev, axis=None) -> None:
        if axis is None and ev.button() == Qt.MouseButton.LeftButton and ev.isStart():
            index = self.point_at(ev.buttonDownScenePos())
            if index is not None:
                start = self._points[index]
                grabbed = self.mapSceneToView(ev.buttonDownScenePos())
                self._drag = (index, start, QPointF(start[0] - grabbed.x(), start[1] - grabbed.y()))
        if self._drag is None:
            super().mouseDragEvent(ev, axis)  # pan / zoom as usual
            return
        ev.accept()
        index, start, offset = self._drag
        at = self.mapSceneToView(ev.scenePos()) + offset
        if ev.isFinish():
            self._drag = None
            self.dragFinished.emit(index, start[0], start[1], at.x(), at.y())
        else:
            self.dragMoved.emit(index, at.x(), at.y())
