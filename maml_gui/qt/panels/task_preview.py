"""A small plot of a few tasks drawn from the task distribution being edited.

Eight true curves on a grid over the input range, plus the K (noisy) support points of the
first one, sampled with a fixed seed so that an edit changes the picture only as much as the
distribution changed. Drawing is cheap (one batched sample and one forward of the family's
function on ~150 points), so it runs on the GUI thread at each valid edit of the task section.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
import torch
from PySide6.QtWidgets import QWidget

from maml_gui.core.config import TaskConfig
from maml_gui.core.tasks.family_cache import family_for

PREVIEW_TASKS = 8
PREVIEW_SEED = 2017
GRID_POINTS = 150
CURVE_COLORMAP = "viridis"
POINT_COLOR = (20, 20, 20)


def preview_curves(task: TaskConfig, tasks: int = PREVIEW_TASKS, seed: int = PREVIEW_SEED,
                   points: int = GRID_POINTS) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(x grid [G], true curves [tasks, G], support points of the first task [K, 2]).

    Raises ValueError (the family's readable message) when the config cannot build a family."""
    family = family_for(task)
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        batch = family.sample(tasks, task.shots, 0, generator=generator)
        grid = torch.linspace(float(family.x_range[0]), float(family.x_range[1]), points)
        curves = batch.true_function(grid)[:, :, 0]
        support = torch.cat([batch.x_support[0], batch.y_support[0]], dim=1)
    return grid.numpy().astype(np.float64), curves.double().numpy(), support.double().numpy()


class TaskPreviewPlot(pg.PlotWidget):
    """Shows :func:`preview_curves` for a ``TaskConfig``; ``show_task`` skips an unchanged one."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("task_preview")
        self.setMinimumHeight(120)
        self.setMaximumHeight(150)
        self.setToolTip(f"{PREVIEW_TASKS} tasks sampled from this distribution (fixed seed); "
                        "dots: the K support points of the first one, with noise")
        item = self.getPlotItem()
        item.hideButtons()
        item.setMenuEnabled(False)
        item.setMouseEnabled(x=False, y=False)
        item.showGrid(x=True, y=True, alpha=0.15)
        for axis in ("left", "bottom"):
            item.getAxis(axis).setStyle(tickLength=-4)
        colors = pg.colormap.get(CURVE_COLORMAP).map(np.linspace(0.0, 0.85, PREVIEW_TASKS), mode="qcolor")
        self.curves = [item.plot(pen=pg.mkPen(color, width=1)) for color in colors]
        self.support = pg.ScatterPlotItem(size=5, pen=None, brush=pg.mkBrush(*POINT_COLOR))
        self.support.setZValue(10)
        item.addItem(self.support)
        self.shown_task: TaskConfig | None = None
        self.problem = ""
        self.redraws = 0  # for tests: how many times the curves were recomputed

    def show_task(self, task: TaskConfig) -> bool:
        """Redraw for ``task``; False when it is the one already shown."""
        if task == self.shown_task:
            return False
        self.shown_task = task
        try:
            x, curves, support = preview_curves(task)
        except (ValueError, RuntimeError) as err:
            self.clear_curves(str(err))
            return True
        for curve, y in zip(self.curves, curves):
            curve.setData(x, y)
        self.support.setData(x=support[:, 0], y=support[:, 1])
        self.problem = ""
        self.redraws += 1
        self.getPlotItem().enableAutoRange()
        return True

    def clear_curves(self, problem: str = "") -> None:
        for curve in self.curves:
            curve.setData([], [])
        self.support.setData(x=[], y=[])
        self.problem = problem

    def curve_data(self) -> list[np.ndarray]:
        """y of each drawn curve (for tests)."""
        return [curve.getData()[1] for curve in self.curves if curve.getData()[1] is not None]
