"""The main window's reactions to the session (session -> widgets): config, curves, snapshot,
the actions' enabled state, the status text and the title.

:class:`WindowUpdates` is mixed into :class:`~maml_gui.qt.main_window.MainWindow` and uses its
session, panels, plots and actions.
"""

from __future__ import annotations

from PySide6.QtCore import Slot

from maml_gui.core.config import ExperimentConfig
from maml_gui.core.tasks.family_cache import family_for
from maml_gui.qt import settings as keys
from maml_gui.qt.main_window_dialogs import APP_NAME
from maml_gui.qt.training_lifecycle import TrainingState

STATE_TEXT = {TrainingState.IDLE: "idle", TrainingState.RUNNING: "training", TrainingState.PAUSED: "paused"}


class WindowUpdates:
    """What :class:`~maml_gui.qt.main_window.MainWindow` shows of the session."""

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
