"""DrawingPad: a square sheet to draw one example on with the mouse (or a pen tablet).

The pad only collects strokes: points in pad coordinates [0, 1] (y down), one stroke per
press-drag-release, emitted as ``strokeFinished`` when the button is released. It paints the
finished strokes from a cached pixmap and the stroke in progress on top of it, so drawing stays
smooth however many strokes there are and whatever the adaptation thread is doing; nothing is
computed here. ``set_example`` shows another example's strokes (the selected cell).
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QMouseEvent, QPainter, QPainterPath, QPaintEvent, QPen, QPixmap, QResizeEvent
from PySide6.QtWidgets import QSizePolicy, QWidget

from maml_gui.core.drawn_task import Example

PAPER, INK, GUIDE = QColor("#fbfbf8"), QColor("#1b1b1b"), QColor("#d6d6d0")
MIN_STEP = 1.5            # screen pixels between recorded points of a stroke
MAX_STROKE_POINTS = 4000  # a stroke longer than that is ended (the file format's limits stay far away)


class DrawingPad(QWidget):
    strokeFinished = Signal(object)  # tuple of (x, y) in [0, 1]

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(160, 160)
        self.setCursor(Qt.CursorShape.CrossCursor)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setToolTip("Draw with the left mouse button; each press-drag-release is one stroke (Ctrl+Z undoes it)")
        self._example: Example = ()
        self._current: list[tuple[float, float]] | None = None
        self._cache: QPixmap | None = None
        self.accent = QColor("#1f77b4")  # the selected class's colour (frame)
        self.caption = ""

    def sizeHint(self) -> QSize:
        return QSize(320, 320)

    # -- what is shown ----------------------------------------------------------------------
    def set_example(self, example: Example, caption: str = "", accent: QColor | None = None) -> None:
        self._example = tuple(example)
        self.caption = caption
        if accent is not None:
            self.accent = accent
        self._cache = None
        self.update()

    def example(self) -> Example:
        return self._example

    def drawing_in_progress(self) -> bool:
        return self._current is not None

    def sheet(self) -> QRectF:
        """The square drawing area, in widget pixels."""
        side = min(self.width(), self.height()) - 8
        return QRectF((self.width() - side) / 2, (self.height() - side) / 2, side, side)

    def to_pad(self, pos: QPointF) -> tuple[float, float]:
        sheet = self.sheet()
        x = (pos.x() - sheet.left()) / sheet.width()
        y = (pos.y() - sheet.top()) / sheet.height()
        return min(max(x, 0.0), 1.0), min(max(y, 0.0), 1.0)

    def to_widget(self, point: tuple[float, float]) -> QPointF:
        sheet = self.sheet()
        return QPointF(sheet.left() + point[0] * sheet.width(), sheet.top() + point[1] * sheet.height())

    # -- mouse ------------------------------------------------------------------------------
    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() != Qt.MouseButton.LeftButton:
            return super().mousePressEvent(event)
        self._current = [self.to_pad(event.position())]
        self.update()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self._current is None:
            return super().mouseMoveEvent(event)
        point = self.to_pad(event.position())
        last = self.to_widget(self._current[-1])
        here = self.to_widget(point)
        if abs(here.x() - last.x()) + abs(here.y() - last.y()) < MIN_STEP:
            return
        self._current.append(point)
        if len(self._current) >= MAX_STROKE_POINTS:
            self._finish()
            return
        margin = self._pen_width() + 2
        self.update(QRectF(last, here).normalized().adjusted(-margin, -margin, margin, margin).toAlignedRect())

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton and self._current is not None:
            point = self.to_pad(event.position())
            if point != self._current[-1]:
                self._current.append(point)
            self._finish()
        else:
            super().mouseReleaseEvent(event)

    def _finish(self) -> None:
        stroke, self._current = tuple(self._current), None
        # shown at once; the owner's command sets the same example again, which is then a no-op
        self._example = self._example + (stroke,)
        self._cache = None
        self.update()
        self.strokeFinished.emit(stroke)

    # -- painting ---------------------------------------------------------------------------
    def _pen_width(self) -> float:
        return max(2.0, self.sheet().width() / 36)

    def _pen(self, colour: QColor) -> QPen:
        pen = QPen(colour, self._pen_width())
        pen.setCapStyle(Qt.PenCapStyle.RoundCap)
        pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
        return pen

    def _path(self, stroke) -> QPainterPath:
        path = QPainterPath(self.to_widget(stroke[0]))
        for point in stroke[1:]:
            path.lineTo(self.to_widget(point))
        if len(stroke) == 1:  # a click: a dot
            path.lineTo(self.to_widget(stroke[0]) + QPointF(0.01, 0))
        return path

    def _finished_strokes(self) -> QPixmap:
        if self._cache is None or self._cache.size() != self.size() * self.devicePixelRatioF():
            ratio = self.devicePixelRatioF()
            self._cache = QPixmap(self.size() * ratio)
            self._cache.setDevicePixelRatio(ratio)
            self._cache.fill(Qt.GlobalColor.transparent)
            painter = QPainter(self._cache)
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            sheet = self.sheet()
            painter.fillRect(sheet, PAPER)
            painter.setPen(QPen(GUIDE, 1, Qt.PenStyle.DashLine))
            inset = sheet.width() * (1 - 0.75) / 2   # where a glyph-sized character sits
            painter.drawRect(sheet.adjusted(inset, inset, -inset, -inset))
            painter.setPen(QPen(self.accent, 3))
            painter.drawRect(sheet)
            painter.setPen(self._pen(INK))
            for stroke in self._example:
                painter.drawPath(self._path(stroke))
            painter.end()
        return self._cache

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.drawPixmap(0, 0, self._finished_strokes())
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        if self._current:
            painter.setPen(self._pen(INK))
            painter.drawPath(self._path(self._current))
        if self.caption and not self._example and self._current is None:
            painter.setPen(QColor("#888"))
            painter.drawText(self.sheet(), Qt.AlignmentFlag.AlignCenter, self.caption)
        painter.end()

    def resizeEvent(self, event: QResizeEvent) -> None:
        self._cache = None
        super().resizeEvent(event)
