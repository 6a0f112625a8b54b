"""A sweep started from the app: trials in worker processes, live curves, Stop keeps finished
trials, a rerun skips them, and closing the app stops the workers (no process left behind)."""

from __future__ import annotations

import multiprocessing
import os

import pytest

pytest.importorskip("pytestqt")

from PySide6.QtCore import Qt  # noqa: E402

from maml_gui.core.sweep_runner import EVALUATION_FILE, FINISHED, RESUMABLE, trial_state  # noqa: E402
from tests.qt.helpers import quiet_main_window, tiny_config  # noqa: E402

SWEEP_TIMEOUT_MS = 120_000  # worker processes start by importing torch: seconds on a busy machine


@pytest.fixture
def window(qtbot, monkeypatch):
    made = quiet_main_window(qtbot, monkeypatch,
                             tiny_config(iterations=12, val_interval=6).with_overrides(["evaluation.tasks=6"]))
    yield made
    made.sweeps.shutdown()
    made.close()


def fill_dialog(monkeypatch, window, out, rows, jobs):
    """Answer the Sweep dialog like a user: fields and values, one seed, jobs, the folder."""
    def run_dialog(dialog):
        dialog.rows[0].set_field(*rows[0])
        for key, values in rows[1:]:
            dialog.add_row(key, values)
        dialog.jobs.setValue(jobs)
        dialog.out.setText(str(out))
        return dialog.check()

    monkeypatch.setattr(window.sweeps, "run_dialog", run_dialog)


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/status") as status:
            return "zombie" not in status.read()
    except FileNotFoundError:
        return False


def watch_children(seen: set[int]) -> bool:
    seen.update(p.pid for p in multiprocessing.active_children())
    return True


def test_a_2x2_sweep_runs_in_worker_processes_and_its_curves_appear(qtbot, window, monkeypatch, tmp_path):
    out = tmp_path / "sweep"
    fill_dialog(monkeypatch, window, out, [("training.inner_lr", "0.01,0.02"), ("training.algorithm", "maml,anil")],
                jobs=2)
    window.sweeps.sweep_action.trigger()
    job = window.sweeps.job
    assert job is not None and job.is_running() and window.sweeps.window.isVisible()
    pids: set[int] = set()
    qtbot.waitUntil(lambda: watch_children(pids) and not job.is_running(), timeout=SWEEP_TIMEOUT_MS)
    assert pids and os.getpid() not in pids  # the trials trained in other processes
    names = [t.name for t in job.trials]
    assert names == ["inner_lr=0.01,algorithm=maml,seed=0", "inner_lr=0.01,algorithm=anil,seed=0",
                     "inner_lr=0.02,algorithm=maml,seed=0", "inner_lr=0.02,algorithm=anil,seed=0"]
    assert {job.status[n].status for n in names} == {"finished"}
    for name in names:
        assert trial_state(out / name, 12) == (FINISHED, 12) and (out / name / EVALUATION_FILE).is_file()
    view = window.sweeps.window
    assert sorted(view.curves) == sorted(names)  # one live curve per trial, its last point the last iteration
    assert all(curve.getData()[0][-1] == 12 for curve in view.curves.values())
    assert "4 of 4 trials done" in view.header.text() and view.bar.value() == 1000
    runs = {entry.run.path.name: entry.run for entry in window.runs.model.opened_runs()}
    assert sorted(runs) == sorted(names) and {run.iteration for run in runs.values()} == {12}  # in the Runs panel
    assert all(run.sweep == out for run in runs.values())
    assert not view.stop_button.isEnabled()
    assert not any(alive(pid) for pid in pids) and not multiprocessing.active_children()

    view.table.selectRow(0)  # the trials' models, compared on the playground's points
    view.table.selectionModel().select(view.table.model().index(3, 0), view.table.selectionModel().SelectionFlag.Select
                                       | view.table.selectionModel().SelectionFlag.Rows)
    assert view.compare_button.isEnabled()
    qtbot.mouseClick(view.compare_button, Qt.MouseButton.LeftButton)
    compare = window.compare.window
    assert compare.isVisible() and [n.split(" ")[0] for n in compare.model_names()] == [names[0], names[3]]
    assert compare.model_names()[1] == f"{names[3]} (anil, it 12)"

    window.sweeps.sweep_action.trigger()  # the same sweep again: every trial is skipped, nothing starts
    again = window.sweeps.job
    assert again is not job
    qtbot.waitUntil(lambda: not again.is_running(), timeout=SWEEP_TIMEOUT_MS)
    assert {again.status[n].status for n in names} == {"skipped"}
    assert view.status_text(names[0]) == "finished earlier" and len(view.curves) == 4


def test_stop_keeps_finished_trials_a_rerun_resumes_and_closing_stops_the_workers(qtbot, window, monkeypatch,
                                                                                  tmp_path):
    out = tmp_path / "sweep"
    fill_dialog(monkeypatch, window, out, [("training.iterations", "12,1000000")], jobs=1)
    quick, slow = "iterations=12,seed=0", "iterations=1000000,seed=0"
    window.sweeps.sweep_action.trigger()
    job, view = window.sweeps.job, window.sweeps.window
    pids: set[int] = set()
    qtbot.waitUntil(lambda: watch_children(pids) and job.status[slow].iteration >= 6, timeout=SWEEP_TIMEOUT_MS)
    assert job.status[quick].status == "finished" and job.status[slow].status == "running"
    assert slow in view.curves or quick in view.curves
    qtbot.mouseClick(view.stop_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not job.is_running(), timeout=SWEEP_TIMEOUT_MS)
    assert job.status[quick].status == "finished" and job.status[slow].status == "interrupted"
    state, reached = trial_state(out / slow, 1_000_000)
    assert state == RESUMABLE and reached >= 6
    assert trial_state(out / quick, 12) == (FINISHED, 12)
    assert "stopped (resumable)" in view.status_text(slow) and "1 of 2 trials done" in view.header.text()
    assert not any(alive(pid) for pid in pids) and not multiprocessing.active_children()

    window.sweeps.sweep_action.trigger()  # the same sweep: the finished trial is skipped, the other resumes
    rerun = window.sweeps.job
    qtbot.waitUntil(lambda: watch_children(pids) and rerun.status[slow].iteration > reached,
                    timeout=SWEEP_TIMEOUT_MS)
    assert rerun.status[quick].status == "skipped" and rerun.is_running()

    window.sweeps.ask_stop_for_close = lambda: False  # Cancel: the app and the sweep go on
    assert not window.close() and rerun.is_running() and window.isVisible()
    window.sweeps.ask_stop_for_close = lambda: True
    assert window.close()
    assert not rerun.is_running() or rerun.wait(0)
    assert not any(alive(pid) for pid in pids) and not multiprocessing.active_children()
    assert trial_state(out / slow, 1_000_000)[0] == RESUMABLE and trial_state(out / slow, 1_000_000)[1] > reached
