"""Training > Sweep…: from the dialog to a running :class:`~.job.SweepJob` and its window.

The controller gets its collaborators passed in (the current config, whether the form is
valid, settings, how to show errors and messages) and owns the one sweep that may run at a
time. Closing the app while a sweep runs asks first; a yes stops the sweep and waits for its
worker processes to save and end (killing them only if they take too long), so no process is
left behind.
"""

from __future__ import annotations

from typing import Callable

from PySide6.QtCore import QObject, QTimer, Signal, Slot
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QDialog, QMainWindow, QMenu, QMessageBox, QWidget

from maml_gui.core.config import ExperimentConfig
from maml_gui.core.sweep import SweepError, prepare_directory
from maml_gui.qt.settings import AppSettings

from .dialog import SweepDialog, SweepRequest
from .job import SweepJob
from .window import SweepWindow

RUNS_BATCH_MS = 2000  # redrawing the Runs panel's overlays takes ~0.1 s: at most one batch of trials per 2 s
STOP_WAIT_MS = 20_000  # running trials stop between iterations and save; then the pool's processes exit
KILL_WAIT_MS = 5_000
Button = QMessageBox.StandardButton


class SweepController(QObject):
    runsRead = Signal(object)  # list[ComparedRun]: trials of the running sweep saved (for the Runs panel)
    compareRequested = Signal(object)  # list of trial folders to compare in the playground
    sweepStarted = Signal(object)  # the SweepJob

    def __init__(self, config: Callable[[], ExperimentConfig], config_valid: Callable[[], bool],
                 settings: AppSettings, show_error: Callable[[str], None], show_message: Callable[[str], None],
                 parent: QWidget) -> None:
        super().__init__(parent)
        self._config, self._config_valid = config, config_valid
        self._settings, self._show_error, self._show_message = settings, show_error, show_message
        self._parent = parent
        self.job: SweepJob | None = None
        self._saved_runs: dict[str, object] = {}  # trial -> its newest ComparedRun, handed over in batches
        self._runs_timer = QTimer(self, singleShot=True, interval=RUNS_BATCH_MS)
        self._runs_timer.timeout.connect(self._hand_over_runs)
        self.window = SweepWindow(parent)
        self.window.stopRequested.connect(self.stop)
        self.window.compareRequested.connect(self.compareRequested)
        self.sweep_action = QAction("S&weep…", parent, objectName="sweep")
        self.sweep_action.setShortcut("Ctrl+Shift+E")
        self.sweep_action.setStatusTip("train variants of this experiment (fields × values × seeds) in worker "
                                       "processes, one run directory each")
        self.sweep_action.triggered.connect(self.open_dialog)
        self.progress_action = QAction("Sweep &Progress", parent, objectName="sweep_progress")
        self.progress_action.setStatusTip("the running or last sweep: trials done, status, live curves")
        self.progress_action.setEnabled(False)
        self.progress_action.triggered.connect(self.show_window)

    # -- dialogs (replaced in tests) ----------------------------------------------------------
    def run_dialog(self, dialog: SweepDialog) -> bool:
        return dialog.exec() == QDialog.DialogCode.Accepted

    def ask_stop_for_close(self) -> bool:
        job = self.job
        answer = QMessageBox.question(
            self._parent, "Sweep running",
            f"A sweep is running ({job.done_count()} of {len(job.trials)} trials done). Stop it and quit? Finished "
            "trials are kept; running ones save and continue when the same sweep is started again.",
            Button.Yes | Button.Cancel, Button.Cancel)
        return answer == Button.Yes

    # -- commands ---------------------------------------------------------------------------
    @Slot()
    def open_dialog(self) -> None:
        if self.is_running():
            self._show_error("a sweep is running; stop it before starting another")
            self.show_window()
            return
        if not self._config_valid():
            self._show_error("fix the experiment's settings first: the sweep starts from them")
            return
        dialog = SweepDialog(self._config(), self._settings.start_directory(), self._parent)
        try:
            if self.run_dialog(dialog) and dialog.request() is not None:
                self.start(dialog.request())
        finally:
            dialog.deleteLater()

    def start(self, request: SweepRequest, eval_tasks: int | None = None) -> SweepJob | None:
        """Write the sweep's folder and start its trials; None (and a message) when it cannot."""
        if self.is_running():
            self._show_error("a sweep is running; stop it before starting another")
            return None
        try:
            rerun = prepare_directory(request.out, request.plan.record())
        except SweepError as err:
            self._show_error(str(err).replace("--out", "folder"))
            return None
        self._settings.remember_directory(request.out.parent)
        job = SweepJob(request.out, request.plan.trials, request.jobs, eval_tasks, parent=self)
        job.runRead.connect(self._on_run_read)
        job.finished.connect(self._on_finished)
        self.job = job
        self.window.show_job(job)
        job.start()
        self.progress_action.setEnabled(True)
        self.show_window()
        self._show_message(f"sweep of {len(job.trials)} trials {'continued' if rerun else 'started'} in {request.out}")
        self.sweepStarted.emit(job)
        return job

    @Slot()
    def show_window(self) -> None:
        if self.job is not None:
            self.window.show()
            self.window.raise_()

    @Slot()
    def stop(self) -> None:
        if self.is_running():
            self.job.stop()
            self.window._update_header()
            self._show_message("stopping the sweep: finished trials are kept, running ones save")

    def is_running(self) -> bool:
        return self.job is not None and self.job.is_running()

    # -- closing ----------------------------------------------------------------------------
    def confirm_close(self) -> bool:
        """True when the app may close: no sweep runs, or the user chose to stop it (stopped here)."""
        if not self.is_running():
            return True
        if not self.ask_stop_for_close():
            return False
        return self.shutdown()

    def shutdown(self) -> bool:
        """Stop the sweep and wait for its processes; kill them if they do not end in time."""
        job = self.job
        if job is None or not job.is_running():
            return True
        job.stop()
        if job.wait(STOP_WAIT_MS):
            return True
        job.runner.terminate()
        return job.wait(KILL_WAIT_MS)

    # -- slots ------------------------------------------------------------------------------
    @Slot(object)
    def _on_run_read(self, run) -> None:
        self._saved_runs[run.path.name] = run
        if not self._runs_timer.isActive():
            self._runs_timer.start()

    @Slot()
    def _hand_over_runs(self) -> None:
        """The trials saved since the last batch, at once: the Runs panel redraws once per batch."""
        self._runs_timer.stop()
        runs, self._saved_runs = list(self._saved_runs.values()), {}
        if runs:
            self.runsRead.emit(runs)

    @Slot()
    def _on_finished(self) -> None:
        self._hand_over_runs()
        job = self.job
        if job is not None:
            done = job.done_count()
            self._show_message(f"sweep {'stopped' if job.stopping else 'ended'}: {done} of {len(job.trials)} "
                               f"trials finished, in {job.out}")


def add_sweep_menu_items(window: QMainWindow, controller: SweepController, *more: QAction) -> None:
    """Sweep…, Sweep Progress (and ``more``) at the end of the Training menu."""
    menu = window.menuBar().findChild(QMenu, "training_menu")
    if menu is not None:
        menu.addSeparator()
        for action in (controller.sweep_action, controller.progress_action, *more):
            menu.addAction(action)
