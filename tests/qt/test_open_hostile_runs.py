"""File > Open Run and the start-up path on damaged runs: one line in a dialog, nothing aborts."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import shiboken6

pytest.importorskip("pytestqt")

import torch  # noqa: E402
from PySide6.QtWidgets import QMessageBox  # noqa: E402

from maml_gui.core.checkpoint import RESUME  # noqa: E402
from maml_gui.qt import app as app_module  # noqa: E402
from maml_gui.qt import settings as keys  # noqa: E402
from maml_gui.qt.main_window import MainWindow  # noqa: E402
from tests.cli.hostile_runs import make_tiny_run, tree_digest  # noqa: E402

DAMAGE = {
    "format_version overflows": ("run.json", lambda t: t.replace('"format_version": 1', '"format_version": 1e400')),
    "nested run.json": ("run.json", lambda t: "[" * 50_000 + "]" * 50_000),
    "curves of unequal length": ("validation.jsonl", lambda t: t.replace('"mse": [', '"mse": [1.0, ', 1)),
    "iteration overflows in a curve": ("validation.jsonl", lambda t: t.replace('"iteration": 0', '"iteration": 1e400')),
    "nan in the metrics": ("metrics.csv", lambda t: t.replace("\n1,", "\nnan,", 1)),
    "points of text": ("points.json", lambda t: '{"points": [["a", "b"]]}'),
}


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory) -> Path:
    return make_tiny_run(tmp_path_factory.mktemp("open") / "tiny")


@pytest.fixture
def warnings_shown(monkeypatch) -> list[str]:
    shown: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda parent, title, text, *a: shown.append(text))
    return shown


def test_open_run_refuses_damaged_runs_in_one_line(qtbot, tiny_run, tmp_path, warnings_shown):
    window = MainWindow()
    window.settings.set(keys.CONFIRM_DISCARD, False)
    qtbot.addWidget(window)
    try:
        for i, (name, (file, damage)) in enumerate(DAMAGE.items()):
            run = Path(shutil.copytree(tiny_run, tmp_path / f"run{i}"))
            (run / file).write_text(damage((run / file).read_text()))
            before = tree_digest(run)
            window.files.ask_directory = lambda title, run=run: str(run)
            window.window_actions.open_run.trigger()
            assert len(warnings_shown) == i + 1, name
            assert "\n" not in warnings_shown[-1] and file in warnings_shown[-1], warnings_shown[-1]
            assert window.session.run_path is None and tree_digest(run) == before
        window.files.ask_directory = lambda title: str(tiny_run)  # the intact run still opens afterwards
        window.window_actions.open_run.trigger()
        assert window.session.run_path == tiny_run and window.session.iteration == 3
    finally:
        window.close()


def test_continue_refuses_a_resume_state_that_does_not_fit(qtbot, tiny_run, tmp_path, warnings_shown):
    run = Path(shutil.copytree(tiny_run, tmp_path / "run"))
    state = torch.load(run / RESUME, weights_only=True)
    state["optimizer"]["state"][0]["exp_avg"] = torch.zeros(9)
    torch.save(state, run / RESUME)
    window = MainWindow()
    window.settings.set(keys.CONFIRM_DISCARD, False)
    qtbot.addWidget(window)
    try:
        assert window.files.open_run(run)
        window.session.set_config(window.session.config.with_overrides(["training.iterations=5"]))
        assert not window.session.continue_training()
        assert "expected torch.float32 (1, 4)" in warnings_shown[-1] and "\n" not in warnings_shown[-1]
    finally:
        window.close()


def test_a_failure_while_creating_the_window_stops_its_threads(qtbot, monkeypatch, tiny_run):
    """An error while opening the start-up run used to destroy the window with its playground thread
    running: Qt aborted the process ("QThread: Destroyed while thread ... is still running")."""
    created: list[MainWindow] = []

    class FailingWindow(MainWindow):
        def __init__(self) -> None:
            super().__init__()
            created.append(self)
            self.files.open_run = self._fail

        def _fail(self, path):
            raise RuntimeError("simulated failure while opening")

    monkeypatch.setattr(app_module, "MainWindow", FailingWindow)
    with pytest.raises(RuntimeError, match="simulated failure"):
        app_module.create_window(str(tiny_run))
    window = created[0]
    assert window.playground._runner._thread is None  # shut down: nothing left running to abort on
    # and destroyed at once, not later by the garbage collector (whose emptied Python objects then
    # received the dying window's events: an intermittent segfault in a later test)
    assert not shiboken6.isValid(window)
