"""The training loop: determinism, learning, control, failures, progress records and schedules."""

from __future__ import annotations

import math
import threading
import time

import numpy as np
import pytest
import torch

from maml_gui.core.algorithms import StepLosses
from maml_gui.core.config import from_dict
from maml_gui.core.training import Progress, Trainer, TrainingControl, TrainingError
from tests.recorders import WatchedControl


def small_config(**training):
    base = dict(algorithm="maml", meta_batch=5, iterations=30, val_interval=10, val_tasks=20, log_every=1,
                baseline=True, device="cpu", seed=3)
    return from_dict({"task": {"family": "sinusoid", "shots": 5, "queries": 5},
                      "model": {"hidden": [16, 16]},
                      "training": {**base, **training},
                      "evaluation": {"inner_steps": 3, "queries": 10}})


def make_trainer(**training) -> Trainer:
    return Trainer(small_config(**training), threads=1)


def run_all(trainer: Trainer, **kwargs) -> list[Progress]:
    return list(trainer.run(**kwargs))


def weights(trainer: Trainer) -> list[torch.Tensor]:
    return [p.detach().clone() for p in trainer.learner.meta_parameters()]


def rows_without_time(trainer: Trainer):
    return [row[:4] for row in trainer.history.rows]


# -- determinism and learning -----------------------------------------------------------------
@pytest.mark.parametrize("algorithm", ["maml", "reptile", "metasgd"])
def test_same_config_and_seed_give_identical_metrics(algorithm):
    first, second = make_trainer(algorithm=algorithm), make_trainer(algorithm=algorithm)
    run_all(first), run_all(second)
    assert first.iteration == second.iteration == 30
    assert rows_without_time(first) == rows_without_time(second)
    assert len(first.history.rows) == 30
    assert first.history.validations == second.history.validations
    assert all(torch.equal(a, b) for a, b in zip(weights(first), weights(second)))
    assert all(torch.equal(a, b) for a, b in zip(first.baseline.params, second.baseline.params))
    other = make_trainer(algorithm=algorithm, seed=4)
    run_all(other)
    assert rows_without_time(other) != rows_without_time(first)


def test_a_few_hundred_iterations_beat_the_untrained_model():
    """Finn et al.'s sinusoid setup, 400 meta-iterations: 1-step validation MSE drops well below the start."""
    config = from_dict({"task": {"family": "sinusoid", "shots": 10, "queries": 10},
                        "training": {"algorithm": "maml", "inner_lr": 0.01, "meta_batch": 25, "iterations": 400,
                                     "val_interval": 400, "val_tasks": 200, "baseline": False, "device": "cpu",
                                     "seed": 0},
                        "evaluation": {"inner_steps": 1}})
    trainer = Trainer(config, threads=1)
    progress = run_all(trainer, report_interval_s=1.0)
    untrained, trained = trainer.history.validations[0], trainer.history.validations[-1]
    assert (untrained.iteration, trained.iteration) == (0, 400)
    assert trained.loss_after < 0.7 * untrained.loss_after, (untrained.loss_after, trained.loss_after)
    assert trained.loss_after < trained.loss_before  # adaptation helps the trained model
    assert progress[0].validation is untrained  # the first report carries the starting point
    assert progress[-1].finished and any(p.validation is trained for p in progress)


# -- control ------------------------------------------------------------------------------------
def test_stop_takes_effect_between_iterations():
    trainer = make_trainer(iterations=1000)
    control = TrainingControl()
    seen = []
    for progress in trainer.run(control=control, report_interval_s=0.0):
        seen.append(progress)
        if progress.iteration == 3:
            control.request_stop()
    last = seen[-1]
    assert last.stopped and not last.finished
    assert last.iteration == trainer.iteration == 3
    assert [p.iteration for p in seen] == [1, 2, 3, 3]
    assert not any(p.stopped for p in seen[:-1])


def test_stop_before_the_first_iteration():
    trainer = make_trainer()
    control = TrainingControl()
    control.request_stop()
    progress = run_all(trainer, control=control)
    assert len(progress) == 1 and progress[0].stopped and progress[0].iteration == 0


def test_pause_blocks_and_resume_continues():
    trainer = make_trainer(iterations=100_000, val_interval=100_000)
    control = WatchedControl()
    control.pause()
    received: list[Progress] = []
    errors: list[BaseException] = []

    def consume():
        try:
            for p in trainer.run(control=control, report_interval_s=0.0):
                received.append(p)
        except BaseException as err:  # pragma: no cover - reported below
            errors.append(err)

    thread = threading.Thread(target=consume, daemon=True)
    thread.start()
    try:
        assert control.wait_held()
        assert control.paused and trainer.iteration == 0 and not received  # blocked inside next()
        control.resume()
        deadline = time.monotonic() + 30
        while trainer.iteration < 5 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert trainer.iteration >= 5
        control.pause()
        assert control.wait_held()  # the iteration in flight has completed
        held = trainer.iteration
        assert control.wait_held()  # more turns in the pause
        assert trainer.iteration == held and thread.is_alive()
        control.request_stop()  # a stop also ends a pause
        thread.join(30)
        assert not thread.is_alive()
    finally:
        control.request_stop()
        thread.join(5)
    assert not errors
    assert received[-1].stopped and received[-1].iteration == held


# -- failures -----------------------------------------------------------------------------------
def test_divergence_raises_training_error_and_keeps_initial_weights():
    """Five inner steps of size 100 blow up at the first iteration: a real NaN, not a mock."""
    trainer = make_trainer(inner_lr=100.0, inner_steps=5, baseline=False)
    before = weights(trainer)
    with pytest.raises(TrainingError) as info:
        run_all(trainer)
    message = str(info.value)
    assert "iteration 1" in message and "\n" not in message
    assert trainer.iteration == 0
    assert all(torch.equal(a, b) for a, b in zip(before, weights(trainer)))


def test_nan_midway_keeps_the_last_good_iteration(monkeypatch):
    trainer = make_trainer()
    original = trainer.learner.meta_step

    def failing_meta_step(batch, iteration):
        losses = original(batch, iteration)
        if iteration == 7:
            return StepLosses(losses.before, torch.tensor(float("nan")))
        return losses

    monkeypatch.setattr(trainer.learner, "meta_step", failing_meta_step)
    good = None
    with pytest.raises(TrainingError, match="iteration 8"):
        for progress in trainer.run(report_interval_s=0.0):
            good = progress
    assert trainer.iteration == good.iteration == 7
    assert all(torch.equal(a, b) for a, b in zip(weights(trainer), good.snapshot.params))
    assert all(torch.equal(a, b) for a, b in zip(trainer.baseline.params, good.snapshot.baseline_params))
    snapshot = trainer.snapshot()
    assert snapshot.iteration == 7 and all(torch.isfinite(p).all() for p in snapshot.params)
    assert rows_without_time(trainer)[-1][0] == 7


def test_nan_gradient_alone_is_caught(monkeypatch):
    trainer = make_trainer(algorithm="reptile")
    original = trainer.learner.meta_step

    def poisoned(batch, iteration):
        losses = original(batch, iteration)
        trainer.learner.params[0].grad[0, 0] = float("inf")
        return losses

    monkeypatch.setattr(trainer.learner, "meta_step", poisoned)
    before = weights(trainer)
    with pytest.raises(TrainingError, match="non-finite"):
        run_all(trainer)
    assert all(torch.equal(a, b) for a, b in zip(before, weights(trainer)))


# -- progress records ---------------------------------------------------------------------------
def test_progress_arrays_cover_every_iteration_once():
    trainer = make_trainer(iterations=50)
    progress = run_all(trainer, report_interval_s=0.0)
    iterations = np.concatenate([p.iterations for p in progress])
    assert iterations.tolist() == list(range(1, 51))
    assert sum(len(p.loss_before) for p in progress) == sum(len(p.loss_after) for p in progress) == 50
    assert all(len(p.iterations) == len(p.loss_before) == len(p.loss_after) for p in progress)
    assert [p.finished for p in progress].count(True) == 1 and progress[-1].finished
    assert progress[-1].iteration == progress[-1].total == 50 and progress[-1].eta_s == 0
    assert all(np.isfinite(p.loss_after).all() for p in progress)
    assert [p.validation.iteration for p in progress if p.validation] == [0, 10, 20, 30, 40, 50]
    assert [v.iteration for v in trainer.history.validations] == [0, 10, 20, 30, 40, 50]
    p = progress[5]
    assert p.its_per_s > 0 and p.elapsed_s > 0 and p.device == "cpu" and not p.stopped
    with pytest.raises(ValueError):
        p.loss_after[0] = 1.0  # read-only arrays: receivers can keep them


def test_progress_snapshot_is_a_detached_cpu_copy():
    trainer = make_trainer(iterations=3)
    progress = run_all(trainer, report_interval_s=0.0)
    snapshot = progress[0].snapshot
    assert snapshot.iteration == 1
    live = [p.data_ptr() for p in trainer.learner.params]
    for tensor in (*snapshot.params, *snapshot.baseline_params):
        assert tensor.device.type == "cpu" and not tensor.requires_grad and tensor.grad_fn is None
        assert tensor.data_ptr() not in live
    assert not all(torch.equal(a, b) for a, b in zip(snapshot.params, trainer.learner.params))  # moved on since
    prediction = snapshot.predict(torch.linspace(-5, 5, 7))
    assert prediction.shape == (1, 7, 1)


class SteppingClock:
    """A stand-in for ``time.perf_counter`` that advances ``step`` seconds per reading: the rate
    limit is checked on the trainer's own clock, not on the wall clock of a loaded machine (the
    reader of a report can be scheduled late, which made reports look too close together)."""

    def __init__(self, step: float) -> None:
        self.now, self.step = 0.0, step

    def __call__(self) -> float:
        self.now += self.step
        return self.now


def test_reports_are_rate_limited_except_validations_and_the_end(monkeypatch):
    interval = 0.05
    clock = SteppingClock(0.004)  # three readings per iteration: a report every ~4-5 iterations
    monkeypatch.setattr("maml_gui.core.training.time.perf_counter", clock)
    trainer = make_trainer(iterations=400, val_interval=150, meta_batch=10)
    times, progress = [], []
    for p in trainer.run(report_interval_s=interval):
        times.append(clock.now)  # the reading the trainer made to decide on this report
        progress.append(p)
    for previous, now, p in zip(times, times[1:], progress[1:]):
        if p.validation is None and not p.finished:
            assert now - previous >= interval
    assert len(progress) < 400 / 3  # most iterations are batched into fewer reports
    assert [p.validation.iteration for p in progress if p.validation] == [0, 150, 300, 400]
    assert sum(len(p.iterations) for p in progress) == 400


def test_checkpoint_callback_runs_at_autosave_interval_and_end():
    trainer = make_trainer(iterations=25, autosave_interval=10)
    saved = []
    run_all(trainer, checkpoint=lambda t: saved.append(t.iteration))
    assert saved == [10, 20, 25]


def test_history_rows_follow_log_every():
    trainer = make_trainer(iterations=25, log_every=10)
    run_all(trainer)
    assert [row[0] for row in trainer.history.rows] == [10, 20, 25]
    assert all(math.isfinite(v) for row in trainer.history.rows for v in row)


def test_run_in_parts_continues_to_the_target():
    trainer = make_trainer(iterations=30)
    run_all(trainer, iterations=12)
    assert trainer.iteration == 12
    progress = run_all(trainer)
    assert trainer.iteration == 30 and progress[-1].finished
    assert [row[0] for row in trainer.history.rows] == list(range(1, 31))


# -- meta learning-rate schedules ---------------------------------------------------------------
@pytest.mark.parametrize("schedule, expected", [
    ("constant", [1e-2, 1e-2, 1e-2, 1e-2]),
    ("cosine", [1e-2, 1e-3 + 9e-3 * (1 + math.cos(math.pi / 4)) / 2, 5.5e-3, 1e-3]),
    ("linear", [1e-2, 1e-2 - 9e-3 / 4, 5.5e-3, 1e-3]),
])
def test_meta_lr_schedule_values(schedule, expected):
    trainer = make_trainer(meta_lr=1e-2, min_meta_lr=1e-3, meta_lr_schedule=schedule, iterations=100)
    values = [trainer.meta_lr_at(i) for i in (0, 25, 50, 100)]
    assert values == pytest.approx(expected, rel=1e-9)
    assert trainer.meta_lr_at(1000) == pytest.approx(expected[-1])  # past the end it stays at the floor


def test_schedule_is_applied_to_the_optimizer():
    trainer = make_trainer(meta_lr=1e-2, min_meta_lr=0.0, meta_lr_schedule="linear", iterations=20)
    run_all(trainer)
    lrs = [row[3] for row in trainer.history.rows]
    assert lrs == pytest.approx([1e-2 * (1 - i / 20) for i in range(20)])
    assert trainer.optimizer.param_groups[0]["lr"] == pytest.approx(lrs[-1])


def test_run_sets_torch_threads():
    previous = torch.get_num_threads()
    try:
        trainer = Trainer(small_config(iterations=2), threads=1)
        run_all(trainer)
        assert torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(previous)


def test_learned_inner_rates_take_steps_scaled_to_their_size():
    config = from_dict({"training": {"algorithm": "metasgd", "iterations": 2, "meta_lr": 1e-3, "inner_lr": 0.01,
                                     "val_interval": 1000, "baseline": False}})
    trainer = Trainer(config, device="cpu", threads=1)
    list(trainer.run())
    weights, rates = trainer.optimizer.param_groups
    assert weights["lr"] == pytest.approx(1e-3)
    assert rates["lr"] == pytest.approx(1e-5)
    explicit = Trainer(config.with_overrides(["training.rates_meta_lr=0.002"]), device="cpu", threads=1)
    list(explicit.run())
    assert explicit.optimizer.param_groups[1]["lr"] == pytest.approx(2e-3)


def test_mamlpp_learned_rates_move_relative_to_their_size():
    """Unscaled Adam steps of 1e-3 moved rates that start at 0.01 by ~0.2 within 350 iterations
    (and once diverged the inner loop); scaled, each step moves them by at most ~1e-5."""
    from maml_gui.core.presets import load_preset

    config = load_preset("mamlpp-sinusoid").with_overrides(
        ["training.iterations=300", "training.val_interval=1000", "training.baseline=false"])
    trainer = Trainer(config, device="cpu", threads=1)
    list(trainer.run())
    drift = (trainer.learner.per_step_rates.detach() - config.training.inner_lr).abs().max().item()
    assert 0 < drift <= 300 * 1e-5 * 1.01


def test_diverging_baseline_stops_training_with_a_message():
    config = from_dict({"training": {"iterations": 200, "val_interval": 1000}})
    # 1e6 is beyond the config's bound (100), which is what makes the baseline diverge fast: bypass validation
    config = config.model_copy(update={"training": config.training.model_copy(update={"baseline_lr": 1e6})})
    trainer = Trainer(config, device="cpu", threads=1)
    with pytest.raises(TrainingError, match="baseline_lr"):
        list(trainer.run())
    assert all(torch.isfinite(p).all() for p in trainer.baseline.params)


def test_tasks_are_drawn_on_the_cpu_so_runs_move_between_devices():
    trainer = Trainer(from_dict({"training": {"iterations": 2}}), device="cpu", threads=1)
    assert trainer.task_generator.device.type == "cpu"
    assert isinstance(trainer.state_dict()["task_generator"], torch.Tensor)
