"""The main window: playground in the centre, experiment form, training status and live curves
in docks, menus for runs, configs and training, training figures in the status bar.

The window holds no learning logic: it forwards what the user does to the
:class:`~maml_gui.qt.session.ExperimentSession` and draws what the session reports.
Dialogs go through small ``ask_*`` methods so tests can answer them (:mod:`~maml_gui.qt.main_window_dialogs`);
what the window shows of the session is in :mod:`~maml_gui.qt.main_window_updates`.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path

from PySide6.QtCore import Qt, Slot
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import QMainWindow, QWidget
from superqt.utils import qthrottled

from maml_gui.core.config import ExperimentConfig
from maml_gui.core.snapshot import ModelSnapshot
from maml_gui.qt import settings as keys
from maml_gui.qt.actions import create_actions
from maml_gui.qt.dock_layout import DockLayout
from maml_gui.qt.experiment_commands import ExperimentCommands
from maml_gui.qt.export_actions import ExportActions, SessionExportSource
from maml_gui.qt.follow import RunFollower
from maml_gui.qt.main_window_dialogs import APP_NAME, WindowDialogs
from maml_gui.qt.main_window_updates import WindowUpdates
from maml_gui.qt.menus import build_menus
from maml_gui.qt.plot_menus import install_plot_menus
from maml_gui.qt.plots.context_menu import PlotContextMenu
from maml_gui.qt.panels.config_panel import ConfigPanel
from maml_gui.qt.panels.status_bar import TrainingStatusBar
from maml_gui.qt.panels.training_status import TrainingStatusPanel
from maml_gui.qt.playground import PlaygroundWidget
from maml_gui.qt.playground.by_kind import PlaygroundHost
from maml_gui.qt.playground.draw_link import ClassPointsLink, DrawnTaskLink
from maml_gui.qt.playground.compare_models import CompareModels
from maml_gui.qt.plots import AdaptationCurvePlot
from maml_gui.qt.plots.loss_panel import MetaLossPanel
from maml_gui.qt.run_files import RunFileCommands
from maml_gui.qt.runs.runs_feature import RunsFeature
from maml_gui.qt.session import ExperimentSession
from maml_gui.qt.settings import AppSettings
from maml_gui.qt.sweep.controller import SweepController, add_sweep_menu_items

__all__ = ["APP_NAME", "DOCK_MINIMUM_SIZES", "MainWindow"]

DEFAULT_SIZE = (1440, 920)
# each dock's least size: together with the playground's they fit a 1024×640 window
DOCK_MINIMUM_SIZES = {"experiment": (316, 160), "training": (300, 150), "meta_loss": (220, 140),
                      "adaptation": (220, 140)}
PLAYGROUND_INTERVAL_MS = 300  # while training, the playground re-adapts to at most ~3 snapshots a second


class MainWindow(WindowDialogs, WindowUpdates, QMainWindow):
    def __init__(self, settings: AppSettings | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("main_window")
        self.settings = settings or AppSettings()
        self.session = ExperimentSession(parent=self)
        self.window_actions = create_actions(self)
        self.playground = PlaygroundWidget(self)  # regression; the host shows a classification one instead
        self.playground_host = PlaygroundHost(self.playground, self)
        self.setCentralWidget(self.playground_host)
        self.config_panel = ConfigPanel(self)
        self.files = RunFileCommands(self.session, self.settings, self.confirm_discard, self.show_error,
                                     self._show_message, self)
        self.commands = ExperimentCommands(self.session, self.settings, self.confirm_discard,
                                           self.config_panel.is_valid, self._clear_all_points, self._show_message, self)
        self.status_panel = TrainingStatusPanel(parent=self)  # its buttons are the toolbar's
        self.loss_panel = MetaLossPanel(self.settings, self)  # the plot and its smoothing slider
        self.loss_plot = self.loss_panel.plot
        self.adaptation_plot = AdaptationCurvePlot(self)
        area = Qt.DockWidgetArea
        self.dock_layout = DockLayout(self, [
            ("experiment", "Experiment", self.config_panel, area.LeftDockWidgetArea),
            ("training", "Training", self.status_panel, area.LeftDockWidgetArea),
            ("meta_loss", "Meta-loss", self.loss_panel, area.BottomDockWidgetArea),
            ("adaptation", "Adaptation at validation", self.adaptation_plot, area.BottomDockWidgetArea)],
            minimum_sizes=DOCK_MINIMUM_SIZES)
        self.dock_layout.stack("training", "experiment")
        self.docks = self.dock_layout.docks
        self.training_status = TrainingStatusBar(self.statusBar())
        self.state_label = self.training_status.state
        # while training, the playground re-adapts to the newest snapshot at most every 300 ms
        self.playground_snapshot = qthrottled(self.playground_host.set_snapshot, PLAYGROUND_INTERVAL_MS, parent=self)
        self.recent_menu, self.export_menu, toolbar = build_menus(
            self, self.window_actions, self.playground_host.undo_group, self.docks, self.settings,
            self.files.open_recent, self.load_preset)
        self.dock_layout.toolbars.append(toolbar)
        self.follower = RunFollower(self.session, self.settings, self.confirm_discard, self.show_error,
                                    self.statusBar(), self)
        self.follower.add_to_menu(self.recent_menu.parent(), before=self.export_menu.menuAction())
        self.runs = RunsFeature(self.session, self.settings, self.files, self.loss_panel, self.adaptation_plot,
                                self.show_error, self._show_message, self)  # window.runs.model: the RunsModel
        self.runs.install(self)
        self.sweeps = SweepController(self._session_config, self.config_panel.is_valid, self.settings,
                                      self.show_error, self._show_message, self)
        self.compare = CompareModels(self.playground, self.session.snapshot_changed, self._session_snapshot, self)
        self.sweeps.compareRequested.connect(self.compare.open)
        self.sweeps.runsRead.connect(self.runs.model.add_many)  # a sweep's trials join the Runs panel live
        self.compare.set_visible_runs_source(self._visible_runs)
        add_sweep_menu_items(self, self.sweeps, self.compare.action)
        self.export_source = SessionExportSource(self.session)
        self.export_actions = ExportActions(self.export_menu, self.export_source, {
            "Playground": self.playground.plot, "Meta-loss": self.loss_plot,
            "Adaptation at validation": self.adaptation_plot, "Accuracy": self.loss_panel.accuracy_plot},
            self.settings, self)
        self.plot_menus = install_plot_menus(self.export_actions.export_plot_named, self.playground, self.loss_plot,
                                             self.adaptation_plot, self.window_actions.loss_log_scale)
        self.plot_menus["Accuracy"] = PlotContextMenu(self.loss_panel.accuracy_plot,
                                                      partial(self.export_actions.export_plot_named, "Accuracy"))
        self.window_actions.loss_log_scale.setChecked(self.loss_plot.log_scale)
        self._connect()
        self.session.points_provider = self.playground.points
        self.drawn_task_link = DrawnTaskLink(self.session, self.playground_host, self)  # drawing.json
        self.class_points_link = ClassPointsLink(self.session, self.playground_host, self)  # class_points.json
        self._shut_down = False
        self._show_config(self.session.config)
        self._update_actions()
        self.dock_layout.restore(self.settings.get(keys.WINDOW_GEOMETRY), self.settings.get(keys.WINDOW_STATE),
                                 DEFAULT_SIZE)

    def _connect(self) -> None:
        a, s = self.window_actions, self.session
        f = self.files
        c = self.commands
        a.new_experiment.triggered.connect(c.new_experiment)
        a.open_run.triggered.connect(f.open_run_dialog)
        a.save_run.triggered.connect(f.save_run)
        a.save_run_as.triggered.connect(f.save_run_as)
        a.import_config.triggered.connect(f.import_config)
        a.export_config.triggered.connect(f.export_config)
        a.quit.triggered.connect(self.close)
        a.clear_points.triggered.connect(self.playground_host.clear_drawn_work)  # the playground shown
        a.edit_toml.triggered.connect(c.edit_toml)
        a.start.triggered.connect(c.start_training)
        a.continue_.triggered.connect(s.continue_training)
        a.pause.toggled.connect(self._on_pause_toggled)
        a.stop.triggered.connect(s.request_stop)
        a.reset.triggered.connect(c.reset_training)
        a.reset_layout.triggered.connect(self.reset_layout)
        a.loss_log_scale.toggled.connect(self._on_log_scale_toggled)
        a.about.triggered.connect(self.show_about)
        self.playground_host.drawnWorkChanged.connect(self._on_points_changed)
        self.config_panel.validity_changed.connect(self._update_actions)
        self.config_panel.config_edited.connect(self._on_config_edited)
        self.config_panel.preset_chosen.connect(self.load_preset)
        self.config_panel.toml_requested.connect(c.edit_toml)
        s.config_changed.connect(self._show_config)
        s.history_reset.connect(self.loss_plot.reset)
        s.history_reset.connect(self.loss_panel.accuracy_plot.reset)
        s.history_reset.connect(self.adaptation_plot.reset)
        s.history_reset.connect(self._on_history_reset)
        s.progressed.connect(self.loss_plot.add_progress)
        s.progressed.connect(self.loss_panel.accuracy_plot.add_progress)
        s.progressed.connect(self.adaptation_plot.add_progress)
        s.progressed.connect(self.status_panel.show_progress)
        s.progressed.connect(self.training_status.show_progress)
        s.progressed.connect(self._on_progress)
        s.snapshot_changed.connect(self._on_snapshot_changed)
        s.state_changed.connect(self._on_state_changed)
        s.run_path_changed.connect(self._on_run_path_changed)
        s.following_changed.connect(self._on_state_changed)
        s.drawn_saved.connect(self._update_title)
        s.points_loaded.connect(self._on_points_loaded)
        s.message.connect(self._show_message)
        s.error.connect(self.show_error)

    # -- playgrounds -------------------------------------------------------------------------------
    @Slot()
    def _clear_all_points(self) -> None:
        """Points and drawings of a new experiment: none, and nothing to undo into the old one."""
        self.playground.set_points([])
        self.class_points_link.show([])
        self.drawn_task_link.show(None)

    # -- commands -----------------------------------------------------------------------------------
    @Slot(str)
    def load_preset(self, name: str) -> None:
        self.commands.load_preset(name)

    @Slot()
    def reset_layout(self) -> None:
        """View > Reset Layout: every dock and the toolbar back where they were at first."""
        self.dock_layout.reset()

    # -- the model and the config it was trained with (what File > Export reads) --------------------
    def current_snapshot(self) -> ModelSnapshot | None:
        return self.export_source.current_snapshot()

    def current_config(self) -> ExperimentConfig:
        return self.export_source.current_config()

    def _session_config(self) -> ExperimentConfig:
        return self.session.config

    def _session_snapshot(self) -> ModelSnapshot | None:
        return self.session.snapshot

    def _visible_runs(self) -> list[tuple[str, Path]]:
        """The Runs panel's ticked runs read from disk (for Compare Models)."""
        return [(entry.name, entry.run.path) for entry in self.runs.model.visible_runs() if not entry.is_current]

    # -- closing ---------------------------------------------------------------------------------------
    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt's name
        if not self.sweeps.confirm_close() or not self.confirm_discard("closing"):
            event.ignore()
            return
        if not self.shutdown():
            self.show_error("training did not stop in time; close again to retry")
            event.ignore()
            return
        event.accept()

    @Slot()
    def shutdown(self) -> bool:
        """Stop every thread and save the layout; also run when the app quits without a close."""
        if not (self.session.stop_and_wait(discard=True) and self.sweeps.shutdown() and self.runs.shutdown()
                and self.follower.shutdown()):
            return False
        if not self._shut_down:
            self._shut_down = True
            self.playground.shutdown()
            self.playground_host.shutdown()
            self.config_panel.shutdown()
            self.session.preparation.shutdown()
            self.compare.shutdown()
            self.settings.set(keys.WINDOW_GEOMETRY, self.saveGeometry())
            self.settings.set(keys.WINDOW_STATE, self.dock_layout.save_state())
            self.settings.set(keys.LAST_CONFIG, self.session.config.to_toml())
            self.settings.sync()
        return True
