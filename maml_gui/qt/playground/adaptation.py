"""Playground adaptation off the UI thread, latest request wins.

:class:`AdaptationWorker` is a parentless ``QObject`` moved to a ``QThread``; its ``run`` slot
loops on a ``threading.Condition`` holding one pending :class:`AdaptationRequest`. Submitting
overwrites whatever is pending (coalescing: a drag or a stream of training snapshots never
builds a queue), and the worker always takes the newest. Results go back through a queued
signal; :class:`AdaptationRunner` (GUI thread) drops results older than the newest request.
"""

from __future__ import annotations

import logging
import threading

import torch
from PySide6.QtCore import QObject, QThread, Signal, Slot

from maml_gui.qt.threads import hand_back_to_gui_thread, start_in_thread

from .prediction import AdaptationRequest, AdaptationResult, compute_adaptation

log = logging.getLogger(__name__)


class AdaptationWorker(QObject):
    """Computes the newest pending request, one at a time, until stopped."""

    resultReady = Signal(object)  # AdaptationResult
    finished = Signal()

    def __init__(self, compute=None) -> None:
        super().__init__()  # no parent, or moveToThread silently fails
        self._compute = compute  # request -> result; None: compute_adaptation (the regression playground)
        self._condition = threading.Condition()
        self._pending: AdaptationRequest | None = None
        self._stopping = False

    def submit(self, request: AdaptationRequest) -> None:
        """Replace the pending request (any thread); the one being computed finishes first."""
        with self._condition:
            self._pending = request
            self._condition.notify()

    def stop(self) -> None:
        with self._condition:
            self._stopping = True
            self._pending = None
            self._condition.notify()

    @Slot()
    def run(self) -> None:
        # Playground tensors are tiny: one intra-op thread is fastest and leaves the cores to
        # training. The setting is per thread (OpenMP), so training and the GUI keep theirs.
        torch.set_num_threads(1)
        try:
            while True:
                with self._condition:
                    while self._pending is None and not self._stopping:
                        self._condition.wait()
                    if self._stopping:
                        return
                    request, self._pending = self._pending, None
                # looked up at call time so tests can slow it down
                self.resultReady.emit((self._compute or compute_adaptation)(request))
        finally:
            hand_back_to_gui_thread(self)
            self.finished.emit()


class AdaptationRunner(QObject):
    """Owns the worker thread; ``submit`` from the GUI thread, ``resultReady`` back on it.

    Every request gets an increasing id; a result whose id is older than the newest
    submitted request is stale and dropped, so what is drawn always matches the last edit.
    """

    resultReady = Signal(object)  # AdaptationResult for the newest request

    def __init__(self, parent: QObject | None = None, compute=None) -> None:
        """``compute(request) -> result`` runs on the worker thread; requests and results carry
        ``request_id`` (default: the regression playground's ``compute_adaptation``)."""
        super().__init__(parent)
        self._next_id = 0
        self.latest_id = 0
        self.dropped = 0  # stale results dropped (for tests and the benchmark)
        self.worker = AdaptationWorker(compute)
        self.worker.resultReady.connect(self._on_worker_result)
        self._thread: QThread | None = start_in_thread(self.worker, "maml-playground-adaptation")
        self._thread.start()

    def next_request_id(self) -> int:
        self._next_id += 1
        return self._next_id

    def submit(self, request: AdaptationRequest) -> None:
        """Queue ``request`` (made with :meth:`next_request_id`), superseding any pending one."""
        if self._thread is None:
            return  # shut down: nothing more to compute
        self.latest_id = max(self.latest_id, request.request_id)
        self.worker.submit(request)

    def is_running(self) -> bool:
        return self._thread is not None and self._thread.isRunning()

    def shutdown(self, timeout_ms: int = 5000) -> bool:
        """Stop the worker, quit and wait for its thread; True when it has ended."""
        thread, self._thread = self._thread, None
        if thread is None:
            return True
        self.worker.stop()
        thread.quit()
        ended = thread.wait(timeout_ms)
        if not ended:
            log.warning("playground adaptation thread did not stop within %d ms", timeout_ms)
        return ended

    @Slot(object)
    def _on_worker_result(self, result: AdaptationResult) -> None:
        if result.request_id < self.latest_id or self._thread is None:
            self.dropped += 1
            return
        self.resultReady.emit(result)
