"""The model and meta-training parts of the experiment form.

Only the settings people change often are here; every other one (schedules, validation
sizes, evaluation) is reachable through "Edit as TOML".
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import QCheckBox, QFormLayout, QGroupBox, QLineEdit, QVBoxLayout, QWidget

from maml_gui.core.config import ALGORITHMS, ExperimentConfig, ModelConfig, TrainingConfig
from maml_gui.core.device import DEVICE_CHOICES, available_devices
from maml_gui.qt.panels.fields import choice_field, float_field, int_field, set_choice

ALGORITHM_LABELS = {
    "maml": "MAML (second order)",
    "fomaml": "first-order MAML",
    "reptile": "Reptile",
    "anil": "ANIL (adapt the head only)",
    "metasgd": "Meta-SGD (learned per-parameter rates)",
}
ACTIVATIONS = ModelConfig.model_fields["activation"].annotation.__args__


def parse_hidden(text: str) -> list[int]:
    """``"40, 40"`` -> ``[40, 40]``; raises ValueError with a readable message."""
    parts = [p for p in text.replace(";", ",").replace(" ", ",").split(",") if p]
    if not parts:
        raise ValueError("model.hidden: give at least one layer width, e.g. 40, 40")
    try:
        return [int(p) for p in parts]
    except ValueError:
        raise ValueError(f"model.hidden: layer widths must be whole numbers, got {text!r}") from None


class TrainingSection(QWidget):
    """Model and training settings; emits ``edited`` after any committed change."""

    edited = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        model_box, training_box = QGroupBox("Model", self), QGroupBox("Meta-training", self)
        self.hidden = QLineEdit(model_box)
        self.hidden.setObjectName("hidden")
        self.hidden.setToolTip("hidden layer widths, e.g. 40, 40 (Finn et al. 2017)")
        self.activation = choice_field(ACTIVATIONS, "activation", model_box)
        model_form = QFormLayout(model_box)
        model_form.addRow("Hidden layers", self.hidden)
        model_form.addRow("Activation", self.activation)

        self.algorithm = choice_field(ALGORITHMS, "algorithm", training_box)
        for index, name in enumerate(ALGORITHMS):
            self.algorithm.setItemText(index, ALGORITHM_LABELS.get(name, name))
        self.inner_lr = float_field(TrainingConfig, "inner_lr", training_box, "inner-loop step size α")
        self.inner_steps = int_field(TrainingConfig, "inner_steps", training_box, "gradient steps per task in training")
        self.meta_lr = float_field(TrainingConfig, "meta_lr", training_box, "outer-loop learning rate β")
        self.meta_batch = int_field(TrainingConfig, "meta_batch", training_box, "tasks per meta-iteration")
        self.iterations = int_field(TrainingConfig, "iterations", training_box, "meta-iterations to train")
        self.iterations.setSingleStep(1000)
        self.learn_inner_lr = QCheckBox("learn per-step inner rates (MAML++ LSLR)", training_box)
        self.learn_inner_lr.setObjectName("learn_inner_lr")
        self.multi_step_loss = QCheckBox("multi-step loss (MAML++ MSL)", training_box)
        self.multi_step_loss.setObjectName("multi_step_loss")
        self.baseline = QCheckBox("also train the pretrained baseline", training_box)
        self.baseline.setObjectName("baseline")
        self.seed = int_field(TrainingConfig, "seed", training_box, "same seed and device give the same curves")
        self.device = choice_field(DEVICE_CHOICES, "device", training_box, "where training runs; auto picks CUDA, "
                                   "then MPS, then the CPU")
        for name, reason in available_devices().items():
            index = self.device.findData(name)
            if reason is not None and index >= 0:
                self.device.model().item(index).setEnabled(False)
                self.device.setItemData(index, reason, Qt.ItemDataRole.ToolTipRole)
        form = QFormLayout(training_box)
        form.addRow("Algorithm", self.algorithm)
        form.addRow("Inner learning rate", self.inner_lr)
        form.addRow("Inner steps", self.inner_steps)
        form.addRow("Meta learning rate", self.meta_lr)
        form.addRow("Meta-batch (tasks)", self.meta_batch)
        form.addRow("Iterations", self.iterations)
        form.addRow(self.learn_inner_lr)
        form.addRow(self.multi_step_loss)
        form.addRow(self.baseline)
        form.addRow("Seed", self.seed)
        form.addRow("Device", self.device)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(model_box)
        layout.addWidget(training_box)

        self._spins = (self.inner_lr, self.inner_steps, self.meta_lr, self.meta_batch, self.iterations, self.seed)
        self._combos = (self.activation, self.algorithm, self.device)
        self._checks = (self.learn_inner_lr, self.multi_step_loss, self.baseline)
        self.hidden.editingFinished.connect(self._emit_edited)
        for spin in self._spins:
            spin.valueChanged.connect(self._emit_edited)
        for combo in self._combos:
            combo.currentIndexChanged.connect(self._emit_edited)
        for check in self._checks:
            check.toggled.connect(self._emit_edited)

    def load(self, config: ExperimentConfig) -> None:
        t = config.training
        widgets = (self.hidden, *self._spins, *self._combos, *self._checks)
        for widget in widgets:
            widget.blockSignals(True)
        try:
            self.hidden.setText(", ".join(str(h) for h in config.model.hidden))
            set_choice(self.activation, config.model.activation)
            set_choice(self.algorithm, t.algorithm)
            set_choice(self.device, t.device)
            for spin in self._spins:
                spin.setValue(getattr(t, spin.objectName()))
            for check in self._checks:
                check.setChecked(bool(getattr(t, check.objectName())))
        finally:
            for widget in widgets:
                widget.blockSignals(False)

    def values(self) -> tuple[dict, dict]:
        """(``model`` table, ``training`` fields shown here); raises ValueError for the hidden text."""
        model = {"hidden": parse_hidden(self.hidden.text()), "activation": self.activation.currentData()}
        training = {spin.objectName(): spin.value() for spin in self._spins}
        training.update({check.objectName(): check.isChecked() for check in self._checks})
        training.update(algorithm=self.algorithm.currentData(), device=self.device.currentData())
        return model, training

    @Slot()
    def _emit_edited(self) -> None:
        self.edited.emit()
