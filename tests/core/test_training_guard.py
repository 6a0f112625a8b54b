"""A failed iteration leaves the weights, optimiser state and autosaves of the last good one."""

from __future__ import annotations

import math

import pytest
import torch
from safetensors.torch import load_file

from maml_gui.cli import main
from maml_gui.core.checkpoint import WEIGHTS, load_run
from maml_gui.core.config import from_dict
from maml_gui.core.divergence import DivergenceWatch, is_allocation_failure
from maml_gui.core.training import Trainer, TrainingError

ALLOCATION_ERROR = ("DefaultCPUAllocator: can't allocate memory: you tried to allocate 123456789 bytes. "
                    "Error code 12 (Cannot allocate memory)")


def config(**training):
    base = dict(algorithm="maml", meta_batch=5, iterations=30, val_interval=10, val_tasks=10, log_every=1,
                baseline=True, device="cpu", seed=5)
    return from_dict({"task": {"family": "sinusoid", "shots": 5, "queries": 5},
                      "model": {"hidden": [16, 16]},
                      "training": {**base, **training},
                      "evaluation": {"inner_steps": 2, "queries": 10}})


def state(trainer: Trainer) -> list[torch.Tensor]:
    """Weights, learned rates and baseline weights, as plain copies."""
    baseline = trainer.baseline.params if trainer.baseline is not None else []
    return [t.detach().clone() for t in (*trainer.learner.meta_parameters(), *baseline)]


def trained_for(cfg, iterations: int) -> Trainer:
    """A fresh trainer of the same config after ``iterations`` good iterations."""
    trainer = Trainer(cfg, threads=1)
    for _ in range(iterations):
        trainer.train_iteration()
    return trainer


def assert_same(a: list[torch.Tensor], b: list[torch.Tensor]) -> None:
    assert len(a) == len(b) and all(torch.equal(x, y) for x, y in zip(a, b))


def optimizer_tensors(optimizer) -> list[torch.Tensor]:
    return [v.clone() for s in optimizer.state.values() for v in s.values() if isinstance(v, torch.Tensor)]


def fail(trainer: Trainer) -> str:
    with pytest.raises(TrainingError) as info:
        list(trainer.run(report_interval_s=0.0))
    message = str(info.value)
    assert "\n" not in message
    return message


# -- the four ways of failing ---------------------------------------------------------------------
def test_nan_in_the_optimizer_state_keeps_the_last_good_iteration(monkeypatch):
    cfg = config()
    trainer = Trainer(cfg, threads=1)
    original = trainer.learner.meta_step
    poisoned_once = []

    def poisoned(batch, iteration):
        if iteration == 6 and not poisoned_once:
            poisoned_once.append(iteration)
            first = trainer.learner.params[0]
            trainer.optimizer.state[first]["exp_avg"][0, 0] = float("nan")
        return original(batch, iteration)

    monkeypatch.setattr(trainer.learner, "meta_step", poisoned)
    message = fail(trainer)
    assert "iteration 7" in message and "non-finite" in message and "kept the weights of iteration 6" in message
    good = trained_for(cfg, 6)
    assert trainer.iteration == 6
    assert_same(state(trainer), state(good))
    assert_same(optimizer_tensors(trainer.optimizer), optimizer_tensors(good.optimizer))  # the NaN is gone
    assert trainer.history.rows[-1][0] == 6
    list(trainer.run(iterations=8, report_interval_s=0.0))  # training can go on from there
    assert trainer.iteration == 8 and all(torch.isfinite(t).all() for t in state(trainer))


def test_sgd_with_a_huge_meta_lr_stops_before_saving_huge_weights():
    cfg = config(meta_optimizer="sgd", meta_lr=100.0)
    trainer = Trainer(cfg, threads=1)
    initial = state(trainer)
    message = fail(trainer)
    assert "training.meta_lr = 100" in message and "sgd" in message
    # the loss of iteration 2 exploded with the weights of iteration 1: those are not kept either
    assert trainer.iteration == 0 and "kept the weights of iteration 0" in message
    assert_same(state(trainer), initial)
    assert not trainer.optimizer.state or all(torch.isfinite(t).all() for t in optimizer_tensors(trainer.optimizer))


def test_a_huge_inner_lr_is_named_as_the_cause():
    """Inner lr 100 with one step: the loss after adaptation is ~1e14 while the loss before is ~4."""
    cfg = config(inner_lr=100.0, inner_steps=1, baseline=False)
    trainer = Trainer(cfg, threads=1)
    initial = state(trainer)
    message = fail(trainer)
    assert message.startswith("the loss after adaptation became ")
    assert "iteration 1 " in message and "training.inner_lr = 100" in message and "meta_lr" not in message
    assert trainer.iteration == 0 and trainer.history.rows == []
    assert_same(state(trainer), initial)


def test_a_learned_inner_rate_explosion_names_the_rates(monkeypatch):
    trainer = Trainer(config(algorithm="metasgd", baseline=False), threads=1)
    with torch.no_grad():
        for rate in trainer.learner.per_parameter_rates:
            rate.fill_(100.0)
    message = fail(trainer)
    assert "learned inner learning rates" in message and "training.rates_meta_lr" in message


def test_a_cpu_allocation_failure_is_handled_like_out_of_memory(monkeypatch):
    """torch 2.13 raises a plain RuntimeError on the CPU; here it comes after the meta-update
    was applied, so the weights must be put back."""
    cfg = config()
    trainer = Trainer(cfg, threads=1)
    original = trainer.baseline.train_step

    def failing_step(batch):
        if trainer.iteration == 4:
            raise RuntimeError(ALLOCATION_ERROR)
        return original(batch)

    monkeypatch.setattr(trainer.baseline, "train_step", failing_step)
    message = fail(trainer)
    assert message.startswith("out of memory at iteration 5 on cpu; kept the weights of iteration 4")
    assert "meta-batch" in message
    assert trainer.iteration == 4
    assert_same(state(trainer), state(trained_for(cfg, 4)))


def test_other_runtime_errors_are_not_taken_for_out_of_memory(monkeypatch):
    trainer = Trainer(config(), threads=1)
    monkeypatch.setattr(trainer.learner, "meta_step", lambda batch, iteration: (_ for _ in ()).throw(
        RuntimeError("mat1 and mat2 shapes cannot be multiplied")))
    with pytest.raises(RuntimeError, match="shapes") as info:
        trainer.train_iteration()
    assert not isinstance(info.value, TrainingError)
    assert is_allocation_failure(RuntimeError(ALLOCATION_ERROR))
    assert is_allocation_failure(torch.OutOfMemoryError("CUDA out of memory"))
    assert not is_allocation_failure(ValueError("can't allocate memory"))


# -- what is saved ------------------------------------------------------------------------------
def test_cli_autosaves_never_overwrite_a_good_run_with_exploded_weights(tmp_path, capsys):
    """SGD with meta lr 1 diverges within a few iterations (the loss before adaptation grows
    from ~5 to ~1e11); the run directory, autosaved every iteration, keeps the last good state."""
    out = tmp_path / "run"
    status = main(["train", "--preset", "finn2017-sinusoid", "--set", 'training.meta_optimizer="sgd"',
                   "--set", "training.meta_lr=1.0", "--set", "training.log_every=1",
                   "--set", "training.autosave_interval=1", "--set", "training.val_interval=1000",
                   "--set", "training.val_tasks=10", "--set", "training.meta_batch=5", "--iterations", "50",
                   "--threads", "1", "--out", str(out), "--quiet"])
    err = capsys.readouterr().err
    assert status == 1 and "training stopped:" in err and "meta_lr" in err and "Traceback" not in err
    run = load_run(out)
    kept = run.iteration
    assert 1 <= kept < 50 and f"kept the weights of iteration {kept}" in err
    saved = load_file(out / WEIGHTS)
    assert all(torch.isfinite(t).all() and t.abs().max() < 10 for t in saved.values())
    good = trained_for(run.config, kept)
    assert_same(list(run.snapshot.params), [p.detach() for p in good.learner.params])
    assert_same(list(run.snapshot.baseline_params), [p.detach() for p in good.baseline.params])
    assert run.history.rows[-1][0] == kept


def test_a_stop_confirms_the_latest_weights_before_they_are_saved(monkeypatch):
    """The weights of the last iteration have not been through a loss yet: the end of run()
    checks them, and goes back one more iteration when their loss explodes."""
    cfg = config(iterations=5)
    trainer = Trainer(cfg, threads=1)
    original = trainer.learner.meta_step

    def last_update_explodes(batch, iteration):
        losses = original(batch, iteration)
        if iteration == 4:  # one Adam step of 3 on every weight, upwards: finite, sane-sized, a huge loss
            trainer.optimizer.param_groups[0]["lr"] = 3.0
            for p in trainer.learner.params:
                p.grad.fill_(-1.0)
        return losses

    monkeypatch.setattr(trainer.learner, "meta_step", last_update_explodes)
    with pytest.raises(TrainingError, match="loss before adaptation") as info:
        list(trainer.run(report_interval_s=0.0))
    assert "at iteration 5 " in str(info.value) and "kept the weights of iteration 4" in str(info.value)
    assert trainer.iteration == 4
    good = trained_for(cfg, 4)
    assert_same(state(trainer), state(good))


# -- the watch ------------------------------------------------------------------------------------
def test_watch_levels_and_messages():
    training = config().training
    watch = DivergenceWatch(training)
    for i in range(1, 50):
        assert watch.judge(i, 4.0, 1.0, 3.0, 1.0, 1.0) is None
    assert watch.judge(50, 3000.0, 1.0, 3.0, 1.0, 1.0) is None  # 750x its level: noisy, not exploded
    verdict = watch.judge(51, 5e4, 1.0, 3.0, 1.0, 1.0)
    assert verdict.weights_at_fault and "meta_lr" in verdict.message and "iteration 51" in verdict.message
    verdict = watch.judge(52, 4.0, 1.0, 5e4, 1.0, 1.0)
    assert verdict.weights_at_fault and "baseline_lr" in verdict.message
    verdict = watch.judge(53, 4.0, 1.0, 3.0, 2e6, 1.0)
    assert not verdict.weights_at_fault and "as large as 2e+06" in verdict.message and "meta_lr" in verdict.message
    verdict = watch.judge(54, 4.0, 1.0, 3.0, 1.0, math.inf)
    assert "baseline" in verdict.message and "non-finite" in verdict.message
    verdict = watch.judge(55, 4.0, math.nan, 3.0, 1.0, 1.0)
    assert not verdict.weights_at_fault and "became nan" in verdict.message and "inner_lr" in verdict.message
