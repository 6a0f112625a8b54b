"""Live plots: the meta-loss over training and the validation adaptation curve."""

from maml_gui.qt.plots.adaptation_plot import AdaptationCurvePlot
from maml_gui.qt.plots.loss_plot import MetaLossPlot

__all__ = ["AdaptationCurvePlot", "MetaLossPlot"]
