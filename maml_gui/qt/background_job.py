"""One function at a time off the UI thread, the newest request winning: for form checks and previews.

:class:`LatestJob` runs a plain Python function (no Qt inside it) in a one-thread
``concurrent.futures`` pool. A request made while one runs waits as the single pending one (a
newer request replaces it), so a stream of edits computes at most two results: the running one
and the newest; what arrives for a request that was superseded is dropped. The GUI thread
collects results with a short timer that runs only while work is outstanding, so no Qt object
ever lives in, or signals from, the worker thread (the Qt/GIL deadlocks of
:mod:`maml_gui.qt.threads` cannot happen here).
"""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Callable

import torch
from PySide6.QtCore import QObject, QTimer, Signal, Slot

POLL_MS = 25


def _on_one_thread(function: Callable, args: tuple) -> Any:
    torch.set_num_threads(1)  # small jobs; leave the cores to training
    return function(*args)


class LatestJob(QObject):
    """``submit(tag, function, *args)``; ``finished(tag, result, error)`` on the GUI thread for the newest."""

    finished = Signal(object, object, object)  # tag, result (None on error), error (an Exception or None)

    def __init__(self, name: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._pool: ThreadPoolExecutor | None = ThreadPoolExecutor(max_workers=1, thread_name_prefix=name)
        self._running: tuple[Any, Future] | None = None
        self._pending: tuple[Any, Callable, tuple] | None = None
        self._timer = QTimer(self)
        self._timer.setInterval(POLL_MS)
        self._timer.timeout.connect(self._collect)
        self.completed = 0  # results delivered (for tests)

    @property
    def busy(self) -> bool:
        return self._running is not None or self._pending is not None

    def submit(self, tag: Any, function: Callable, *args: Any) -> None:
        """Run ``function(*args)`` after the running job; replaces any request still waiting."""
        if self._pool is None:
            return
        self._pending = (tag, function, args)
        if self._running is None:
            self._start_pending()

    def cancel(self) -> None:
        """Forget the waiting request and the result of the running one."""
        self._pending = None
        if self._running is not None:
            self._running = (_DROPPED, self._running[1])

    def shutdown(self) -> None:
        self._timer.stop()
        self._pending = self._running = None
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None

    def _start_pending(self) -> None:
        tag, function, args = self._pending
        self._pending = None
        self._running = (tag, self._pool.submit(_on_one_thread, function, args))
        self._timer.start()

    @Slot()
    def _collect(self) -> None:
        if self._running is None or not self._running[1].done():
            return
        tag, future = self._running
        self._running = None
        if self._pending is not None:
            self._start_pending()  # superseded: its result is not shown
        else:
            self._timer.stop()
        if self._pending is None and self._running is None and tag is not _DROPPED:
            error = future.exception()
            self.completed += 1
            self.finished.emit(tag, None if error is not None else future.result(), error)


class _Dropped:
    pass


_DROPPED = _Dropped()
