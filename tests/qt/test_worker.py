"""TrainingThread / TrainingWorker: reports, stop, pause, failures, autosave, shutdown."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("pytestqt")

from maml_gui.core.checkpoint import is_run, load_run  # noqa: E402
from maml_gui.core.training import Trainer, TrainingError  # noqa: E402
from maml_gui.qt.worker import TrainingThread  # noqa: E402
from tests.qt.helpers import SignalRecorder, slow_config, tiny_config  # noqa: E402
from tests.recorders import WatchedControl  # noqa: E402


def record_job(job: TrainingThread) -> SignalRecorder:
    return SignalRecorder(reports=job.progressed, failures=job.failed, autosaves=job.autosaved, done=job.done)


def run_to_end(qtbot, job: TrainingThread, timeout: int = 20_000) -> None:
    with qtbot.waitSignal(job.done, timeout=timeout):
        job.start()


def test_reports_cover_every_iteration_once_and_end_with_the_final_state(qtbot):
    trainer = Trainer(tiny_config(iterations=60), threads=1)
    job = TrainingThread(trainer, report_interval_s=0.0)
    recorder = record_job(job)
    run_to_end(qtbot, job)
    qtbot.wait(20)
    iterations = np.concatenate([p.iterations for p in recorder.reports])
    np.testing.assert_array_equal(iterations, np.arange(1, 61))
    final = recorder.reports[-1]
    assert final.finished and not final.stopped and final.iteration == 60
    assert final.snapshot.iteration == 60
    assert [p.validation.iteration for p in recorder.reports if p.validation is not None] == [0, 20, 40, 60]
    assert len(recorder.done) == 1 and recorder.failures == [] and not job.is_running()


def test_reports_are_throttled_by_wall_clock(qtbot):
    trainer = Trainer(tiny_config(iterations=400, val_interval=1000), threads=1)
    job = TrainingThread(trainer, report_interval_s=1e9)  # longer than the whole run, however loaded the machine
    recorder = record_job(job)
    run_to_end(qtbot, job)
    qtbot.wait(20)
    # only the reports that cannot wait: the first (it carries the iteration-0 validation), the
    # last validation and the final state
    assert len(recorder.reports) <= 3 and recorder.reports[-1].finished
    assert sum(p.iterations.size for p in recorder.reports) == 400


def test_stop_ends_the_thread_after_the_current_iteration(qtbot):
    trainer = Trainer(slow_config(), threads=1)
    job = TrainingThread(trainer)
    recorder = record_job(job)
    with qtbot.waitSignal(job.progressed, timeout=10_000):
        job.start()
    with qtbot.waitSignal(job.done, timeout=10_000):
        job.request_stop()
    qtbot.wait(20)
    assert recorder.reports[-1].stopped and not recorder.reports[-1].finished
    assert recorder.reports[-1].iteration == trainer.iteration < 1_000_000


def test_pause_holds_training_until_resume(qtbot, monkeypatch):
    monkeypatch.setattr("maml_gui.qt.worker.TrainingControl", WatchedControl)
    trainer = Trainer(slow_config(), threads=1)
    job = TrainingThread(trainer)
    record_job(job)
    with qtbot.waitSignal(job.progressed, timeout=10_000):
        job.start()
    job.pause()
    assert job.control.wait_held()  # the iteration in flight has completed
    held = trainer.iteration
    assert job.control.wait_held()  # more turns in the pause
    assert job.paused and trainer.iteration == held
    job.resume()
    qtbot.waitUntil(lambda: trainer.iteration > held, timeout=10_000)
    assert job.stop_and_wait()


def test_stop_and_wait_works_while_paused_and_without_an_event_loop_turn(qtbot):
    trainer = Trainer(slow_config(), threads=1)
    job = TrainingThread(trainer)
    recorder = record_job(job)
    with qtbot.waitSignal(job.progressed, timeout=10_000):
        job.start()
    job.pause()
    assert job.stop_and_wait(timeout_ms=30_000)  # closeEvent blocks the GUI thread here
    assert len(recorder.done) == 1 and not job.is_running()
    assert job.stop_and_wait()  # a second call is harmless


def test_training_error_is_reported_as_one_line(qtbot, monkeypatch):
    trainer = Trainer(tiny_config(iterations=50), threads=1)

    def diverge():
        raise TrainingError("the meta-loss became nan at iteration 1")

    monkeypatch.setattr(trainer, "train_iteration", diverge)
    job = TrainingThread(trainer)
    recorder = record_job(job)
    run_to_end(qtbot, job)
    qtbot.wait(20)
    assert recorder.failures == ["the meta-loss became nan at iteration 1"]
    assert len(recorder.done) == 1


def test_unexpected_exception_is_reported_not_raised(qtbot, monkeypatch):
    trainer = Trainer(tiny_config(iterations=50), threads=1)
    monkeypatch.setattr(trainer, "train_iteration", lambda: 1 / 0)
    job = TrainingThread(trainer)
    recorder = record_job(job)
    run_to_end(qtbot, job)
    qtbot.wait(20)
    assert len(recorder.failures) == 1
    assert "ZeroDivisionError" in recorder.failures[0] and "\n" not in recorder.failures[0]


def test_autosave_writes_a_resumable_run(qtbot, tmp_path):
    trainer = Trainer(tiny_config(iterations=40, val_interval=20), threads=1)
    job = TrainingThread(trainer, autosave_dir=str(tmp_path / "run"))
    recorder = record_job(job)
    run_to_end(qtbot, job)
    qtbot.wait(20)
    assert recorder.autosaves and recorder.failures == []
    assert is_run(tmp_path / "run") and load_run(tmp_path / "run").iteration == 40


def test_failed_autosave_is_reported_once_and_training_goes_on(qtbot, tmp_path):
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    trainer = Trainer(tiny_config(iterations=60, val_interval=20), threads=1)
    job = TrainingThread(trainer, autosave_dir=str(blocker / "run"))
    recorder = record_job(job)
    run_to_end(qtbot, job)
    qtbot.wait(20)
    assert len(recorder.failures) == 1 and "autosave" in recorder.failures[0]
    assert recorder.reports[-1].finished and trainer.iteration == 60


def test_discarded_reports_never_reach_the_gui(qtbot):
    trainer = Trainer(tiny_config(iterations=200, val_interval=1000), threads=1)
    job = TrainingThread(trainer, report_interval_s=0.0)
    recorder = record_job(job)
    job.discard()
    run_to_end(qtbot, job)
    qtbot.wait(50)
    assert recorder.reports == [] and len(recorder.done) == 1


def test_a_training_thread_runs_once(qtbot):
    job = TrainingThread(Trainer(tiny_config(iterations=5), threads=1))
    record_job(job)
    run_to_end(qtbot, job)
    with pytest.raises(RuntimeError, match="runs once"):
        job.start()
