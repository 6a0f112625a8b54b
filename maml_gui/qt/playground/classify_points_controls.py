"""The 2-D classification playground's side panel: class palette, adaptation settings, buttons,
and the accuracy of every step (a small plot and the figure at the step shown)."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (QButtonGroup, QGridLayout, QHBoxLayout, QLabel, QPushButton, QSizePolicy, QVBoxLayout,
                               QWidget)

from maml_gui.core.decision_regions import MAX_CLASSES, class_colour
from maml_gui.qt.panels.wheel_guard import guard_wheel

from .controls import CONTROLS_WIDTH, AdaptationSettings
from .plot import BASELINE_COLOR

DEFAULT_STEPS = 10
ACCURACY_COLOR = (30, 90, 200)


class ClassPalette(QWidget):
    """One checkable colour button per class (1..N); ``classChosen(index)`` when one is picked."""

    classChosen = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.group = QButtonGroup(self)
        self.group.setExclusive(True)
        self.buttons: list[QPushButton] = []
        layout = QGridLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(3)
        for index in range(MAX_CLASSES):
            button = QPushButton(str(index + 1))
            button.setCheckable(True)
            button.setFixedSize(30, 26)
            button.setToolTip(f"Class {index + 1} (key {index + 1}): clicks add points of this class")
            r, g, b = class_colour(index)
            button.setStyleSheet(f"QPushButton {{ background: rgb({r},{g},{b}); color: white; font-weight: bold;"
                                 f" border: 2px solid rgb({r},{g},{b}); border-radius: 3px; }}"
                                 "QPushButton:checked { border: 3px solid black; }"
                                 "QPushButton:disabled { background: #ddd; color: #999; border-color: #ddd; }")
            self.group.addButton(button, index)
            self.buttons.append(button)
            layout.addWidget(button, index // 5, index % 5)
        self.group.idClicked.connect(self.classChosen)
        self.set_ways(3)
        self.set_current(0)

    def set_ways(self, ways: int) -> None:
        """Enable classes 1..ways (the model's outputs); the rest stay visible but disabled."""
        for index, button in enumerate(self.buttons):
            button.setEnabled(index < ways)

    def set_current(self, index: int) -> None:
        self.buttons[index].setChecked(True)

    def current(self) -> int:
        return self.group.checkedId()


class ClassifyControls(AdaptationSettings, QWidget):
    settingsChanged = Signal()
    sampleRequested = Signal()
    clearRequested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model_label = QLabel("no classifier yet")
        self.model_label.setWordWrap(True)
        self.model_label.setFixedSize(CONTROLS_WIDTH - 12, 2 * self.model_label.fontMetrics().lineSpacing() + 4)
        self.palette = ClassPalette()
        self.sample_button = QPushButton("Sample task")
        self.sample_button.setToolTip("Draw a random task: its support points (circles) to adapt on and "
                                      "its query points (diamonds) to measure accuracy on")
        self.clear_button = QPushButton("Clear points")
        self.undo_button = QPushButton("Undo")
        self.redo_button = QPushButton("Redo")
        form = self._adaptation_form(
            DEFAULT_STEPS, "Gradient steps the playground takes on your points: regions for steps 0..S", 0.01,
            "Step size of the adaptation; at its minimum the run's learned or configured rate")
        self.accuracy_label = QLabel("")
        self.accuracy_label.setWordWrap(True)  # fixed size: its new figures after every edit repaint it alone
        self.accuracy_label.setFixedSize(CONTROLS_WIDTH - 12, 3 * self.accuracy_label.fontMetrics().lineSpacing() + 4)
        self.accuracy_label.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.accuracy_plot = pg.PlotWidget()
        self.accuracy_plot.setMinimumHeight(140)
        self.accuracy_plot.setMouseEnabled(False, False)
        self.accuracy_plot.getPlotItem().setMenuEnabled(False)
        self.accuracy_plot.setLabel("bottom", "step")
        self.accuracy_plot.setLabel("left", "accuracy")
        self.accuracy_plot.setYRange(0, 1, padding=0.05)
        self.accuracy_curve = self.accuracy_plot.plot(pen=pg.mkPen(ACCURACY_COLOR, width=1), symbol="o",
                                                      symbolSize=5, symbolBrush=ACCURACY_COLOR)
        self.baseline_curve = self.accuracy_plot.plot(
            pen=pg.mkPen(BASELINE_COLOR, width=1, style=Qt.PenStyle.DashLine), symbol="t", symbolSize=5,
            symbolBrush=BASELINE_COLOR)
        self.step_line = pg.InfiniteLine(angle=90, pen=pg.mkPen((150, 150, 150), width=1))
        self.accuracy_plot.addItem(self.step_line)

        buttons = QHBoxLayout()
        buttons.addWidget(self.undo_button)
        buttons.addWidget(self.redo_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.model_label)
        layout.addWidget(QLabel("Class (keys 1–9):"))
        layout.addWidget(self.palette)
        layout.addWidget(self.sample_button)
        layout.addWidget(self.clear_button)
        layout.addLayout(buttons)
        layout.addLayout(form)
        layout.addWidget(self.accuracy_label)
        layout.addWidget(self.accuracy_plot, stretch=1)
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Preferred)
        self.setFixedWidth(CONTROLS_WIDTH)

        self.wheel_filter = guard_wheel(self)
        self.sample_button.clicked.connect(self.sampleRequested)
        self.clear_button.clicked.connect(self.clearRequested)

    def show_model(self, text: str) -> None:
        self.model_label.setText(text)

    @Slot()
    def show_accuracy(self, accuracy: np.ndarray | None, baseline: np.ndarray | None, on: str, step: int,
                      baseline_label: str = "") -> None:
        """The accuracy curve(s) over steps and the figures at ``step``; ``on`` says of what."""
        for curve, values in ((self.accuracy_curve, accuracy), (self.baseline_curve, baseline)):
            if values is None or not np.isfinite(values).any():
                curve.setData([], [])
            else:
                curve.setData(np.arange(len(values)), values)
        self.step_line.setValue(step)
        if accuracy is None or not on or step >= len(accuracy):
            self.accuracy_label.setText("Accuracy appears once there are points.")
            return
        where = "the sampled task's query points" if on == "query" else "your points (no query set: Sample task)"
        text = f"Accuracy after {step} step{'s' if step != 1 else ''} on {where}: {accuracy[step]:.0%}"
        if baseline is not None and step < len(baseline):
            text += f"; {baseline_label or 'baseline'}: {baseline[step]:.0%}"
        self.accuracy_label.setText(text)
