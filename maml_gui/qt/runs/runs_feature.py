"""Comparing runs in the main window: the Runs dock, its actions and menu entries, the plot
overlays, the Results window, and the current experiment kept in the :class:`RunsModel`.

The window makes one :class:`RunsFeature`, calls :meth:`RunsFeature.install` once its menus
exist (before it restores its saved layout, which then includes the Runs dock) and
:meth:`RunsFeature.shutdown` when it closes. Collaborators are passed in: the session
(the current experiment), the settings (recent runs, last folder), the window's run file
commands (a double-clicked run opens through them), the meta-loss panel (plot and smoothing
slider), the adaptation plot, and callables for messages.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from PySide6.QtCore import QObject, Qt, Slot
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QDockWidget, QFileDialog, QMainWindow, QMenu, QToolButton, QWidget
from superqt.utils import qthrottled

from maml_gui.core.compared_run import ComparedRun
from maml_gui.qt.runs.compare_overlays import AdaptationOverlay, MetaLossOverlay
from maml_gui.qt.runs.results_window import ResultsWindow
from maml_gui.qt.runs.runs_loader import FolderRead
from maml_gui.qt.runs.runs_model import RunsModel
from maml_gui.qt.runs.runs_panel import RunsPanel

CURRENT_INTERVAL_MS = 500  # while training, the compared current experiment is redrawn at most twice a second
MAX_SHOWN_PROBLEMS = 3
DOCK_MINIMUM_SIZE = (260, 160)


def _action(parent: QObject, text: str, name: str, tip: str, shortcut: str | None = None) -> QAction:
    action = QAction(text, parent)
    action.setObjectName(name)
    action.setToolTip(tip)
    action.setStatusTip(tip)
    if shortcut:
        action.setShortcut(QKeySequence(shortcut))
    return action


class RunsFeature(QObject):
    def __init__(self, session, settings, files, loss_panel, adaptation_plot, show_error: Callable[[str], None],
                 show_message: Callable[[str], None], parent: QWidget) -> None:
        super().__init__(parent)
        self.session, self.settings, self.files, self.parent_widget = session, settings, files, parent
        self.show_error, self.show_message = show_error, show_message
        self.model = RunsModel(self)
        self.open_runs_action = _action(parent, "Open &Runs…", "open_runs", "add a run, a folder of runs or a "
                                        "sweep folder to the Runs panel to compare them", "Ctrl+Shift+O")
        self.results_action = _action(parent, "Results &Table", "results_table", "one row per compared run: the "
                                      "settings that differ, final validation and evaluation; sortable, CSV",
                                      "Ctrl+Shift+R")
        self.sweep_action = _action(parent, "S&weep View", "sweep_view", "hyperparameters against the final "
                                    "metric: parallel coordinates or a scatter", "Ctrl+Shift+W")
        self.clear_action = _action(parent, "Clear Runs", "clear_runs", "remove every opened run from the "
                                    "comparison (nothing on disk changes)")
        self.open_runs_action.triggered.connect(self.open_runs_dialog)
        self.results_action.triggered.connect(self.show_results)
        self.sweep_action.triggered.connect(self.show_sweep_view)
        self.clear_action.triggered.connect(self.model.clear)
        self.panel = RunsPanel(self.model, [self.open_runs_action, self.results_action, self.sweep_action], parent)
        self.recent_button = QToolButton(self.panel)
        self.recent_button.setText("Recent")
        self.recent_button.setToolTip("add a recently opened or saved run")
        self.recent_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.recent_menu = QMenu(self.recent_button)
        self.recent_menu.aboutToShow.connect(self._fill_recent_menu)
        self.recent_menu.triggered.connect(self._on_recent_chosen)
        self.recent_button.setMenu(self.recent_menu)
        self.panel.add_button(self.recent_button)
        self.panel.open_requested.connect(self.open_in_window)
        self.loss_overlay = MetaLossOverlay(loss_panel.plot, self.model, loss_panel.smoothing_slider)
        self.adaptation_overlay = AdaptationOverlay(adaptation_plot, self.model)
        self.results = ResultsWindow(self.model, settings, show_error, show_message, parent)
        self.results.hide()
        self._problems: list[str] = []
        self.model.problem.connect(self._on_problem)
        self.model.folder_read.connect(self._on_folder_read)
        self.model.loading_changed.connect(self._on_loading_changed)
        self.model.changed.connect(self._update_status)
        self._update_current_soon = qthrottled(self.update_current, CURRENT_INTERVAL_MS, parent=self)
        # queued: after the window's own plots have drawn the reset, so the overlay has the last word
        session.history_reset.connect(self.update_current, Qt.ConnectionType.QueuedConnection)
        session.snapshot_changed.connect(self._on_snapshot_changed)
        session.config_changed.connect(self._update_current_soon)
        self._update_status()

    def install(self, window: QMainWindow) -> None:
        """The Runs dock on the right of ``window`` (hidden until runs are opened, or View ▸ Runs),
        Open Runs… after Open Run… in the File menu, the dock, results and sweep view in the View menu."""
        self.dock = QDockWidget("Runs", window)
        self.dock.setObjectName("dock_runs_panel")  # the saved layout refers to it
        self.dock.setWidget(self.panel)
        self.panel.setMinimumSize(*DOCK_MINIMUM_SIZE)
        window.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.dock)
        self.dock.hide()
        self.dock.toggleViewAction().setShortcut(QKeySequence("Ctrl+Shift+U"))
        menus = {menu.title().replace("&", ""): menu for menu in window.menuBar().findChildren(QMenu)}
        file_menu, view_menu = menus.get("File"), menus.get("View")
        if file_menu is not None:
            actions = file_menu.actions()
            at = next((i for i, a in enumerate(actions) if a.objectName() == "open_run"), len(actions) - 1)
            file_menu.insertAction(actions[at + 1] if at + 1 < len(actions) else None, self.open_runs_action)
        if view_menu is not None:
            view_menu.addSeparator()
            for action in (self.dock.toggleViewAction(), self.results_action, self.sweep_action, self.clear_action):
                view_menu.addAction(action)

    # -- dialogs (replaced in tests) ----------------------------------------------------------------
    def ask_folder(self) -> str:
        path = QFileDialog.getExistingDirectory(self.parent_widget, "Open runs: a run, a folder of runs or a sweep",
                                                self.settings.start_directory())
        if path:
            self.settings.remember_directory(path)
        return path

    # -- commands -------------------------------------------------------------------------------------
    @Slot()
    def open_runs_dialog(self) -> None:
        path = self.ask_folder()
        if path:
            self.open_folder(path)

    def open_folder(self, path: str | Path) -> None:
        """Read a run, a folder of runs or a sweep in the background; they appear in the Runs panel."""
        self._problems = []
        self.model.open_folder(path)
        self._raise_dock()

    @Slot(str)
    def open_in_window(self, key: str) -> bool:
        """Open a compared run as the window's experiment (asking first if a trained model is unsaved)."""
        entry = self.model.entry(key)
        if entry is None or entry.is_current or not self.files.confirm_discard("opening another run"):
            return False
        return self.files.open_run(entry.run.path)

    @Slot()
    def show_results(self) -> None:
        self.results.show_tab("table")

    @Slot()
    def show_sweep_view(self) -> None:
        self.results.show_tab("sweep")

    def shutdown(self) -> bool:
        self.results.close()
        return self.model.stop_loading()

    # -- the current experiment ---------------------------------------------------------------------
    @Slot()
    def update_current(self) -> None:
        """The session's model and curves as the Runs panel's "current experiment" (none without curves)."""
        s = self.session
        history = s.history()
        if history is None or not (history.rows or history.validations):
            self.model.set_current(None)
            return
        config = s.model_config or s.config
        path = s.run_path if s.run_path is not None else Path("current experiment")
        self.model.set_current(ComparedRun(path, config, history.copy(), s.snapshot, s.iteration))

    @Slot(object)
    def _on_snapshot_changed(self, _snapshot) -> None:
        self._update_current_soon()

    # -- reports ----------------------------------------------------------------------------------------
    def _raise_dock(self) -> None:
        dock = getattr(self, "dock", None)
        if dock is not None and dock.isHidden():  # the Runs dock was closed (or never shown): show it
            dock.show()

    @Slot(str)
    def _on_problem(self, line: str) -> None:
        self._problems.append(line)
        self._update_status()

    @Slot(object)
    def _on_folder_read(self, read: FolderRead) -> None:
        sweep = f" of the sweep {read.sweeps[0].name}" if len(read.sweeps) == 1 else (
            f" of {len(read.sweeps)} sweeps" if read.sweeps else "")
        skipped = f"; {read.skipped} skipped (see the Runs panel)" if read.skipped else ""
        self.show_message(f"opened {read.read} run(s){sweep} from {read.folder}{skipped}")
        if read.sweeps and read.read:
            self.show_sweep_view()

    @Slot(bool)
    def _on_loading_changed(self, _loading: bool) -> None:
        self._update_status()

    @Slot()
    def _update_status(self) -> None:
        opened = len(self.model.opened_runs())
        parts = ["reading runs…"] if self.model.is_loading() else []
        parts.append(f"{opened} run(s) opened" if opened else "Open Runs… (Ctrl+Shift+O) adds a run, a folder "
                     "of runs or a sweep to compare")
        if self._problems:
            shown = self._problems[:MAX_SHOWN_PROBLEMS]
            more = len(self._problems) - len(shown)
            parts.append("\n".join(shown) + (f"\n… and {more} more" if more else ""))
        self.panel.show_status("\n".join(parts))
        self.panel.status.setToolTip("\n".join(self._problems))

    @Slot()
    def _fill_recent_menu(self) -> None:
        self.recent_menu.clear()
        for path in self.settings.recent_runs():
            self.recent_menu.addAction(f"{Path(path).name}  ({path})").setData(path)
        if not self.settings.recent_runs():
            self.recent_menu.addAction("no recent runs").setEnabled(False)

    @Slot(QAction)
    def _on_recent_chosen(self, action: QAction) -> None:
        path = action.data()
        if path:
            self._problems = []
            self.model.add_run(path)
