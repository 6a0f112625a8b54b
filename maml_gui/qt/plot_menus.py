"""The right-click menus of the window's three plots: export this plot, log y axis, reset view.

Export goes through File ▸ Export's own code (:meth:`ExportActions.export_plot_named`); the
meta-loss plot's "Log y axis" is the window's View action itself, so menu, View menu and
setting stay in step. The playground has no log axis (its y values are negative as often as not).
"""

from __future__ import annotations

from functools import partial
from typing import Callable

from PySide6.QtGui import QAction

from maml_gui.qt.plots.context_menu import LOG_TEXT, PlotContextMenu


def install_plot_menus(export_plot: Callable[[str], object], playground, loss_plot, adaptation_plot,
                       loss_log_action: QAction) -> dict[str, PlotContextMenu]:
    """Add the app's items to each plot's menu; keyed by the plot's label in File ▸ Export."""
    adaptation_log = QAction(LOG_TEXT, adaptation_plot)
    adaptation_log.setCheckable(True)
    adaptation_log.toggled.connect(adaptation_plot.set_log_scale)
    return {
        "Playground": PlotContextMenu(playground.plot, partial(export_plot, "Playground"),
                                      reset_view=playground.reset_view),
        "Meta-loss": PlotContextMenu(loss_plot, partial(export_plot, "Meta-loss"), loss_log_action),
        "Adaptation at validation": PlotContextMenu(adaptation_plot, partial(export_plot, "Adaptation at validation"),
                                                    adaptation_log),
    }
