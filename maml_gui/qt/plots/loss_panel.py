"""The meta-loss dock: the :class:`MetaLossPlot` with a smoothing slider under it, as TensorBoard has.

For a classification experiment the dock shows the :class:`MetaAccuracyPlot` instead (query
accuracy, train and validation); a switch next to the slider shows the cross-entropy loss.

The slider sets the weight of the moving average (0 = raw, up to 0.999) and is remembered in
the settings (``plots/loss_smoothing``); the raw curve stays drawn faintly behind.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Slot
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QStackedWidget, QVBoxLayout, QWidget
from superqt import QLabeledDoubleSlider

from maml_gui.qt import settings as keys
from maml_gui.core.config import ExperimentConfig
from maml_gui.qt.plots.accuracy_plot import MetaAccuracyPlot
from maml_gui.qt.plots.loss_plot import MetaLossPlot
from maml_gui.qt.plots.smoothing import MAX_WEIGHT

SMOOTHING_TIP = ("Weight of the moving average of the training losses (as TensorBoard smooths): 0 draws them as "
                 "they are, 0.999 smooths hardest; the raw losses stay drawn faintly behind")


class MetaLossPanel(QWidget):
    """``plot`` (the meta-loss curves) and ``smoothing_slider``; reads and writes its setting."""

    def __init__(self, settings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("meta_loss_panel")
        self._settings = settings
        weight = min(max(float(settings.get(keys.LOSS_SMOOTHING)), 0.0), MAX_WEIGHT)
        self.plot = MetaLossPlot(self, log_scale=settings.get(keys.LOSS_LOG_SCALE), smoothing=weight)
        self.accuracy_plot = MetaAccuracyPlot(self, smoothing=weight)
        self.plots = QStackedWidget(self)
        self.plots.addWidget(self.plot)
        self.plots.addWidget(self.accuracy_plot)
        self.shown = QComboBox(self)
        self.shown.setObjectName("meta_loss_shown")
        self.shown.addItem("accuracy", "accuracy")
        self.shown.addItem("cross-entropy", "loss")
        self.shown.setToolTip("classification runs: query accuracy, or the cross-entropy loss that is minimised")
        self.shown.setVisible(False)
        self.smoothing_slider = QLabeledDoubleSlider(Qt.Orientation.Horizontal)
        self.smoothing_slider.setObjectName("loss_smoothing")
        self.smoothing_slider.setRange(0.0, MAX_WEIGHT)
        self.smoothing_slider.setDecimals(3)
        self.smoothing_slider.setSingleStep(0.001)
        self.smoothing_slider.setValue(weight)
        self.smoothing_slider.setToolTip(SMOOTHING_TIP)
        label = QLabel("Smoothing")
        label.setToolTip(SMOOTHING_TIP)
        row = QHBoxLayout()
        row.setContentsMargins(6, 0, 6, 2)
        row.addWidget(label)
        row.addWidget(self.smoothing_slider, stretch=1)
        row.addWidget(self.shown)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.plots, stretch=1)
        layout.addLayout(row)
        self.smoothing_slider.valueChanged.connect(self._on_smoothing_changed)
        self.shown.currentIndexChanged.connect(self._show_chosen_plot)

    def set_experiment(self, config: ExperimentConfig) -> None:
        """Accuracy (with the switch to the loss) for classification; the loss alone for regression."""
        classification = config.task.kind == "classification"
        self.shown.setVisible(classification)
        self.plot.getPlotItem().setLabel("left", "query cross-entropy" if classification else "query MSE")
        if classification:
            self.accuracy_plot.set_experiment(config.task.ways, config.training.inner_steps)
        self._show_chosen_plot()

    @Slot()
    def _show_chosen_plot(self) -> None:
        accuracy = not self.shown.isHidden() and self.shown.currentData() == "accuracy"
        self.plots.setCurrentWidget(self.accuracy_plot if accuracy else self.plot)

    def current_plot(self):
        """The plot shown (the accuracy or the loss)."""
        return self.plots.currentWidget()

    @Slot(float)
    def _on_smoothing_changed(self, weight: float) -> None:
        weight = min(max(float(weight), 0.0), MAX_WEIGHT)
        self.plot.set_smoothing(weight)
        self.accuracy_plot.set_smoothing(weight)
        self._settings.set(keys.LOSS_SMOOTHING, weight)
