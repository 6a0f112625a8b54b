"""One training at a time, off the UI thread: start, pause, resume, stop, and its reports.

:class:`TrainingLifecycle` owns at most one :class:`~maml_gui.qt.worker.TrainingThread` and
relays what it reports. It knows nothing of configs or run directories: the
:class:`~maml_gui.qt.session.ExperimentSession` says which trainer to run, how far, and where
to autosave.
"""

from __future__ import annotations

import enum
from pathlib import Path

from PySide6.QtCore import QObject, Signal, Slot

from maml_gui.core.drawn_work import LatestDrawnWork
from maml_gui.core.training import REPORT_INTERVAL_S, Trainer
from maml_gui.qt.worker import TrainingThread


class TrainingState(enum.Enum):
    IDLE = "idle"
    RUNNING = "running"
    PAUSED = "paused"


class TrainingLifecycle(QObject):
    progressed = Signal(object)  # Progress
    failed = Signal(str)  # one line
    autosaved = Signal(str)  # the run directory written
    ended = Signal()  # the thread has ended (finished, stopped or failed)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.report_interval_s = REPORT_INTERVAL_S
        self._job: TrainingThread | None = None

    @property
    def state(self) -> TrainingState:
        if self._job is None:
            return TrainingState.IDLE
        return TrainingState.PAUSED if self._job.paused else TrainingState.RUNNING

    def start(self, trainer: Trainer, iterations: int, autosave_dir: Path | None, paused: bool = False,
              drawn_work: LatestDrawnWork | None = None) -> None:
        """Run ``trainer`` up to ``iterations`` in a new thread, autosaving into ``autosave_dir`` if given
        (with the newest of ``drawn_work``, read in the training thread, when given)."""
        if self._job is not None:
            raise RuntimeError("a training is already running; stop it first")
        autosave = str(autosave_dir) if autosave_dir is not None else None
        job = TrainingThread(trainer, iterations, autosave, self.report_interval_s, self, drawn_work)
        job.progressed.connect(self.progressed)
        job.failed.connect(self.failed)
        job.autosaved.connect(self.autosaved)
        job.done.connect(self._on_job_done)
        if paused:
            job.pause()
        self._job = job
        job.start()

    @Slot()
    def pause(self) -> bool:
        if self._job is None or self._job.paused:
            return False
        self._job.pause()
        return True

    @Slot()
    def resume(self) -> bool:
        if self._job is None or not self._job.paused:
            return False
        self._job.resume()
        return True

    @Slot()
    def request_stop(self) -> None:
        """Stop after the current iteration; ``ended`` follows when the thread has ended."""
        if self._job is not None:
            self._job.request_stop()

    def stop_and_wait(self, timeout_ms: int = 30_000, discard: bool = False) -> bool:
        """Stop and wait for the thread; ``discard`` drops the reports still queued for the GUI."""
        job = self._job
        if job is None:
            return True
        if discard:
            job.discard()
        return job.stop_and_wait(timeout_ms)  # emits done -> _on_job_done

    @Slot()
    def _on_job_done(self) -> None:
        job, self._job = self._job, None
        if job is None:
            return
        job.deleteLater()
        self.ended.emit()
