"""The menu bar and toolbar, from the window's actions."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from PySide6.QtCore import Slot
from PySide6.QtGui import QAction, QKeySequence, QUndoGroup, QUndoStack
from PySide6.QtWidgets import QDockWidget, QMainWindow, QMenu, QToolBar

from maml_gui.core.presets import list_presets
from maml_gui.qt.actions import WindowActions
from maml_gui.qt.settings import AppSettings


class RecentRunsMenu(QMenu):
    """Lists the settings' recent runs each time it opens; each entry's data is its path."""

    def __init__(self, settings: AppSettings, open_recent: Callable[[QAction], None], parent=None) -> None:
        super().__init__("Open &Recent", parent)
        self.setObjectName("recent_runs_menu")
        self._settings = settings
        self.aboutToShow.connect(self.rebuild)
        self.triggered.connect(open_recent)

    @Slot()
    def rebuild(self) -> None:
        self.clear()
        runs = self._settings.recent_runs()
        for path in runs:
            action = self.addAction(f"{Path(path).name}  ({path})")
            action.setData(path)
        if not runs:
            self.addAction("no recent runs").setEnabled(False)


class PresetMenu(QMenu):
    """One entry per shipped preset; choosing one starts a new experiment from it."""

    def __init__(self, load_preset: Callable[[str], object], parent=None) -> None:
        super().__init__("New from &Preset", parent)
        self.setObjectName("preset_menu")
        self._load_preset = load_preset
        for kind in ("regression", "classification"):
            self.addSection(kind)
            for name, description in list_presets(kind).items():
                action = self.addAction(name)
                action.setData(name)
                action.setStatusTip(description)
        self.triggered.connect(self._on_triggered)

    @Slot(object)
    def _on_triggered(self, action) -> None:
        self._load_preset(action.data())


TRAINING_ACTIONS = ("start", "continue_", "pause", "stop", "reset")


def build_menus(window: QMainWindow, a: WindowActions, undo_stack: QUndoStack | QUndoGroup,
                docks: dict[str, QDockWidget],
                settings: AppSettings, open_recent: Callable[[QAction], None],
                load_preset: Callable[[str], object]) -> tuple[RecentRunsMenu, QMenu, QToolBar]:
    """Menus and toolbar in ``window``; returns the recent-runs menu, the (empty) export menu and the toolbar."""
    bar = window.menuBar()
    file_menu = bar.addMenu("&File")
    file_menu.addAction(a.new_experiment)
    file_menu.addMenu(PresetMenu(load_preset, file_menu))
    file_menu.addAction(a.open_run)
    recent = RecentRunsMenu(settings, open_recent, file_menu)
    file_menu.addMenu(recent)
    file_menu.addAction(a.save_run)
    file_menu.addAction(a.save_run_as)
    export_menu = file_menu.addMenu("E&xport")
    export_menu.setObjectName("export_menu")
    file_menu.addSeparator()
    file_menu.addAction(a.import_config)
    file_menu.addAction(a.export_config)
    file_menu.addSeparator()
    file_menu.addAction(a.quit)

    edit_menu = bar.addMenu("&Edit")
    undo = undo_stack.createUndoAction(window, "&Undo")
    undo.setShortcuts(QKeySequence.StandardKey.Undo)
    redo = undo_stack.createRedoAction(window, "&Redo")
    redo.setShortcuts(QKeySequence.StandardKey.Redo)  # every binding: Ctrl+Shift+Z and Ctrl+Y
    undo.setObjectName("undo")
    redo.setObjectName("redo")
    edit_menu.addAction(undo)
    edit_menu.addAction(redo)
    edit_menu.addSeparator()
    edit_menu.addAction(a.clear_points)
    edit_menu.addSeparator()
    edit_menu.addAction(a.edit_toml)

    training_menu = bar.addMenu("&Training")
    training_menu.setObjectName("training_menu")
    for name in TRAINING_ACTIONS:
        training_menu.addAction(getattr(a, name))

    view_menu = bar.addMenu("&View")
    for dock in docks.values():
        view_menu.addAction(dock.toggleViewAction())
    view_menu.addSeparator()
    view_menu.addAction(a.reset_layout)
    view_menu.addSeparator()
    view_menu.addAction(a.loss_log_scale)

    help_menu = bar.addMenu("&Help")
    help_menu.addAction(a.about)

    toolbar = window.addToolBar("Training")
    toolbar.setObjectName("training_toolbar")
    for name in TRAINING_ACTIONS:
        toolbar.addAction(getattr(a, name))
    toolbar.addSeparator()
    toolbar.addAction(a.save_run)
    return recent, export_menu, toolbar
