"""Following a run another process writes (driven by qt/follow.py), for
:class:`~maml_gui.qt.session.ExperimentSession`: shown read-only, never written.

:class:`SessionFollowing` is mixed into the session and uses its signals and attributes.
"""

from __future__ import annotations

from PySide6.QtCore import Slot

from maml_gui.core.checkpoint import RunData
from maml_gui.core.snapshot import ModelSnapshot
from maml_gui.core.training import Progress


class SessionFollowing:
    """Showing a followed run in :class:`~maml_gui.qt.session.ExperimentSession`."""

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
