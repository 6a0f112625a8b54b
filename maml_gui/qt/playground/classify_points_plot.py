"""Drawing for the 2-D classification playground: the decision regions image under the points,
and a strip of small multiples (the regions after a few steps side by side, clickable).

Nothing here computes: images arrive as ``[H, W, 3]`` uint8 arrays with row 0 at the bottom.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, Qt, Signal
from PySide6.QtGui import QColor, QImage, QPainter, QPen, QPixmap
from PySide6.QtWidgets import QGridLayout, QLabel, QSizePolicy, QWidget

from maml_gui.core.decision_regions import RegionGrid, class_colour
from maml_gui.core.drawn_work import CLASS_POINT_LIMIT

from .plot import PassiveScatter
from .viewbox import PointEditViewBox

POINT_PEN = (20, 20, 20)
QUERY_PEN = (255, 255, 255)
WRONG_PEN = (0, 0, 0)
SELECTED_COLOR = (0, 200, 255)
# Thumbnails have a fixed box whatever the grid's aspect ratio (the image fits inside it): a box
# that followed the grid would change the plot's height, so its aspect-locked range, so the grid...
THUMBNAIL_WIDTH, THUMBNAIL_HEIGHT = 120, 72
THUMBNAIL_DOT = 2.5
THUMBNAIL_BORDER = 2  # the frame that marks the step shown
EMPTY_THUMBNAIL = (235, 235, 235)


def qimage(image: np.ndarray) -> QImage:
    """A QImage of an ``[H, W, 3]`` uint8 array whose row 0 is the bottom (a copy: owns its pixels)."""
    rows = np.ascontiguousarray(image[::-1])
    height, width, _ = rows.shape
    return QImage(rows.data, width, height, 3 * width, QImage.Format.Format_RGB888).copy()


class ClassifyPointsPlot(pg.PlotWidget):
    """Regions image (under), query points, support points and the selection ring (over)."""

    def __init__(self, parent=None) -> None:
        self.editor = PointEditViewBox()
        super().__init__(parent=parent, viewBox=self.editor)
        # pan and zoom stay on the plane points may lie on (the editing clamps drags past its edge)
        self.editor.setLimits(xMin=-CLASS_POINT_LIMIT, xMax=CLASS_POINT_LIMIT, maxXRange=2 * CLASS_POINT_LIMIT,
                              yMin=-CLASS_POINT_LIMIT, yMax=CLASS_POINT_LIMIT, maxYRange=2 * CLASS_POINT_LIMIT)
        item = self.getPlotItem()
        item.setLabel("bottom", "x1")
        item.setLabel("left", "x2")
        item.setMenuEnabled(True)
        self.regions = pg.ImageItem(axisOrder="row-major")
        self.regions.setZValue(-10)
        item.addItem(self.regions)
        self.query = PassiveScatter(size=7, symbol="d")
        self.support = PassiveScatter(size=11)  # full class colour over the regions' lighter tint
        self.selection = PassiveScatter(size=17, pen=pg.mkPen(SELECTED_COLOR, width=2), brush=None)
        for z, scatter in ((18, self.query), (20, self.support), (21, self.selection)):
            scatter.setZValue(z)
            item.addItem(scatter)

    def show_regions(self, image: np.ndarray | None, grid: RegionGrid | None) -> None:
        if image is None or grid is None:
            self.regions.clear()
            return
        self.regions.setImage(image, autoLevels=False, levels=(0, 255))
        self.regions.setRect(grid.x0, grid.y0, grid.x1 - grid.x0, grid.y1 - grid.y0)

    def show_points(self, points, selected: int | None = None) -> None:
        """``points`` as (x, y, class); each filled with its class's colour."""
        xy = np.asarray([(x, y) for x, y, _ in points], dtype=float).reshape(-1, 2)
        brushes = [pg.mkBrush(*class_colour(label)) for _, _, label in points]
        self.support.setData(x=xy[:, 0], y=xy[:, 1], brush=brushes, pen=pg.mkPen(POINT_PEN, width=1.5))
        if selected is not None and 0 <= selected < len(xy):
            self.selection.setData(x=xy[selected:selected + 1, 0], y=xy[selected:selected + 1, 1])
        else:
            self.selection.setData(x=[], y=[])
        self.editor.set_points(map(tuple, xy))

    def show_query(self, x: np.ndarray | None, labels: np.ndarray | None, wrong: np.ndarray | None = None) -> None:
        """A sampled task's query points (diamonds in their true class's colour); ``wrong`` ones
        (misclassified at the step shown) get a black outline."""
        if x is None or len(x) == 0:
            self.query.setData(x=[], y=[])
            return
        wrong = np.zeros(len(x), dtype=bool) if wrong is None else wrong
        pens = [pg.mkPen(WRONG_PEN if bad else QUERY_PEN, width=2 if bad else 1) for bad in wrong]
        brushes = [pg.mkBrush(*class_colour(int(label))) for label in labels]
        self.query.setData(x=x[:, 0], y=x[:, 1], brush=brushes, pen=pens)


class ClickableThumbnail(QLabel):
    clicked = Signal(int)

    def __init__(self, step: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.step = step
        self.setFixedSize(THUMBNAIL_WIDTH + 2 * THUMBNAIL_BORDER, THUMBNAIL_HEIGHT + 2 * THUMBNAIL_BORDER)
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setCursor(Qt.CursorShape.PointingHandCursor)

    def mousePressEvent(self, event) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self.clicked.emit(self.step)
        super().mousePressEvent(event)


def small_multiple_steps(steps: int, count: int = 5) -> list[int]:
    """A few steps to show side by side: 0, 1, 2, ..., the middle and the last (at most ``count``)."""
    if steps + 1 <= count:
        return list(range(steps + 1))
    picks = {0, 1, steps // 2, steps}
    extra = 2
    while len(picks) < count and extra < steps:
        picks.add(extra)
        extra += 1
    return sorted(picks)


class SmallMultiples(QWidget):
    """Thumbnails of the regions after a few steps (a second row for the baseline when it is on);
    clicking one shows that step in the big plot."""

    stepClicked = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._layout = QGridLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.setHorizontalSpacing(4)
        self._layout.setVerticalSpacing(2)
        self.steps: list[int] = []
        self.thumbnails: dict[tuple[str, int], ClickableThumbnail] = {}
        self._captions: list[QLabel] = []
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)

    def set_steps(self, steps: list[int], baseline: bool) -> None:
        """Lay out thumbnails for ``steps`` (and a baseline row); keeps them if nothing changed."""
        rows = ("model", "baseline") if baseline else ("model",)
        if steps == self.steps and {row for row, _ in self.thumbnails} == set(rows):
            return
        for widget in [*self.thumbnails.values(), *self._captions]:
            self._layout.removeWidget(widget)
            widget.hide()  # at once: deleteLater waits for the event loop
            widget.deleteLater()
        self.thumbnails, self._captions, self.steps = {}, [], list(steps)
        for column, step in enumerate(steps, start=1):
            caption = QLabel(f"step {step}")
            caption.setAlignment(Qt.AlignmentFlag.AlignCenter)
            self._layout.addWidget(caption, 0, column)
            self._captions.append(caption)
        for row, name in enumerate(rows, start=1):
            label = QLabel("meta-learned" if name == "model" else "baseline")
            self._layout.addWidget(label, row, 0)
            self._captions.append(label)
            for column, step in enumerate(steps, start=1):
                thumbnail = ClickableThumbnail(step)
                thumbnail.setPixmap(_blank())
                thumbnail.clicked.connect(self.stepClicked)
                self._layout.addWidget(thumbnail, row, column)
                self.thumbnails[(name, step)] = thumbnail

    def show_image(self, row: str, step: int, image: np.ndarray | None, grid: RegionGrid | None = None,
                   points=()) -> None:
        """The regions after ``step`` steps, with the support ``points`` (x, y, class) as dots."""
        thumbnail = self.thumbnails.get((row, step))
        if thumbnail is None:
            return
        if image is None or grid is None:
            thumbnail.setPixmap(_blank())
            return
        pixmap = QPixmap.fromImage(qimage(image)).scaled(  # the grid's aspect ratio, inside the box
            *_fit(grid.aspect), Qt.AspectRatioMode.IgnoreAspectRatio, Qt.TransformationMode.SmoothTransformation)
        width, height = pixmap.width(), pixmap.height()
        painter = QPainter(pixmap)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(QPen(QColor(*POINT_PEN), 1))
        for x, y, label in points:
            px = (x - grid.x0) / (grid.x1 - grid.x0) * width
            py = (grid.y1 - y) / (grid.y1 - grid.y0) * height
            painter.setBrush(QColor(*class_colour(label)))
            painter.drawEllipse(QPointF(px, py), THUMBNAIL_DOT, THUMBNAIL_DOT)
        painter.end()
        thumbnail.setPixmap(pixmap)

    def mark_current(self, step: int) -> None:
        for (_, shown), thumbnail in self.thumbnails.items():
            colour = "#00c8ff" if shown == step else "transparent"
            thumbnail.setStyleSheet(f"border: {THUMBNAIL_BORDER}px solid {colour};")


def _fit(aspect: float) -> tuple[int, int]:
    """The largest width x height of this aspect ratio inside the thumbnail box."""
    width = min(THUMBNAIL_WIDTH, THUMBNAIL_HEIGHT * aspect)
    return max(1, round(width)), max(1, round(width / aspect))


def _blank() -> QPixmap:
    pixmap = QPixmap(THUMBNAIL_WIDTH, THUMBNAIL_HEIGHT)
    pixmap.fill(pg.mkColor(EMPTY_THUMBNAIL))
    return pixmap
