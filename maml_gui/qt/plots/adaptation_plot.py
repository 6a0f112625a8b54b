"""The latest validation's adaptation curve: query MSE after 0, 1, ... inner steps.

Drawn for the meta-learned initialisation and, when the run trains one, for the
"pretrained on all tasks" baseline, each with its 95% confidence band (as in Finn et al. 2017,
figure 2). One persistent item per curve and band, updated with ``setData``.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Slot
from PySide6.QtWidgets import QWidget

from maml_gui.core.evaluation import AdaptationCurve
from maml_gui.core.metrics import MetricsHistory, ValidationRecord
from maml_gui.core.training import Progress

META_COLOR = (41, 128, 185)
BASELINE_COLOR = (127, 140, 141)
BAND_ALPHA = 50
LOG_BAND_FLOOR = 0.01  # on a log axis a band reaching below zero is drawn down to 1% of the mean


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
        self.upper.setData(steps, mse + ci)
        self.lower.setData(steps, np.maximum(mse - ci, mse * LOG_BAND_FLOOR if log_scale else 0.0))


class AdaptationCurvePlot(pg.PlotWidget):
    """Query MSE against the number of inner steps, at the latest validation."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("adaptation_curve_plot")
        item = self.getPlotItem()
        item.setLabel("bottom", "inner gradient steps")
        item.setLabel("left", "query MSE (validation tasks)")
        item.showGrid(x=True, y=True, alpha=0.2)
        item.addLegend(offset=(-10, 10), brush=pg.mkBrush(255, 255, 255, 200))
        self.meta = _CurveWithBand(item, META_COLOR, "meta-learned init")
        self.baseline = _CurveWithBand(item, BASELINE_COLOR, "pretrained baseline")
        self.record: ValidationRecord | None = None
        self.log_scale = False

    @Slot(bool)
    def set_log_scale(self, enabled: bool) -> None:
        self.log_scale = bool(enabled)
        self.getPlotItem().setLogMode(y=self.log_scale)
        self.show_record(self.record)

    @Slot(object)
    def show_record(self, record: ValidationRecord | None) -> None:
        self.record = record
        self.meta.show(record.curve if record is not None else None, self.log_scale)
        self.baseline.show(record.baseline if record is not None else None, self.log_scale)
        title = f"validation at iteration {record.iteration}" if record is not None else "no validation yet"
        self.getPlotItem().setTitle(title, size="9pt")

    @Slot(object)
    def reset(self, history: MetricsHistory | None = None) -> None:
        self.show_record(history.validations[-1] if history is not None and history.validations else None)

    @Slot(object)
    def add_progress(self, progress: Progress) -> None:
        if progress.validation is not None:
            self.show_record(progress.validation)
