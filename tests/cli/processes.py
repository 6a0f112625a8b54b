"""Driving a real ``maml-gui`` process from a test: interrupt it once a run has saved enough."""

from __future__ import annotations

import json
import signal
import subprocess
import time
from pathlib import Path


def saved_iteration(run: Path) -> int:
    """The iteration a (possibly half-written) run directory says it reached; 0 before it exists."""
    try:
        return int(json.loads((run / "run.json").read_text()).get("iteration", 0))
    except (OSError, ValueError, AttributeError):
        return 0


def wait_for_save(processes: list[subprocess.Popen], run: Path, iteration: int, timeout_s: float = 120.0) -> None:
    """Return once ``run`` autosaved past ``iteration``. A process that ends first, or a run that
    does not get there within ``timeout_s``, fails the test (with the ended processes' stderr).
    Polling the file is the only way to watch another process's progress."""
    deadline = time.monotonic() + timeout_s
    while saved_iteration(run) < iteration:
        assert all(p.poll() is None for p in processes) and time.monotonic() < deadline, \
            [p.stderr.read() for p in processes if p.poll() is not None]
        time.sleep(0.02)


def interrupt_once_saved(process: subprocess.Popen, run: Path, iteration: int, timeout_s: float = 120.0) -> str:
    """Ctrl-C ``process`` once ``run`` autosaved past ``iteration``; its stderr. A process that
    ends first, or a run that does not get there within ``timeout_s``, fails the test. Polling
    the file is the only way to watch another process's progress."""
    try:
        wait_for_save([process], run, iteration, timeout_s)
        process.send_signal(signal.SIGINT)
        return process.communicate(timeout=timeout_s)[1]
    finally:
        if process.poll() is None:
            process.kill()
