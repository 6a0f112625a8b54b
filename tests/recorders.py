"""Helpers shared by the test packages (Qt-free; the Qt recorder is in ``tests/qt/helpers.py``):
a folder digest to prove nothing changed on disk, and a training control that says when a
paused loop is held, so tests wait on that state instead of sleeping."""

from __future__ import annotations

import hashlib
import stat
import threading
import time
from pathlib import Path

from maml_gui.core.training import TrainingControl


def tree_digest(folder: Path) -> str:
    """Hash of every file name, mode, modification time and content under ``folder``."""
    digest = hashlib.sha256()
    for path in sorted(Path(folder).rglob("*")):
        info = path.stat()
        digest.update(str(path.relative_to(folder)).encode())
        digest.update(f"{stat.S_IMODE(info.st_mode)} {info.st_mtime_ns}".encode())
        if path.is_file():
            digest.update(path.read_bytes())
    return digest.hexdigest()


class WatchedControl(TrainingControl):
    """A :class:`TrainingControl` that tells a test, without sleeping, that a paused loop is held.

    ``held`` is set when the loop checks the flags while paused; ``pause_checks`` counts its
    turns in the pause wait (each a 20 ms wait on the stop event), so a test waits until the
    loop has turned there a few times and then knows it stayed."""

    def __init__(self) -> None:
        super().__init__()
        self.held = threading.Event()
        self.pause_checks = 0
        self.stop_event = _CountingEvent(self)

    def resume(self) -> None:
        self.held.clear()
        super().resume()

    def should_stop(self) -> bool:
        if self.pause_event.is_set():
            self.held.set()
        return super().should_stop()

    def wait_held(self, turns: int = 3, timeout_s: float = 30.0) -> bool:
        """True once the paused loop has waited ``turns`` times more (it is not training)."""
        if not self.held.wait(timeout_s):
            return False
        target = self.pause_checks + turns
        deadline = time.monotonic() + timeout_s
        while self.pause_checks < target:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.005)
        return True


class _CountingEvent(threading.Event):
    def __init__(self, control: WatchedControl) -> None:
        super().__init__()
        self._control = control

    def wait(self, timeout: float | None = None) -> bool:
        self._control.pause_checks += 1
        return super().wait(timeout)
