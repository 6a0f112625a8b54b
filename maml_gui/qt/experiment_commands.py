"""The window's experiment commands: New, New from Preset, Train, Reset and the TOML editor.

Each one that would replace an unsaved model asks first, through the ``confirm_discard``
callable it is given. Train on a model that came from a run directory asks whether to continue
that run or to start a new one (saved nowhere until Save As): a run on disk is never
overwritten by a different training without that choice.
"""

from __future__ import annotations

import enum
from pathlib import Path
from typing import Callable

from PySide6.QtCore import QObject, Slot
from PySide6.QtWidgets import QMessageBox, QWidget

from maml_gui.core.presets import load_preset
from maml_gui.qt import settings as keys
from maml_gui.qt.session import ExperimentSession
from maml_gui.qt.settings import AppSettings
from maml_gui.qt.toml_dialog import ConfigTomlDialog


class TrainChoice(enum.Enum):
    CONTINUE = "continue this run"
    NEW_RUN = "start a new run"
    CANCEL = "cancel"


class ExperimentCommands(QObject):
    def __init__(self, session: ExperimentSession, settings: AppSettings, confirm_discard: Callable[[str], bool],
                 form_is_valid: Callable[[], bool], clear_points: Callable[[], None],
                 show_message: Callable[[str], None], dialog_parent: QWidget) -> None:
        super().__init__(dialog_parent)
        self.session = session
        self.settings = settings
        self.confirm_discard = confirm_discard
        self.form_is_valid = form_is_valid
        self.clear_points = clear_points
        self.show_message = show_message
        self.dialog_parent = dialog_parent

    # -- dialogs (replaced in tests) ----------------------------------------------------------------
    def ask_how_to_train(self, run: Path, why_not_continue: str | None) -> TrainChoice:
        """Continue the run the model came from, start a new run, or cancel."""
        box = QMessageBox(QMessageBox.Icon.Question, "Train", "", parent=self.dialog_parent)
        box.setText(f"The model comes from {run}.")
        cannot = f"\n\nIt cannot be continued as it is: {why_not_continue}." if why_not_continue else ""
        box.setInformativeText(
            "Continue it (its curves go on and it is autosaved there), or train a new model from scratch? "
            f"A new run is saved nowhere until you choose Save As; {run} stays as it is.{cannot}")
        continue_button = box.addButton("&Continue this run", QMessageBox.ButtonRole.AcceptRole)
        new_button = box.addButton("Start a &new run", QMessageBox.ButtonRole.ActionRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        if why_not_continue:
            continue_button.setEnabled(False)
            continue_button.setToolTip(why_not_continue)
        box.setDefaultButton(new_button if why_not_continue else continue_button)
        box.exec()
        clicked = box.clickedButton()
        box.deleteLater()
        if clicked is continue_button:
            return TrainChoice.CONTINUE
        return TrainChoice.NEW_RUN if clicked is new_button else TrainChoice.CANCEL

    # -- commands ------------------------------------------------------------------------------------
    @Slot(str)
    def load_preset(self, name: str) -> bool:
        if not self.confirm_discard(f"loading the preset {name}") or not self.session.load_preset(name):
            return False
        self.settings.set(keys.LAST_PRESET, name)
        return True

    @Slot()
    def new_experiment(self) -> None:
        """File > New: the default experiment (Finn et al.'s sinusoids), no model, no points."""
        if self.confirm_discard("starting a new experiment"):
            self.session.new_experiment(load_preset(keys.LAST_PRESET.default))
            self.clear_points()

    @Slot()
    def start_training(self) -> None:
        """Training > Train: a new model from the current settings. On a model from a run directory
        it asks first (continue that run, or a new run); it asks before replacing an unsaved model."""
        if not self.form_is_valid():
            return
        run = self.session.saved_run_path()
        if run is not None:
            choice = self.ask_how_to_train(run, self.session.why_not_continue())
            if choice is TrainChoice.CANCEL:
                return
            if choice is TrainChoice.CONTINUE:
                self.session.continue_training()
                return
        if self.confirm_discard("training a new model"):
            self.session.start_training()

    @Slot()
    def reset_training(self) -> None:
        """Training > Reset: forget the model and its curves; the settings and the points stay."""
        if self.confirm_discard("resetting"):
            self.session.new_experiment(self.session.config)
            self.show_message("model and curves discarded; Train starts afresh from the current settings")

    @Slot()
    def edit_toml(self) -> None:
        dialog = ConfigTomlDialog(self.session.config, self.dialog_parent)
        if dialog.exec() and dialog.config is not None:
            self.session.set_config(dialog.config)
