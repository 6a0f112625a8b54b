"""A sweep running from the app: the core's :class:`~maml_gui.core.sweep_runner.SweepRunner`
driven from a worker thread, its trials in worker processes, progress and curves back as signals.

:class:`SweepWorker` (a parentless ``QObject`` in a ``QThread``, see :mod:`maml_gui.qt.threads`)
calls :meth:`SweepRunner.run`, which blocks while the trials train in 'spawn' processes and
calls back, in this thread, with each trial's reports and results. After a trial saves, the
worker reads its run directory (at most once a second per trial, always after its end) and
emits the smoothed curve and the run as the Runs panel holds it, so the GUI thread only draws. :class:`SweepJob` (GUI thread) owns
the thread, keeps every trial's status, and stops the sweep: the runner's stop event makes
running trials save and end, queued ones never start, and the pool's processes exit.
"""

from __future__ import annotations

import logging
import time
import traceback
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, QThread, Signal, Slot

from maml_gui.core.compared_run import ComparedRun, read_compared_run
from maml_gui.core.run_validation import RunError
from maml_gui.core.sweep import Trial
from maml_gui.core.sweep_runner import FINISHED, SweepRunner, TrialProgress, TrialResult
from maml_gui.qt.plots.smoothing import debiased_ema
from maml_gui.qt.threads import hand_back_to_gui_thread, start_in_thread

log = logging.getLogger(__name__)
CURVE_INTERVAL_S = 1.0  # a running trial's curve is re-read at most this often
CURVE_SMOOTHING = 0.9
QUEUED, RUNNING = "queued", "running"
DONE_STATUSES = ("finished", "skipped", "failed", "interrupted")


@dataclass(frozen=True)
class TrialCurve:
    """A trial's meta-loss after adaptation, smoothed, as read from its run directory."""

    name: str
    path: Path
    iterations: np.ndarray
    loss: np.ndarray


@dataclass
class TrialStatus:
    status: str = QUEUED  # queued, running, or a TrialResult status
    iteration: int = 0
    total: int = 0
    message: str = ""


def read_trial(name: str, path: Path, sweep: Path) -> tuple[TrialCurve, ComparedRun] | None:
    """The trial's smoothed curve and the run as the Runs panel reads it, or None while it
    cannot be read yet (its first save not written)."""
    try:
        run = read_compared_run(path, sweep)
    except (RunError, OSError, ValueError):
        return None
    rows = np.asarray([(r[0], r[2]) for r in run.history.rows], dtype=np.float64).reshape(-1, 2)
    loss, _ = debiased_ema(rows[:, 1], CURVE_SMOOTHING)
    return TrialCurve(name, path, rows[:, 0], loss), run


class SweepWorker(QObject):
    """Runs the sweep in its thread; every callback of the runner becomes a signal."""

    progressed = Signal(object)  # TrialProgress
    resulted = Signal(object)  # TrialResult
    curveRead = Signal(object)  # TrialCurve
    runRead = Signal(object)  # ComparedRun: the trial as the Runs panel shows it
    failed = Signal(str)
    finished = Signal()

    def __init__(self, runner: SweepRunner) -> None:
        super().__init__()  # no parent, or moveToThread silently fails
        self.runner = runner
        self._saved: set[str] = set()  # trials saved since their curve was last read
        self._last_read: dict[str, float] = {}

    @Slot()
    def run(self) -> None:
        try:
            self.runner.run(self._on_result, self._on_progress)
        except Exception as err:  # noqa: BLE001 - a worker must report, never die silently
            log.error("sweep failed:\n%s", traceback.format_exc())
            self.failed.emit(f"the sweep stopped by an unexpected error: {type(err).__name__}: {err}")
        finally:
            hand_back_to_gui_thread(self)
            self.finished.emit()

    def _on_progress(self, progress: TrialProgress) -> None:
        self.progressed.emit(progress)
        if progress.saved:
            self._saved.add(progress.name)
        now = time.monotonic()
        for name in list(self._saved):
            if now - self._last_read.get(name, -CURVE_INTERVAL_S) >= CURVE_INTERVAL_S:
                self._read(name)

    def _on_result(self, result: TrialResult) -> None:
        self._read(result.name)  # its final curve (or a finished one from an earlier run)
        self.resulted.emit(result)

    def _read(self, name: str) -> None:
        self._saved.discard(name)
        self._last_read[name] = time.monotonic()
        read = read_trial(name, self.runner.out / name, self.runner.out)
        if read is not None:
            self.curveRead.emit(read[0])
            self.runRead.emit(read[1])


class SweepJob(QObject):
    """One sweep started from the app; ``changed(name)`` whenever a trial's status moves."""

    changed = Signal(str)  # trial name
    curveRead = Signal(object)  # TrialCurve
    runRead = Signal(object)  # ComparedRun
    finished = Signal()
    failed = Signal(str)

    def __init__(self, out: Path, trials: list[Trial], jobs: int, eval_tasks: int | None = None,
                 threads: int | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.out, self.trials = Path(out), trials
        self.runner = SweepRunner(out, trials, jobs, threads, eval_tasks, always_in_processes=True)
        self.status = {t.name: TrialStatus(total=t.config.training.iterations) for t in trials}
        self.error = ""
        self._thread: QThread | None = None
        self._done = False

    # -- control ----------------------------------------------------------------------------
    def start(self) -> None:
        worker = SweepWorker(self.runner)
        worker.progressed.connect(self._on_progress)
        worker.resulted.connect(self._on_result)
        worker.curveRead.connect(self.curveRead)
        worker.runRead.connect(self.runRead)
        worker.failed.connect(self._on_failed)
        worker.finished.connect(self._on_finished)
        self._worker = worker
        self._thread = start_in_thread(worker, "maml-sweep")
        self._thread.start()

    def stop(self) -> None:
        """Running trials save and end; queued ones never start; finished ones stay."""
        self.runner.stop()

    @property
    def stopping(self) -> bool:
        return self.runner.stopped

    def is_running(self) -> bool:
        return self._thread is not None and not self._done

    def wait(self, timeout_ms: int) -> bool:
        """Wait for the sweep's thread (and with it the worker processes) to end."""
        thread = self._thread
        if thread is None or self._done:
            return True
        try:
            return thread.wait(timeout_ms)
        except RuntimeError:  # already deleted: it finished
            return True

    # -- figures ----------------------------------------------------------------------------
    def counts(self) -> dict[str, int]:
        """How many trials are in each status."""
        counts: dict[str, int] = {}
        for status in self.status.values():
            counts[status.status] = counts.get(status.status, 0) + 1
        return counts

    def done_count(self) -> int:
        return sum(s.status in ("finished", "skipped") for s in self.status.values())

    def fraction(self) -> float:
        """The share of the sweep's iterations done (finished trials count whole)."""
        total = sum(max(s.total, 1) for s in self.status.values())
        reached = sum(max(s.total, 1) if s.status in ("finished", "skipped") else min(s.iteration, s.total)
                      for s in self.status.values())
        return reached / total if total else 1.0

    # -- slots ------------------------------------------------------------------------------
    @Slot(object)
    def _on_progress(self, progress: TrialProgress) -> None:
        status = self.status.get(progress.name)
        if status is None or status.status in DONE_STATUSES:
            return
        status.status, status.iteration, status.total = RUNNING, progress.iteration, progress.total
        self.changed.emit(progress.name)

    @Slot(object)
    def _on_result(self, result: TrialResult) -> None:
        status = self.status.get(result.name)
        if status is None:
            return
        status.status, status.message = result.status, result.message
        if result.status in ("finished", "skipped") or result.iteration:
            status.iteration = result.iteration
        self.changed.emit(result.name)

    @Slot(str)
    def _on_failed(self, message: str) -> None:
        self.error = message
        self.failed.emit(message)

    @Slot()
    def _on_finished(self) -> None:
        self._done = True
        self._thread = None
        self._worker = None
        self.finished.emit()


__all__ = ["FINISHED", "SweepJob", "SweepWorker", "TrialCurve", "TrialStatus", "read_trial"]
