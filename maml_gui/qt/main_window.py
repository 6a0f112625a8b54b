"""The main window: playground in the centre, experiment form, training status and live curves
in docks, menus for runs, configs and training.

The window holds no learning logic: it forwards what the user does to the
:class:`~maml_gui.qt.session.ExperimentSession` and draws what the session reports.
Dialogs go through small ``ask_*`` methods so tests can answer them.
"""

from __future__ import annotations


from PySide6.QtCore import Qt, Slot
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import QDockWidget, QLabel, QMainWindow, QMessageBox, QWidget

from maml_gui import __version__
from maml_gui.core.config import ExperimentConfig
from maml_gui.core.metrics import MetricsHistory
from maml_gui.core.snapshot import ModelSnapshot
from maml_gui.core.tasks import build_family
from maml_gui.qt import settings as keys
from maml_gui.qt.actions import create_actions
from maml_gui.qt.export_actions import install_export_actions
from maml_gui.qt.menus import build_menus
from maml_gui.qt.panels.config_panel import ConfigPanel
from maml_gui.qt.panels.training_status import TrainingStatusPanel
from maml_gui.qt.playground import PlaygroundWidget
from maml_gui.qt.plots import AdaptationCurvePlot, MetaLossPlot
from maml_gui.qt.run_files import RunFileCommands
from maml_gui.qt.session import ExperimentSession, TrainingState
from maml_gui.qt.settings import AppSettings
from maml_gui.qt.toml_dialog import ConfigTomlDialog

APP_NAME = "MAML Studio"


class MainWindow(QMainWindow):
    def __init__(self, settings: AppSettings | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("main_window")
        self.settings = settings or AppSettings()
        self.session = ExperimentSession(parent=self)
        self.window_actions = create_actions(self)
        self.files = RunFileCommands(self)
        self.playground = PlaygroundWidget(self)
        self.setCentralWidget(self.playground)
        self.config_panel = ConfigPanel(self)
        a = self.window_actions
        self.status_panel = TrainingStatusPanel([a.start, a.continue_, a.pause, a.stop], self)
        self.loss_plot = MetaLossPlot(self, log_scale=self.settings.get(keys.LOSS_LOG_SCALE))
        self.adaptation_plot = AdaptationCurvePlot(self)
        self.docks = {
            "experiment": self._dock("Experiment", self.config_panel, Qt.DockWidgetArea.LeftDockWidgetArea),
            "training": self._dock("Training", self.status_panel, Qt.DockWidgetArea.RightDockWidgetArea),
            "meta_loss": self._dock("Meta-loss", self.loss_plot, Qt.DockWidgetArea.BottomDockWidgetArea),
            "adaptation": self._dock("Adaptation at validation", self.adaptation_plot,
                                     Qt.DockWidgetArea.BottomDockWidgetArea),
        }
        self.state_label = QLabel(self)
        self.statusBar().addPermanentWidget(self.state_label)
        self.recent_menu, self.export_menu = build_menus(self, self.window_actions, self.playground.undo_stack,
                                                         self.docks)
        install_export_actions(self)  # File > Export: model, metrics, plot images
        self.window_actions.loss_log_scale.setChecked(self.loss_plot.log_scale)
        self._connect()
        self.session.points_provider = self.playground.points
        self._shut_down = False
        self._show_config(self.session.config)
        self._update_actions()
        self._restore_layout()

    def _dock(self, title: str, widget: QWidget, area: Qt.DockWidgetArea) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(f"dock_{widget.objectName() or title}")
        dock.setWidget(widget)
        self.addDockWidget(area, dock)
        return dock

    def _connect(self) -> None:
        a, s = self.window_actions, self.session
        f = self.files
        a.open_run.triggered.connect(f.open_run_dialog)
        a.save_run.triggered.connect(f.save_run)
        a.save_run_as.triggered.connect(f.save_run_as)
        a.import_config.triggered.connect(f.import_config)
        a.export_config.triggered.connect(f.export_config)
        a.quit.triggered.connect(self.close)
        a.edit_toml.triggered.connect(self.edit_toml)
        a.start.triggered.connect(self.start_training)
        a.continue_.triggered.connect(s.continue_training)
        a.pause.toggled.connect(self._on_pause_toggled)
        a.stop.triggered.connect(s.request_stop)
        a.loss_log_scale.toggled.connect(self._on_log_scale_toggled)
        a.about.triggered.connect(self.show_about)
        self.config_panel.config_edited.connect(self._on_config_edited)
        self.config_panel.preset_chosen.connect(self.load_preset)
        self.config_panel.toml_requested.connect(self.edit_toml)
        s.config_changed.connect(self._show_config)
        s.history_reset.connect(self.loss_plot.reset)
        s.history_reset.connect(self.adaptation_plot.reset)
        s.history_reset.connect(self._on_history_reset)
        s.progressed.connect(self.loss_plot.add_progress)
        s.progressed.connect(self.adaptation_plot.add_progress)
        s.progressed.connect(self.status_panel.show_progress)
        s.progressed.connect(self._on_progress)
        s.snapshot_changed.connect(self.playground.set_snapshot)
        s.state_changed.connect(self._on_state_changed)
        s.run_path_changed.connect(self._on_run_path_changed)
        s.points_loaded.connect(self._on_points_loaded)
        s.message.connect(self._show_message)
        s.error.connect(self.show_error)

    # -- dialogs (replaced in tests) --------------------------------------------------------------
    def ask_save_before_closing(self) -> QMessageBox.StandardButton:
        buttons = QMessageBox.StandardButton
        return QMessageBox.question(
            self, APP_NAME, f"The model trained to iteration {self.session.iteration} is not saved. Save it first?",
            buttons.Save | buttons.Discard | buttons.Cancel, buttons.Save)

    @Slot(str)
    def show_error(self, message: str) -> None:
        self._show_message(message)
        QMessageBox.warning(self, APP_NAME, message)

    @Slot()
    def show_about(self) -> None:
        QMessageBox.about(self, APP_NAME, f"<b>{APP_NAME}</b> {__version__}<br>Meta-learning (MAML, FOMAML, "
                          "Reptile, ANIL, Meta-SGD, MAML++) on few-shot regression tasks.")

    # -- commands -----------------------------------------------------------------------------------
    @Slot(str)
    def load_preset(self, name: str) -> None:
        if self.session.load_preset(name):
            self.settings.set(keys.LAST_PRESET, name)

    @Slot()
    def start_training(self) -> None:
        self.session.start_training()

    @Slot()
    def edit_toml(self) -> None:
        dialog = ConfigTomlDialog(self.session.config, self)
        if dialog.exec() and dialog.config is not None:
            self.session.set_config(dialog.config)

    # -- what File > Export reads (see maml_gui.qt.export_actions) --------------------------------
    def current_snapshot(self) -> ModelSnapshot | None:
        return self.session.snapshot

    def current_config(self) -> ExperimentConfig:
        return self.session.model_config or self.session.config

    def current_history(self) -> MetricsHistory | None:
        return self.session.history()

    def current_run_dir(self) -> str | None:
        return str(self.session.run_path) if self.session.run_path is not None else None

    # -- session -> widgets -------------------------------------------------------------------------
    @Slot(object)
    def _on_config_edited(self, config: ExperimentConfig) -> None:
        self.session.set_config(config)
        self._update_actions()

    @Slot(object)
    def _show_config(self, config: ExperimentConfig) -> None:
        self.config_panel.set_config(config)
        self.playground.set_family(build_family(config.task), config.task.shots)
        self.status_panel.set_total(config.training.iterations)
        self._update_title()
        self._update_actions()

    @Slot(object)
    def _on_history_reset(self, history) -> None:
        self.status_panel.reset(self.session.config.training.iterations)
        self.status_panel.set_iteration(history.rows[-1][0] if history.rows else self.session.iteration)

    @Slot(object)
    def _on_progress(self, _progress) -> None:
        self.setWindowModified(self.session.unsaved)

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

    def _update_actions(self) -> None:
        state, a = self.session.state, self.window_actions
        training = state is not TrainingState.IDLE
        a.start.setEnabled(not training)
        a.continue_.setEnabled(self.session.can_continue())
        a.pause.setEnabled(training)
        a.stop.setEnabled(training)
        a.pause.blockSignals(True)
        a.pause.setChecked(state is TrainingState.PAUSED)
        a.pause.setText("Resume" if state is TrainingState.PAUSED else "Pause")
        a.pause.blockSignals(False)
        self.state_label.setText({TrainingState.IDLE: "idle", TrainingState.RUNNING: "training",
                                  TrainingState.PAUSED: "paused"}[state])

    def _update_title(self) -> None:
        where = f" — {self.session.run_path}" if self.session.run_path is not None else ""
        self.setWindowTitle(f"{self.session.config.name}{where}[*] — {APP_NAME}")
        self.setWindowModified(self.session.unsaved)

    # -- layout and closing ---------------------------------------------------------------------------
    def _restore_layout(self) -> None:
        geometry, state = self.settings.get(keys.WINDOW_GEOMETRY), self.settings.get(keys.WINDOW_STATE)
        if geometry.isEmpty() or not self.restoreGeometry(geometry):
            self.resize(1440, 920)
        if state.isEmpty() or not self.restoreState(state):
            self._default_layout()

    def _default_layout(self) -> None:
        """Form on the left, full height; training numbers on the right; curves along the bottom."""
        self.setCorner(Qt.Corner.BottomLeftCorner, Qt.DockWidgetArea.LeftDockWidgetArea)
        self.setCorner(Qt.Corner.BottomRightCorner, Qt.DockWidgetArea.RightDockWidgetArea)
        d = self.docks
        self.resizeDocks([d["experiment"], d["training"]], [400, 300], Qt.Orientation.Horizontal)
        self.resizeDocks([d["meta_loss"]], [300], Qt.Orientation.Vertical)

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt's name
        if self.session.unsaved and self.settings.get(keys.CONFIRM_DISCARD):
            answer = self.ask_save_before_closing()
            if answer == QMessageBox.StandardButton.Cancel or (
                    answer == QMessageBox.StandardButton.Save and not self.files.save_run()):
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
        if not self.session.stop_and_wait(discard=True):
            return False
        if not self._shut_down:
            self._shut_down = True
            self.playground.shutdown()
            self.settings.set(keys.WINDOW_GEOMETRY, self.saveGeometry())
            self.settings.set(keys.WINDOW_STATE, self.saveState())
            self.settings.sync()
        return True
