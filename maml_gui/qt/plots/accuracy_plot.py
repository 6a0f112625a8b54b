"""Query accuracy over meta-training, for classification runs (the meta-loss dock shows it instead of the loss).

Training: the accuracy on each meta-batch's query sets after the training's inner steps, raw
(faint) behind its smoothed curve, as the loss is drawn. Validation (on the fixed validation
tasks, markers): before adaptation (step 0 of the validation's adaptation curve) and after the
training's inner steps. A dotted line marks chance, 1 / N ways.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Slot
from PySide6.QtWidgets import QWidget

from maml_gui.core.metrics import MetricsHistory, ValidationRecord
from maml_gui.core.training import Progress
from maml_gui.qt.plots.axes import plain_axes
from maml_gui.qt.plots.empty_state import EmptyPlotMessage
from maml_gui.qt.plots.loss_plot import AFTER_COLOR, BEFORE_COLOR, RAW_ALPHA, _pen
from maml_gui.qt.plots.series import GrowingSeries, SmoothedSeries
from maml_gui.qt.plots.smoothing import DEFAULT_WEIGHT

EMPTY_TEXT = "The query accuracy appears here when training starts (F5)"
CHANCE_COLOR = (120, 120, 120)


def validation_accuracy(record: ValidationRecord, train_inner_steps: int) -> tuple[float, float]:
    """(before, after the training's inner steps) from a classification validation's accuracy curve."""
    values = record.curve.values
    return float(values[0]), float(values[min(max(train_inner_steps, 0), len(values) - 1)])


class MetaAccuracyPlot(pg.PlotWidget):
    """Training and validation query accuracy against the meta-iteration (0 to 1)."""

    def __init__(self, parent: QWidget | None = None, smoothing: float = DEFAULT_WEIGHT) -> None:
        super().__init__(parent)
        self.setObjectName("meta_accuracy_plot")
        item = self.getPlotItem()
        item.setLabel("bottom", "meta-iteration")
        item.setLabel("left", "query accuracy")
        item.showGrid(x=True, y=True, alpha=0.2)
        plain_axes(item)
        self.empty_message = EmptyPlotMessage(item, EMPTY_TEXT)
        self.legend = item.addLegend(offset=(-10, -10), brush=pg.mkBrush(255, 255, 255, 200), colCount=2,
                                     labelTextSize="8pt", verSpacing=-6)
        item.setDownsampling(auto=True, mode="peak")
        item.setClipToView(True)
        self.raw_after, self.smooth_after = GrowingSeries(), SmoothedSeries(smoothing)
        self.val_before, self.val_after = GrowingSeries(64), GrowingSeries(64)
        self.raw_after_curve = item.plot(pen=_pen(AFTER_COLOR, RAW_ALPHA))
        self.after_curve = item.plot(pen=_pen(AFTER_COLOR), name="train, after")
        self.val_before_curve = item.plot(pen=_pen(BEFORE_COLOR, dashed=True), symbol="o", symbolSize=5,
                                          symbolBrush=BEFORE_COLOR, symbolPen=None, name="validation, before")
        self.val_after_curve = item.plot(pen=_pen(AFTER_COLOR, dashed=True), symbol="o", symbolSize=5,
                                         symbolBrush=AFTER_COLOR, symbolPen=None, name="validation, after")
        self.chance = pg.InfiniteLine(angle=0, pen=pg.mkPen(CHANCE_COLOR, width=1, style=Qt.PenStyle.DotLine),
                                      label="chance", labelOpts={"position": 0.05, "color": CHANCE_COLOR})
        self.chance.setVisible(False)
        item.addItem(self.chance, ignoreBounds=True)
        self._pairs = ((self.raw_after, self.raw_after_curve), (self.smooth_after, self.after_curve),
                       (self.val_before, self.val_before_curve), (self.val_after, self.val_after_curve))
        self.train_inner_steps = 1
        self._show_empty()

    # -- settings ------------------------------------------------------------------------------
    def set_experiment(self, ways: int, train_inner_steps: int) -> None:
        """Chance is 1 / ``ways``; validation "after" is read at ``train_inner_steps`` of the curve."""
        self.train_inner_steps = int(train_inner_steps)
        self.chance.setValue(1.0 / max(int(ways), 1))
        self.chance.setVisible(True)

    @property
    def smoothing(self) -> float:
        return self.smooth_after.weight

    @Slot(float)
    def set_smoothing(self, weight: float) -> None:
        self.smooth_after.resmooth(weight, self.raw_after.x, self.raw_after.y)
        self._redraw(self._pairs[1:2])

    def is_empty(self) -> bool:
        return not any(len(series) for series, _ in self._pairs)

    def point_count(self) -> int:
        return len(self.raw_after)

    # -- data ----------------------------------------------------------------------------------
    @Slot(object)
    def reset(self, history: MetricsHistory | None = None) -> None:
        for series, _ in self._pairs:
            series.clear()
        if history is not None and history.accuracy and len(history.accuracy) == len(history.rows):
            iterations = np.asarray([row[0] for row in history.rows], dtype=np.float64)
            self._add_training(iterations, np.asarray(history.accuracy, dtype=np.float64))
        for record in history.validations if history is not None else ():
            self._add_validation(record)
        self._redraw()
        self._show_empty() if self.is_empty() else self._show_data()

    @Slot(object)
    def add_progress(self, progress: Progress) -> None:
        if progress.metric != "accuracy":
            return
        was_empty = self.is_empty()
        self.train_inner_steps = progress.snapshot.train_inner_steps
        if progress.iterations.size and progress.accuracy_after is not None:
            self._add_training(progress.iterations, progress.accuracy_after)
        if progress.validation is not None:
            self._add_validation(progress.validation)
        self._redraw()
        if was_empty and not self.is_empty():
            self._show_data()

    def _add_training(self, iterations, accuracy) -> None:
        self.raw_after.extend(iterations, accuracy)
        self.smooth_after.extend(iterations, accuracy)

    def _add_validation(self, record: ValidationRecord) -> None:
        if record.curve.metric != "accuracy":
            return
        before, after = validation_accuracy(record, self.train_inner_steps)
        self.val_before.extend([record.iteration], [before])
        self.val_after.extend([record.iteration], [after])

    # -- drawing -------------------------------------------------------------------------------
    def _redraw(self, pairs=None) -> None:
        for series, curve in self._pairs if pairs is None else pairs:
            x, y = series.x, series.y
            keep = np.isfinite(y)
            curve.setData(x[keep], y[keep])

    def _show_empty(self) -> None:
        self.empty_message.set_visible(True)
        self.legend.setVisible(False)
        self.getPlotItem().setRange(xRange=(0.0, 100.0), yRange=(0.0, 1.0), padding=0)

    def _show_data(self) -> None:
        self.empty_message.set_visible(False)
        self.legend.setVisible(True)
        item = self.getPlotItem()
        item.enableAutoRange(axis="x")
        item.setYRange(0.0, 1.0, padding=0.02)
