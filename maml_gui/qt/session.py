"""The open experiment: its config, trainer, latest snapshot and run directory.

:class:`ExperimentSession` is the one place that drives :mod:`maml_gui.core` for the window:
it starts, pauses, continues and stops training (through :class:`~maml_gui.qt.worker.TrainingThread`),
opens and saves run directories, and tells the widgets what changed through signals. It owns
no widgets, so it is tested without a window.

Two configs are kept apart: ``config`` is what the user is editing, ``model_config`` is what
the current model was trained with. Saving writes the model with its own config.
"""

from __future__ import annotations

import enum
from pathlib import Path
from typing import Callable

from PySide6.QtCore import QObject, Signal, Slot

from maml_gui.core.checkpoint import (RESUME, RunError, is_run, load_resume_state, load_run, resume_trainer, save_run,
                                      save_trainer)
from maml_gui.core.config import ConfigError, ExperimentConfig
from maml_gui.core.device import DeviceError, default_threads
from maml_gui.core.metrics import MetricsHistory
from maml_gui.core.presets import load_preset
from maml_gui.core.snapshot import ModelSnapshot
from maml_gui.core.training import Progress, Trainer
from maml_gui.qt.worker import TrainingThread

Points = list[tuple[float, float]]


class TrainingState(enum.Enum):
    IDLE = "idle"
    RUNNING = "running"
    PAUSED = "paused"


def same_experiment(a: ExperimentConfig, b: ExperimentConfig) -> bool:
    """True when ``b`` differs from ``a`` at most in its name and how long it trains."""
    dump_a, dump_b = a.model_dump(mode="json"), b.model_dump(mode="json")
    for dump in (dump_a, dump_b):
        dump["training"].pop("iterations")
        dump.pop("name")
    return dump_a == dump_b


class ExperimentSession(QObject):
    config_changed = Signal(object)  # ExperimentConfig
    history_reset = Signal(object)  # MetricsHistory to draw from scratch
    progressed = Signal(object)  # Progress
    snapshot_changed = Signal(object)  # ModelSnapshot | None
    state_changed = Signal(object)  # TrainingState
    run_path_changed = Signal(object)  # Path | None
    points_loaded = Signal(object)  # list[(x, y)] read from a run
    message = Signal(str)  # for the status bar
    error = Signal(str)  # for a dialog: one line

    def __init__(self, config: ExperimentConfig | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.config = config or ExperimentConfig()
        self.model_config: ExperimentConfig | None = None
        self.trainer: Trainer | None = None
        self.snapshot: ModelSnapshot | None = None
        self.run_path: Path | None = None
        self.saved_iteration = 0
        self.report_interval_s = 0.1
        self.points_provider: Callable[[], Points] | None = None
        self._job: TrainingThread | None = None
        self._opened_history: MetricsHistory | None = None  # of an opened run, until training resumes
        self._resumable_run: Path | None = None
        self._restarting = False

    # -- state -------------------------------------------------------------------------------
    @property
    def state(self) -> TrainingState:
        if self._job is None:
            return TrainingState.IDLE
        return TrainingState.PAUSED if self._job.paused else TrainingState.RUNNING

    @property
    def iteration(self) -> int:
        return self.snapshot.iteration if self.snapshot is not None else 0

    @property
    def unsaved(self) -> bool:
        """A model was trained further than what is on disk."""
        return self.snapshot is not None and self.snapshot.iteration > self.saved_iteration

    def can_continue(self) -> bool:
        """A stopped trainer (or a resumable run) of this same experiment has iterations left."""
        if self._job is not None or self.model_config is None:
            return False
        if self.iteration >= self.config.training.iterations or not same_experiment(self.model_config, self.config):
            return False
        return self.trainer is not None or self._resumable_run is not None

    # -- config --------------------------------------------------------------------------------
    def set_config(self, config: ExperimentConfig) -> None:
        """The user edited the config; the model stays until training starts again."""
        if config != self.config:
            self.config = config
            self.config_changed.emit(config)

    def new_experiment(self, config: ExperimentConfig) -> None:
        """Start over from ``config``: no model, no run directory."""
        self._forget_model()
        self.config = config
        self.config_changed.emit(config)

    def load_preset(self, name: str) -> bool:
        try:
            config = load_preset(name)
        except ConfigError as err:
            self.error.emit(str(err))
            return False
        self.new_experiment(config)
        self.message.emit(f"loaded preset {name}")
        return True

    def show_model(self, config: ExperimentConfig, snapshot: ModelSnapshot) -> None:
        """Show a model that is not this session's work (the bundled one): nothing unsaved, nothing
        to continue; Train, Open and New replace it without asking."""
        self._forget_model()
        self.model_config, self.snapshot, self.saved_iteration = config, snapshot, snapshot.iteration
        self.snapshot_changed.emit(snapshot)

    def _forget_model(self) -> None:
        self.stop_and_wait(discard=True)
        self.trainer = self.snapshot = self.model_config = None
        self._opened_history = self._resumable_run = None
        self.saved_iteration = 0
        self._set_run_path(None)
        self.history_reset.emit(MetricsHistory())
        self.snapshot_changed.emit(None)

    def _set_run_path(self, path: Path | None) -> None:
        self.run_path = path
        self.run_path_changed.emit(path)

    # -- training ------------------------------------------------------------------------------
    def _threads(self) -> int:
        return self.config.training.threads or default_threads(leave_free=1)

    @Slot()
    def start_training(self) -> bool:
        """Train a fresh model from the current config (the old model is replaced)."""
        if self._job is not None:
            return False
        try:
            trainer = Trainer(self.config, threads=self._threads())
        except (DeviceError, ValueError, RuntimeError) as err:
            self.error.emit(f"cannot start training: {err}")
            return False
        self.trainer, self.model_config, self.saved_iteration = trainer, self.config, 0
        self._opened_history = self._resumable_run = None
        self.history_reset.emit(MetricsHistory())
        self._launch()
        return True

    @Slot()
    def continue_training(self) -> bool:
        """Go on with the stopped trainer, or resume the opened run, up to the config's iterations."""
        if not self.can_continue():
            return False
        if self.trainer is None:
            try:
                self.trainer, _ = resume_trainer(self._resumable_run, threads=self._threads())
            except (RunError, DeviceError, ValueError, RuntimeError) as err:
                self.error.emit(f"cannot resume {self._resumable_run}: {err}")
                return False
            self._opened_history = self._resumable_run = None
        self._launch()
        return True

    def _launch(self, paused: bool = False) -> None:
        autosave = str(self.run_path) if self.run_path is not None else None
        job = TrainingThread(self.trainer, self.config.training.iterations, autosave, self.report_interval_s, self)
        job.progressed.connect(self._on_progress)
        job.failed.connect(self._on_failed)
        job.autosaved.connect(self._on_autosaved)
        job.done.connect(self._on_job_done)
        if paused:
            job.pause()
        self._job = job
        job.start()
        if not self._restarting:
            self.state_changed.emit(self.state)
            self.message.emit(f"training {self.config.training.algorithm} on {self.trainer.device}")

    @Slot()
    def pause(self) -> None:
        if self._job is not None and not self._job.paused:
            self._job.pause()
            self.state_changed.emit(self.state)

    @Slot()
    def resume(self) -> None:
        if self._job is not None and self._job.paused:
            self._job.resume()
            self.state_changed.emit(self.state)

    @Slot()
    def request_stop(self) -> None:
        """Stop after the current iteration; ``state_changed`` follows when the thread has ended."""
        if self._job is not None:
            self._job.request_stop()

    def stop_and_wait(self, timeout_ms: int = 30_000, discard: bool = False) -> bool:
        """Stop training and wait for the thread (closing the window, saving, replacing the model).

        ``discard`` drops the reports still queued for the GUI."""
        job = self._job
        if job is None:
            return True
        if discard:
            job.discard()
        return job.stop_and_wait(timeout_ms)  # emits done -> _on_job_done

    @Slot(object)
    def _on_progress(self, progress: Progress) -> None:
        self.snapshot = progress.snapshot
        self.progressed.emit(progress)
        self.snapshot_changed.emit(progress.snapshot)

    @Slot(str)
    def _on_failed(self, message: str) -> None:
        self.error.emit(message)

    @Slot(str)
    def _on_autosaved(self, path: str) -> None:
        if self.trainer is not None:  # saved as the trainer was then; the last report may lag
            self.saved_iteration = max(self.saved_iteration, self.trainer.iteration)
        self.message.emit(f"autosaved to {path}")

    @Slot()
    def _on_job_done(self) -> None:
        job, self._job = self._job, None
        if job is None:
            return
        job.deleteLater()
        if self._restarting:
            return
        self.state_changed.emit(self.state)
        if self.trainer is not None and self.trainer.iteration != self.iteration:
            # after a failure: the weights of the last good iteration, newer than the last report
            self.snapshot = self.trainer.snapshot()
            self.snapshot_changed.emit(self.snapshot)

    def history(self) -> MetricsHistory | None:
        """The metrics of the current model (the trainer's, or the opened run's)."""
        return self.trainer.history if self.trainer is not None else self._opened_history

    # -- run directories ------------------------------------------------------------------------
    def points(self) -> Points:
        return list(self.points_provider()) if self.points_provider is not None else []

    def save_run(self, path: str | Path | None = None) -> bool:
        """Write the run directory (default: the current one) and make it the autosave target.

        A running training stops for the write and goes on afterwards (paused if it was);
        without a model only the config and the points are written."""
        target = Path(path) if path is not None else self.run_path
        if target is None:
            self.error.emit("choose a folder to save the run in")
            return False
        if target.is_dir() and not is_run(target) and any(target.iterdir()):
            self.error.emit(f"{target} holds other files; choose an empty folder or an earlier run")
            return False
        was_training, was_paused = self._job is not None, self.state is TrainingState.PAUSED
        self._restarting = was_training
        try:
            if was_training and not self.stop_and_wait():
                self.error.emit("training did not stop in time; the run was not saved")
                return False
            saved = self._write_run(target)
            if saved:
                self._set_run_path(target)
            if was_training:
                self._launch(paused=was_paused)
        finally:
            self._restarting = False
        return saved

    def _write_run(self, target: Path) -> bool:
        try:
            if self.trainer is not None:
                save_trainer(target, self.trainer, self.points())
                self.snapshot = self.trainer.snapshot()
            else:
                resume = load_resume_state(self._resumable_run) if self._resumable_run is not None else None
                save_run(target, self.model_config or self.config, self.snapshot, self._opened_history, resume,
                         self.points())
                if resume is not None:
                    self._resumable_run = target
        except (OSError, RunError) as err:
            self.error.emit(f"cannot save the run to {target}: {err}")
            return False
        self.saved_iteration = self.iteration
        kept = self.model_config is not None and not same_experiment(self.model_config, self.config)
        self.message.emit(f"saved {target}" + (" with the config its model was trained with; start training "
                                                "to use the edited settings" if kept else ""))
        return True

    def open_run(self, path: str | Path) -> bool:
        try:
            run = load_run(path)
        except RunError as err:
            self.error.emit(str(err))
            return False
        self._forget_model()
        self.config = run.config
        self.snapshot = run.snapshot
        self.model_config = run.config if run.snapshot is not None else None
        self.saved_iteration = run.iteration
        self._opened_history = run.history
        self._resumable_run = run.path if (run.path / RESUME).is_file() else None
        self._set_run_path(run.path)
        self.config_changed.emit(run.config)
        self.history_reset.emit(run.history)
        self.snapshot_changed.emit(run.snapshot)
        self.points_loaded.emit(list(run.points))
        self.message.emit(f"opened {run.path} (iteration {run.iteration})")
        return True
