"""The playground's side panel: inner steps, inner lr, baseline, Sample task, per-step MSE."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QAbstractItemView, QComboBox, QDoubleSpinBox, QFormLayout, QHeaderView, QLabel,
                               QPushButton, QSizePolicy, QSpinBox, QTableWidget, QTableWidgetItem, QVBoxLayout,
                               QWidget)

from maml_gui.qt.panels.wheel_guard import guard_wheel

from .prediction import BASELINE_OFF, BASELINE_PRETRAINED, BASELINE_RANDOM

CONTROLS_WIDTH = 230
DEFAULT_STEPS = 5
MAX_STEPS = 100
LEARNED_LR_TEXT = "learned/config"
BASELINE_CHOICES = ((BASELINE_OFF, "Baseline off"), (BASELINE_PRETRAINED, "Pretrained baseline"),
                    (BASELINE_RANDOM, "Random init"))


class AdaptationSettings:
    """The adaptation inputs both playgrounds' controls offer (adapt steps, adapt lr, baseline),
    each change emitting the host widget's ``settingsChanged``."""

    def _adaptation_form(self, default_steps: int, steps_tip: str, lr_single_step: float, lr_tip: str) -> QFormLayout:
        """Make ``steps_spin``, ``lr_spin`` and ``baseline_combo``; their rows in a new form."""
        self.steps_spin = QSpinBox()
        self.steps_spin.setRange(1, MAX_STEPS)
        self.steps_spin.setValue(default_steps)
        self.steps_spin.setToolTip(steps_tip)
        self.lr_spin = QDoubleSpinBox()
        self.lr_spin.setRange(0.0, 10.0)
        self.lr_spin.setDecimals(4)
        self.lr_spin.setSingleStep(lr_single_step)
        self.lr_spin.setSpecialValueText(LEARNED_LR_TEXT)  # shown at 0: use the run's own rates
        self.lr_spin.setValue(0.0)
        self.lr_spin.setToolTip(lr_tip)
        self.baseline_combo = QComboBox()
        for mode, text in BASELINE_CHOICES:
            self.baseline_combo.addItem(text, mode)
        self.baseline_combo.setToolTip("Also adapt a network that was not meta-learned on the same points")
        self.steps_spin.valueChanged.connect(self.settingsChanged)
        self.lr_spin.valueChanged.connect(self.settingsChanged)
        self.baseline_combo.currentIndexChanged.connect(self.settingsChanged)
        form = QFormLayout()
        form.addRow("Adapt steps", self.steps_spin)  # not the form's "Inner steps (train/eval)": see tooltips
        form.addRow("Adapt lr", self.lr_spin)
        form.addRow(self.baseline_combo)
        return form

    def steps(self) -> int:
        return self.steps_spin.value()

    def lr(self) -> float | None:
        """The user's inner lr, or None for the run's learned/configured rates."""
        value = self.lr_spin.value()
        return None if value <= 0 else value

    def baseline_mode(self) -> str:
        return self.baseline_combo.currentData()

    def set_baseline_mode(self, mode: str) -> None:
        index = self.baseline_combo.findData(mode)
        if index < 0:
            raise ValueError(f"unknown baseline mode {mode!r}; allowed: {', '.join(m for m, _ in BASELINE_CHOICES)}")
        self.baseline_combo.setCurrentIndex(index)


class PlaygroundControls(AdaptationSettings, QWidget):
    """Inputs for adaptation (``settingsChanged`` on any change) and the MSE readout."""

    settingsChanged = Signal()
    sampleRequested = Signal()
    clearRequested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        # which snapshot the curves come from; fixed size, so its updates during training
        # (a few a second) repaint the label alone instead of laying out the window again
        self.model_label = QLabel("no model yet")
        self.model_label.setObjectName("playground_model")
        self.model_label.setWordWrap(True)  # room for two lines: "model: First-order MAML++, iteration 70,000"
        self.model_label.setFixedSize(CONTROLS_WIDTH - 12, 2 * self.model_label.fontMetrics().lineSpacing() + 4)
        self.sample_button = QPushButton("Sample task")
        self.sample_button.setToolTip("Draw a random task from the current distribution: "
                                      "its true curve (dashed) and K support points")
        self.clear_button = QPushButton("Clear points")
        form = self._adaptation_form(
            DEFAULT_STEPS, "Gradient steps the playground takes on your points: curves for steps 0..S are drawn. "
            "Separate from the Experiment form's inner steps (train: per task in meta-training; eval: the "
            "validation curve)", 0.001, "Step size of the playground's adaptation; at its minimum the run's "
            "learned (Meta-SGD, MAML++) or configured inner learning rate is used")
        self.mse_table = QTableWidget(0, 3)
        self.mse_table.setHorizontalHeaderLabels(["step", "MSE", "baseline"])
        self.mse_table.verticalHeader().setVisible(False)
        self.mse_table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.mse_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.mse_table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.mse_table.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.mse_caption = QLabel("MSE vs the true curve appears after Sample task.")
        self.mse_caption.setWordWrap(True)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.model_label)
        layout.addWidget(self.sample_button)
        layout.addWidget(self.clear_button)
        layout.addLayout(form)
        layout.addWidget(self.mse_caption)
        layout.addWidget(self.mse_table, stretch=1)
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Preferred)
        self.setFixedWidth(CONTROLS_WIDTH)

        self.wheel_filter = guard_wheel(self)
        self.sample_button.clicked.connect(self.sampleRequested)
        self.clear_button.clicked.connect(self.clearRequested)

    def show_model(self, iteration: int | None, algorithm: str = "", bundled: str = "") -> None:
        """Which model the curves come from; ``bundled`` describes the model shipped with the app."""
        if iteration is None:
            text = "no model yet"
        elif bundled:
            text = f"bundled model: {algorithm}, {iteration:,} it."
        else:
            text = f"model: {algorithm}, iteration {iteration:,}"
        self.model_label.setText(text)
        self.model_label.setToolTip(bundled)

    def show_mse(self, mse: np.ndarray | None, baseline_mse: np.ndarray | None) -> None:
        """Fill the table with step 0..S MSE (and the baseline's); empty when there is no true curve."""
        rows = 0 if mse is None and baseline_mse is None else len(mse if mse is not None else baseline_mse)
        self.mse_table.setRowCount(rows)
        for step in range(rows):
            cells = (str(step), _fmt(mse, step), _fmt(baseline_mse, step))
            for column, text in enumerate(cells):
                item = self.mse_table.item(step, column)
                if item is None:
                    item = QTableWidgetItem()
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                    self.mse_table.setItem(step, column, item)
                item.setText(text)
        self.mse_caption.setText("MSE vs the true curve after each inner step:" if rows
                                 else "MSE vs the true curve appears after Sample task.")


def _fmt(values: np.ndarray | None, index: int) -> str:
    """Four significant digits, trailing zeros kept: ``4.000`` next to ``4.486``, not ``4``."""
    return "–" if values is None else f"{float(values[index]):#.4g}"
