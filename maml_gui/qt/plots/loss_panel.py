"""The meta-loss dock: the :class:`MetaLossPlot` with a smoothing slider under it, as TensorBoard has.

The slider sets the weight of the moving average (0 = raw, up to 0.999) and is remembered in
the settings (``plots/loss_smoothing``); the raw curve stays drawn faintly behind.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Slot
from PySide6.QtWidgets import QHBoxLayout, QLabel, QVBoxLayout, QWidget
from superqt import QLabeledDoubleSlider

from maml_gui.qt import settings as keys
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
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.plot, stretch=1)
        layout.addLayout(row)
        self.smoothing_slider.valueChanged.connect(self._on_smoothing_changed)

    @Slot(float)
    def _on_smoothing_changed(self, weight: float) -> None:
        weight = min(max(float(weight), 0.0), MAX_WEIGHT)
        self.plot.set_smoothing(weight)
        self._settings.set(keys.LOSS_SMOOTHING, weight)
