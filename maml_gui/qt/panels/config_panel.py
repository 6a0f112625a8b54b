"""The experiment form: preset, tasks, model and meta-training, with inline validation.

Every committed edit is turned into an ``ExperimentConfig`` through the core's validator;
a valid one is emitted as ``config_edited`` (and redraws the task preview), an invalid one is
marked at its field with the validator's one-line reason (also repeated under the form) and
is not emitted: the last valid config stays in force, and ``validity_changed(False)`` tells
the window to disable training until the form is valid again.
"""

from __future__ import annotations

import html

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (QComboBox, QFormLayout, QHBoxLayout, QLabel, QPushButton, QScrollArea, QVBoxLayout,
                               QWidget)

from maml_gui.core.config import ConfigError, ExperimentConfig, from_dict
from maml_gui.core.presets import list_presets, load_preset
from maml_gui.qt.panels.algorithm_names import ALGORITHM_NAMES, MAML_PLUS_PLUS, is_maml_plus_plus
from maml_gui.qt.panels.field_errors import error_field, formula_error_html
from maml_gui.qt.panels.task_section import TaskSection
from maml_gui.qt.panels.training_section import TrainingSection
from maml_gui.qt.panels.wheel_guard import guard_wheel

ERROR_STYLE = "color: #c0392b;"
CHOOSE_PRESET = "choose a preset…"
EDITED_PRESET = "{} (edited)"
MACHINE_SETTINGS = ("device", "threads")  # where a config trains, not what: a preset with 1 thread is that preset


def _experiment(config: ExperimentConfig) -> dict:
    data = config.model_dump(mode="json")
    for key in MACHINE_SETTINGS:
        data["training"].pop(key, None)
    return data
NAME_LENGTH = 120


def describe_experiment(config: ExperimentConfig) -> str:
    """A name that says what is trained on what: ``"MAML++ on formula a * sin(b * x + c)"``."""
    t = config.training
    algorithm = MAML_PLUS_PLUS if is_maml_plus_plus(t.algorithm, t.learn_inner_lr, t.multi_step_loss) \
        else t.algorithm
    task = config.task.family + (f" {config.task.expression}" if config.task.family == "formula" else "")
    if config.task.kind == "classification":
        task = f"{config.task.family}, {config.task.ways}-way {config.task.shots}-shot"
    name = f"{ALGORITHM_NAMES.get(algorithm, algorithm)} on {task}"
    return name if len(name) <= NAME_LENGTH else name[:NAME_LENGTH - 1] + "…"


def _what_the_name_describes(config: ExperimentConfig) -> tuple:
    t = config.training
    counts = (config.task.ways, config.task.shots) if config.task.kind == "classification" else ()
    return (config.task.family, config.task.expression, *counts, t.algorithm, t.learn_inner_lr, t.multi_step_loss)


class ConfigPanel(QScrollArea):
    config_edited = Signal(object)  # a valid ExperimentConfig
    validity_changed = Signal(bool)  # the form turned valid (True) or invalid (False)
    preset_chosen = Signal(str)
    toml_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("config_panel")
        self.setWidgetResizable(True)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        body = QWidget(self)
        self.preset = QComboBox(body)
        self.preset.setObjectName("preset")
        self.preset.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.preset.setMinimumContentsLength(12)
        self.preset.addItem(CHOOSE_PRESET, None)
        self._preset_configs = {}  # the box shows the preset the form's config is, if it is one
        self._preset_experiments: dict[str, dict] = {}
        self.preset_origin: str | None = None  # the preset the form was loaded from, while it is edited
        for kind in ("regression", "classification"):
            if kind != "regression":
                self.preset.insertSeparator(self.preset.count())
            for name, description in list_presets(kind).items():
                self._preset_configs[name] = load_preset(name)
                self._preset_experiments[name] = _experiment(self._preset_configs[name])
                self.preset.addItem(name, name)
                self.preset.setItemData(self.preset.count() - 1, description, Qt.ItemDataRole.ToolTipRole)
        self.name_label = QLabel(body)
        self.name_label.setWordWrap(True)
        self.task = TaskSection(body)
        self.training = TrainingSection(body)
        self.error_label = QLabel(body)
        self.error_label.setObjectName("config_error")
        self.error_label.setWordWrap(True)
        self.error_label.setStyleSheet(ERROR_STYLE)
        self.error_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.toml_button = QPushButton("Edit as TOML…", body)
        self.toml_button.setToolTip("every setting, including mixtures, schedules and evaluation")
        top = QFormLayout()
        top.addRow("Preset", self.preset)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.toml_button)
        layout = QVBoxLayout(body)
        layout.addLayout(top)
        layout.addWidget(self.name_label)
        layout.addWidget(self.task)
        layout.addWidget(self.training)
        layout.addWidget(self.error_label)
        layout.addLayout(buttons)
        layout.addStretch(1)
        self.setWidget(body)
        self.wheel_filter = guard_wheel(body)  # the wheel scrolls the form, not the value under the pointer
        self.config = ExperimentConfig()
        self.error = ""
        self._loading = False
        self.preset.activated.connect(self._on_preset_activated)
        self.toml_button.clicked.connect(self.toml_requested)
        self.task.input_changed.connect(self._on_input_changed)
        self.task.edited.connect(self._on_edited)
        self.training.edited.connect(self._on_edited)
        self._spots = {**self.task.spots, **self.training.spots}
        self._markers = (self.task.marker, self.training.model_marker, self.training.training_marker)
        self.task.show_preview(self.config.task)

    def is_valid(self) -> bool:
        return not self.error

    @property
    def field_error(self) -> str:
        """The reason shown at a field ('' when none is marked)."""
        return next((m.text for m in self._markers if m.text), "")
    @Slot(object)
    def set_config(self, config: ExperimentConfig) -> None:
        """Show ``config`` (from a preset, a run or the TOML editor) without emitting anything."""
        if config == self.config and not self.error and self.name_label.text() == config.name:
            return  # the session echoing the form's own edit: keep focus, selection and cursor
        self.config = config
        self._loading = True
        try:
            self.name_label.setText(config.name)
            self.task.load(config.task)
            self.training.load(config)
        finally:
            self._loading = False
        self._show_error("")
        self.task.show_preview(config.task)
        self.preset_origin = self._matching_preset(config)  # a preset, or a run or TOML of its own
        self._show_matching_preset(config)

    def _matching_preset(self, config: ExperimentConfig) -> str | None:
        experiment = _experiment(config)
        return next((name for name, preset in self._preset_experiments.items() if preset == experiment), None)

    def _show_matching_preset(self, config: ExperimentConfig) -> None:
        """The preset that ``config`` is; "<preset> (edited)" once the form changed it; else the prompt."""
        name = self._matching_preset(config)
        self.preset.setItemText(0, EDITED_PRESET.format(self.preset_origin) if name is None and self.preset_origin
                                else CHOOSE_PRESET)
        index = self.preset.findData(name) if name is not None else 0
        self.preset.setCurrentIndex(max(index, 0))

    def _named_for_what_it_is(self, config: ExperimentConfig) -> ExperimentConfig:
        """A preset's or a generated name is renamed when the family or algorithm changes (a
        sinusoid preset switched to a formula is no longer "MAML on sinusoids"); a user's own is kept."""
        old = self.config
        if _what_the_name_describes(config) == _what_the_name_describes(old):
            return config
        generic = {ExperimentConfig.model_fields["name"].default, describe_experiment(old),
                   *(preset.name for preset in self._preset_configs.values())}
        if old.name not in generic:
            return config
        return config.model_copy(update={"name": describe_experiment(config)})

    def current_config(self) -> ExperimentConfig:
        """The form's contents as a validated config; raises ConfigError with one line."""
        problem = self.task.table_error()
        if problem:
            raise ConfigError(f"task.params: {problem}")
        if problem := self.task.folder_error():
            raise ConfigError(f"task.root: {problem}")
        data = self.config.model_dump(mode="json")
        data["task"] = {**data["task"], **self.task.values()}
        try:
            sections = self.training.values()
        except ValueError as err:
            raise ConfigError(str(err)) from None
        for section, values in sections.items():
            data[section] = {**data[section], **values}
        return from_dict(data)

    def _show_error(self, message: str) -> None:
        was_valid = self.is_valid()
        self.error = message
        marked = self._mark_field(message)
        self.error_label.setText("" if marked else message)  # a field's reason is shown at the field
        self.error_label.setVisible(bool(message) and not marked)
        if was_valid != self.is_valid():
            self.validity_changed.emit(self.is_valid())

    def _mark_field(self, message: str) -> bool:
        for marker in self._markers:
            marker.clear()
        spot = self._spots.get(error_field(message)) if message else None
        if spot is None:
            return False
        if spot.anchor is self.task.expression:
            # the validator read the stripped text: its columns count from there
            text = formula_error_html(self.task.expression.text().strip(), message)
        else:
            text = html.escape(message.partition(": ")[2] or message)
        spot.marker.show(spot, text)
        return True

    @Slot()
    def _on_edited(self) -> None:
        if self._loading:
            return
        try:
            config = self.current_config()
        except ConfigError as err:
            self._show_error(str(err))
            return
        self._show_error("")
        self.task.show_preview(config.task)
        config = self._named_for_what_it_is(config)
        if config != self.config:
            self.config = config
            self.name_label.setText(config.name)
            self._show_matching_preset(config)
            self.config_edited.emit(config)

    @Slot(str)
    def _on_input_changed(self, kind: str) -> None:
        """The task's input changed kind (regression, 2-D points, images): the network that fits it."""
        self.training.fit_network(kind, self.task.classification.image_size.value())

    def shutdown(self) -> None:
        """Stop the preview's and the folder check's threads (the window closes)."""
        self.task.shutdown()

    @Slot(int)
    def _on_preset_activated(self, index: int) -> None:
        name = self.preset.itemData(index)
        self._show_matching_preset(self.config)  # until the window has loaded it (or was told not to)
        if name:
            self.preset_chosen.emit(name)
