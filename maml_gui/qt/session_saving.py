"""The run-directory side of :class:`~maml_gui.qt.session.ExperimentSession`: Save, Open, the
autosaves' report, and the drawn work (points and drawings) the session's run folder holds.

:class:`SessionSaving` is mixed into the session and uses its signals and attributes
(``folder``, ``trainer``, ``snapshot``, the drawing providers, ...).
"""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import Slot

from maml_gui.core.checkpoint import RunError, load_run
from maml_gui.core.drawn_work import DrawnWork
from maml_gui.qt.run_folder import followed_problem, save_target_problem
from maml_gui.qt.same_experiment import same_experiment
from maml_gui.qt.training_lifecycle import TrainingState

Points = list[tuple[float, float]]
log = logging.getLogger("maml_gui.qt.session")  # the name it logged under before the split


class SessionSaving:
    """Saving, opening and autosaving for :class:`~maml_gui.qt.session.ExperimentSession`."""

    @Slot(str)
    def _on_autosaved(self, path: str) -> None:
        if self.trainer is not None:  # saved as the trainer was then; the last report may lag
            self.folder.saved_iteration = max(self.folder.saved_iteration, self.trainer.iteration)
        written = self.latest_drawn.written()
        self.folder.note_written(written)
        self._mark_drawn_saved(written)
        self.message.emit(f"autosaved to {path}")

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
