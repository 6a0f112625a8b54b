"""The open experiment: its config, its model, and which run directory holds it.

:class:`ExperimentSession` drives :mod:`maml_gui.core` for the window and signals what changed;
it owns no widgets. It keeps the config bookkeeping (``config``, being edited, apart from
``model_config``, what the model was trained with and is saved with) and hands the rest to
:class:`~maml_gui.qt.training_lifecycle.TrainingLifecycle` (the thread) and
:class:`~maml_gui.qt.run_folder.RunFolder` (the directory); saving and opening are in
:mod:`~maml_gui.qt.session_saving`, following a run in :mod:`~maml_gui.qt.session_following`. A run on disk is never overwritten
by a different training: :meth:`start_training` makes a new model that belongs to no folder
until saved; only :meth:`continue_training` autosaves into the folder the model came from.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from PySide6.QtCore import QObject, Signal, Slot

from maml_gui.core.checkpoint import RunError, resume_trainer
from maml_gui.core.config import ConfigError, ExperimentConfig
from maml_gui.core.device import DeviceError, default_threads
from maml_gui.core.drawn_work import DrawnWork, LatestDrawnWork
from maml_gui.core.metrics import MetricsHistory
from maml_gui.core.presets import load_preset
from maml_gui.core.snapshot import ModelSnapshot
from maml_gui.core.training import Progress, Trainer
from maml_gui.qt.trainer_preparation import TrainerPreparation, builds_slowly
from maml_gui.qt.run_folder import RunFolder
from maml_gui.qt.same_experiment import same_experiment
from maml_gui.qt.session_following import SessionFollowing
from maml_gui.qt.session_saving import SessionSaving
from maml_gui.qt.training_lifecycle import TrainingLifecycle, TrainingState

__all__ = ["ExperimentSession", "TrainingState", "same_experiment"]

Points = list[tuple[float, float]]


class ExperimentSession(SessionSaving, SessionFollowing, QObject):
    config_changed = Signal(object)  # ExperimentConfig
    history_reset = Signal(object)  # MetricsHistory to draw from scratch
    progressed = Signal(object)  # Progress
    snapshot_changed = Signal(object)  # ModelSnapshot | None
    state_changed = Signal(object)  # TrainingState
    run_path_changed = Signal(object)  # Path | None
    points_loaded = Signal(object)  # list[(x, y)] read from a run
    drawing_loaded = Signal(object)  # DrawnTask | None read from a run (the image playground's)
    class_points_loaded = Signal(object)  # list[(x, y, class)] read from a run (the 2-D classification playground's)
    drawn_saved = Signal()  # the drawings were written or read: ``drawn_unsaved`` starts again from here
    following_changed = Signal(object)  # Path of the run followed read-only (qt/follow.py), or None
    message = Signal(str)  # for the status bar
    error = Signal(str)  # for a dialog: one line

    def __init__(self, config: ExperimentConfig | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.config = config or ExperimentConfig()
        self.model_config: ExperimentConfig | None = None
        self.trainer: Trainer | None = None
        self.snapshot: ModelSnapshot | None = None
        self.points_provider: Callable[[], Points] | None = None
        self.drawing_provider: Callable[[], object] | None = None  # -> DrawnTask, saved as drawing.json
        self.class_points_provider: Callable[[], list] | None = None  # -> [(x, y, class)], class_points.json
        self.latest_drawn = LatestDrawnWork()  # what autosaves write with the model (refreshed on each report)
        self._saved_drawn = DrawnWork()  # the drawings as the session's run folder holds them
        self.folder = RunFolder()
        self.training = TrainingLifecycle(self)
        self.training.progressed.connect(self._on_progress)
        self.training.failed.connect(self.error)
        self.training.autosaved.connect(self._on_autosaved)
        self.training.ended.connect(self._on_training_ended)
        self._restarting = False  # stopped for a save, started again at once: no state flicker
        self.preparation = TrainerPreparation(self)  # classification trainers are built off the UI thread
        self.preparation.message.connect(self.message)
        self.preparation.failed.connect(self.error)
        self.preparation.busy_changed.connect(self._on_preparation_changed)
        self.followed: Path | None = None  # a run another process writes: shown here, never written

    # -- state -------------------------------------------------------------------------------
    @property
    def state(self) -> TrainingState:
        return self.training.state

    @property
    def iteration(self) -> int:
        return self.snapshot.iteration if self.snapshot is not None else 0

    @property
    def run_path(self) -> Path | None:
        return self.folder.path

    @property
    def unsaved(self) -> bool:
        """A model was trained further than what is on disk."""
        return self.snapshot is not None and self.snapshot.iteration > self.folder.saved_iteration

    @property
    def drawn_unsaved(self) -> bool:
        """Points or drawings were changed since the session's run folder was opened or saved (an
        experiment in no folder is a sandbox: its drawings alone are never asked about)."""
        return self.folder.path is not None and not self.drawn_work().same_as(self._saved_drawn)

    def saved_run_path(self) -> Path | None:
        """The run directory that holds this session's trained model (opened or saved), if any."""
        return self.folder.path if self.folder.saved_iteration > 0 else None

    def why_not_continue(self) -> str | None:
        """Why Continue cannot go on with the current model (one phrase), or None when it can."""
        if self.state is not TrainingState.IDLE:
            return "it is training"
        if self.followed is not None:
            return f"it follows {self.followed}, which another process trains"
        if self.model_config is None:
            return "there is no trained model"
        if not same_experiment(self.model_config, self.config):
            return "the settings differ from the ones its model was trained with"
        if self.iteration >= self.config.training.iterations:
            return f"it has trained {self.iteration} iterations: raise Iterations above that first"
        if self.trainer is None and self.folder.resumable is None:
            return "the run has no resume state"
        return None

    def can_continue(self) -> bool:
        """A stopped trainer (or a resumable run) of this same experiment has iterations left."""
        return self.why_not_continue() is None

    def history(self) -> MetricsHistory | None:
        """The metrics of the current model (the trainer's, or the opened run's)."""
        return self.trainer.history if self.trainer is not None else self.folder.opened_history

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
        self.model_config, self.snapshot, self.folder.saved_iteration = config, snapshot, snapshot.iteration
        self.snapshot_changed.emit(snapshot)

    def _forget_model(self) -> None:
        self.stop_following()
        self.stop_and_wait(discard=True)
        self.preparation.cancel()
        self.trainer = self.snapshot = self.model_config = None
        self.folder.forget()
        self.run_path_changed.emit(None)
        self.history_reset.emit(MetricsHistory())
        self.snapshot_changed.emit(None)

    # -- training ------------------------------------------------------------------------------
    def _threads(self) -> int:
        return self.config.training.threads or default_threads(leave_free=1)

    @Slot()
    def start_training(self) -> bool:
        """Train a new model from the current config. It replaces the model in memory but belongs
        to no run directory until saved: the folder of the old model is left as it is on disk."""
        if self.state is not TrainingState.IDLE or self.followed is not None:
            return False
        config, threads = self.config, self._threads()
        if builds_slowly(config):  # built off the UI thread; _start_with follows
            self.preparation.prepare(config, lambda: Trainer(config, threads=threads), self._start_with,
                                     "cannot start training")
            return True
        try:
            trainer = Trainer(config, threads=threads)
        except (DeviceError, ValueError, RuntimeError) as err:
            self.error.emit(f"cannot start training: {err}")
            return False
        self._start_with(trainer)
        return True

    def _start_with(self, trainer: Trainer) -> None:
        if self.state is not TrainingState.IDLE:
            return
        left = self.saved_run_path()
        self.trainer, self.model_config = trainer, trainer.config
        if left is not None:  # its folder holds the old model: leave it as it is
            self.folder.forget()
            self.run_path_changed.emit(None)
        else:  # a folder with only a config (or none) takes the new model's autosaves
            self.folder.detach()
        self.history_reset.emit(MetricsHistory())
        self._launch()
        if left is not None:
            self.message.emit(f"training a new model; {left} is left as it was (Save As keeps the new one)")

    @Slot()
    def continue_training(self) -> bool:
        """Go on with the stopped trainer, or resume the opened run, up to the config's iterations;
        autosaves into the run directory the model came from."""
        if not self.can_continue():
            return False
        if self.trainer is None:
            path, threads = self.folder.resumable, self._threads()
            if builds_slowly(self.config):  # built off the UI thread; _continue_with follows
                self.preparation.prepare(self.config, lambda: resume_trainer(path, threads=threads)[0],
                                         self._continue_with, f"cannot resume {path}")
                return True
            try:
                trainer, _ = resume_trainer(path, threads=threads)
            except (RunError, DeviceError, ValueError, RuntimeError) as err:
                self.error.emit(f"cannot resume {path}: {err}")
                return False
            self._continue_with(trainer)
            return True
        self.trainer.extend_to(self.config.training.iterations)  # the schedule and a save span the new total
        self._launch()
        return True

    def _continue_with(self, trainer: Trainer) -> None:
        """Go on with ``trainer`` resumed from the opened run; it autosaves there."""
        if self.state is not TrainingState.IDLE or self.trainer is not None:
            return
        self.trainer = trainer
        self.folder.detach()
        self.trainer.extend_to(self.config.training.iterations)
        self._launch()

    def _launch(self, paused: bool = False) -> None:
        self._refresh_drawn()
        self.training.start(self.trainer, self.config.training.iterations, self.folder.path, paused,
                            self.latest_drawn)
        if not self._restarting:
            self.state_changed.emit(self.state)
            self.message.emit(f"training {self.config.training.algorithm} on {self.trainer.device}")

    @Slot()
    def pause(self) -> None:
        if self.training.pause():
            self.state_changed.emit(self.state)

    @Slot()
    def resume(self) -> None:
        if self.training.resume():
            self.state_changed.emit(self.state)

    @Slot()
    def request_stop(self) -> None:
        """Stop after the current iteration; ``state_changed`` follows when the thread has ended."""
        self.training.request_stop()

    def stop_and_wait(self, timeout_ms: int = 30_000, discard: bool = False) -> bool:
        """Stop training and wait for the thread (closing the window, saving, replacing the model).

        ``discard`` drops the reports still queued for the GUI."""
        return self.training.stop_and_wait(timeout_ms, discard)

    @Slot(object)
    def _on_progress(self, progress: Progress) -> None:
        self._refresh_drawn()  # at most ~10 a second: the next autosave writes it
        self.snapshot = progress.snapshot
        self.progressed.emit(progress)
        self.snapshot_changed.emit(progress.snapshot)

    @Slot()
    def _on_preparation_changed(self) -> None:
        self.state_changed.emit(self.state)  # still idle, but Train waits while a trainer is being built

    @Slot()
    def _on_training_ended(self) -> None:
        if self._restarting:
            return
        self.state_changed.emit(self.state)
        if self.trainer is not None and self.trainer.iteration != self.iteration:
            # after a failure: the weights of the last good iteration, newer than the last report
            self.snapshot = self.trainer.snapshot()
            self.snapshot_changed.emit(self.snapshot)
