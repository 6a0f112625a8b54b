"""The meta-loss over training: query MSE before and after the inner steps.

Raw training losses are drawn faintly (25% opacity) behind their smoothed curve (TensorBoard's
debiased moving average, weight set by :meth:`MetaLossPlot.set_smoothing`); validation losses
(on the fixed validation tasks) are drawn with markers. Each curve is one persistent item updated
with ``setData``; long curves are peak-downsampled and clipped to the view.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import QWidget

from maml_gui.core.metrics import MetricsHistory
from maml_gui.core.training import Progress
from maml_gui.qt.plots.axes import ThinLogAxis, plain_axes
from maml_gui.qt.plots.empty_state import EmptyPlotMessage
from maml_gui.qt.plots.series import GrowingSeries, SmoothedSeries
from maml_gui.qt.plots.smoothing import DEFAULT_WEIGHT

BEFORE_COLOR = (230, 126, 34)  # orange: the unadapted initialisation
AFTER_COLOR = (41, 128, 185)  # blue: after the training inner steps
RAW_ALPHA = 64  # the raw curve at 25% opacity behind the smoothed one
EMPTY_TEXT = "The meta-loss appears here when training starts (F5)"
EMPTY_X_RANGE = (0.0, 100.0)
EMPTY_Y_RANGE = {True: (-2.0, 1.0), False: (0.0, 2.0)}  # log10 of 0.01..10, or linear 0..2


def _pen(color, alpha: int = 255, dashed: bool = False):
    pen = pg.mkPen((*color, alpha), width=1)
    if dashed:
        pen.setDashPattern([4, 3])
    return pen


class MetaLossPlot(pg.PlotWidget):
    """Training and validation meta-loss against the meta-iteration."""

    log_scale_changed = Signal(bool)  # the overlay of compared runs (maml_gui.qt.runs) redraws its bands

    def __init__(self, parent: QWidget | None = None, log_scale: bool = True,
                 smoothing: float = DEFAULT_WEIGHT) -> None:
        super().__init__(parent, axisItems={"left": ThinLogAxis("left")})  # uncrowded log labels
        self.setObjectName("meta_loss_plot")
        item = self.getPlotItem()
        item.setLabel("bottom", "meta-iteration")
        item.setLabel("left", "query MSE")
        item.showGrid(x=True, y=True, alpha=0.2)
        plain_axes(item)
        self.empty_message = EmptyPlotMessage(item, EMPTY_TEXT)
        # two compact columns along the top: one row less of curves hidden under it
        self.legend = item.addLegend(offset=(-10, 5), brush=pg.mkBrush(255, 255, 255, 200), colCount=2, labelTextSize="8pt",
                       verSpacing=-6)
        item.setDownsampling(auto=True, mode="peak")
        item.setClipToView(True)
        self.raw_before, self.raw_after = GrowingSeries(), GrowingSeries()
        self.smooth_before, self.smooth_after = SmoothedSeries(smoothing), SmoothedSeries(smoothing)
        self.val_before, self.val_after = GrowingSeries(64), GrowingSeries(64)
        self.raw_before_curve = item.plot(pen=_pen(BEFORE_COLOR, RAW_ALPHA))
        self.raw_after_curve = item.plot(pen=_pen(AFTER_COLOR, RAW_ALPHA))
        self.before_curve = item.plot(pen=_pen(BEFORE_COLOR), name="train, before")
        self.after_curve = item.plot(pen=_pen(AFTER_COLOR), name="train, after")
        self.val_before_curve = item.plot(pen=_pen(BEFORE_COLOR, dashed=True), symbol="o", symbolSize=5,
                                          symbolBrush=BEFORE_COLOR, symbolPen=None, name="validation, before")
        self.val_after_curve = item.plot(pen=_pen(AFTER_COLOR, dashed=True), symbol="o", symbolSize=5,
                                         symbolBrush=AFTER_COLOR, symbolPen=None, name="validation, after")
        self._training_pairs = (
            (self.raw_before, self.raw_before_curve), (self.raw_after, self.raw_after_curve),
            (self.smooth_before, self.before_curve), (self.smooth_after, self.after_curve),
        )
        self._validation_pairs = ((self.val_before, self.val_before_curve), (self.val_after, self.val_after_curve))
        self._pairs = self._training_pairs + self._validation_pairs
        self.set_log_scale(log_scale)

    # -- public API ----------------------------------------------------------------------------
    def set_log_scale(self, enabled: bool) -> None:
        self.log_scale = bool(enabled)
        self.getPlotItem().setLogMode(y=self.log_scale)
        self._redraw()
        if self.is_empty():
            self._show_empty()
        self.log_scale_changed.emit(self.log_scale)

    def refresh_view(self) -> None:
        """The message or the legend and ranges as the curves are (after runs were overlaid)."""
        if self.is_empty():
            self._show_empty()
        else:
            self._show_data()

    def is_empty(self) -> bool:
        return not any(len(series) for series, _ in self._pairs)

    @property
    def smoothing(self) -> float:
        return self.smooth_after.weight

    @Slot(float)
    def set_smoothing(self, weight: float) -> None:
        """Smooth the training curves with this weight (0: raw, up to 0.999), all points again."""
        for smooth, raw in ((self.smooth_before, self.raw_before), (self.smooth_after, self.raw_after)):
            smooth.resmooth(weight, raw.x, raw.y)
        self._redraw(self._training_pairs[2:])

    @Slot(object)
    def reset(self, history: MetricsHistory | None = None) -> None:
        """Forget every point; draw ``history`` (e.g. of an opened run) if given."""
        for series, _ in self._pairs:
            series.clear()
        if history is not None and history.rows:
            rows = np.asarray(history.rows, dtype=np.float64)
            self._add_training(rows[:, 0], rows[:, 1], rows[:, 2])
        if history is not None:
            for record in history.validations:
                self.val_before.extend([record.iteration], [record.loss_before])
                self.val_after.extend([record.iteration], [record.loss_after])
        self._redraw()
        if self.is_empty():
            self._show_empty()
        else:
            self._show_data()

    @Slot(object)
    def add_progress(self, progress: Progress) -> None:
        """Append one training report (every iteration since the last one); only the curves
        that grew are handed their data again."""
        pairs = ()
        was_empty = self.is_empty()
        if progress.iterations.size:
            self._add_training(progress.iterations, progress.loss_before, progress.loss_after)
            pairs += self._training_pairs
        if progress.validation is not None:
            record = progress.validation
            self.val_before.extend([record.iteration], [record.loss_before])
            self.val_after.extend([record.iteration], [record.loss_after])
            pairs += self._validation_pairs
        self._redraw(pairs)
        if was_empty and not self.is_empty():
            self._show_data()

    def point_count(self) -> int:
        """Training iterations drawn (for tests and the status line)."""
        return len(self.raw_after)

    # -- drawing -------------------------------------------------------------------------------
    def _show_empty(self) -> None:
        """Plain axes and the message; the ranges of a previous (maybe diverged) run are gone."""
        self.empty_message.set_visible(True)
        self.legend.setVisible(False)
        self.getPlotItem().setRange(xRange=EMPTY_X_RANGE, yRange=EMPTY_Y_RANGE[self.log_scale], padding=0)

    def _show_data(self) -> None:
        self.empty_message.set_visible(False)
        self.legend.setVisible(True)
        self.getPlotItem().enableAutoRange()

    def _add_training(self, iterations, before, after) -> None:
        self.raw_before.extend(iterations, before)
        self.raw_after.extend(iterations, after)
        self.smooth_before.extend(iterations, before)
        self.smooth_after.extend(iterations, after)

    def _redraw(self, pairs=None) -> None:
        for series, curve in self._pairs if pairs is None else pairs:
            x, y = series.x, series.y
            if self.log_scale:  # log of zero or a negative loss cannot be drawn
                keep = y > 0
                if not keep.all():
                    x, y = x[keep], y[keep]
            curve.setData(x, y)
