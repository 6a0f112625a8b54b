"""Reading folders of runs off the UI thread.

:class:`RunsLoader` runs one :class:`RunsLoadWorker` at a time in its own ``QThread``
(:func:`~maml_gui.qt.threads.start_in_thread`); folders asked for meanwhile wait their turn.
The worker finds the run directories under each folder
(:func:`~maml_gui.core.compared_run.find_run_folders`), reads them one by one and hands them
over in batches (at most ~5 a second), so a sweep of hundreds of runs fills the panel as it is
read without redrawing the plots for every run. Each folder that is no run, and each run that
cannot be read, is one line through ``problem``. A stop ``threading.Event`` ends the reading
between two runs (closing the window).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QObject, QThread, Signal, Slot

from maml_gui.core.compared_run import RunError, find_run_folders, read_compared_run
from maml_gui.core.run_validation import one_line
from maml_gui.qt.threads import hand_back_to_gui_thread, start_in_thread

BATCH_INTERVAL_S = 0.2


@dataclass(frozen=True)
class FolderRead:
    """What reading one folder gave: how many runs were read, skipped, and the sweep folders among them."""

    folder: Path
    read: int
    skipped: int
    sweeps: tuple[Path, ...]


class RunsLoadWorker(QObject):
    loaded = Signal(object)  # list[ComparedRun]
    problem = Signal(str)
    folder_done = Signal(object)  # FolderRead
    finished = Signal()

    def __init__(self, folders: list[Path], stop: threading.Event) -> None:
        super().__init__()  # no parent, or moveToThread silently fails
        self.folders = folders
        self.stop = stop

    @Slot()
    def run(self) -> None:
        try:
            for folder in self.folders:
                if self.stop.is_set():
                    break
                self._read_folder(folder)
        finally:
            hand_back_to_gui_thread(self)
            self.finished.emit()

    def _read_folder(self, folder: Path) -> None:
        found, problems = find_run_folders(folder)
        for line in problems:
            self.problem.emit(line)
        batch, sent, read, skipped, sweeps = [], time.monotonic(), 0, len(problems), []
        for path, sweep in found:
            if self.stop.is_set():
                break
            try:
                batch.append(read_compared_run(path, sweep))
                read += 1
                if sweep is not None and sweep not in sweeps:
                    sweeps.append(sweep)
            except RunError as err:
                self.problem.emit(f"skipped: {one_line(str(err))}")
                skipped += 1
            except Exception as err:  # noqa: BLE001 - a run no check foresaw: skip it, never a traceback
                self.problem.emit(f"skipped {one_line(str(path))}: {type(err).__name__}: {one_line(str(err))}")
                skipped += 1
            if batch and time.monotonic() - sent >= BATCH_INTERVAL_S:
                self.loaded.emit(batch)
                batch, sent = [], time.monotonic()
        if batch:
            self.loaded.emit(batch)
        self.folder_done.emit(FolderRead(folder, read, skipped, tuple(sweeps)))


class RunsLoader(QObject):
    """Reads folders of runs in a worker thread, one request after the other."""

    loaded = Signal(object)  # list[ComparedRun]
    problem = Signal(str)
    folder_done = Signal(object)  # FolderRead
    busy_changed = Signal(bool)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._pending: list[Path] = []
        self._stop = threading.Event()
        self._thread: QThread | None = None
        self._worker: RunsLoadWorker | None = None

    @property
    def busy(self) -> bool:
        return self._thread is not None

    def load(self, folder: Path) -> None:
        self._pending.append(Path(folder))
        if self._thread is None:
            self._start()

    def _start(self) -> None:
        folders, self._pending = self._pending, []
        self._stop.clear()
        self._worker = RunsLoadWorker(folders, self._stop)
        self._worker.loaded.connect(self.loaded)
        self._worker.problem.connect(self.problem)
        self._worker.folder_done.connect(self.folder_done)
        self._worker.finished.connect(self._on_finished)
        self._thread = start_in_thread(self._worker, "runs-loader")
        self._thread.start()
        self.busy_changed.emit(True)

    @Slot()
    def _on_finished(self) -> None:
        self._thread = self._worker = None
        if self._pending and not self._stop.is_set():
            self._start()
        else:
            self.busy_changed.emit(False)

    def stop_and_wait(self, timeout_ms: int = 10_000) -> bool:
        """Stop reading (between two runs) and wait for the thread; False if it did not end in time."""
        self._pending.clear()
        self._stop.set()
        thread = self._thread
        if thread is None:
            return True
        try:
            return thread.wait(timeout_ms)
        except RuntimeError:  # already deleted: it finished
            return True
