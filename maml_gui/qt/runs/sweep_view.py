"""The sweep view: hyperparameters against the final metric, as parallel coordinates or a scatter.

Parallel coordinates (TensorBoard's HParams view): one vertical axis per config field that
differs between the runs and one for the chosen metric; each run is a line through its
values, coloured by the metric (viridis, brightest = best: lowest MSE, highest accuracy).
Scatter: one field on x (log scale for learning rates and the like, categories spread a
little so seeds do not hide each other), the metric on y, each run in its Runs-panel colour.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Slot
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from maml_gui.core.run_table import differing_fields
from maml_gui.core.sweep_axes import make_axis, metric_columns, parallel_axes
from maml_gui.qt.plots.axes import plain_axes
from maml_gui.qt.runs.results_table import results_of
from maml_gui.qt.runs.runs_model import RunEntry

PARALLEL = "Parallel coordinates"
SCATTER = "Scatter: "
LOG_SPAN = 100  # the scatter's metric axis is logarithmic when its values span this factor or more
JITTER = 0.08  # categories: runs spread over ±8% of the gap between two categories


def _better_is_lower(metric: str) -> bool:
    return "accuracy" not in metric


class SweepView(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("sweep_view")
        self.entries: list[RunEntry] = []
        self.colors: dict[str, tuple[int, int, int]] = {}
        self.rows: list[dict[str, object]] = []
        self.fields: list[str] = []
        self.mode_combo = QComboBox(self)
        self.mode_combo.setObjectName("sweep_mode")
        self.metric_combo = QComboBox(self)
        self.metric_combo.setObjectName("sweep_metric")
        self.plot = pg.PlotWidget(self)
        self.plot.setObjectName("sweep_plot")
        plain_axes(self.plot.getPlotItem())
        self.plot.getPlotItem().showGrid(x=False, y=True, alpha=0.15)
        self.note = QLabel(self)
        self.note.setWordWrap(True)
        row = QHBoxLayout()
        row.addWidget(QLabel("View"))
        row.addWidget(self.mode_combo, stretch=1)
        row.addWidget(QLabel("Metric"))
        row.addWidget(self.metric_combo, stretch=1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(row)
        layout.addWidget(self.plot, stretch=1)
        layout.addWidget(self.note)
        self.mode_combo.currentIndexChanged.connect(self.redraw)
        self.metric_combo.currentIndexChanged.connect(self.redraw)
        self.lines: list = []  # what was drawn (the tests read it)

    def set_entries(self, entries: list[RunEntry], colors: dict[str, tuple[int, int, int]] | None = None) -> None:
        """Show ``entries``; ``colors`` (run name -> colour) for the scatter, default each run's own."""
        self.entries = entries
        self.colors = colors if colors is not None else {entry.name: entry.color for entry in entries}
        table = results_of(entries)
        self.rows = table.rows
        self.fields = differing_fields([entry.run.flat_config() for entry in entries])
        for combo, items in ((self.mode_combo, [PARALLEL] + [SCATTER + f for f in self.fields]),
                             (self.metric_combo, metric_columns(table.columns))):
            chosen = combo.currentText()
            combo.blockSignals(True)
            combo.clear()
            combo.addItems(items)
            if chosen in items:
                combo.setCurrentText(chosen)
            combo.blockSignals(False)
        self.redraw()

    @Slot()
    def redraw(self) -> None:
        item = self.plot.getPlotItem()
        item.clear()
        self.lines = []
        metric = self.metric_combo.currentText()
        if not self.rows or not metric:
            item.setTitle(None)
            self.note.setText("The sweep view needs runs with a validation or an evaluation: open a sweep folder "
                              "(File ▸ Open Runs…)")
            return
        mode = self.mode_combo.currentText()
        if mode.startswith(SCATTER):
            self._scatter(mode[len(SCATTER):], metric)
        else:
            self._parallel(metric)

    def _metric_colors(self, metric: str) -> list:
        values = np.array([_float(row.get(metric)) for row in self.rows])
        finite = values[np.isfinite(values)]
        cmap = pg.colormap.get("viridis")
        if finite.size == 0:
            return [pg.mkColor(150, 150, 150)] * len(values)
        low, high = finite.min(), finite.max()
        colors = []
        for v in values:
            if not math.isfinite(v):
                colors.append(pg.mkColor(170, 170, 170))
                continue
            t = 0.5 if high == low else (v - low) / (high - low)
            colors.append(cmap.map(1.0 - t if _better_is_lower(metric) else t, mode="qcolor"))
        return colors

    def _parallel(self, metric: str) -> None:
        item = self.plot.getPlotItem()
        item.setLogMode(x=False, y=False)
        axes = parallel_axes(self.rows, self.fields, metric)
        x = np.arange(len(axes), dtype=np.float64)
        for i, axis in enumerate(axes):
            item.addItem(pg.InfiniteLine(pos=i, angle=90, pen=pg.mkPen(120, 120, 120, 160, width=1)))
            for position, text in axis.ticks:
                label = pg.TextItem(text, color=(60, 60, 60), anchor=(0, 0.5))
                label.setPos(i, position)
                item.addItem(label)
        for row_index, color in enumerate(self._metric_colors(metric)):
            y = np.array([axis.positions[row_index] for axis in axes])
            line = pg.PlotDataItem(x, y, pen=pg.mkPen(color, width=2), connect="finite", symbol="o", symbolSize=5,
                                   symbolBrush=color, symbolPen=None)
            item.addItem(line)
            self.lines.append(line)
        item.getAxis("bottom").setTicks([[(i, _short(axis.name)) for i, axis in enumerate(axes)]])
        item.getAxis("left").setTicks([[]])
        item.setLabel("bottom", "")
        item.setLabel("left", "")
        item.setXRange(-0.1, len(axes) - 0.4, padding=0)
        item.setYRange(-0.05, 1.05, padding=0)
        best = "lowest" if _better_is_lower(metric) else "highest"
        item.setTitle(f"{len(self.rows)} runs, coloured by {metric} (yellow = {best})", size="9pt")
        self.note.setText("Each line is a run; the axes are the config fields that differ between the runs and the "
                          "metric (log spacing where values span a factor of 10 or more). Grey: no value.")

    def _scatter(self, field: str, metric: str) -> None:
        item = self.plot.getPlotItem()
        axis = make_axis(field, [row.get(field) for row in self.rows])
        ys = np.array([_float(row.get(metric)) for row in self.rows])
        if axis.categorical:
            count = max(len(axis.ticks) - 1, 1)
            spread = np.array([(i % 5 - 2) / 2 * JITTER / count for i in range(len(self.rows))])
            xs = axis.positions + spread
            item.getAxis("bottom").setTicks([list(axis.ticks)])
        else:
            xs = np.array([_float(row.get(field)) for row in self.rows])
            item.getAxis("bottom").setTicks(None)
        positive = ys[np.isfinite(ys)]
        log_y = bool(positive.size and positive.min() > 0 and positive.max() / positive.min() >= LOG_SPAN)
        log_x = bool(not axis.categorical and axis.log)
        item.setLogMode(x=log_x, y=log_y)  # the axes' ticks; a ScatterPlotItem is placed in log10 itself
        item.getAxis("left").setTicks(None)
        keep = np.isfinite(xs) & np.isfinite(ys) & (xs > 0 if log_x else True) & (ys > 0 if log_y else True)
        shown = {}  # run -> metric, for the tip (its y is log10 on a log axis)
        spots = []
        for x, y, row, k in zip(xs, ys, self.rows, keep):
            if k:
                name = str(row.get("run"))
                shown[name] = float(y)
                spots.append({"pos": (math.log10(x) if log_x else float(x), math.log10(y) if log_y else float(y)),
                              "data": name, "brush": pg.mkBrush(*self.colors.get(name, (90, 90, 90)))})
        scatter = pg.ScatterPlotItem(size=9, pen=pg.mkPen(40, 40, 40, 120), hoverable=True,
                                     tip=lambda x, y, data: f"{data}\n{metric} = {shown.get(data, y):.4g}")
        scatter.addPoints(spots)
        item.addItem(scatter)
        self.lines.append(scatter)
        item.setLabel("bottom", field)
        item.setLabel("left", metric)
        item.enableAutoRange()
        left = int((~keep).sum())
        item.setTitle(f"{metric} against {_short(field)}" + (" (log scale)" if log_y else ""), size="9pt")
        self.note.setText("Each point is a run, in its Runs-panel colour (its group's while grouped); hover for its name."
                          + (f" {left} run(s) without a value are not drawn." if left else ""))


def _float(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return math.nan
    return float(value)


def _short(name: str) -> str:
    return name.rsplit(".", 1)[-1] if "." in name and "@" not in name else name
