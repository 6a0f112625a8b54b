"""Evaluation: result shapes, confidence intervals, determinism and the baseline."""

from __future__ import annotations

import pytest
import torch

from maml_gui.core.config import from_dict
from maml_gui.core.evaluation import evaluate, evaluation_seed
from maml_gui.core.tasks import build_family
from maml_gui.core.training import Trainer


@pytest.fixture(scope="module")
def trained():
    config = from_dict({"task": {"family": "sinusoid", "shots": 5, "queries": 5},
                        "model": {"hidden": [20, 20]},
                        "training": {"algorithm": "maml", "meta_batch": 8, "iterations": 20, "val_interval": 20,
                                     "val_tasks": 10, "baseline": True, "device": "cpu", "seed": 5}})
    trainer = Trainer(config, threads=1)
    for _ in trainer.run():
        pass
    return trainer


def run_eval(trainer, **kwargs):
    options = dict(tasks=64, shots=5, queries=20, steps=(0, 1, 5), seed=7)
    return evaluate(trainer.snapshot(), trainer.family, **{**options, **kwargs})


def test_result_lists_have_one_entry_per_step(trained):
    result = run_eval(trained)
    assert result.steps == [0, 1, 5] and result.tasks == 64 and result.shots == 5
    assert len(result.mse) == len(result.ci95) == 3
    assert all(m > 0 for m in result.mse) and all(c > 0 for c in result.ci95)
    assert result.baseline_mse is None and result.baseline_ci95 is None
    assert "baseline_mse" not in result.to_dict() and result.to_dict()["mse"] == result.mse


def test_steps_are_sorted_and_deduplicated(trained):
    assert run_eval(trained, steps=[5, 0, 5, 1]).steps == [0, 1, 5]
    with pytest.raises(ValueError):
        run_eval(trained, steps=[-1, 2])


def test_deterministic_for_a_seed(trained):
    assert run_eval(trained) == run_eval(trained)
    assert run_eval(trained).mse != run_eval(trained, seed=8).mse


def test_baseline_lists_only_when_asked(trained):
    result = run_eval(trained, baseline=True)
    assert len(result.baseline_mse) == len(result.baseline_ci95) == 3
    assert all(c > 0 for c in result.baseline_ci95)
    assert result.baseline_mse != result.mse
    assert result.mse == run_eval(trained).mse  # the meta-model's numbers do not depend on the baseline
    assert {"baseline_mse", "baseline_ci95"} <= set(result.to_dict())
    assert run_eval(trained, baseline=True, baseline_lr=0.05).baseline_mse[1:] != result.baseline_mse[1:]


def test_baseline_refused_without_a_trained_baseline(trained):
    snapshot = trained.snapshot()
    no_baseline = type(snapshot)(**{**snapshot.__dict__, "baseline_params": None})
    with pytest.raises(ValueError, match="baseline"):
        evaluate(no_baseline, trained.family, tasks=8, baseline=True)


def test_numbers_match_the_snapshot_adaptation(trained):
    """Step-k MSE equals the mean query MSE of snapshot.adapt on the same tasks (what the playground shows)."""
    snapshot = trained.snapshot()
    result = run_eval(trained, tasks=16, steps=(0, 2))
    batch = trained.family.sample(16, 5, 20, torch.Generator().manual_seed(evaluation_seed(7)), "cpu")
    predictions = snapshot.adapt(batch.x_support, batch.y_support, batch.x_query, 2)
    expected = [(predictions[s] - batch.y_query).square().mean().item() for s in (0, 2)]
    assert result.mse == pytest.approx(expected, rel=1e-5)


def test_learning_rate_override_changes_adapted_numbers_only(trained):
    default, faster = run_eval(trained), run_eval(trained, lr=0.05)
    assert faster.mse[0] == default.mse[0]
    assert faster.mse[1] != default.mse[1]


def test_ci95_shrinks_with_more_tasks(trained):
    few, many = run_eval(trained, tasks=25), run_eval(trained, tasks=400)
    assert many.ci95[0] < few.ci95[0]


def test_untrained_model_improves_with_adaptation():
    config = from_dict({"task": {"family": "linear"}, "training": {"baseline": False, "device": "cpu"}})
    trainer = Trainer(config, threads=1)
    result = evaluate(trainer.snapshot(), build_family(config.task), tasks=50, shots=10, steps=(0, 10), lr=0.01)
    assert result.mse[1] < 0.8 * result.mse[0]


@pytest.mark.parametrize("algorithm", ["maml", "anil", "metasgd"])
def test_snapshot_adapt_shapes_and_zero_support_points(algorithm):
    """The playground's entry point: [N], [N, 1] or [B, N, 1] inputs; no points = the unadapted model."""
    config = from_dict({"model": {"hidden": [8, 8]},
                        "training": {"algorithm": algorithm, "baseline": False, "device": "cpu"}})
    snapshot = Trainer(config, threads=1).snapshot()
    xq = torch.linspace(-5, 5, 11)
    xs, ys = torch.tensor([-1.0, 0.5, 2.0]), torch.tensor([1.0, -2.0, 3.0])
    steps = snapshot.adapt(xs, ys, xq, 3)
    assert steps.shape == (4, 1, 11, 1)
    assert torch.equal(steps[0], snapshot.predict(xq))
    assert not torch.equal(steps[3], steps[0])
    torch.testing.assert_close(snapshot.adapt(xs[:, None], ys[:, None], xq[:, None], 3), steps)
    assert snapshot.adapt(torch.zeros(2, 3, 1), torch.ones(2, 3, 1), torch.zeros(2, 5, 1), 2).shape == (3, 2, 5, 1)
    empty = snapshot.adapt(torch.zeros(0), torch.zeros(0), xq, 3)
    assert empty.shape == (4, 1, 11, 1) and all(torch.equal(e, steps[0]) for e in empty)
    # adapting moves the prediction toward the support targets
    fit = snapshot.adapt(xs, ys, xs, 20, lr=0.05)
    assert (fit[-1, 0, :, 0] - ys).square().mean() < (fit[0, 0, :, 0] - ys).square().mean()
    assert snapshot.adapt_baseline(xs, ys, xq, 2, random_seed=1).shape == (3, 1, 11, 1)


def test_test_tasks_never_share_a_stream_with_training_tasks():
    from maml_gui.core.evaluation import evaluation_seed

    seeds = range(0, 3000)
    training_streams = {s + k for s in seeds for k in (0, 1, 2)}
    assert not training_streams & {evaluation_seed(s) for s in seeds}
