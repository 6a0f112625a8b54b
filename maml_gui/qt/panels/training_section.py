"""The model and meta-training parts of the experiment form.

Only the settings people change often are here; every other one (schedules, validation
sizes, evaluation) is reachable through "Edit as TOML".
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import QCheckBox, QFormLayout, QGroupBox, QLineEdit, QVBoxLayout, QWidget

from maml_gui.core.config import EvaluationConfig, ExperimentConfig, ModelConfig, TrainingConfig
from maml_gui.core.device import DEVICE_CHOICES, available_devices
from maml_gui.qt.panels.algorithm_names import (ALGORITHM_DESCRIPTIONS, ALGORITHM_NAMES, FORM_ALGORITHMS,
                                                MAML_PLUS_PLUS, is_maml_plus_plus, maml_plus_plus_options)
from maml_gui.qt.panels.field_errors import FieldErrorMarker, FieldSpot
from maml_gui.qt.panels.fields import choice_field, float_field, int_field, set_choice
from maml_gui.qt.panels.network_fields import NetworkFields

ALGORITHM_LABELS = ALGORITHM_NAMES  # short: never cut in a narrow form; the tooltips say more
ACTIVATIONS = ModelConfig.model_fields["activation"].annotation.__args__
DEVICE_LABELS = {"auto": "Auto", "cpu": "CPU", "cuda": "CUDA", "mps": "MPS"}
SCHEDULES = TrainingConfig.model_fields["meta_lr_schedule"].annotation.__args__
SCHEDULE_LABELS = {"constant": "constant", "cosine": "cosine", "linear": "linear"}  # short: never cut
SCHEDULE_DESCRIPTIONS = {"constant": "the meta learning rate stays the same",
                         "cosine": "cosine annealing down to min_meta_lr (MAML++)",
                         "linear": "linear decay down to min_meta_lr"}


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
        self.network = NetworkFields(model_box)
        model_form = QFormLayout(model_box)
        model_form.addRow("Network", self.network.kind)
        model_form.addRow("Hidden layers", self.hidden)
        model_form.addRow("Activation", self.activation)
        model_form.addRow("Filters", self.network.filters)
        model_form.addRow(self.network.strided)
        self.model_form = model_form

        self.algorithm = choice_field(FORM_ALGORITHMS, "algorithm", training_box)
        for index, name in enumerate(FORM_ALGORITHMS):
            self.algorithm.setItemText(index, ALGORITHM_NAMES[name])
            self.algorithm.setItemData(index, ALGORITHM_DESCRIPTIONS[name], Qt.ItemDataRole.ToolTipRole)
        self.inner_lr = float_field(TrainingConfig, "inner_lr", training_box, "inner-loop step size α")
        self.inner_steps = int_field(TrainingConfig, "inner_steps", training_box, "gradient steps per task in meta-training (the "
                                   "playground's Adapt steps are its own)")
        self.eval_inner_steps = int_field(EvaluationConfig, "inner_steps", training_box,
                                          "gradient steps drawn in the adaptation curve at validation and used "
                                          "by evaluation (the playground's Adapt steps are its own)")
        self.eval_inner_steps.setObjectName("eval_inner_steps")
        self.meta_lr = float_field(TrainingConfig, "meta_lr", training_box, "outer-loop learning rate β")
        self.meta_batch = int_field(TrainingConfig, "meta_batch", training_box, "tasks per meta-iteration")
        self.iterations = int_field(TrainingConfig, "iterations", training_box, "meta-iterations to train")
        self.iterations.setSingleStep(1000)
        self.val_interval = int_field(TrainingConfig, "val_interval", training_box,
                                      "iterations between validations (adaptation curve, autosave)")
        self.val_interval.setSingleStep(100)
        self.meta_lr_schedule = choice_field(SCHEDULES, "meta_lr_schedule", training_box,
                                             "how the meta learning rate changes over the iterations")
        for index, name in enumerate(SCHEDULES):
            self.meta_lr_schedule.setItemText(index, SCHEDULE_LABELS.get(name, name))
            self.meta_lr_schedule.setItemData(index, SCHEDULE_DESCRIPTIONS.get(name, ""), Qt.ItemDataRole.ToolTipRole)
        self.first_order_iterations = int_field(TrainingConfig, "first_order_iterations", training_box,
                                                "MAML++ derivative-order annealing: first-order meta-gradients "
                                                "for this many iterations, then second order (0: off)")
        self.learn_inner_lr = QCheckBox("learned per-step rates (LSLR)", training_box)
        self.learn_inner_lr.setToolTip("MAML++: learn one inner learning rate per layer and inner step")
        self.learn_inner_lr.setObjectName("learn_inner_lr")
        self.multi_step_loss = QCheckBox("multi-step loss (MSL)", training_box)
        self.multi_step_loss.setToolTip("MAML++: the meta-loss weighs the query loss after every inner step")
        self.multi_step_loss.setObjectName("multi_step_loss")
        self.baseline = QCheckBox("train the pretrained baseline", training_box)
        self.baseline.setToolTip("also train a network on all tasks at once, to compare with the meta-learned one")
        self.baseline.setObjectName("baseline")
        self.seed = int_field(TrainingConfig, "seed", training_box, "same seed and device give the same curves")
        self.device = choice_field(DEVICE_CHOICES, "device", training_box, "where training runs; auto picks CUDA, "
                                   "then MPS, then the CPU")
        for index, name in enumerate(DEVICE_CHOICES):
            self.device.setItemText(index, DEVICE_LABELS.get(name, name))
        for name, reason in available_devices().items():
            index = self.device.findData(name)
            if reason is not None and index >= 0:
                self.device.model().item(index).setEnabled(False)
                self.device.setItemData(index, reason, Qt.ItemDataRole.ToolTipRole)
        form = QFormLayout(training_box)
        form.addRow("Algorithm", self.algorithm)
        form.addRow("Inner learning rate", self.inner_lr)
        form.addRow("Inner steps (train)", self.inner_steps)
        form.addRow("Inner steps (eval)", self.eval_inner_steps)
        form.addRow("Meta learning rate", self.meta_lr)
        form.addRow("Meta lr schedule", self.meta_lr_schedule)
        form.addRow("Meta-batch (tasks)", self.meta_batch)
        form.addRow("Iterations", self.iterations)
        form.addRow("Validate every", self.val_interval)
        form.addRow(self.learn_inner_lr)
        form.addRow(self.multi_step_loss)
        form.addRow("First-order iterations", self.first_order_iterations)
        form.addRow(self.baseline)
        form.addRow("Seed", self.seed)
        form.addRow("Device", self.device)
        self.model_marker = FieldErrorMarker(model_form, model_box)
        self.training_marker = FieldErrorMarker(form, training_box)
        mm, tm = self.model_marker, self.training_marker
        self.spots: dict[str, FieldSpot] = {"model.hidden": mm.spot(self.hidden),
                                            "model.activation": mm.spot(self.activation),
                                            **self.network.spots(mm),
                                            "training.min_meta_lr": tm.spot(self.meta_lr),
                                            "evaluation.inner_steps": tm.spot(self.eval_inner_steps)}
        for widget in (self.algorithm, self.inner_lr, self.inner_steps, self.meta_lr, self.meta_lr_schedule,
                       self.meta_batch, self.iterations, self.val_interval, self.learn_inner_lr,
                       self.multi_step_loss, self.first_order_iterations, self.baseline, self.seed, self.device):
            self.spots[f"training.{widget.objectName()}"] = tm.spot(widget)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(model_box)
        layout.addWidget(training_box)

        self._spins = (self.inner_lr, self.inner_steps, self.meta_lr, self.meta_batch, self.iterations,
                       self.val_interval, self.first_order_iterations, self.seed)
        self._combos = (self.activation, self.algorithm, self.meta_lr_schedule, self.device)
        self._checks = (self.learn_inner_lr, self.multi_step_loss, self.baseline)
        self._shown_algorithm = self.algorithm.currentData()
        self.algorithm.currentIndexChanged.connect(self._on_algorithm_chosen)  # before the edit is emitted
        self.hidden.editingFinished.connect(self._emit_edited)
        for spin in self._spins:
            spin.valueChanged.connect(self._emit_edited)
        self.eval_inner_steps.valueChanged.connect(self._emit_edited)
        for combo in self._combos:
            combo.currentIndexChanged.connect(self._emit_edited)
        for check in self._checks:
            check.toggled.connect(self._emit_edited)
        self.network.edited.connect(self._emit_edited)
        self.network.kind_shown.connect(self._show_network_rows)
        self._show_network_rows()

    def load(self, config: ExperimentConfig) -> None:
        t = config.training
        widgets = (self.hidden, self.eval_inner_steps, *self._spins, *self._combos, *self._checks)
        for widget in widgets:
            widget.blockSignals(True)
        try:
            self.hidden.setText(", ".join(str(h) for h in config.model.hidden))
            set_choice(self.activation, config.model.activation)
            self.network.load(config)
            plus_plus = is_maml_plus_plus(t.algorithm, t.learn_inner_lr, t.multi_step_loss)
            set_choice(self.algorithm, MAML_PLUS_PLUS if plus_plus else t.algorithm)
            self._shown_algorithm = self.algorithm.currentData()
            set_choice(self.device, t.device)
            set_choice(self.meta_lr_schedule, t.meta_lr_schedule)
            self.eval_inner_steps.setValue(config.evaluation.inner_steps)
            for spin in self._spins:
                spin.setValue(getattr(t, spin.objectName()))
            for check in self._checks:
                check.setChecked(bool(getattr(t, check.objectName())))
        finally:
            for widget in widgets:
                widget.blockSignals(False)

    def values(self) -> dict[str, dict]:
        """The ``model``, ``training`` and ``evaluation`` fields shown here, by section; raises
        ValueError for the hidden-layers text."""
        model = {"hidden": parse_hidden(self.hidden.text()), "activation": self.activation.currentData(),
                 **self.network.values()}
        training = {spin.objectName(): spin.value() for spin in self._spins}
        training.update({check.objectName(): check.isChecked() for check in self._checks})
        algorithm = self.algorithm.currentData()
        training.update(algorithm="maml" if algorithm == MAML_PLUS_PLUS else algorithm, device=self.device.currentData(),
                        meta_lr_schedule=self.meta_lr_schedule.currentData())
        return {"model": model, "training": training, "evaluation": {"inner_steps": self.eval_inner_steps.value()}}

    @Slot()
    def _show_network_rows(self) -> None:
        """MLP rows for the MLP, Conv-4 rows for Conv-4; the network choice itself only for classification."""
        conv, form = self.network.is_conv(), self.model_form
        form.setRowVisible(self.network.kind, self.network.classification)
        for widget, shown in ((self.hidden, not conv), (self.activation, not conv), (self.network.filters, conv),
                              (self.network.strided, conv)):
            form.setRowVisible(widget, shown)

    def fit_network(self, input_kind: str, image_size: int) -> None:
        """The task's input changed (``"regression"``, ``"points"``, ``"images"``): choose the network that fits."""
        self.network.fit(input_kind, image_size)

    @Slot(int)
    def _on_algorithm_chosen(self, _index: int) -> None:
        """MAML++ sets its options; leaving MAML++ for another algorithm clears LSLR and MSL."""
        chosen, left = self.algorithm.currentData(), self._shown_algorithm
        self._shown_algorithm = chosen
        if chosen == MAML_PLUS_PLUS:
            options = maml_plus_plus_options(self.iterations.value(), self.first_order_iterations.value())
        elif left == MAML_PLUS_PLUS:
            options = {"learn_inner_lr": False, "multi_step_loss": False}
        else:
            return
        widgets = (self.learn_inner_lr, self.multi_step_loss, self.meta_lr_schedule, self.first_order_iterations)
        for widget in widgets:
            widget.blockSignals(True)
        try:
            self.learn_inner_lr.setChecked(options["learn_inner_lr"])
            self.multi_step_loss.setChecked(options["multi_step_loss"])
            if "meta_lr_schedule" in options:
                set_choice(self.meta_lr_schedule, options["meta_lr_schedule"])
                self.first_order_iterations.setValue(options["first_order_iterations"])
        finally:
            for widget in widgets:
                widget.blockSignals(False)

    @Slot()
    def _emit_edited(self) -> None:
        self._show_maml_plus_plus_if_it_is()
        self.edited.emit()

    def _show_maml_plus_plus_if_it_is(self) -> None:
        """Ticking LSLR and MSL on MAML is choosing MAML++; unticking one on MAML++ is MAML."""
        shown = self.algorithm.currentData()
        both = self.learn_inner_lr.isChecked() and self.multi_step_loss.isChecked()
        wanted = MAML_PLUS_PLUS if shown == "maml" and both else "maml" if shown == MAML_PLUS_PLUS and not both else shown
        if wanted != shown:
            self.algorithm.blockSignals(True)
            set_choice(self.algorithm, wanted)
            self.algorithm.blockSignals(False)
            self._shown_algorithm = wanted
