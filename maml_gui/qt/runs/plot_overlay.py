"""Drawing compared runs over one of the window's plots, in place of its single-run curves.

A :class:`PlotOverlay` watches a :class:`~maml_gui.qt.runs.runs_model.RunsModel`. While the
model is comparing (an opened run is visible) it hides the plot's own items (and its legend
and empty-plot message) and draws its curves with a legend of its own; when no opened run is
visible it removes them and the plot shows its single run as before. Subclasses say what to
draw in :meth:`PlotOverlay.draw`. A redraw runs when runs are added, shown or hidden, the
grouping or x axis change, or (throttled) while the current experiment trains. Items are kept
between redraws by what they show (a run's key, a group's label) and updated with ``setData``;
the legend is rebuilt only when its entries change.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QObject, Slot

from maml_gui.qt.runs.runs_model import PALETTE, RunEntry, RunsModel

RAW_ALPHA = 48
BAND_ALPHA = 45
LOG_BAND_FLOOR = 0.01  # on a log axis a band reaching below zero is drawn down to 1% of the mean
BAND_POINTS = 500


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
        self.items: list = []  # what the overlay draws now (the tests read it)
        self._pool: dict[tuple, tuple] = {}  # (kind, key) -> its items, kept between redraws
        self._used: dict[tuple, tuple] = {}
        self._named: list[tuple[object, str]] = []
        self._legend_entries: list[tuple[int, str]] = []
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
        if not self.model.comparing():
            self._remove_items(keep=())
            if self.active:
                self._leave()
            return
        if not self.active:
            self.active = True
            for name in self._labels:  # the plot's own labels, to put back later
                self._labels[name] = self.item.getAxis(name).labelText
        self._hide_plot_items()
        self._used: dict[tuple, tuple] = {}
        self._named: list[tuple[object, str]] = []
        self.draw(self.model.visible_runs())
        self._remove_items(keep=self._used)
        self.items = [part for parts in self._used.values() for part in parts]
        if [(id(item), name) for item, name in self._named] != self._legend_entries:
            self.legend.clear()
            for item, name in self._named:
                self.legend.addItem(item, name)
            self._legend_entries = [(id(item), name) for item, name in self._named]
        self.legend.setVisible(bool(self._named))
        self.item.enableAutoRange()

    def _hide_plot_items(self) -> None:
        mine = {id(part) for parts in self._pool.values() for part in parts}
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

    def _remove_items(self, keep) -> None:
        """Take out of the plot every item of the pool whose key is not in ``keep``."""
        for key in [key for key in self._pool if key not in keep]:
            for part in self._pool.pop(key):
                self.item.removeItem(part)
        if not keep:
            self.items = []
            self.legend.clear()
            self._legend_entries = []

    def _take(self, key: tuple, make) -> tuple:
        """The items kept for ``key`` since an earlier redraw, or new ones from ``make()`` added to the plot."""
        parts = self._pool.get(key)
        if parts is None:
            parts = self._pool[key] = make()
            for part in parts:
                self.item.addItem(part)
        self._used[key] = parts
        return parts

    def add_line(self, key: str, color, x, y, name: str | None = None, alpha: int = 255, symbol: str | None = None):
        """The curve ``key`` (kept between redraws, updated with ``setData``); in the overlay's
        legend (not the plot's own) when ``name`` is given."""
        x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
        if self.log_scale:
            keep = y > 0
            x, y = x[keep], y[keep]
        (line,) = self._take(("line", key), lambda: (pg.PlotDataItem(),))
        line.setData(x, y, pen=pg.mkPen((*color, alpha), width=1), symbol=symbol, symbolSize=5,
                     symbolBrush=(*color, alpha), symbolPen=None)
        line.setZValue(-1 if alpha < 255 else 0)  # faint (raw) curves behind the others, whenever made
        if name:
            self._named.append((line, name))
        return line

    def add_band(self, key: str, color, x, mean, lower, upper) -> None:
        """The shaded 95% band ``key`` around ``mean``, at most :data:`BAND_POINTS` points wide."""
        x, mean = np.asarray(x, dtype=np.float64), np.asarray(mean, dtype=np.float64)
        lower, upper = np.asarray(lower, dtype=np.float64), np.asarray(upper, dtype=np.float64)
        if x.size > BAND_POINTS:  # filling between polygons of thousands of points takes ~0.1 s each
            at = np.unique(np.linspace(0, x.size - 1, BAND_POINTS).round().astype(int))
            x, mean, lower, upper = x[at], mean[at], lower[at], upper[at]
        if self.log_scale:
            lower = np.maximum(lower, mean * LOG_BAND_FLOOR)

        def make():
            edge = pg.mkPen((0, 0, 0, 0))  # invisible, but drawn: with pen=None a PlotDataItem makes no path
            low, high = pg.PlotDataItem(pen=edge), pg.PlotDataItem(pen=edge)
            return low, high, pg.FillBetweenItem(low, high)

        low, high, band = self._take(("band", key), make)
        low.setData(x, lower)
        high.setData(x, upper)
        band.setBrush(pg.mkBrush(*color, BAND_ALPHA))

    def set_title(self, text: str) -> None:
        self.item.setTitle(text or None, size="9pt")


def group_color(index: int) -> tuple[int, int, int]:
    return PALETTE[index % len(PALETTE)]


def flat_config(entry: RunEntry) -> dict[str, object]:
    return entry.run.flat_config()
