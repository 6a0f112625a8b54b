"""ExperimentSession: training lifecycle, run directories, stale reports, config bookkeeping."""

from __future__ import annotations

import pytest

pytest.importorskip("pytestqt")

from maml_gui.core.checkpoint import load_run  # noqa: E402
from maml_gui.core.presets import load_preset  # noqa: E402
from maml_gui.qt.session import ExperimentSession, TrainingState, same_experiment  # noqa: E402
from tests.qt.helpers import SignalRecorder, slow_config, tiny_config  # noqa: E402


def record_session(session: ExperimentSession) -> SignalRecorder:
    return SignalRecorder(states=session.state_changed, errors=session.error, progress=session.progressed,
                          resets=session.history_reset, snapshots=session.snapshot_changed)


@pytest.fixture
def session(qtbot):
    made = ExperimentSession(tiny_config())
    yield made
    assert made.stop_and_wait()


def train_to_end(qtbot, session: ExperimentSession) -> None:
    assert session.start_training()
    qtbot.waitUntil(lambda: session.state is TrainingState.IDLE, timeout=20_000)
    qtbot.wait(20)  # the last queued reports


def test_training_runs_to_the_end_and_reports(qtbot, session):
    log = record_session(session)
    train_to_end(qtbot, session)
    assert log.states[0] is TrainingState.RUNNING and log.states[-1] is TrainingState.IDLE
    assert log.progress[-1].finished and session.iteration == 40
    assert session.snapshot is log.snapshots[-1] and session.unsaved
    assert log.errors == [] and not session.can_continue()


def test_pause_resume_and_stop_change_state(qtbot, session):
    session.set_config(slow_config())
    log = record_session(session)
    session.start_training()
    qtbot.waitUntil(lambda: session.iteration > 0, timeout=10_000)
    session.pause()
    assert session.state is TrainingState.PAUSED
    session.resume()
    assert session.state is TrainingState.RUNNING
    session.request_stop()
    qtbot.waitUntil(lambda: session.state is TrainingState.IDLE, timeout=10_000)
    assert log.states == [TrainingState.RUNNING, TrainingState.PAUSED, TrainingState.RUNNING, TrainingState.IDLE]
    assert session.can_continue()  # stopped early: the same trainer can go on


def test_continue_goes_on_from_the_stopped_iteration(qtbot, session):
    train_to_end(qtbot, session)
    session.set_config(session.config.with_overrides(["training.iterations=70"]))
    assert session.can_continue()
    log = record_session(session)
    assert session.continue_training()
    qtbot.waitUntil(lambda: session.state is TrainingState.IDLE, timeout=20_000)
    qtbot.wait(20)
    assert log.resets == []  # the curves keep their history
    assert log.progress[0].iterations[0] == 41 and session.iteration == 70


def test_a_changed_experiment_cannot_continue_but_keeps_its_model(qtbot, session):
    train_to_end(qtbot, session)
    session.set_config(session.config.with_overrides(["training.iterations=80", "training.inner_lr=0.05"]))
    assert not session.can_continue() and not session.continue_training()
    assert session.snapshot is not None  # the playground still has the trained model


def test_start_error_is_one_line(qtbot, session, monkeypatch):
    log = record_session(session)
    monkeypatch.setattr("maml_gui.qt.session.Trainer", _raise_device_error)
    assert not session.start_training()
    assert log.errors == ["cannot start training: device 'cuda' is not available: no CUDA GPU found"]
    assert session.state is TrainingState.IDLE


def _raise_device_error(*args, **kwargs):
    from maml_gui.core.device import DeviceError

    raise DeviceError("device 'cuda' is not available: no CUDA GPU found")


def test_save_and_open_round_trip_with_points(qtbot, session, tmp_path):
    session.points_provider = lambda: [(0.5, 1.0), (-1.0, 2.0)]
    train_to_end(qtbot, session)
    assert session.save_run(tmp_path / "run") and not session.unsaved
    other = ExperimentSession()
    log = record_session(other)
    loaded = []
    other.points_loaded.connect(loaded.append)
    assert other.open_run(tmp_path / "run")
    assert other.config == session.config and other.iteration == 40
    assert loaded == [[(0.5, 1.0), (-1.0, 2.0)]]
    assert len(log.resets[-1].rows) == 40 and log.snapshots[-1].iteration == 40
    assert other.run_path == tmp_path / "run" and not other.unsaved


def test_opened_run_resumes_exactly_where_it_stopped(qtbot, session, tmp_path):
    train_to_end(qtbot, session)
    session.save_run(tmp_path / "run")
    other = ExperimentSession()
    other.open_run(tmp_path / "run")
    other.set_config(other.config.with_overrides(["training.iterations=60"]))
    assert other.can_continue() and other.continue_training()
    qtbot.waitUntil(lambda: other.state is TrainingState.IDLE, timeout=20_000)
    session.set_config(session.config.with_overrides(["training.iterations=60"]))
    session.continue_training()
    qtbot.waitUntil(lambda: session.state is TrainingState.IDLE, timeout=20_000)
    for a, b in zip(other.trainer.snapshot().params, session.trainer.snapshot().params):
        assert (a == b).all()  # same seed, same RNG state: the very same weights


def test_save_while_training_goes_on_training(qtbot, session, tmp_path):
    session.set_config(slow_config())
    log = record_session(session)
    session.start_training()
    qtbot.waitUntil(lambda: session.iteration > 5, timeout=10_000)
    assert session.save_run(tmp_path / "run")
    saved = load_run(tmp_path / "run").iteration
    assert saved > 5 and session.state is TrainingState.RUNNING
    qtbot.waitUntil(lambda: session.iteration > saved + 5, timeout=10_000)
    assert log.states == [TrainingState.RUNNING]  # no flicker through idle
    assert session.run_path == tmp_path / "run"


def test_save_refuses_a_folder_with_other_files(session, tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    log = record_session(session)
    assert not session.save_run(tmp_path)
    assert "holds other files" in log.errors[0]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


def test_save_without_a_folder_asks_for_one(session):
    log = record_session(session)
    assert not session.save_run()
    assert log.errors == ["choose a folder to save the run in"]


def test_open_error_is_reported_and_keeps_the_experiment(session, tmp_path):
    log = record_session(session)
    before = session.config
    assert not session.open_run(tmp_path / "missing")
    assert len(log.errors) == 1 and "not a directory" in log.errors[0]
    assert session.config is before


def test_new_experiment_drops_reports_of_the_old_one(qtbot, session):
    session.set_config(slow_config())
    # frequent reports, but not one per iteration: a worker posting faster than a loaded GUI thread
    # drains them starves the timers (the throttle's and qtbot.wait's own): a 5-minute hang in a full run
    session.training.report_interval_s = 0.02
    log = record_session(session)
    session.start_training()
    qtbot.waitUntil(lambda: len(log.progress) > 3, timeout=10_000)
    session.new_experiment(tiny_config())
    count = len(log.progress)
    qtbot.wait(100)
    assert len(log.progress) == count  # nothing queued from the old run was drawn
    assert session.snapshot is None and log.snapshots[-1] is None and session.iteration == 0
    assert session.state is TrainingState.IDLE


def test_preset_loading(session):
    log = record_session(session)
    assert session.load_preset("finn2017-sinusoid")
    assert session.config == load_preset("finn2017-sinusoid")
    assert not session.load_preset("no-such-preset")
    assert "unknown preset" in log.errors[-1]


def test_same_experiment_ignores_only_length_and_name():
    base = tiny_config()
    assert same_experiment(base, base.with_overrides(["training.iterations=999", "name=other"]))
    assert not same_experiment(base, base.with_overrides(["training.meta_lr=0.01"]))
    assert not same_experiment(base, base.with_overrides(["task.shots=5"]))


def test_a_classification_run_opens_with_its_model(session, tmp_path):
    from maml_gui.core.checkpoint import save_trainer
    from maml_gui.core.presets import load_preset
    from maml_gui.core.training import Trainer

    config = load_preset("points-3way-5shot").with_overrides(["training.val_tasks=4", "training.meta_batch=2"])
    save_trainer(tmp_path / "run", Trainer(config, threads=1))
    log = record_session(session)
    assert session.open_run(tmp_path / "run")
    assert not log.errors
    assert session.config.task.kind == "classification" and session.snapshot.task_kind == "classification"
    assert session.snapshot.spec.outputs == 3
