"""Reading a followed run off the UI thread: the first read, then a poll whenever one is asked for.

:class:`FollowWorker` is a parentless ``QObject`` in its own ``QThread`` (the pattern of
:mod:`maml_gui.qt.threads`), like the playground's adaptation worker: requests coalesce (a burst
of file-system events while a save renames seven files is one poll), a poll runs at most one at
a time, and the worker stops between polls. What it reads goes back through queued signals.
"""

from __future__ import annotations

import threading

import torch
from PySide6.QtCore import QObject, Signal, Slot

from maml_gui.core.messages import one_line
from maml_gui.core.run_tail import RunTail
from maml_gui.qt.threads import hand_back_to_gui_thread


class FollowWorker(QObject):
    opened = Signal(object, object)  # RunData, list of problem lines
    updated = Signal(object)  # TailUpdate
    failed = Signal(str)  # one line: the run could not be read at all
    finished = Signal()

    def __init__(self, path) -> None:
        super().__init__()  # no parent, or moveToThread silently fails
        self.tail = RunTail(path)
        self._condition = threading.Condition()
        self._requested = False
        self._stopping = False

    def request_poll(self) -> None:
        """Ask for a poll (any thread); requests made while one runs make one more poll."""
        with self._condition:
            self._requested = True
            self._condition.notify()

    def stop(self) -> None:
        with self._condition:
            self._stopping = True
            self._condition.notify()

    @Slot()
    def run(self) -> None:
        torch.set_num_threads(1)  # reading files: one thread, the cores stay with the writer
        try:
            try:
                run, problems = self.tail.open()
            except Exception as err:  # noqa: BLE001 - one line for the user, never a traceback
                self.failed.emit(one_line(str(err)))
                return
            self.opened.emit(run, problems)
            while self._next_request():
                try:
                    update = self.tail.poll()
                except Exception as err:  # noqa: BLE001 - reported, and the next change is tried again
                    self.failed.emit(one_line(f"{self.tail.path}: {type(err).__name__}: {err}"))
                    return
                self.updated.emit(update)
        finally:
            hand_back_to_gui_thread(self)
            self.finished.emit()

    def _next_request(self) -> bool:
        with self._condition:
            while not self._requested and not self._stopping:
                self._condition.wait()
            if self._stopping:
                return False
            self._requested = False
            return True
