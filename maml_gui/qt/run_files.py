"""File commands of the main window: open, save and recent runs; import and export configs.

:class:`RunFileCommands` asks for paths through its ``ask_*`` methods (tests replace them),
hands the work to the :class:`~maml_gui.qt.session.ExperimentSession`, and reports through the
callables it is given. Save As asks again, instead of giving up, when the chosen folder holds
other files, and asks before replacing another run.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from PySide6.QtCore import QObject, Slot
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget

from maml_gui.core.atomic_files import atomic_write
from maml_gui.core.config import ConfigError, load_config
from maml_gui.qt.folder_dialog import ask_save_folder
from maml_gui.qt.run_folder import followed_problem, is_other_run, save_target_problem
from maml_gui.qt.session import ExperimentSession
from maml_gui.qt.settings import AppSettings

CONFIG_FILTER = "TOML config (*.toml);;All files (*)"
Button = QMessageBox.StandardButton


class RunFileCommands(QObject):
    def __init__(self, session: ExperimentSession, settings: AppSettings, confirm_discard: Callable[[str], bool],
                 show_error: Callable[[str], None], show_message: Callable[[str], None],
                 dialog_parent: QWidget) -> None:
        super().__init__(dialog_parent)
        self.session = session
        self.settings = settings
        self.confirm_discard = confirm_discard
        self.show_error = show_error
        self.show_message = show_message
        self.dialog_parent = dialog_parent

    # -- dialogs (replaced in tests) --------------------------------------------------------------
    def ask_directory(self, title: str) -> str:
        path = QFileDialog.getExistingDirectory(self.dialog_parent, title, self.settings.start_directory())
        if path:
            self.settings.remember_directory(path)
        return path

    def ask_save_folder(self, title: str) -> str:
        """A folder to save in; a typed name that does not exist yet is created."""
        path = ask_save_folder(self.dialog_parent, title, self.settings.start_directory())
        if path:
            self.settings.remember_directory(Path(path).parent)
        return path

    def ask_replace_run(self, target: Path) -> bool:
        answer = QMessageBox.question(
            self.dialog_parent, "Save As", f"{target} holds another run. Replace it with this one?",
            Button.Yes | Button.No, Button.No)
        return answer == Button.Yes

    def ask_file(self, title: str, save: bool) -> str:
        ask = QFileDialog.getSaveFileName if save else QFileDialog.getOpenFileName
        path, _ = ask(self.dialog_parent, title, self.settings.start_directory(), CONFIG_FILTER)
        if path and save and not Path(path).suffix:
            path += ".toml"
        if path:
            self.settings.remember_directory(path)
        return path

    # -- runs ---------------------------------------------------------------------------------------
    @Slot(QAction)
    def open_recent(self, action: QAction) -> None:
        path = action.data()
        if path and self.confirm_discard("opening another run"):
            self.open_run(path)

    @Slot()
    def open_run_dialog(self) -> None:
        if not self.confirm_discard("opening another run"):
            return
        path = self.ask_directory("Open a run directory")
        if path:
            self.open_run(path)

    def open_run(self, path: str | Path) -> bool:
        if not self.session.open_run(path):
            self.settings.forget_recent_run(path)
            return False
        return True

    @Slot()
    def save_run(self) -> bool:
        if self.session.run_path is None:
            return self.save_run_as()
        return self.session.save_run()

    @Slot()
    def save_run_as(self) -> bool:
        """Ask for a folder until one can take the run (or the user cancels), then save there."""
        while True:
            path = self.ask_save_folder("Save the run in a folder (new, empty, or an earlier run)")
            if not path:
                return False
            target = Path(path)
            if problem := save_target_problem(target) or followed_problem(target, self.session.followed):
                self.show_error(problem)
                continue
            if is_other_run(target, self.session.run_path) and not self.ask_replace_run(target):
                continue
            return self.session.save_run(target)

    # -- configs ------------------------------------------------------------------------------------
    @Slot()
    def import_config(self) -> None:
        if not self.confirm_discard("importing a config"):
            return
        path = self.ask_file("Import an experiment config", save=False)
        if not path:
            return
        try:
            config = load_config(path)
        except ConfigError as err:
            self.show_error(str(err))
            return
        self.session.new_experiment(config)
        self.show_message(f"imported {path}")

    @Slot()
    def export_config(self) -> None:
        path = self.ask_file("Export the experiment config", save=True)
        if not path:
            return
        if problem := followed_problem(Path(path), self.session.followed):
            self.show_error(problem)
            return
        try:
            atomic_write(Path(path), self.session.config.to_toml())
        except OSError as err:
            self.show_error(f"cannot write {path}: {err}")
            return
        self.show_message(f"wrote {path}")
