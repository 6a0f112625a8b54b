"""Run directories: round trips, exact resume, atomic writes and readable errors."""

from __future__ import annotations

import io
import os
import stat

import pytest
import torch

from maml_gui.core import atomic_files, checkpoint
from maml_gui.core.checkpoint import (RunError, atomic_write, load_resume_state, load_run, resume_trainer,
                                      save_run, save_trainer, snapshot_from_bytes, snapshot_tensors,
                                      snapshot_to_bytes)
from maml_gui.core.config import from_dict
from maml_gui.core.training import Trainer, TrainingControl

POINTS = [(0.5, 1.25), (-2.0, 0.1), (3.0, -4.0)]


def config_for(algorithm="maml", **training):
    base = dict(algorithm=algorithm, meta_batch=4, iterations=30, val_interval=10, val_tasks=16, log_every=1,
                baseline=True, device="cpu", seed=11, inner_steps=2)
    return from_dict({"task": {"family": "sinusoid", "shots": 5, "queries": 5, "noise_std": 0.05},
                      "model": {"hidden": [12, 12], "activation": "tanh"},
                      "training": {**base, **training},
                      "evaluation": {"inner_steps": 3, "queries": 8}})


def trained(config, iterations=None) -> Trainer:
    trainer = Trainer(config, threads=1)
    for _ in trainer.run(iterations=iterations):
        pass
    return trainer


def assert_tensors_equal(a, b):
    assert len(a) == len(b)
    for x, y in zip(a, b):
        assert torch.equal(x, y)


def assert_optimizer_states_equal(a: dict, b: dict):
    assert a["param_groups"] == b["param_groups"]
    assert a["state"].keys() == b["state"].keys()
    for key in a["state"]:
        sa, sb = a["state"][key], b["state"][key]
        assert sa.keys() == sb.keys()
        for name in sa:
            if isinstance(sa[name], torch.Tensor):
                assert torch.equal(sa[name], sb[name]), (key, name)
            else:
                assert sa[name] == sb[name], (key, name)


# -- round trip ---------------------------------------------------------------------------------
@pytest.mark.parametrize("algorithm, extra", [("metasgd", {}), ("maml", {"learn_inner_lr": True}), ("anil", {})])
def test_save_and_load_round_trip(tmp_path, algorithm, extra):
    trainer = trained(config_for(algorithm, iterations=20, **extra))
    path = save_trainer(tmp_path / "run", trainer, points=POINTS)
    assert checkpoint.is_run(path)
    run = load_run(path)
    assert run.config == trainer.config
    assert run.iteration == 20 and run.points == POINTS
    assert run.history.rows == trainer.history.rows
    assert run.history.validations == trainer.history.validations
    expected, loaded = trainer.snapshot(), run.snapshot
    assert (loaded.spec, loaded.algorithm, loaded.iteration, loaded.head_only, loaded.baseline_lr,
            loaded.train_inner_steps) == (expected.spec, expected.algorithm, 20, algorithm == "anil",
                                          expected.baseline_lr, expected.train_inner_steps)
    assert_tensors_equal(loaded.params, expected.params)
    assert_tensors_equal(loaded.baseline_params, expected.baseline_params)
    assert loaded.rates.base == expected.rates.base
    if algorithm == "metasgd":
        assert_tensors_equal(loaded.rates.per_parameter, expected.rates.per_parameter)
        assert loaded.rates.per_step is None
    elif extra:
        assert torch.equal(loaded.rates.per_step, expected.rates.per_step) and loaded.rates.per_parameter is None
    x = torch.linspace(-5, 5, 9)
    torch.testing.assert_close(loaded.adapt(x, torch.sin(x), x, 2), expected.adapt(x, torch.sin(x), x, 2),
                               rtol=0, atol=0)


def test_snapshot_tensor_names_use_pytorch_layout():
    trainer = Trainer(config_for("metasgd"), threads=1)
    tensors = snapshot_tensors(trainer.snapshot())
    assert tensors["model.layers.0.weight"].shape == (12, 1)
    assert tensors["model.layers.2.weight"].shape == (12, 12)
    assert tensors["model.layers.4.weight"].shape == (1, 12)
    assert {"inner_lr.layers.0.weight", "baseline.layers.4.bias"} <= set(tensors)
    again = snapshot_from_bytes(snapshot_to_bytes(trainer.snapshot()))
    assert_tensors_equal(again.params, trainer.snapshot().params)


def test_save_run_without_optional_parts(tmp_path):
    config = config_for()
    save_run(tmp_path / "bare", config)
    run = load_run(tmp_path / "bare")
    assert run.config == config and run.snapshot is None and run.points == [] and run.history.rows == []
    with pytest.raises(RunError, match="cannot be resumed"):
        resume_trainer(tmp_path / "bare")


# -- exact resume -------------------------------------------------------------------------------
@pytest.mark.parametrize("algorithm, extra", [
    ("maml", {}),
    ("metasgd", {}),
    ("reptile", {"meta_optimizer": "sgd", "meta_lr": 0.1, "meta_lr_schedule": "linear"}),
    ("maml", {"learn_inner_lr": True, "multi_step_loss": True, "multi_step_loss_iterations": 25,
              "first_order_iterations": 15, "meta_lr_schedule": "cosine"}),
], ids=["maml", "metasgd", "reptile", "mamlpp"])
def test_interrupted_and_resumed_run_equals_uninterrupted(tmp_path, algorithm, extra):
    config = config_for(algorithm, **extra)
    straight = trained(config)

    first = trained(config, iterations=20)
    save_trainer(tmp_path / "run", first)
    resumed, run = resume_trainer(tmp_path / "run", threads=1)
    assert resumed.iteration == 20 and run.iteration == 20
    for _ in resumed.run():
        pass

    assert resumed.iteration == straight.iteration == 30
    assert_tensors_equal([p.detach() for p in resumed.learner.meta_parameters()],
                         [p.detach() for p in straight.learner.meta_parameters()])
    assert_tensors_equal([p.detach() for p in resumed.baseline.params], [p.detach() for p in straight.baseline.params])
    assert_optimizer_states_equal(resumed.optimizer.state_dict(), straight.optimizer.state_dict())
    assert_optimizer_states_equal(resumed.baseline.optimizer.state_dict(), straight.baseline.optimizer.state_dict())
    assert torch.equal(resumed.task_generator.get_state(), straight.task_generator.get_state())
    assert [r[:4] for r in resumed.history.rows] == [r[:4] for r in straight.history.rows]
    assert resumed.history.validations == straight.history.validations


def test_run_stopped_midway_and_resumed_equals_uninterrupted(tmp_path):
    """As the GUI does: stop at an iteration that is no log, validation or autosave point, save, resume."""
    config = config_for("metasgd", log_every=3)
    straight = trained(config)
    trainer, control = Trainer(config, threads=1), TrainingControl()
    for progress in trainer.run(control=control, report_interval_s=0.0):
        if progress.iteration == 17:
            control.request_stop()
    assert progress.stopped and trainer.iteration == 17
    save_trainer(tmp_path / "run", trainer)
    resumed, _ = resume_trainer(tmp_path / "run", threads=1)
    for _ in resumed.run():
        pass
    assert_tensors_equal([p.detach() for p in resumed.learner.meta_parameters()],
                         [p.detach() for p in straight.learner.meta_parameters()])
    assert [r[:4] for r in resumed.history.rows] == [r[:4] for r in straight.history.rows]
    assert resumed.history.validations == straight.history.validations


def test_resume_forgets_metrics_logged_after_the_saved_state(tmp_path):
    config = config_for()
    trainer = trained(config, iterations=10)
    save_run(tmp_path / "run", config, trainer.snapshot(), trainer.history, trainer.state_dict())
    for _ in trainer.run(iterations=20):
        pass
    save_run(tmp_path / "run", config, history=trainer.history)  # metrics ran ahead of the resume state
    resumed, _ = resume_trainer(tmp_path / "run", threads=1)
    assert resumed.iteration == 10
    assert max(r[0] for r in resumed.history.rows) == 10
    assert max(v.iteration for v in resumed.history.validations) == 10


def test_resume_state_that_does_not_fit_the_config(tmp_path):
    trainer = trained(config_for(), iterations=2)
    save_trainer(tmp_path / "run", trainer)
    other = config_for().model_copy(update={"model": config_for().model.model_copy(update={"hidden": [8]})})
    (tmp_path / "run" / "config.toml").write_text(other.to_toml(), encoding="utf-8")
    with pytest.raises(RunError) as info:
        resume_trainer(tmp_path / "run", threads=1)
    assert "\n" not in str(info.value)


# -- atomic writes ------------------------------------------------------------------------------
def leftover_temp_files(folder):
    return [p.name for p in folder.iterdir() if p.name.endswith(".tmp")]


def test_atomic_write_replaces_and_leaves_no_temp_files(tmp_path):
    target = tmp_path / "file.txt"
    atomic_write(target, "old")
    atomic_write(target, b"new bytes")
    assert target.read_bytes() == b"new bytes"
    assert leftover_temp_files(tmp_path) == []


@pytest.mark.parametrize("broken", ["os.replace", "os.fsync"])
def test_atomic_write_failure_keeps_the_old_file(tmp_path, monkeypatch, broken):
    target = tmp_path / "file.txt"
    atomic_write(target, "old contents")

    def fail(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(atomic_files.os, broken.split(".")[1], fail)
    with pytest.raises(OSError, match="disk full"):
        atomic_write(target, "new contents " * 1000)
    assert target.read_text() == "old contents"
    assert leftover_temp_files(tmp_path) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file.txt"]


def test_failed_save_keeps_the_previous_run_loadable(tmp_path, monkeypatch):
    trainer = trained(config_for(), iterations=5)
    save_trainer(tmp_path / "run", trainer, points=POINTS)
    for _ in trainer.run(iterations=10):
        pass
    real_replace = os.replace
    calls = []

    def replace_then_fail(src, dst):
        calls.append(dst)
        if str(dst).endswith("model.safetensors"):
            raise OSError("killed")
        return real_replace(src, dst)

    monkeypatch.setattr(atomic_files.os, "replace", replace_then_fail)
    with pytest.raises(OSError):
        save_trainer(tmp_path / "run", trainer)
    monkeypatch.setattr(atomic_files.os, "replace", real_replace)
    run = load_run(tmp_path / "run")
    assert run.snapshot.iteration == 5 and run.points == POINTS
    assert load_resume_state(tmp_path / "run")["iteration"] == 5  # weights are written before resume state
    assert leftover_temp_files(tmp_path / "run") == []


# -- readable errors ----------------------------------------------------------------------------
def one_line_run_error(call) -> str:
    with pytest.raises(RunError) as info:
        call()
    assert "\n" not in str(info.value)
    return str(info.value)


def test_load_errors_are_one_line(tmp_path):
    assert "not a directory" in one_line_run_error(lambda: load_run(tmp_path / "missing"))
    assert "not a MAML Studio run" in one_line_run_error(lambda: load_run(tmp_path))
    run_dir = save_trainer(tmp_path / "run", trained(config_for(), iterations=1))
    weights = (run_dir / "model.safetensors").read_bytes()
    (run_dir / "model.safetensors").write_bytes(weights[: len(weights) // 2])
    assert "model.safetensors" in one_line_run_error(lambda: load_run(run_dir))
    (run_dir / "model.safetensors").write_bytes(weights)
    (run_dir / "config.toml").write_text("[training]\ninner_lr = -1\n")
    assert "training.inner_lr" in one_line_run_error(lambda: load_run(run_dir))


def test_newer_run_format_is_refused(tmp_path):
    run_dir = save_run(tmp_path / "run", config_for())
    (run_dir / "run.json").write_text('{"format": "maml-gui-run", "format_version": 99}')
    assert "newer" in one_line_run_error(lambda: load_run(run_dir))


class _Payload:
    """Anything that is not plain tensors and containers must not be unpickled."""

    def __reduce__(self):
        return (os.getcwd, ())


def test_resume_state_is_never_unpickled_beyond_tensors(tmp_path):
    run_dir = save_trainer(tmp_path / "run", trained(config_for(), iterations=1))
    buffer = io.BytesIO()
    torch.save({"iteration": 1, "evil": _Payload()}, buffer)
    (run_dir / "resume.pt").write_bytes(buffer.getvalue())
    message = one_line_run_error(lambda: load_resume_state(run_dir))
    assert "resume.pt: refused to load: it contains a pickled object of type posix.getcwd" in message
    assert "weights_only" not in message
    (run_dir / "resume.pt").write_bytes(b"garbage")
    assert "resume.pt" in one_line_run_error(lambda: load_resume_state(run_dir))


@pytest.mark.skipif(not hasattr(os, "fchmod"), reason="POSIX permissions")
def test_atomic_write_gives_ordinary_file_permissions(tmp_path):
    """Like open(): 0o666 less the umask, not mkstemp's owner-only 0o600."""
    plain = tmp_path / "plain.txt"
    plain.write_text("x")
    run_dir = save_trainer(tmp_path / "run", trained(config_for(), iterations=1), points=POINTS)
    for file in run_dir.iterdir():
        assert stat.S_IMODE(file.stat().st_mode) == stat.S_IMODE(plain.stat().st_mode), file.name
