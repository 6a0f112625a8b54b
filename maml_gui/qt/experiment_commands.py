"""The window's experiment commands: New, New from Preset, Train, Reset and the TOML editor.

Each one that would replace an unsaved model asks first, through the window's
:meth:`~maml_gui.qt.main_window.MainWindow.confirm_discard`.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Slot

from maml_gui.core.presets import load_preset
from maml_gui.qt import settings as keys
from maml_gui.qt.toml_dialog import ConfigTomlDialog


class ExperimentCommands(QObject):
    def __init__(self, window) -> None:
        super().__init__(window)
        self.window = window
        self.session = window.session

    @Slot(str)
    def load_preset(self, name: str) -> bool:
        if not self.window.confirm_discard(f"loading the preset {name}") or not self.session.load_preset(name):
            return False
        self.window.settings.set(keys.LAST_PRESET, name)
        return True

    @Slot()
    def new_experiment(self) -> None:
        """File > New: the default experiment (Finn et al.'s sinusoids), no model, no points."""
        if self.window.confirm_discard("starting a new experiment"):
            self.session.new_experiment(load_preset(keys.LAST_PRESET.default))
            self.window.playground.set_points([])

    @Slot()
    def start_training(self) -> None:
        """Training > Train: a new model from the current settings (asks before replacing an unsaved one)."""
        if self.window.config_panel.is_valid() and self.window.confirm_discard("training a new model"):
            self.session.start_training()

    @Slot()
    def reset_training(self) -> None:
        """Training > Reset: forget the model and its curves; the settings and the points stay."""
        if self.window.confirm_discard("resetting"):
            self.session.new_experiment(self.session.config)
            self.window.statusBar().showMessage(
                "model and curves discarded; Train starts afresh from the current settings", 8000)

    @Slot()
    def edit_toml(self) -> None:
        dialog = ConfigTomlDialog(self.session.config, self.window)
        if dialog.exec() and dialog.config is not None:
            self.session.set_config(dialog.config)
