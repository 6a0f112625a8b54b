"""Conv-4 on a CPU takes its meta-gradient in chunks of tasks (``meta_batch_chunk``): the sum of
the chunks' shares must be the whole meta-batch's meta-gradient, for every gradient algorithm."""

from __future__ import annotations

import pytest
import torch

from maml_gui.core.algorithms import build_learner
from maml_gui.core.config import TrainingConfig
from maml_gui.core.conv_models import Conv4Spec
from maml_gui.core.model_backends import CPU_TRAINING_BUDGET, backend_for
from maml_gui.core.models import MLPSpec
from maml_gui.core.tasks.base import slice_tasks
from maml_gui.core.tasks.classification.base import ClassificationTaskBatch

SPEC = Conv4Spec(channels=1, image_size=16, filters=4, outputs=3, strided=True)
CASES = {
    "maml": {"algorithm": "maml", "inner_steps": 2},
    "fomaml": {"algorithm": "fomaml"},
    "anil": {"algorithm": "anil", "inner_steps": 2},
    "metasgd": {"algorithm": "metasgd"},
    "maml++ (multi-step loss, learned rates)": {"algorithm": "maml", "inner_steps": 3, "multi_step_loss": True,
                                                "multi_step_loss_iterations": 10, "learn_inner_lr": True},
}


def episode_batch(tasks: int, spec: Conv4Spec = SPEC, shots: int = 2, queries: int = 3, seed: int = 0):
    g = torch.Generator().manual_seed(seed)
    ways = spec.outputs
    labels = lambda per_class: torch.arange(ways).repeat_interleave(per_class).expand(tasks, -1).clone()  # noqa: E731
    return ClassificationTaskBatch(torch.rand(tasks, ways * shots, *spec.input_shape, generator=g), labels(shots),
                                   torch.rand(tasks, ways * queries, *spec.input_shape, generator=g), labels(queries),
                                   ways, family=None)


def meta_gradient(case: dict, batch, chunk: int | None):
    torch.manual_seed(0)
    training = TrainingConfig(inner_lr=0.3, meta_batch=batch.size, **case)
    learner = build_learner(SPEC, training, torch.Generator().manual_seed(1), "cpu", "classification")
    if chunk is not None:
        learner.backend.meta_batch_chunk = lambda b: chunk  # the backend is this thread's own, cached
    try:
        losses = learner.meta_step(batch, iteration=4)
    finally:
        learner.backend.__dict__.pop("meta_batch_chunk", None)
    return [p.grad.clone() for p in learner.meta_parameters()], losses


@pytest.mark.parametrize("name", list(CASES))
def test_chunks_of_tasks_give_the_whole_meta_batch_gradient_and_losses(name):
    batch = episode_batch(7)
    whole, whole_losses = meta_gradient(CASES[name], batch, None)
    chunked, chunked_losses = meta_gradient(CASES[name], batch, 3)  # chunks of 3, 3 and 1 tasks
    assert len(whole) == len(chunked)
    for a, b in zip(whole, chunked):
        assert a.abs().max() > 0
        torch.testing.assert_close(b, a, rtol=1e-4, atol=1e-6)
    for field in ("before", "after", "metric_after"):
        torch.testing.assert_close(getattr(chunked_losses, field), getattr(whole_losses, field), rtol=1e-5, atol=1e-7)


def test_unweighted_chunks_would_differ():
    """Control: the chunks' shares matter (a chunk of 1 task must count 1/7, not 1/3)."""
    batch = episode_batch(7)
    whole, _ = meta_gradient(CASES["maml"], batch, None)
    means = [meta_gradient(CASES["maml"], slice_tasks(batch, s, min(s + 3, 7)), None)[0] for s in (0, 3, 6)]
    unweighted = [sum(m[i] for m in means) / 3 for i in range(len(whole))]
    assert not all(torch.allclose(u, w, rtol=1e-4, atol=1e-6) for u, w in zip(unweighted, whole))


def batch_on(device: str, tasks: int, spec: Conv4Spec, images: int = 80):
    x = torch.empty(tasks, 5, *spec.input_shape, device=device)
    q = torch.empty(tasks, images - 5, *spec.input_shape, device=device)
    return ClassificationTaskBatch(x, torch.empty(tasks, 5, dtype=torch.long, device=device), q,
                                   torch.empty(tasks, images - 5, dtype=torch.long, device=device), 5, family=None)


def test_chunk_sizes_follow_the_activation_budget_on_a_cpu_only():
    paper = Conv4Spec(channels=1, image_size=28, filters=64, outputs=5, strided=True)
    small = Conv4Spec(channels=1, image_size=28, filters=8, outputs=5, strided=True)
    pooled = Conv4Spec(channels=1, image_size=28, filters=32, outputs=5, strided=False)
    chunk = lambda spec, device="cpu": backend_for(spec, "classification").meta_batch_chunk(  # noqa: E731
        batch_on(device, 32, spec))
    per_task = lambda spec, side: 80 * spec.filters * side * side  # noqa: E731 (first-block floats of one task)
    assert chunk(paper) == max(1, int(CPU_TRAINING_BUDGET // per_task(paper, 14))) == 1
    assert chunk(small) == int(CPU_TRAINING_BUDGET // per_task(small, 14)) == 15
    assert chunk(pooled) == 1
    assert chunk(paper, "meta") == 32  # not a CPU (a GPU): the whole meta-batch at once
    assert backend_for(MLPSpec(), "classification").meta_batch_chunk(batch_on("cpu", 32, paper)) == 32
    evaluation = backend_for(paper, "classification").evaluation_chunk(batch_on("cpu", 32, paper))
    assert evaluation == int(2 * CPU_TRAINING_BUDGET // per_task(paper, 14)) == 3
