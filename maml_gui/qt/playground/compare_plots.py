"""Drawing a model comparison: overlay, side by side, and the per-step MSE (plot and table).

Pens of width 1, one colour per model; the figures come computed in a
:class:`~.comparison.ComparisonResult`, nothing is computed here.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QIcon, QPixmap
from PySide6.QtWidgets import QTableWidget, QTableWidgetItem

from .comparison import ComparisonResult

MAX_TABLE_STEPS = 101


def swatch(color) -> QIcon:
    pixmap = QPixmap(12, 12)
    pixmap.fill(QColor(*color))
    return QIcon(pixmap)


def setup_curve_plot(item: pg.PlotItem) -> None:
    item.showGrid(x=True, y=True, alpha=0.2)
    item.setLabel("bottom", "x")
    item.setLabel("left", "y")


def draw_common(item: pg.PlotItem, result: ComparisonResult, points) -> None:
    if result.true_y is not None:
        item.addItem(pg.PlotDataItem(result.x, result.true_y, name="true curve",
                                     pen=pg.mkPen((150, 150, 150), width=1, style=Qt.PenStyle.DashLine)))
    if points:
        xy = np.asarray(points, dtype=float)
        item.addItem(pg.ScatterPlotItem(xy[:, 0], xy[:, 1], size=8, pen=pg.mkPen((20, 20, 20)),
                                        brush=pg.mkBrush(255, 255, 255)))


def draw_overlay(item: pg.PlotItem, legend: pg.LegendItem, result: ComparisonResult, colors, points) -> None:
    """Each model after the last step (solid, in the legend) and before adapting (dotted)."""
    item.clear()
    legend.clear()
    steps = 0
    for model, color in zip(result.models, colors):
        if model.steps is None:
            continue
        steps = len(model.steps) - 1
        item.addItem(pg.PlotDataItem(result.x, model.steps[0], pen=pg.mkPen(color, width=1,
                                                                            style=Qt.PenStyle.DotLine)))
        item.addItem(pg.PlotDataItem(result.x, model.steps[-1], pen=pg.mkPen(color, width=1), name=model.name))
    item.setTitle(f"after {steps} inner step{'s' if steps != 1 else ''} (dotted: before adapting)")
    draw_common(item, result, points)


def draw_side_by_side(layout: pg.GraphicsLayoutWidget, result: ComparisonResult, colors, points) -> None:
    """One plot per model, two to a row, axes linked: every step, fainter the earlier."""
    layout.clear()
    first = None
    for index, (model, color) in enumerate(zip(result.models, colors)):
        item = layout.addPlot(row=index // 2, col=index % 2, title=model.name)
        setup_curve_plot(item)
        if first is None:
            first = item
        else:
            item.setXLink(first)
            item.setYLink(first)
        if model.steps is None:
            continue
        count = len(model.steps)
        for step, y in enumerate(model.steps):  # faint at step 0, full colour after the last
            alpha = int(60 + 195 * step / max(count - 1, 1))
            style = Qt.PenStyle.DotLine if step == 0 else Qt.PenStyle.SolidLine
            item.addItem(pg.PlotDataItem(result.x, y, pen=pg.mkPen((*color, alpha), width=1, style=style)))
        draw_common(item, result, points)


def draw_mse(item: pg.PlotItem, table: QTableWidget, result: ComparisonResult, colors) -> None:
    """Each model's MSE after 0..S steps (log axis) and the same figures as a table, a row per model."""
    item.clear()
    with_truth = any(m.true_mse is not None for m in result.models)
    item.setLabel("left", "MSE vs true curve" if with_truth else "MSE on the drawn points")
    shown = [(m, c) for m, c in zip(result.models, colors) if m.mse() is not None]
    for model, color in shown:
        mse = model.mse()
        steps = np.arange(len(mse))
        keep = mse > 0  # a log axis
        item.addItem(pg.PlotDataItem(steps[keep], mse[keep], pen=pg.mkPen(color, width=1), symbol="o",
                                     symbolSize=5, symbolBrush=pg.mkBrush(color), symbolPen=None))
    columns = min(max((len(m.mse()) for m, _ in shown), default=0), MAX_TABLE_STEPS)
    table.clear()
    table.setRowCount(len(shown))  # one row per model, one column per inner step
    table.setColumnCount(columns)
    table.setHorizontalHeaderLabels([f"step {s}" for s in range(columns)])
    for row, (model, color) in enumerate(shown):
        header = QTableWidgetItem(swatch(color), model.name)
        header.setToolTip(model.name)
        table.setVerticalHeaderItem(row, header)
        for column, value in enumerate(model.mse()[:columns]):
            table.setItem(row, column, QTableWidgetItem(f"{value:.4g}"))
    table.resizeColumnsToContents()
