"""Passing on only the newest of a stream of values, at most every so often.

Training reports a snapshot ten times a second; re-adapting the playground to each of them
costs the machine (and the GUI thread's paint) more than a picture that changes 3 times a
second is worth. :class:`LatestValueThrottle` forwards the first value at once, then at most
one value per interval (always the newest), and never drops the last one.
"""

from __future__ import annotations

import time

from PySide6.QtCore import QObject, QTimer, Signal, Slot

_NOTHING = object()


class LatestValueThrottle(QObject):
    passed = Signal(object)

    def __init__(self, interval_ms: int, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.interval_s = interval_ms / 1000
        self._pending = _NOTHING
        self._last = -float("inf")
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.flush)

    @Slot(object)
    def push(self, value) -> None:
        """Pass ``value`` on now if the interval has passed, else when it has (unless a newer one came)."""
        self._pending = value
        if self._timer.isActive():
            return
        wait = self._last + self.interval_s - time.monotonic()
        if wait <= 0:
            self.flush()
        else:
            self._timer.start(max(1, int(wait * 1000) + 1))

    @Slot(object)
    def push_now(self, value) -> None:
        """Pass ``value`` on at once (e.g. a run was opened), dropping any pending one."""
        self._pending = value
        self.flush()

    @Slot()
    def flush(self) -> None:
        self._timer.stop()
        if self._pending is _NOTHING:
            return
        value, self._pending = self._pending, _NOTHING
        self._last = time.monotonic()
        self.passed.emit(value)

    def has_pending(self) -> bool:
        return self._pending is not _NOTHING
