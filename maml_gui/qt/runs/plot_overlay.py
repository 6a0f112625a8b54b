"""Drawing compared runs over one of the window's plots, in place of its single-run curves.

A :class:`PlotOverlay` watches a :class:`~maml_gui.qt.runs.runs_model.RunsModel`. While the
model is comparing (an opened run is visible) it hides the plot's own items (and its legend
and empty-plot message) and draws its curves with a legend of its own; when no opened run is
visible it removes them and the plot shows its single run as before. Subclasses say what to
draw in :meth:`PlotOverlay.draw`. A redraw makes the overlay's items anew: it runs when runs
are added, shown or hidden, the grouping or x axis change, or (throttled) while the current
experiment trains.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QObject, Slot

from maml_gui.qt.runs.runs_model import PALETTE, RunEntry, RunsModel

RAW_ALPHA = 48
BAND_ALPHA = 45
LOG_BAND_FLOOR = 0.01  # on a log axis a band reaching below zero is drawn down to 1% of the mean


def drawable(entries: list[RunEntry], has_curve) -> tuple[list[RunEntry], str]:
    """The entries with something to draw (``has_curve(run)``) of the first one's task kind, and a
    note on those left out (other task kinds cannot share an axis)."""
    entries = [entry for entry in entries if has_curve(entry.run)]
    if not entries:
        return [], ""
    kind = entries[0].run.task_kind
    kept = [entry for entry in entries if entry.run.task_kind == kind]
    left = len(entries) - len(kept)
    return kept, (f"{left} run(s) of another task kind not drawn" if left else "")


class PlotOverlay(QObject):
    def __init__(self, plot: pg.PlotWidget, model: RunsModel) -> None:
        super().__init__(plot)
        self.plot = plot
        self.item: pg.PlotItem = plot.getPlotItem()
        self.model = model
        self.legend = pg.LegendItem(offset=(-10, 5), brush=pg.mkBrush(255, 255, 255, 200), labelTextSize="8pt",
                                    verSpacing=-6)
        self.legend.setParentItem(self.item.getViewBox())
        self.legend.setVisible(False)
        self.items: list = []  # what the overlay drew (the tests read it)
        self.active = False
        self._hidden: list = []
        self._labels = {name: self.item.getAxis(name).labelText for name in ("left", "bottom")}
        model.changed.connect(self.redraw)
        model.current_changed.connect(self.redraw)
        model.view_changed.connect(self.redraw)
        if hasattr(plot, "log_scale_changed"):
            plot.log_scale_changed.connect(self._on_log_scale_changed)

    @property
    def log_scale(self) -> bool:
        return bool(getattr(self.plot, "log_scale", False))

    # -- what subclasses give ---------------------------------------------------------------------
    def draw(self, entries: list[RunEntry]) -> None:
        raise NotImplementedError

    def restore_plot(self) -> None:
        """Let the plot show its own state again (message, legend, title, ranges)."""

    # -- drawing ----------------------------------------------------------------------------------------
    @Slot(bool)
    def _on_log_scale_changed(self, _enabled: bool) -> None:
        self.redraw()

    @Slot()
    def redraw(self) -> None:
        self._remove_items()
        if not self.model.comparing():
            if self.active:
                self._leave()
            return
        if not self.active:
            self.active = True
            for name, text in self._labels.items():  # the plot's own labels, to put back later
                self._labels[name] = self.item.getAxis(name).labelText
        self._hide_plot_items()
        self.draw(self.model.visible_runs())
        self.legend.setVisible(bool(self.legend.items))
        self.item.enableAutoRange()

    def _hide_plot_items(self) -> None:
        mine = set(map(id, self.items))
        for item in list(self.item.items):
            if id(item) not in mine and item.isVisible():
                item.setVisible(False)
                self._hidden.append(item)
        for extra in (getattr(self.item, "legend", None), getattr(getattr(self.plot, "empty_message", None), "label",
                                                                   None)):
            if extra is not None:
                extra.setVisible(False)

    def _leave(self) -> None:
        self.active = False
        for item in self._hidden:
            item.setVisible(True)
        self._hidden.clear()
        self.legend.setVisible(False)
        self.item.setTitle(None)
        for name, text in self._labels.items():
            self.item.setLabel(name, text)
        self.restore_plot()

    def _remove_items(self) -> None:
        for item in self.items:
            self.item.removeItem(item)
        self.items.clear()
        self.legend.clear()

    def add_line(self, color, x, y, name: str | None = None, alpha: int = 255, symbol: str | None = None):
        """A curve (not in the plot's own legend); in the overlay's legend when ``name`` is given."""
        x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
        if self.log_scale:
            keep = y > 0
            x, y = x[keep], y[keep]
        pen = pg.mkPen((*color, alpha), width=1)
        line = pg.PlotDataItem(x, y, pen=pen, symbol=symbol, symbolSize=5, symbolBrush=(*color, alpha),
                               symbolPen=None)
        self._add(line)
        if name:
            self.legend.addItem(line, name)
        return line

    def add_band(self, color, x, mean, lower, upper) -> None:
        """A shaded 95% band around ``mean``."""
        x = np.asarray(x, dtype=np.float64)
        lower = np.asarray(lower, dtype=np.float64)
        if self.log_scale:
            lower = np.maximum(lower, np.asarray(mean, dtype=np.float64) * LOG_BAND_FLOOR)
        edge = pg.mkPen((0, 0, 0, 0))  # invisible, but drawn: with pen=None a PlotDataItem makes no path to fill
        low = pg.PlotDataItem(x, lower, pen=edge)
        high = pg.PlotDataItem(x, np.asarray(upper, dtype=np.float64), pen=edge)
        for part in (low, high):
            self._add(part)
        band = pg.FillBetweenItem(low, high, brush=pg.mkBrush(*color, BAND_ALPHA))
        self._add(band)

    def _add(self, item) -> None:
        self.item.addItem(item)
        self.items.append(item)

    def set_title(self, text: str) -> None:
        self.item.setTitle(text or None, size="9pt")


def group_color(index: int) -> tuple[int, int, int]:
    return PALETTE[index % len(PALETTE)]


def flat_config(entry: RunEntry) -> dict[str, object]:
    return entry.run.flat_config()
