"""Thumbnails of images as the model sees them, and the N × K grid of a drawn task.

:class:`ImageThumb` paints one ``[H, W]`` array in [0, 1] (the rasterised drawing, or a sampled
task's image) pixel by pixel, framed in its class colour, thick when selected, with an optional
badge (a predicted class, a tick or a cross). :class:`DrawTaskGrid` lays out one row of K
support thumbnails per class and a row of test thumbnails, and says which one was clicked.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QImage, QMouseEvent, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QGridLayout, QLabel, QSizePolicy, QWidget

from maml_gui.core.drawn_task import Cell

CLASS_COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
                 "#bcbd22", "#17becf")
TEST_COLOUR = "#555555"
THUMB = 64


def class_colour(index: int) -> QColor:
    return QColor(CLASS_COLOURS[index % len(CLASS_COLOURS)]) if index >= 0 else QColor(TEST_COLOUR)


def grey_image(pixels: np.ndarray) -> QImage:
    """``[H, W]`` floats in [0, 1] as an 8-bit grey QImage (owning its bytes)."""
    data = np.ascontiguousarray((np.clip(pixels, 0.0, 1.0) * 255).round().astype(np.uint8))
    height, width = data.shape
    return QImage(data.data, width, height, width, QImage.Format.Format_Grayscale8).copy()


def model_view(image) -> np.ndarray:
    """A model input ``[C, H, W]`` (tensor or array) as one ``[H, W]`` array to show (channel mean)."""
    array = image.numpy() if hasattr(image, "numpy") else np.asarray(image)
    return array.mean(axis=0) if array.ndim == 3 else array


class ImageThumb(QWidget):
    clicked = Signal(object)  # the thumbnail's ``key`` (a Cell, a query index)

    def __init__(self, colour: QColor, side: int = THUMB, key=None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.key = key
        self.colour = colour
        self.side = side
        self.selected = False
        self.pixels: np.ndarray | None = None
        self._image: QImage | None = None
        self.badge, self.badge_colour = "", QColor("#000")
        self.setFixedSize(side + 6, side + 6)
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)

    def sizeHint(self) -> QSize:
        return QSize(self.side + 6, self.side + 6)

    def set_pixels(self, pixels: np.ndarray | None) -> None:
        self.pixels = pixels
        self._image = None if pixels is None else grey_image(pixels)
        self.update()

    def set_selected(self, selected: bool) -> None:
        self.selected = selected
        self.update()

    def set_badge(self, text: str, colour: QColor | str = "#000") -> None:
        self.badge, self.badge_colour = text, QColor(colour)
        self.update()

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self.clicked.emit(self.key)

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        inner = QRectF(3, 3, self.side, self.side)
        if self._image is not None:
            painter.drawImage(inner, self._image)  # nearest: the pixels the model reads
        else:
            painter.fillRect(inner, QColor("#eeeeee"))
            painter.setPen(QColor("#999"))
            painter.drawText(inner, Qt.AlignmentFlag.AlignCenter, "draw")
        painter.setPen(QPen(self.colour, 3 if self.selected else 1))
        painter.drawRect(QRectF(1.5, 1.5, self.side + 3, self.side + 3) if self.selected else inner)
        if self.badge:
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            font = QFont(painter.font())
            font.setBold(True)
            painter.setFont(font)
            box = QRectF(self.side - 22, self.side - 16, 24, 18)
            painter.fillRect(box, QColor(255, 255, 255, 220))
            painter.setPen(self.badge_colour)
            painter.drawText(box, Qt.AlignmentFlag.AlignCenter, self.badge)
        painter.end()


class DrawTaskGrid(QWidget):
    """One row of K support thumbnails per class, then the test thumbnails."""

    cellClicked = Signal(object)  # Cell

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._layout = QGridLayout(self)
        self._layout.setSpacing(4)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self.thumbs: dict[Cell, ImageThumb] = {}
        self.selected: Cell | None = None

    def rebuild(self, ways: int, shots: int, tests: int) -> None:
        """Make the thumbnails for a ``ways`` × ``shots`` task with ``tests`` test slots (all empty)."""
        while self._layout.count():
            widget = self._layout.takeAt(0).widget()
            if widget is not None:
                widget.deleteLater()
        self.thumbs = {}
        for n in range(ways):
            label = QLabel(f"<b style='color:{class_colour(n).name()}'>Class {n + 1}</b>")
            self._layout.addWidget(label, n, 0)
            for k in range(shots):
                self._add(("support", n, k), n, k + 1, class_colour(n))
        label = QLabel("<b>Test</b>")
        label.setToolTip("Characters to classify after adapting to the classes above")
        self._layout.addWidget(label, ways, 0)
        for t in range(tests):
            per_row = max(shots, 2)
            self._add(("test", 0, t), ways + 1 + t // per_row, 1 + t % per_row, class_colour(-1))
        self._layout.setRowStretch(self._layout.rowCount(), 1)
        self._layout.setColumnStretch(self._layout.columnCount(), 1)
        if self.selected not in self.thumbs:
            self.selected = None
        self.select(self.selected)

    def _add(self, cell: Cell, row: int, column: int, colour: QColor) -> None:
        thumb = ImageThumb(colour, key=cell)
        thumb.clicked.connect(self.cellClicked)
        self._layout.addWidget(thumb, row, column)
        self.thumbs[cell] = thumb

    def select(self, cell: Cell | None) -> None:
        self.selected = cell
        for key, thumb in self.thumbs.items():
            thumb.set_selected(key == cell)
