"""The run directory the current model belongs to, and what of it is on disk.

:class:`RunFolder` remembers the folder (the autosave target), the iteration saved there, and
for an opened run its curves and resume state until training takes over. It reads and writes
through :mod:`maml_gui.core.checkpoint` and raises :class:`~maml_gui.core.checkpoint.RunError`
or ``OSError``; the :class:`~maml_gui.qt.session.ExperimentSession` turns those into messages.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from maml_gui.core.checkpoint import (DRAWING, METRICS, RESUME, VALIDATION, WEIGHTS, RunData, is_run, load_resume_state,
                                      save_run, save_trainer)
from maml_gui.core.config import ExperimentConfig
from maml_gui.core.drawn_work import CLASS_POINTS, DrawnWork
from maml_gui.core.metrics import MetricsHistory
from maml_gui.core.snapshot import ModelSnapshot
from maml_gui.core.training import Trainer


def save_target_problem(target: Path) -> str | None:
    """Why ``target`` cannot take a run (a folder holding other files), or None."""
    if target.exists() and not target.is_dir():
        return f"{target} is a file; choose a folder"
    if target.is_dir() and not is_run(target) and any(target.iterdir()):
        return f"{target} holds other files; choose an empty folder or an earlier run"
    return None


def followed_problem(target: Path, followed: Path | None) -> str | None:
    """Why ``target`` cannot take a run while ``followed`` is followed (it is, or is inside, it), or None."""
    if followed is None:
        return None
    try:
        target, followed = target.resolve(), followed.resolve()
    except (OSError, RuntimeError):  # a symlink loop: compare as written
        pass
    if target == followed or followed in target.parents:
        return f"{target} is in the run being followed, which is never written; choose another folder"
    return None


def is_other_run(target: Path, current: Path | None) -> bool:
    """``target`` holds a run that is not ``current``: saving there replaces it."""
    if not is_run(target):
        return False
    return current is None or target.resolve() != current.resolve()


class RunFolder:
    def __init__(self) -> None:
        self.path: Path | None = None  # where the model is saved and autosaved
        self.saved_iteration = 0
        self.opened_history: MetricsHistory | None = None  # of an opened run, until training takes over
        self.resumable: Path | None = None  # an opened run with a resume state
        self.unread: dict[str, str] = {}  # optional files of the opened run that were damaged: left as they are

    def forget(self) -> None:
        """No folder: the model (if any) is new and saved nowhere."""
        self.path = None
        self.saved_iteration = 0
        self.opened_history = self.resumable = None
        self.unread = {}

    def detach(self) -> None:
        """Training takes over from the opened files (they stay on disk, untouched)."""
        self.opened_history = self.resumable = None

    def adopt(self, run: RunData) -> None:
        """The model now is ``run``'s (read with :func:`~maml_gui.core.checkpoint.load_run`)."""
        self.path = run.path
        self.saved_iteration = run.iteration
        self.opened_history = run.history
        self.resumable = run.path if (run.path / RESUME).is_file() else None
        self.unread = dict(run.unread)

    def is_current(self, target: Path | None) -> bool:
        if target is None or self.path is None:
            return False
        try:
            return target.resolve() == self.path.resolve()
        except (OSError, RuntimeError):
            return target == self.path

    def guarded(self, drawn: DrawnWork, target: Path | None) -> DrawnWork:
        """``drawn`` as it may be written into ``target``: a damaged 2-D points or drawing file of the
        opened run is left as it is (for the user to mend) until new points or drawings replace it."""
        if not self.is_current(target):
            return drawn
        if CLASS_POINTS in self.unread and not drawn.class_points:
            drawn = dataclasses.replace(drawn, class_points=None)
        if DRAWING in self.unread and (drawn.drawing is None or drawn.drawing.is_empty()):
            drawn = dataclasses.replace(drawn, drawing=None)
        return drawn

    def write(self, target: Path, trainer: Trainer | None, config: ExperimentConfig,
              snapshot: ModelSnapshot | None, drawn: DrawnWork) -> None:
        """Write the model (the trainer's, else the opened one with its resume state) into ``target``,
        with what the user drew in the playgrounds."""
        drawn = self.guarded(drawn, target)
        kept = {name for name, field in ((CLASS_POINTS, "class_points"), (DRAWING, "drawing"))  # damaged, left
                if name in self.unread and self.is_current(target) and getattr(drawn, field) is None}
        # what this save has not got must not stay behind from an earlier run in the folder
        stale = {DRAWING: drawn.drawing is None and DRAWING not in kept,
                 CLASS_POINTS: drawn.class_points is None and CLASS_POINTS not in kept}
        if trainer is not None:
            save_trainer(target, trainer, **drawn.save_arguments())
            self.saved_iteration = trainer.iteration
        else:
            resume = load_resume_state(self.resumable) if self.resumable is not None else None
            save_run(target, config, snapshot, self.opened_history, resume, **drawn.save_arguments())
            stale.update({METRICS: self.opened_history is None, VALIDATION: self.opened_history is None,
                          WEIGHTS: snapshot is None, RESUME: resume is None})
            if resume is not None:
                self.resumable = target
            self.saved_iteration = snapshot.iteration if snapshot is not None else 0
        for name in (name for name, gone in stale.items() if gone):
            (target / name).unlink(missing_ok=True)
        if not self.is_current(target):
            self.unread = {}  # no longer this folder's concern
        self.note_written(drawn)
        self.path = target

    def note_written(self, drawn: DrawnWork) -> None:
        """``drawn`` was written into the folder (by Save or an autosave): a damaged file that new
        points or drawings replaced is the user's to clear from then on."""
        if drawn.class_points:
            self.unread.pop(CLASS_POINTS, None)
        if drawn.drawing is not None and not drawn.drawing.is_empty():
            self.unread.pop(DRAWING, None)
