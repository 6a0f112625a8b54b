"""The main window: playground in the centre, experiment form, training status and live curves
in docks, menus for runs, configs and training, training figures in the status bar.

The window holds no learning logic: it forwards what the user does to the
:class:`~maml_gui.qt.session.ExperimentSession` and draws what the session reports.
Dialogs go through small ``ask_*`` methods so tests can answer them.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path

from PySide6.QtCore import Qt, Slot
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import QMainWindow, QMessageBox, QWidget
from superqt.utils import qthrottled

from maml_gui.core.config import ExperimentConfig
from maml_gui.core.snapshot import ModelSnapshot
from maml_gui.core.tasks.family_cache import family_for
from maml_gui.qt import settings as keys
from maml_gui.qt.about import about_html
from maml_gui.qt.actions import create_actions
from maml_gui.qt.dock_layout import DockLayout
from maml_gui.qt.experiment_commands import ExperimentCommands
from maml_gui.qt.export_actions import ExportActions, SessionExportSource
from maml_gui.qt.follow import RunFollower
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
from maml_gui.qt.session import ExperimentSession, TrainingState
from maml_gui.qt.settings import AppSettings
from maml_gui.qt.sweep.controller import SweepController, add_sweep_menu_items

APP_NAME = "MAML Studio"
DEFAULT_SIZE = (1440, 920)
# each dock's least size: together with the playground's they fit a 1024×640 window
DOCK_MINIMUM_SIZES = {"experiment": (316, 160), "training": (300, 150), "meta_loss": (220, 140),
                      "adaptation": (220, 140)}
PLAYGROUND_INTERVAL_MS = 300  # while training, the playground re-adapts to at most ~3 snapshots a second
# what replaces the playgrounds' points and drawings (confirm_discard asks about them only then)
DISCARDS_DRAWINGS = ("closing", "starting a new experiment", "opening another run", "following another run")
STATE_TEXT = {TrainingState.IDLE: "idle", TrainingState.RUNNING: "training", TrainingState.PAUSED: "paused"}
Button = QMessageBox.StandardButton


class MainWindow(QMainWindow):
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

    # -- dialogs (replaced in tests) --------------------------------------------------------------
    def ask_unsaved(self, doing: str) -> QMessageBox.StandardButton:
        what = (f"The model trained to iteration {self.session.iteration} is not saved. Save it" if self.session.unsaved
                else "The points or drawings changed since the run was saved are not saved. Save them")
        return QMessageBox.question(self, APP_NAME, f"{what} before {doing}?",
                                    Button.Save | Button.Discard | Button.Cancel, Button.Save)

    def ask_save_before_closing(self) -> QMessageBox.StandardButton:
        return self.ask_unsaved("closing")

    def confirm_discard(self, doing: str) -> bool:
        """True when nothing unsaved would be lost by ``doing`` (asks, and saves if told to)."""
        drawings = doing in DISCARDS_DRAWINGS and self.session.drawn_unsaved
        if not ((self.session.unsaved or drawings) and self.settings.get(keys.CONFIRM_DISCARD)):
            return True
        answer = self.ask_save_before_closing() if doing == "closing" else self.ask_unsaved(doing)
        if answer == Button.Cancel:
            return False
        return answer != Button.Save or self.files.save_run()

    @Slot()
    def _clear_all_points(self) -> None:
        """Points and drawings of a new experiment: none, and nothing to undo into the old one."""
        self.playground.set_points([])
        self.class_points_link.show([])
        self.drawn_task_link.show(None)

    @Slot(str)
    def show_error(self, message: str) -> None:
        self._show_message(message)
        QMessageBox.warning(self, APP_NAME, message)

    @Slot()
    def show_about(self) -> None:
        QMessageBox.about(self, f"About {APP_NAME}", about_html(APP_NAME))

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

    # -- session -> widgets -------------------------------------------------------------------------
    @Slot(object)
    def _on_config_edited(self, config: ExperimentConfig) -> None:
        self.session.set_config(config)
        self._update_actions()

    @Slot(object)
    def _show_config(self, config: ExperimentConfig) -> None:
        self.config_panel.set_config(config)
        if config.task.kind == "regression":
            self.playground.set_family(family_for(config.task), config.task.shots)
        self.playground_host.show_experiment(config)
        self.loss_panel.set_experiment(self.session.model_config or config)
        self.status_panel.set_total(config.training.iterations)
        self.status_panel.set_classification((self.session.model_config or config).task.kind == "classification")
        if self.session.state is TrainingState.IDLE:  # while training the reports say the total
            self.training_status.set_total(config.training.iterations)
        self._update_title()
        self._update_actions()

    @Slot(object)
    def _on_history_reset(self, history) -> None:
        iteration = history.rows[-1][0] if history.rows else self.session.iteration
        self.loss_panel.set_experiment(self.session.model_config or self.session.config)
        self.status_panel.reset(self.session.config.training.iterations)
        self.status_panel.set_iteration(iteration)
        self.training_status.reset(self.session.config.training.iterations, iteration)

    @Slot(object)
    def _on_snapshot_changed(self, snapshot) -> None:
        if snapshot is not None and self.session.state is TrainingState.RUNNING:
            self.playground_snapshot(snapshot)
        else:  # opened, reset or the last state: show it at once, dropping any pending one
            self.playground_snapshot.cancel()
            self.playground_host.set_snapshot(snapshot)

    @Slot(object)
    def _on_progress(self, _progress) -> None:
        self.setWindowModified(self.session.unsaved or self.session.drawn_unsaved)

    @Slot(object)
    def _on_state_changed(self, state: TrainingState) -> None:
        self._update_actions()
        self._update_title()

    @Slot(object)
    def _on_run_path_changed(self, path) -> None:
        if path is not None:
            self.settings.add_recent_run(path)
        self._update_title()

    @Slot(object)
    def _on_points_loaded(self, points) -> None:
        try:
            self.playground.set_points(points)
        except ValueError as err:
            self.show_error(f"the run's drawn points were not loaded: {err}")

    @Slot()
    def _on_points_changed(self) -> None:  # every drag step too: only what depends on the points
        self.window_actions.clear_points.setEnabled(self.playground_host.has_drawn_work())
        self.window_actions.clear_points.setText(self.playground_host.clear_text())
        self.setWindowModified(self.session.unsaved or self.session.drawn_unsaved)

    @Slot(bool)
    def _on_pause_toggled(self, paused: bool) -> None:
        if paused:
            self.session.pause()
        else:
            self.session.resume()

    @Slot(bool)
    def _on_log_scale_toggled(self, enabled: bool) -> None:
        self.loss_plot.set_log_scale(enabled)
        self.settings.set(keys.LOSS_LOG_SCALE, enabled)

    @Slot(str)
    def _show_message(self, text: str) -> None:
        self.statusBar().showMessage(text, 8000)

    @Slot()
    def _update_actions(self) -> None:
        state, a = self.session.state, self.window_actions
        training = state is not TrainingState.IDLE
        valid = self.config_panel.is_valid()
        preparing = self.session.preparation.busy  # a classification trainer being built off the UI thread
        a.start.setEnabled(not training and valid and not preparing)
        a.start.setToolTip("meta-train a fresh model from the current settings" if valid
                           else f"fix the settings first: {self.config_panel.error}")
        if self.session.followed is not None:  # read-only: another process trains it
            a.start.setEnabled(False)
            a.start.setToolTip("following a run another process trains: File > Stop Following first")
        a.continue_.setEnabled(valid and self.session.can_continue())
        a.pause.setEnabled(training)
        a.stop.setEnabled(training)
        a.reset.setEnabled(training or self.session.snapshot is not None or self.session.history() is not None)
        self._on_points_changed()
        a.pause.blockSignals(True)
        a.pause.setChecked(state is TrainingState.PAUSED)
        a.pause.setText("Resume" if state is TrainingState.PAUSED else "Pause")
        a.pause.blockSignals(False)
        self.state_label.setText("following" if self.session.followed is not None
                                 else "preparing" if preparing else STATE_TEXT[state])

    def _update_title(self) -> None:
        where = f" — {self.session.run_path}" if self.session.run_path is not None else ""
        if self.session.followed is not None:
            where = f" — following {self.session.followed}"
        self.setWindowTitle(f"{self.session.config.name}{where}[*] — {APP_NAME}")
        self.setWindowModified(self.session.unsaved or self.session.drawn_unsaved)

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
