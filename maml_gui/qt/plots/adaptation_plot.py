"""The latest validation's adaptation curve: query MSE (accuracy for classification) after 0, 1, ... inner steps.

Drawn for the meta-learned initialisation and, when the run trains one, for the
"pretrained on all tasks" baseline, each with its 95% confidence band (as in Finn et al. 2017,
figure 2). One persistent item per curve and band, updated with ``setData``.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import QWidget

from maml_gui.core.evaluation import AdaptationCurve
from maml_gui.core.metrics import MetricsHistory, ValidationRecord
from maml_gui.core.training import Progress
from maml_gui.qt.plots.axes import plain_axes
from maml_gui.qt.plots.empty_state import EmptyPlotMessage

META_COLOR = (41, 128, 185)
BASELINE_COLOR = (127, 140, 141)
BAND_ALPHA = 50
LOG_BAND_FLOOR = 0.01  # on a log axis a band reaching below zero is drawn down to 1% of the mean
EMPTY_TEXT = "The query MSE (or accuracy) after 0, 1, 2, … inner steps appears here at the first validation"
STEPS_LABEL = "inner gradient steps"
EMPTY_RANGE = ((0.0, 10.0), (0.0, 1.0))
METRIC_LABELS = {"mse": "query MSE (validation tasks)", "accuracy": "query accuracy (validation tasks)"}


class _CurveWithBand:
    """A line with markers plus a shaded mean +- ci95 band."""

    def __init__(self, item: pg.PlotItem, color, name: str) -> None:
        self.upper = pg.PlotDataItem(pen=None)
        self.lower = pg.PlotDataItem(pen=None)
        self.band = pg.FillBetweenItem(self.lower, self.upper, brush=pg.mkBrush(*color, BAND_ALPHA))
        item.addItem(self.band)
        self.line = item.plot(pen=pg.mkPen(color, width=1), symbol="o", symbolSize=5, symbolBrush=color,
                              symbolPen=None, name=name)

    def show(self, curve: AdaptationCurve | None, log_scale: bool = False) -> None:
        if curve is None:
            for part in (self.line, self.upper, self.lower):
                part.setData([], [])
            return
        steps = np.asarray(curve.steps, dtype=np.float64)
        mse, ci = np.asarray(curve.mse, dtype=np.float64), np.asarray(curve.ci95, dtype=np.float64)
        self.line.setData(steps, mse)
        self.upper.setData(steps, mse + ci if curve.metric != "accuracy" else np.minimum(mse + ci, 1.0))
        self.lower.setData(steps, np.maximum(mse - ci, mse * LOG_BAND_FLOOR if log_scale else 0.0))


def _swatch(color) -> str:
    return f"<span style='color: {pg.mkColor(color).name()}'>━●━</span>"


def curve_key(record: ValidationRecord) -> str:
    """The title: which line is which (a legend inside covered the baseline in a small window).
    Short, so it fits a 1024-pixel-wide window: a title wider than the plot widens the plot past its dock."""
    parts = [f"{_swatch(META_COLOR)} meta-learned init"]
    if record.baseline is not None:
        parts.append(f"{_swatch(BASELINE_COLOR)} pretrained baseline")
    return "&nbsp;&nbsp;".join(parts)


class AdaptationCurvePlot(pg.PlotWidget):
    """Query MSE against the number of inner steps, at the latest validation."""

    log_scale_changed = Signal(bool)  # the overlay of compared runs (maml_gui.qt.runs) redraws its bands

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("adaptation_curve_plot")
        item = self.getPlotItem()
        item.setLabel("bottom", STEPS_LABEL)
        item.setLabel("left", "query MSE (validation tasks)")
        item.showGrid(x=True, y=True, alpha=0.2)
        plain_axes(item)
        self.empty_message = EmptyPlotMessage(item, EMPTY_TEXT)
        self.meta = _CurveWithBand(item, META_COLOR, "meta-learned init")
        self.baseline = _CurveWithBand(item, BASELINE_COLOR, "pretrained baseline")
        self.record: ValidationRecord | None = None
        self.log_scale = False
        self.show_record(None)

    @Slot(bool)
    def set_log_scale(self, enabled: bool) -> None:
        self.log_scale = bool(enabled)
        self.getPlotItem().setLogMode(y=self.log_scale)
        self.show_record(self.record)
        self.log_scale_changed.emit(self.log_scale)

    @Slot(object)
    def show_record(self, record: ValidationRecord | None) -> None:
        self.record = record
        self.meta.show(record.curve if record is not None else None, self.log_scale)
        self.baseline.show(record.baseline if record is not None else None, self.log_scale)
        item = self.getPlotItem()
        item.setTitle(None if record is None else curve_key(record), size="9pt")  # None: no title row
        item.setLabel("left", METRIC_LABELS.get(record.curve.metric if record is not None else "mse"))
        item.setLabel("bottom", STEPS_LABEL if record is None else f"{STEPS_LABEL} · validation at iteration "
                                                                   f"{record.iteration:,}")
        self.empty_message.set_visible(record is None)
        if record is None:  # plain axes, not the last run's (maybe diverged) ranges
            (x0, x1), (y0, y1) = EMPTY_RANGE
            item.setRange(xRange=(x0, x1), yRange=(y0, y1), padding=0)
        else:
            item.enableAutoRange()

    @Slot(object)
    def reset(self, history: MetricsHistory | None = None) -> None:
        self.show_record(history.validations[-1] if history is not None and history.validations else None)

    @Slot(object)
    def add_progress(self, progress: Progress) -> None:
        if progress.validation is not None:
            self.show_record(progress.validation)
