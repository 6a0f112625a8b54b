"""The playground's plot: support points, true curve, step 0..S predictions and a baseline.

One persistent item per curve, updated with ``setData``; pens of width 1, no OpenGL.
Mouse editing lives in :class:`~.viewbox.PointEditViewBox`; this module only draws.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt

from .curve_key import CurveKey
from .prediction import AdaptationResult
from .viewbox import PointEditViewBox

TRUE_CURVE_COLOR = (150, 150, 150)
BASELINE_COLOR = (60, 200, 120)  # apart from the step ramp's purple..yellow
POINT_BRUSH = (255, 255, 255)
POINT_PEN = (20, 20, 20)
SELECTED_COLOR = (0, 200, 255)
STEP_COLORMAP = "plasma"
STEP_COLOR_SPAN = (0.3, 0.95)  # plasma's darkest end vanishes on a dark background


def step_colors(count: int) -> list:
    """``count`` QColors along a perceptual ramp: step 0 first, the last step last."""
    cmap = pg.colormap.get(STEP_COLORMAP)
    low, high = STEP_COLOR_SPAN
    fractions = np.linspace(low, high, count) if count > 1 else np.array([low])
    return list(cmap.map(fractions, mode="qcolor"))


class PassiveScatter(pg.ScatterPlotItem):
    """A scatter that leaves every click to the ViewBox below (pyqtgraph's would claim
    left clicks on its points, whatever ``acceptedMouseButtons`` says)."""

    def mouseClickEvent(self, ev) -> None:
        ev.ignore()


class PlaygroundPlot(pg.PlotWidget):
    """A PlotWidget whose ViewBox edits points; call :meth:`show_points` and :meth:`show_result`."""

    def __init__(self, parent=None) -> None:
        self.editor = PointEditViewBox()
        super().__init__(parent=parent, viewBox=self.editor)
        item = self.getPlotItem()
        item.showGrid(x=True, y=True, alpha=0.2)
        item.setLabel("bottom", "x")
        item.setLabel("left", "y")
        item.setMenuEnabled(True)
        self.key = CurveKey()  # what the lines are, under the plot (the window places it): never over the data
        self.true_curve = pg.PlotDataItem(pen=pg.mkPen(TRUE_CURVE_COLOR, width=1, style=Qt.PenStyle.DashLine))
        self.baseline_curve = pg.PlotDataItem(
            pen=pg.mkPen(BASELINE_COLOR, width=1, style=Qt.PenStyle.DashDotLine))
        self.step_curves: list[pg.PlotDataItem] = []
        self.support = PassiveScatter(size=9, pen=pg.mkPen(POINT_PEN, width=1), brush=pg.mkBrush(POINT_BRUSH))
        self.selection = PassiveScatter(size=15, pen=pg.mkPen(SELECTED_COLOR, width=1), brush=None)
        for z, curve in enumerate((self.true_curve, self.baseline_curve)):
            curve.setZValue(z)
            item.addItem(curve)
        for z, scatter in ((20, self.support), (21, self.selection)):
            scatter.setZValue(z)
            item.addItem(scatter)

    # -- drawing -------------------------------------------------------------------------
    def show_points(self, points, selected: int | None = None) -> None:
        xy = np.asarray(points, dtype=float).reshape(-1, 2)
        self.support.setData(x=xy[:, 0], y=xy[:, 1])
        if selected is not None and 0 <= selected < len(xy):
            self.selection.setData(x=xy[selected:selected + 1, 0], y=xy[selected:selected + 1, 1])
        else:
            self.selection.setData(x=[], y=[])
        self.editor.set_points(map(tuple, xy))

    def _ensure_step_curves(self, count: int) -> None:
        while len(self.step_curves) < count:
            curve = pg.PlotDataItem()
            curve.setZValue(10 + len(self.step_curves))
            self.getPlotItem().addItem(curve)
            self.step_curves.append(curve)

    def show_result(self, result: AdaptationResult | None) -> None:
        """Draw one adaptation result (None clears every curve)."""
        steps = None if result is None else result.steps
        shown = 0 if steps is None else len(steps)
        self._ensure_step_curves(shown)
        colors = step_colors(shown)
        for index, curve in enumerate(self.step_curves):
            if index < shown:
                curve.setPen(pg.mkPen(colors[index], width=1))
                curve.setData(result.x, steps[index])
            else:
                curve.setData([], [])
        if result is not None and result.baseline is not None:
            self.baseline_curve.setData(result.x, result.baseline[-1])
        else:
            self.baseline_curve.setData([], [])
        if result is not None and result.true_y is not None:
            self.true_curve.setData(result.x, result.true_y)
        else:
            self.true_curve.setData([], [])
        self._update_key(result, colors[:shown])

    def _update_key(self, result: AdaptationResult | None, colors: list) -> None:
        true_curve = pg.mkColor(TRUE_CURVE_COLOR) if result is not None and result.true_y is not None else None
        baseline = None
        if result is not None and result.baseline is not None:
            steps = len(result.baseline) - 1
            baseline = (pg.mkColor(BASELINE_COLOR), f"{result.baseline_label}, after {steps} steps")
        self.key.set_entries(colors, true_curve, baseline)

    def curve_data(self) -> list[tuple[np.ndarray, np.ndarray]]:
        """(x, y) of every visible step curve, step 0 first (for tests and the benchmark)."""
        data = []
        for curve in self.step_curves:
            x, y = curve.getData()
            if x is None or len(x) == 0:
                break
            data.append((x, y))
        return data
