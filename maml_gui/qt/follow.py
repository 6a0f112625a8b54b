"""File > Follow Run…: watch a run directory that another process writes, read-only.

:class:`RunFollower` asks for a run directory, reads it off the UI thread
(:class:`~maml_gui.qt.follow_worker.FollowWorker` over :class:`~maml_gui.core.run_tail.RunTail`)
and hands what lands to the :class:`~maml_gui.qt.session.ExperimentSession`: the config, curves
that grow as rows are added, and each model an autosave leaves. A ``QFileSystemWatcher`` on the
folder asks for a read when a file is renamed into it (throttled: one save renames seven), and a
timer asks every second as well (file-system events do not arrive from network file systems).
A status-bar line says how fresh the run is, and when its writer has finished or stopped.

Nothing is ever written into the followed folder: the session follows it read-only (Train and
Continue are off, Save asks for another folder and refuses that one), and the reader opens files
for reading only. Following ends on Stop Following, on opening or starting anything else, on
Save As (the copy becomes the session's run), and when the folder goes away.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Callable

from PySide6.QtCore import QFileSystemWatcher, QObject, QThread, QTimer, Slot
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QFileDialog, QLabel, QStatusBar, QWidget
from superqt.utils import qthrottled

from maml_gui.core.checkpoint import METRICS, VALIDATION, RunData
from maml_gui.core.followed_progress import followed_reports
from maml_gui.core.run_tail import TailUpdate
from maml_gui.qt.follow_status import STALE_MIN_S, FollowStatus
from maml_gui.qt.follow_worker import FollowWorker
from maml_gui.qt.session import ExperimentSession
from maml_gui.qt.settings import AppSettings
from maml_gui.qt.threads import start_in_thread

POLL_MS = 1000  # read the folder at least this often (and redraw the status line)
EVENT_THROTTLE_MS = 250  # file-system events: at most one read per this many ms
STOP_WAIT_MS = 10_000


class RunFollower(QObject):
    def __init__(self, session: ExperimentSession, settings: AppSettings, confirm_discard: Callable[[str], bool],
                 show_error: Callable[[str], None], status_bar: QStatusBar, dialog_parent: QWidget) -> None:
        super().__init__(dialog_parent)
        self.session, self.settings = session, settings
        self.confirm_discard, self.show_error, self.dialog_parent = confirm_discard, show_error, dialog_parent
        self.follow_action = QAction("&Follow Run…", dialog_parent)
        self.follow_action.setObjectName("follow_run")
        self.follow_action.setShortcut(QKeySequence("Ctrl+Shift+F"))
        self.follow_action.setStatusTip("watch a run directory that another process (maml-gui train, torchrun) is "
                                        "writing: curves and model update as it saves; nothing is written there")
        self.follow_action.triggered.connect(self.follow_dialog)
        self.stop_action = QAction("Stop F&ollowing", dialog_parent)
        self.stop_action.setObjectName("stop_following")
        self.stop_action.setStatusTip("stop watching the followed run; what it showed last stays")
        self.stop_action.setEnabled(False)
        self.stop_action.triggered.connect(self.session.stop_following)
        self.label = QLabel(status_bar)
        self.label.setObjectName("follow_status")
        self.label.setVisible(False)
        status_bar.insertPermanentWidget(0, self.label)
        self.status: FollowStatus | None = None
        self.watcher = QFileSystemWatcher(self)
        self.watcher.directoryChanged.connect(self._on_file_event)
        self.watcher.fileChanged.connect(self._on_file_event)
        self.timer = QTimer(self)
        self.timer.setInterval(POLL_MS)
        self.timer.timeout.connect(self._on_tick)
        self._throttled_poll = qthrottled(self._request_poll, EVENT_THROTTLE_MS, parent=self)
        self.stale_min_s = STALE_MIN_S
        self._worker: FollowWorker | None = None
        self._thread: QThread | None = None
        self._retired: list[QThread] = []  # stopped readers' threads, referenced until they end
        self._path: Path | None = None
        self._history = self._config = None  # the followed run's (the session's history, grown here)
        self._problems_shown: set[str] = set()
        self.reads = 0  # reads of the followed folder handled (tests wait on it)
        session.following_changed.connect(self._on_following_changed)

    # -- dialogs (replaced in tests) ------------------------------------------------------------
    def ask_directory(self) -> str:
        path = QFileDialog.getExistingDirectory(self.dialog_parent, "Follow a run another process is writing",
                                                self.settings.start_directory())
        if path:  # later dialogs start beside the followed run, not in it
            self.settings.remember_directory(str(Path(path).parent))
        return path

    def add_to_menu(self, menu, before: QAction) -> None:
        menu.insertAction(before, self.follow_action)
        menu.insertAction(before, self.stop_action)

    # -- commands ---------------------------------------------------------------------------------
    @Slot()
    def follow_dialog(self) -> None:
        if not self.confirm_discard("following another run"):
            return
        path = self.ask_directory()
        if path:
            self.follow(path)

    def follow(self, path: str | Path) -> None:
        """Start reading ``path``; the session follows it once the first read succeeds."""
        self.session.stop_following()  # the run followed so far, if any, stays shown until then
        self._stop_worker()
        self._path = Path(path)
        self._show(f"opening {self._path} to follow it…")
        worker = FollowWorker(self._path)
        worker.opened.connect(self._on_opened)
        worker.updated.connect(self._on_updated)
        worker.failed.connect(self._on_failed)
        self._worker, self._thread = worker, start_in_thread(worker, "maml-gui follow")
        self._thread.start()

    def shutdown(self) -> bool:
        """Stop reading and wait for the reader thread (closing the window)."""
        return self._stop_worker(wait=True)

    # -- the reader's reports ----------------------------------------------------------------------
    def _current(self) -> bool:
        return self._worker is not None and self.sender() is self._worker

    @Slot(object, object)
    def _on_opened(self, run: RunData, problems: list[str]) -> None:
        if not self._current():
            return
        first = self.session.followed is None or self.session.followed != run.path
        self._problems_shown.clear()
        self._start_following(run, first)
        self.session.message.emit(f"following {run.path} read-only: nothing is written there; "
                                  "File > Stop Following ends it")
        self._report(problems)

    def _start_following(self, run: RunData, first: bool) -> None:
        self.session.follow_run(run, first=first)
        self._history, self._config = run.history, run.config  # the form may be edited meanwhile
        self.status = FollowStatus(run.path, run.config.training.iterations, run.iteration, self.stale_min_s)
        self._watch()
        self.timer.start()
        self._refresh()
        self._request_poll()  # the files' age, at once

    @Slot(object)
    def _on_updated(self, update: TailUpdate) -> None:
        if not self._current() or self.session.followed is None or self.status is None:
            return
        self.reads += 1
        if update.gone:
            self.session.message.emit(update.gone)
            self.session.stop_following()
            return
        if update.reopened is not None:
            self._start_following(update.reopened, first=False)
        else:
            self._apply(update)
        self._report(update.problems)
        rows = self._history.rows if self._history is not None else []
        self.status.saw(max(update.iteration, rows[-1][0] if rows else 0), update.last_write_s)
        self._watch()
        self._refresh()

    def _apply(self, update: TailUpdate) -> None:
        config, history = self._config, self._history
        previous = history.rows[-1] if history.rows else None
        history.rows.extend(update.rows.rows)
        history.accuracy.extend(update.rows.accuracy)
        for record in update.rows.validations:
            history.add_validation(record)
        reports = followed_reports(update.rows, previous, config.training.iterations, config.task.kind,
                                   update.snapshot or self.session.snapshot,
                                   finished=update.iteration >= config.training.iterations)
        for report in reports:
            self.session.show_followed(report, None)
        if update.snapshot is not None:
            self.session.show_followed(None, update.snapshot)

    @Slot(str)
    def _on_failed(self, message: str) -> None:
        if not self._current():
            return
        was_following = self.status is not None  # else the first read failed
        self._stop_worker()
        self._hide()
        if was_following:
            self.session.message.emit(message)
            self.session.stop_following()
        else:
            self.show_error(f"cannot follow: {message}")

    def _report(self, problems) -> None:
        """Each problem once in the status bar (a damaged file is met again at every poll)."""
        for problem in problems:
            if problem not in self._problems_shown:
                self._problems_shown.add(problem)
                self.session.message.emit(problem)

    # -- watching -----------------------------------------------------------------------------------
    def _watch(self) -> None:
        """Watch the folder (renames into it) and the files that may be appended to."""
        if self._path is None:
            return
        wanted = [str(self._path)] + [str(self._path / name) for name in (METRICS, VALIDATION)
                                      if (self._path / name).is_file()]
        missing = [p for p in wanted if p not in self.watcher.files() + self.watcher.directories()]
        if missing:
            self.watcher.addPaths(missing)

    @Slot(str)
    def _on_file_event(self, _path: str) -> None:
        self._throttled_poll()

    @Slot()
    def _request_poll(self) -> None:
        if self._worker is not None and self.session.followed is not None:
            self._worker.request_poll()

    @Slot()
    def _on_tick(self) -> None:
        self._request_poll()
        self._refresh()

    # -- ending ----------------------------------------------------------------------------------------
    @Slot(object)
    def _on_following_changed(self, path) -> None:
        self.stop_action.setEnabled(path is not None)
        if path is None and self._worker is not None:
            stopped = self.status.path if self.status is not None else self._path
            self._stop_worker()
            self._hide()
            self.session.message.emit(f"stopped following {stopped}; what it showed last stays here")

    def _stop_worker(self, wait: bool = False) -> bool:
        self.timer.stop()
        self._throttled_poll.cancel()
        watched = self.watcher.files() + self.watcher.directories()
        if watched:
            self.watcher.removePaths(watched)
        worker, thread = self._worker, self._thread
        self._worker = self._thread = None
        self.status = None
        if worker is not None:
            worker.stop()
            self._retired.append(thread)
        running = []
        for old in self._retired:
            try:
                if old.isRunning() and not (wait and old.wait(STOP_WAIT_MS)):
                    running.append(old)
            except RuntimeError:  # finished and deleted
                continue
        self._retired = running
        return not running

    # -- the status line ------------------------------------------------------------------------------
    def _show(self, text: str, tip: str | None = None) -> None:
        self.label.setText(text)
        self.label.setToolTip(tip or text)
        self.label.setVisible(True)

    def _hide(self) -> None:
        self.label.setVisible(False)

    def _refresh(self) -> None:
        if self.status is not None:  # the folder's name; its whole path in the tooltip
            now = time.time()
            self._show(self.status.text(now, self.status.path.name), self.status.text(now))
