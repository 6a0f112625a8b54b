"""The form's preview of a classification task distribution: a sampled task, drawn off the UI thread.

2-D points: the support points (filled) and query points (rings) of one sampled task, a colour
per class. Images: the support images of one sampled N-way K-shot task as an N x K grid (a row
per class). Sampling (and, for a dataset folder, reading the N x K files drawn) runs in a
:class:`~maml_gui.qt.background_job.LatestJob`: a burst of edits draws only the newest task.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import QWidget

from maml_gui.core.classification_preview import ImagesPreview, PointsPreview, preview_classification
from maml_gui.core.config import TaskConfig
from maml_gui.qt.background_job import LatestJob
from maml_gui.qt.class_colors import class_color

GAP = 2  # pixels between the images of the grid
SUPPORT_SIZE, QUERY_SIZE = 8, 6


def image_mosaic(grid: np.ndarray) -> np.ndarray:
    """``[rows, columns, H, W, C]`` uint8 -> one image ``[rows*(H+GAP)-GAP, columns*(W+GAP)-GAP(, C)]`` on mid grey."""
    rows, columns, height, width, channels = grid.shape
    out = np.full((rows * (height + GAP) - GAP, columns * (width + GAP) - GAP, channels), 128, dtype=np.uint8)
    for row in range(rows):
        for column in range(columns):
            top, left = row * (height + GAP), column * (width + GAP)
            out[top:top + height, left:left + width] = grid[row, column]
    return out[..., 0] if channels == 1 else out


class ClassificationPreview(pg.PlotWidget):
    """``show_task(task)`` draws a sampled task of a classification ``TaskConfig`` when it arrives."""

    drawn = Signal()  # a new preview (or its problem) is shown

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("classification_preview")
        self.setMinimumHeight(120)
        self.setMaximumHeight(190)
        item = self.getPlotItem()
        item.hideButtons()
        item.setMenuEnabled(False)
        item.setMouseEnabled(x=False, y=False)
        self.support = pg.ScatterPlotItem(size=SUPPORT_SIZE, pen=pg.mkPen(20, 20, 20, 160))
        self.query = pg.ScatterPlotItem(size=QUERY_SIZE, brush=None)
        self.image = pg.ImageItem(axisOrder="row-major")
        self.message = pg.TextItem(color=(120, 120, 120), anchor=(0.5, 0.5))
        for part in (self.image, self.query, self.support):
            item.addItem(part)
        item.addItem(self.message, ignoreBounds=True)
        self.job = LatestJob("maml-preview", self)
        self.job.finished.connect(self._on_finished)
        self.shown_task: TaskConfig | None = None
        self.preview: PointsPreview | ImagesPreview | None = None
        self.problem = ""
        self.redraws = 0

    def show_task(self, task: TaskConfig) -> bool:
        """Sample ``task`` anew unless it is the one shown (or being drawn); False when skipped."""
        if task == self.shown_task:
            return False
        self.shown_task = task
        self.job.submit(task, preview_classification, task)
        return True

    def shutdown(self) -> None:
        self.job.shutdown()

    def drawn_classes(self) -> int:
        """Distinct classes drawn (points: labels among the support points; images: grid rows)."""
        if isinstance(self.preview, PointsPreview):
            return len(set(self.preview.support_labels.tolist()))
        return self.preview.grid.shape[0] if isinstance(self.preview, ImagesPreview) else 0

    @Slot(object, object, object)
    def _on_finished(self, task: TaskConfig, preview, error) -> None:
        if task != self.shown_task:
            return
        self.preview = preview
        self.problem = "" if error is None else (str(error).splitlines()[0] if str(error) else type(error).__name__)
        self.support.setData([])
        self.query.setData([])
        self.image.clear()
        self.message.setText(self.problem)
        item = self.getPlotItem()
        if isinstance(preview, PointsPreview):
            self._draw_points(preview)
        elif isinstance(preview, ImagesPreview):
            self._draw_images(preview)
        else:
            item.setRange(xRange=(0, 1), yRange=(0, 1), padding=0)
            self.message.setPos(0.5, 0.5)
        self.redraws += 1
        self.drawn.emit()

    def _draw_points(self, preview: PointsPreview) -> None:
        item = self.getPlotItem()
        item.getViewBox().invertY(False)
        item.setAspectLocked(True)
        item.showAxes(True)
        self.support.setData(pos=preview.support, brush=[pg.mkBrush(*class_color(c)) for c in preview.support_labels])
        self.query.setData(pos=preview.query, pen=[pg.mkPen(class_color(c), width=1.5) for c in preview.query_labels],
                           brush=None)
        self.setToolTip(f"one sampled {preview.ways}-way task: support points filled, query points as rings, "
                        "a colour per class")
        item.autoRange()

    def _draw_images(self, preview: ImagesPreview) -> None:
        item = self.getPlotItem()
        item.showAxes(False)
        item.getViewBox().invertY(True)
        item.setAspectLocked(True)
        mosaic = image_mosaic(preview.grid)
        self.image.setImage(mosaic, levels=(0, 255))
        rows, columns = preview.shape
        more = "" if (rows, columns) == (preview.ways, preview.shots) else f" (the first {rows} x {columns})"
        self.setToolTip(f"the support images of one sampled {preview.ways}-way {preview.shots}-shot task{more}: "
                        "a row per class")
        item.autoRange(padding=0.02)
