"""Meta-training off the UI thread.

:class:`TrainingWorker` is a parentless ``QObject`` moved to a ``QThread``. Its ``run`` slot
drains :meth:`maml_gui.core.training.Trainer.run`, which already reports at most every
``report_interval_s`` seconds and always reports the final state; each report (a frozen
:class:`~maml_gui.core.training.Progress` whose snapshot holds detached CPU tensors) is
emitted as it comes. Stop and pause are ``threading.Event``\\ s inside a
:class:`~maml_gui.core.training.TrainingControl`, set directly from the GUI thread: the worker's
own event loop is busy, so queued calls to it would never run.

:class:`TrainingThread` does the wiring (:func:`~maml_gui.qt.threads.start_in_thread`) and the
shutdown (stop, quit, wait). Why this is not superqt's ``GeneratorWorker``: see
:mod:`maml_gui.qt.threads`.
"""

from __future__ import annotations

import logging
import traceback

from PySide6.QtCore import QObject, Signal, Slot

from maml_gui.core.checkpoint import RunError, save_trainer
from maml_gui.core.drawn_work import DrawnWork, LatestDrawnWork
from maml_gui.core.training import REPORT_INTERVAL_S, Trainer, TrainingControl, TrainingError
from maml_gui.qt.threads import hand_back_to_gui_thread, start_in_thread

log = logging.getLogger(__name__)


class TrainingWorker(QObject):
    """Runs one training session; lives in its own thread while it does."""

    progressed = Signal(object)  # maml_gui.core.training.Progress
    failed = Signal(str)  # one line for the user
    autosaved = Signal(str)  # run directory written
    finished = Signal()

    def __init__(self, trainer: Trainer, control: TrainingControl, iterations: int | None = None,
                 autosave_dir: str | None = None, report_interval_s: float = REPORT_INTERVAL_S,
                 drawn_work: LatestDrawnWork | None = None) -> None:
        super().__init__()  # no parent, or moveToThread silently fails
        self.drawn_work = drawn_work  # thread-safe: what the playgrounds hold, written with each autosave
        self.trainer = trainer
        self.control = control
        self.iterations = iterations
        self.autosave_dir = autosave_dir
        self.report_interval_s = report_interval_s

    @Slot()
    def run(self) -> None:
        try:
            checkpoint = self._autosave if self.autosave_dir else None
            for progress in self.trainer.run(self.iterations, control=self.control,
                                             report_interval_s=self.report_interval_s, checkpoint=checkpoint):
                self.progressed.emit(progress)
        except TrainingError as err:
            self.failed.emit(str(err))
        except Exception as err:  # noqa: BLE001 - a worker must report, never die silently
            log.error("training failed:\n%s", traceback.format_exc())
            self.failed.emit(f"training stopped by an unexpected error: {type(err).__name__}: {err}")
        finally:
            hand_back_to_gui_thread(self)
            self.finished.emit()

    def _autosave(self, trainer: Trainer) -> None:
        """Checkpoint callback, called by the training loop in this thread."""
        if self.autosave_dir is None:  # switched off by an earlier failure
            return
        try:
            drawn = self.drawn_work.get() if self.drawn_work is not None else DrawnWork()
            save_trainer(self.autosave_dir, trainer, **drawn.save_arguments())
            if self.drawn_work is not None:
                self.drawn_work.mark_written(drawn)
        except (OSError, RunError) as err:
            self.failed.emit(f"autosave to {self.autosave_dir} failed: {err}; training goes on")
            self.autosave_dir = None  # one message, not one per validation
            return
        self.autosaved.emit(str(self.autosave_dir))


class TrainingThread(QObject):
    """Owns one worker and its QThread, from start to the end of the thread.

    Lives in the GUI thread and relays the worker's signals there, in order, unless
    :meth:`discard` was called (a replaced experiment must not draw late reports). ``done`` is
    emitted once, when the thread has ended.
    """

    progressed = Signal(object)  # Progress
    failed = Signal(str)
    autosaved = Signal(str)
    done = Signal()

    def __init__(self, trainer: Trainer, iterations: int | None = None, autosave_dir: str | None = None,
                 report_interval_s: float = REPORT_INTERVAL_S, parent: QObject | None = None,
                 drawn_work: LatestDrawnWork | None = None) -> None:
        super().__init__(parent)
        self.control = TrainingControl()
        self.worker = TrainingWorker(trainer, self.control, iterations, autosave_dir, report_interval_s, drawn_work)
        # the Python reference is kept for the object's whole life: dropping it could delete the
        # QThread before its queued deleteLater runs
        self._thread = start_in_thread(self.worker, "maml-training")
        self._ended = False
        self._thread.finished.connect(self._on_thread_finished)
        self.worker.progressed.connect(self._relay_progress)
        self.worker.failed.connect(self._relay_failure)
        self.worker.autosaved.connect(self._relay_autosave)
        self._discarded = False

    def start(self) -> None:
        if self._ended or self._thread.isRunning():
            raise RuntimeError("a TrainingThread runs once; make a new one")
        self._thread.start()

    def is_running(self) -> bool:
        return not self._ended and self._thread.isRunning()

    def pause(self) -> None:
        self.control.pause()

    def resume(self) -> None:
        self.control.resume()

    @property
    def paused(self) -> bool:
        return self.control.paused

    def request_stop(self) -> None:
        """Ask the loop to stop after the current iteration; returns at once."""
        self.control.request_stop()

    def stop_and_wait(self, timeout_ms: int = 10_000) -> bool:
        """Stop, quit and wait (for ``closeEvent``); True when the thread has ended."""
        self.control.request_stop()
        if self._ended:
            return True
        self._thread.quit()
        if not self._thread.wait(timeout_ms):
            return False
        self._on_thread_finished()
        return True

    def discard(self) -> None:
        """Drop every report still on its way to the GUI."""
        self._discarded = True

    @Slot(object)
    def _relay_progress(self, progress) -> None:
        if not self._discarded:
            self.progressed.emit(progress)

    @Slot(str)
    def _relay_failure(self, message: str) -> None:
        if not self._discarded:
            self.failed.emit(message)

    @Slot(str)
    def _relay_autosave(self, path: str) -> None:
        if not self._discarded:
            self.autosaved.emit(path)

    @Slot()
    def _on_thread_finished(self) -> None:
        if self._ended:
            return
        self._ended = True  # from here on the QThread may be deleted at any time
        self.done.emit()
