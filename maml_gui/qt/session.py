"""The open experiment: its config, its model, and which run directory holds it.

:class:`ExperimentSession` drives :mod:`maml_gui.core` for the window and signals what changed;
it owns no widgets. It keeps the config bookkeeping (``config``, being edited, apart from
``model_config``, what the model was trained with and is saved with) and hands the rest to
:class:`~maml_gui.qt.training_lifecycle.TrainingLifecycle` (the thread) and
:class:`~maml_gui.qt.run_folder.RunFolder` (the directory). A run on disk is never overwritten
by a different training: :meth:`start_training` makes a new model that belongs to no folder
until saved; only :meth:`continue_training` autosaves into the folder the model came from.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Callable

from PySide6.QtCore import QObject, Signal, Slot

from maml_gui.core.checkpoint import RunData, RunError, load_run, resume_trainer
from maml_gui.core.config import ConfigError, ExperimentConfig
from maml_gui.core.device import DeviceError, default_threads
from maml_gui.core.drawn_work import DrawnWork, LatestDrawnWork
from maml_gui.core.metrics import MetricsHistory
from maml_gui.core.presets import load_preset
from maml_gui.core.snapshot import ModelSnapshot
from maml_gui.core.training import Progress, Trainer
from maml_gui.qt.trainer_preparation import TrainerPreparation, builds_slowly
from maml_gui.qt.run_folder import RunFolder, followed_problem, save_target_problem
from maml_gui.qt.training_lifecycle import TrainingLifecycle, TrainingState

__all__ = ["ExperimentSession", "TrainingState", "same_experiment"]

Points = list[tuple[float, float]]
log = logging.getLogger(__name__)


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

    @Slot(str)
    def _on_autosaved(self, path: str) -> None:
        if self.trainer is not None:  # saved as the trainer was then; the last report may lag
            self.folder.saved_iteration = max(self.folder.saved_iteration, self.trainer.iteration)
        self.folder.note_written(self.latest_drawn.written())
        self._mark_drawn_saved(self.latest_drawn.written())
        self.message.emit(f"autosaved to {path}")

    @Slot()
    def _on_training_ended(self) -> None:
        if self._restarting:
            return
        self.state_changed.emit(self.state)
        if self.trainer is not None and self.trainer.iteration != self.iteration:
            # after a failure: the weights of the last good iteration, newer than the last report
            self.snapshot = self.trainer.snapshot()
            self.snapshot_changed.emit(self.snapshot)

    # -- run directories ------------------------------------------------------------------------
    def points(self) -> Points:
        return list(self.points_provider()) if self.points_provider is not None else []

    def drawn_work(self) -> DrawnWork:
        """What the user drew in every playground, as Save and the autosaves write it."""
        class_points = self.class_points_provider() if self.class_points_provider is not None else None
        return DrawnWork(tuple(self.points()), None if class_points is None else tuple(class_points),
                         self.drawing_provider() if self.drawing_provider is not None else None)

    def _mark_drawn_saved(self, drawn: DrawnWork) -> None:
        self._saved_drawn = drawn
        self.drawn_saved.emit()

    def _refresh_drawn(self) -> None:
        """What the autosaves write into the session's folder from now on."""
        self.latest_drawn.set(self.folder.guarded(self.drawn_work(), self.folder.path))

    def save_run(self, path: str | Path | None = None) -> bool:
        """Write the run directory (default: the current one) and make it the autosave target.

        A running training stops for the write and goes on afterwards (paused if it was);
        without a model only the config and the points are written."""
        target = Path(path) if path is not None else self.folder.path
        if target is None:
            self.error.emit("choose a folder to save the run in")
            return False
        if problem := save_target_problem(target) or followed_problem(target, self.followed):
            self.error.emit(problem)
            return False
        was_training, was_paused = self.state is not TrainingState.IDLE, self.state is TrainingState.PAUSED
        self._restarting = was_training
        try:
            if was_training and not self.stop_and_wait():
                self.error.emit("training did not stop in time; the run was not saved")
                return False
            saved = self._write_run(target)
            if was_training:
                self._launch(paused=was_paused)
        finally:
            self._restarting = False
        return saved

    def _write_run(self, target: Path) -> bool:
        drawn = self.drawn_work()
        try:
            self.folder.write(target, self.trainer, self.model_config or self.config, self.snapshot, drawn)
        except (OSError, RunError) as err:
            self.error.emit(f"cannot save the run to {target}: {err}")
            return False
        if self.trainer is not None:
            self.snapshot = self.trainer.snapshot()
        self.latest_drawn.mark_written(drawn)  # the folder's newest: an older autosave reported late says so
        self._mark_drawn_saved(drawn)
        self.stop_following()  # the copy is the session's folder now
        self.run_path_changed.emit(target)
        kept = self.model_config is not None and not same_experiment(self.model_config, self.config)
        self.message.emit(f"saved {target}" + (" with the config its model was trained with; start training "
                                                "to use the edited settings" if kept else ""))
        return True

    def open_run(self, path: str | Path) -> bool:
        try:
            run = load_run(path)  # read fully before anything is forgotten
        except RunError as err:
            self.error.emit(str(err))
            return False
        self._forget_model()
        self.folder.adopt(run)
        self.config = run.config
        self.snapshot = run.snapshot
        self.model_config = run.config if run.snapshot is not None else None
        self.run_path_changed.emit(run.path)
        self.config_changed.emit(run.config)
        self.history_reset.emit(run.history)
        self.snapshot_changed.emit(run.snapshot)
        self.points_loaded.emit(list(run.points))
        self.drawing_loaded.emit(run.drawing)
        self.class_points_loaded.emit(list(run.class_points))
        self._mark_drawn_saved(self.drawn_work())  # as shown now (a damaged file's points: none)
        opened = f"opened {run.path} (iteration {run.iteration})"
        for why in run.unread.values():  # a damaged playground file: the run opens without it, the file stays
            log.warning("%s: %s; not loaded, the file is left as it is", run.path, why)
            opened += f"; not loaded: {why} (the file is left as it is)"
        self.message.emit(opened)
        return True

    # -- following a run another process writes (driven by qt/follow.py) --------------------------
    def follow_run(self, run: RunData, first: bool = True) -> None:
        """Show ``run`` read-only while another process writes it: no folder of this session (Save
        asks for another), nothing to continue; ``first=False`` keeps the drawn points."""
        self.followed = None  # replaced, not ended
        self._forget_model()
        self.config, self.snapshot = run.config, run.snapshot
        self.model_config = run.config if run.snapshot is not None else None
        self.folder.saved_iteration, self.folder.opened_history = run.iteration, run.history
        self.followed = run.path
        self.following_changed.emit(run.path)
        self.config_changed.emit(run.config)
        self.history_reset.emit(run.history)
        self.snapshot_changed.emit(run.snapshot)
        if first:
            self.points_loaded.emit(list(run.points))
            self.class_points_loaded.emit(list(run.class_points))
            self.drawing_loaded.emit(run.drawing)

    def show_followed(self, progress: Progress | None, snapshot: ModelSnapshot | None) -> None:
        """What landed in the followed run: the curves grow; a newer model replaces the one shown."""
        if progress is not None:
            self.progressed.emit(progress)
        if snapshot is not None and self.followed is not None:
            self.snapshot, self.model_config, self.folder.saved_iteration = snapshot, self.config, snapshot.iteration
            self.snapshot_changed.emit(snapshot)

    @Slot()
    def stop_following(self) -> None:
        """The followed run's last state stays shown, as a model saved nowhere."""
        if self.followed is not None:
            self.followed = None
            self.following_changed.emit(None)
