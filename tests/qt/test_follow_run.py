"""File > Follow Run…: a run another process writes is shown live, read-only, and never written."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("pytestqt")

import torch  # noqa: E402
from PySide6.QtWidgets import QFileDialog, QMessageBox  # noqa: E402

from maml_gui.core.atomic_files import atomic_write  # noqa: E402
from maml_gui.core.checkpoint import METRICS, WEIGHTS, load_run, save_trainer  # noqa: E402
from maml_gui.core.training import Trainer  # noqa: E402
from maml_gui.qt import settings as keys  # noqa: E402
from maml_gui.qt.main_window import MainWindow  # noqa: E402
from tests.qt.follow_helpers import WriteAudit, listing  # noqa: E402
from tests.qt.helpers import SignalRecorder, tiny_config  # noqa: E402
from tests.qt.test_main_window import warnings  # noqa: E402,F401 - the dialog-recording fixture

LIVE_ITERATIONS = 400


@pytest.fixture
def window(qtbot, warnings):
    made = MainWindow()
    made.settings.set(keys.CONFIRM_DISCARD, False)
    qtbot.addWidget(made)
    made.show()
    yield made
    made.close()


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict[int, Path]:
    """One tiny training saved at iterations 10 and 20, as two run directories to copy."""
    trainer, saved = Trainer(tiny_config(iterations=40, val_interval=10), threads=1), {}
    for iteration in (10, 20):
        for _ in trainer.run(iterations=iteration):
            pass
        saved[iteration] = save_trainer(tmp_path_factory.mktemp(f"run{iteration}"), trainer)
    return saved


def copy_run(runs, iteration: int, target: Path) -> Path:
    shutil.copytree(runs[iteration], target)
    return target


def land(source: Path, target: Path) -> None:
    """The files of the run ``source`` saved over ``target`` as a writer saves them (each renamed in)."""
    for name in sorted(os.listdir(source)):
        atomic_write(target / name, (source / name).read_bytes())


def follow(qtbot, window, path: Path) -> None:
    window.follower.ask_directory = lambda: str(path)
    window.follower.follow_action.trigger()
    qtbot.waitUntil(lambda: window.follower.status is not None and window.follower.status.last_write_s > 0,
                    timeout=10_000)


def read_again(qtbot, window) -> None:
    """Wait for one more read of the followed folder."""
    done = window.follower.reads
    window.follower._request_poll()
    qtbot.waitUntil(lambda: window.follower.reads > done, timeout=10_000)


def test_a_live_cli_run_is_followed_until_it_finishes(qtbot, window, tmp_path):
    out = tmp_path / "live"
    writer = subprocess.Popen(
        [sys.executable, "-m", "maml_gui", "train", "--preset", "finn2017-sinusoid", "--iterations",
         str(LIVE_ITERATIONS), "--set", "training.val_interval=100", "--set", "training.autosave_interval=20",
         "--set", "training.log_every=1", "--set", "training.meta_batch=4", "--set", "training.val_tasks=8",
         "--set", "model.hidden=[16, 16]", "--threads", "1", "--quiet", "--out", str(out)], stderr=subprocess.PIPE, text=True)
    try:
        qtbot.waitUntil(lambda: (out / "run.json").is_file(), timeout=60_000)
        seen = SignalRecorder(models=window.session.snapshot_changed, reports=window.session.progressed)
        follow(qtbot, window, out)
        assert window.session.followed == out and not window.window_actions.start.isEnabled()
        qtbot.waitUntil(lambda: window.follower.status is not None and window.follower.status.finished
                        and window.session.iteration == LIVE_ITERATIONS, timeout=120_000)
        assert writer.wait(60) == 0, writer.stderr.read()
    finally:
        if writer.poll() is None:
            writer.kill()
    models = [m.iteration for m in seen.models if m is not None]
    assert len(set(models)) >= 2 and models == sorted(models) and models[-1] == LIVE_ITERATIONS
    counts = [r.iteration for r in seen.reports]
    assert len(counts) >= 2 and counts == sorted(counts)  # the curves grew in steps, as saves landed
    run = load_run(out)
    assert window.loss_plot.point_count() == len(run.history.rows) == LIVE_ITERATIONS
    assert window.adaptation_plot.record.iteration == run.history.validations[-1].iteration
    assert window.playground._snapshot is window.session.snapshot
    grid = torch.linspace(-5, 5, 40)
    assert torch.equal(window.current_snapshot().predict(grid), run.snapshot.predict(grid))
    assert "finished" in window.follower.label.text() and "following" in window.windowTitle()


def test_partial_lines_wait_for_their_end(qtbot, window, tmp_path, runs):
    run = copy_run(runs, 10, tmp_path / "run")
    follow(qtbot, window, run)
    before = window.loss_plot.point_count()
    with open(run / METRICS, "a") as handle:  # a writer that appends, caught mid-line
        handle.write("11,1.5,1.25,0.001,")
    read_again(qtbot, window)
    assert window.loss_plot.point_count() == before
    with open(run / METRICS, "a") as handle:
        handle.write("0.5\n")
    qtbot.waitUntil(lambda: window.loss_plot.point_count() == before + 1, timeout=10_000)
    assert window.session.history().rows[-1] == (11, 1.5, 1.25, 0.001, 0.5)


def test_damaged_weights_keep_the_last_good_model_until_good_ones_land(qtbot, window, warnings, tmp_path, runs):
    run = copy_run(runs, 10, tmp_path / "run")
    messages = SignalRecorder(lines=window.session.message)
    follow(qtbot, window, run)
    good = window.session.snapshot
    assert good.iteration == 10
    data = (run / WEIGHTS).read_bytes()
    atomic_write(run / WEIGHTS, data[: len(data) // 2])
    qtbot.waitUntil(lambda: any(WEIGHTS in line for line in messages.lines), timeout=10_000)
    assert window.session.snapshot is good and window.playground._snapshot is good
    assert window.session.followed == run and not warnings
    land(runs[20], run)
    qtbot.waitUntil(lambda: window.session.iteration == 20, timeout=10_000)
    assert window.playground._snapshot.iteration == 20
    assert window.loss_plot.point_count() == 20 and window.adaptation_plot.record.iteration == 20


def test_a_deleted_folder_ends_following_with_one_line(qtbot, window, warnings, tmp_path, runs):
    run = copy_run(runs, 10, tmp_path / "run")
    messages = SignalRecorder(lines=window.session.message)
    follow(qtbot, window, run)
    shutil.rmtree(run)
    qtbot.waitUntil(lambda: window.session.followed is None, timeout=10_000)
    assert any("deleted" in line and "\n" not in line for line in messages.lines)
    assert not warnings and not window.follower.label.isVisible()
    assert window.session.snapshot is not None  # what it showed last stays


def test_nothing_is_written_into_the_followed_folder(qtbot, window, warnings, tmp_path, runs, monkeypatch):
    run = copy_run(runs, 10, tmp_path / "run")
    (run / f".{WEIGHTS}.abcdefgh.tmp").write_bytes(b"left by a killed writer")  # opening a run tidies these
    before = listing(run)
    os.chmod(run, stat.S_IRUSR | stat.S_IXUSR)
    try:
        with WriteAudit(run) as audit:
            follow(qtbot, window, run)
            window.playground.set_points([(-2.0, 1.0), (0.0, 0.5), (2.0, -1.0)])
            read_again(qtbot, window)
            assert not window.window_actions.start.isEnabled()
            assert not window.session.start_training() and not window.session.continue_training()
            window.files.ask_file = lambda title, save: str(run / "config.toml")
            window.window_actions.export_config.trigger()
            failures = []
            monkeypatch.setattr(QMessageBox, "critical", lambda parent, title, text, *a: failures.append(text))
            monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(run / "model.pt"), ""))
            assert window.export_actions.export_model_as("torchscript") is None
            assert len(failures) == 1 and "never written" in failures[0]
            copy = tmp_path / "copy"
            answers = [str(run), str(run / "inside"), str(copy)]
            window.files.ask_save_folder = lambda title: answers.pop(0)
            window.files.ask_replace_run = lambda target: True
            window.window_actions.save_run.trigger()  # Save goes to Save As, which refuses the followed folder
            assert sum("never written" in text for text in warnings) == 3  # export config, Save As twice
            assert load_run(copy).snapshot.iteration == 10 and window.session.followed is None
        assert audit.writes == [] and audit.opened  # it was read, never written
    finally:
        os.chmod(run, stat.S_IRWXU)
    assert listing(run) == before


def test_new_open_and_stop_following_end_following(qtbot, window, warnings, tmp_path, runs):
    first, other = copy_run(runs, 10, tmp_path / "first"), copy_run(runs, 20, tmp_path / "other")
    follow(qtbot, window, first)
    window.window_actions.new_experiment.trigger()
    assert window.session.followed is None and window.follower._worker is None
    follow(qtbot, window, first)
    assert window.files.open_run(other) and window.session.followed is None and window.session.run_path == other
    follow(qtbot, window, first)
    window.follower.ask_directory = lambda: str(tmp_path / "not-a-run")
    window.follower.follow_action.trigger()  # following another folder stops following this one first
    assert window.session.followed is None and window.session.iteration == 10
    qtbot.waitUntil(lambda: bool(warnings), timeout=10_000)
    assert "cannot follow" in warnings[-1]
    follow(qtbot, window, first)
    assert window.follower.stop_action.isEnabled()
    window.follower.stop_action.trigger()
    assert window.session.followed is None and window.session.iteration == 10
    assert window.window_actions.start.isEnabled() and not window.follower.stop_action.isEnabled()


def test_a_folder_that_is_not_a_run_is_refused_in_one_line(qtbot, window, warnings, tmp_path):
    window.follower.ask_directory = lambda: str(tmp_path)
    window.follower.follow_action.trigger()
    qtbot.waitUntil(lambda: bool(warnings), timeout=10_000)
    assert "not a MAML Studio run" in warnings[0] and "\n" not in warnings[0]
    assert window.session.followed is None


def test_the_file_menu_has_follow_and_stop_following(window):
    file_menu = window.menuBar().actions()[0].menu()
    names = [action.text().replace("&", "") for action in file_menu.actions()]
    at = names.index("Save Experiment As…")
    assert names[at + 1: at + 3] == ["Follow Run…", "Stop Following"]
    assert window.follower.follow_action.shortcut().toString() == "Ctrl+Shift+F"
