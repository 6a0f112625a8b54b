"""File commands of the main window: open, save and recent runs; import and export configs.

:class:`RunFileCommands` asks for paths through its ``ask_*`` methods (tests replace them),
hands the work to the :class:`~maml_gui.qt.session.ExperimentSession`, and reports problems
through the window's ``show_error``.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Slot
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QFileDialog

from maml_gui.core.checkpoint import atomic_write
from maml_gui.core.config import ConfigError, load_config

CONFIG_FILTER = "TOML config (*.toml);;All files (*)"


class RunFileCommands(QObject):
    def __init__(self, window) -> None:
        super().__init__(window)
        self.window = window
        self.session = window.session
        self.settings = window.settings

    # -- dialogs (replaced in tests) --------------------------------------------------------------
    def ask_directory(self, title: str) -> str:
        path = QFileDialog.getExistingDirectory(self.window, title, self.settings.start_directory())
        if path:
            self.settings.remember_directory(path)
        return path

    def ask_file(self, title: str, save: bool) -> str:
        ask = QFileDialog.getSaveFileName if save else QFileDialog.getOpenFileName
        path, _ = ask(self.window, title, self.settings.start_directory(), CONFIG_FILTER)
        if path and save and not Path(path).suffix:
            path += ".toml"
        if path:
            self.settings.remember_directory(path)
        return path

    # -- runs ---------------------------------------------------------------------------------------
    @Slot(QAction)
    def open_recent(self, action: QAction) -> None:
        path = action.data()
        if path and self.window.confirm_discard("opening another run"):
            self.open_run(path)

    @Slot()
    def open_run_dialog(self) -> None:
        if not self.window.confirm_discard("opening another run"):
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
        path = self.ask_directory("Save the run in a folder (empty, or an earlier run)")
        return bool(path) and self.session.save_run(path)

    # -- configs ------------------------------------------------------------------------------------
    @Slot()
    def import_config(self) -> None:
        if not self.window.confirm_discard("importing a config"):
            return
        path = self.ask_file("Import an experiment config", save=False)
        if not path:
            return
        try:
            config = load_config(path)
        except ConfigError as err:
            self.window.show_error(str(err))
            return
        if config.task.kind != "regression":
            self.window.show_error(f"{path} describes {config.task.kind} tasks: the app trains those in a later "
                                   "version; train it with `maml-gui train`")
            return
        self.session.new_experiment(config)
        self.window.statusBar().showMessage(f"imported {path}", 8000)

    @Slot()
    def export_config(self) -> None:
        path = self.ask_file("Export the experiment config", save=True)
        if not path:
            return
        try:
            atomic_write(Path(path), self.session.config.to_toml())
        except OSError as err:
            self.window.show_error(f"cannot write {path}: {err}")
            return
        self.window.statusBar().showMessage(f"wrote {path}", 8000)
