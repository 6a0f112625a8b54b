"""Conv-4 on a CPU with the meta-gradient taken in chunks of tasks: a resumed run stays bit-identical
(uneven last chunk, derivative-order annealing crossing the save, learned rates), and ranks that
split the meta-batch and chunk their own share still sum to the whole meta-batch's gradient."""

from __future__ import annotations

import pytest
import torch

from maml_gui.core import model_backends
from maml_gui.core.checkpoint import resume_trainer, save_trainer
from maml_gui.core.distributed import task_share
from maml_gui.core.tasks.base import slice_tasks
from maml_gui.core.training import Trainer
from tests.core.test_classification_engine import images_config
from tests.core.test_meta_batch_chunks import CASES, episode_batch, meta_gradient

FIRST_BLOCK_FLOATS = 9 * 4 * 16 * 16  # images_config: 3 ways x (1 shot + 2 queries), 4 filters, 16 x 16


@pytest.mark.parametrize("overrides", [
    {"algorithm": "maml", "inner_steps": 2, "learn_inner_lr": True, "multi_step_loss": True,
     "multi_step_loss_iterations": 6, "first_order_iterations": 2},
    {"algorithm": "metasgd"},
])
def test_chunked_conv4_training_resumes_bit_identically(tmp_path, monkeypatch, overrides):
    monkeypatch.setattr(model_backends, "CPU_TRAINING_BUDGET", 2 * FIRST_BLOCK_FLOATS)  # 2 tasks a chunk
    trainer = Trainer(images_config(meta_batch=3, **overrides), threads=1)
    batch = trainer.sampler.train(3, torch.Generator().manual_seed(0))
    assert trainer.learner.backend.meta_batch_chunk(batch) == 2           # chunks of 2 and 1 tasks
    list(trainer.run(iterations=2))
    save_trainer(tmp_path, trainer)
    list(trainer.run(iterations=4))
    resumed, _ = resume_trainer(tmp_path, threads=1)
    list(resumed.run(iterations=4))
    for a, b in zip(trainer.learner.meta_parameters(), resumed.learner.meta_parameters()):
        assert torch.equal(a, b)
    assert trainer.history.rows[-1][1:3] == resumed.history.rows[-1][1:3]  # the guard's losses too


def test_ranks_chunking_their_own_share_sum_to_the_whole_meta_gradient():
    batch = episode_batch(7)

    def gradient(part, chunk):
        return meta_gradient(CASES["maml"], part, chunk)  # second-order MAML, 2 inner steps

    whole, whole_losses = gradient(batch, 7)
    summed, after = [torch.zeros_like(g) for g in whole], 0.0
    for rank in range(2):                                   # ranks of 4 and 3 tasks, chunks of 3: 3+1 and 3
        start, stop = task_share(7, 2, rank)
        grads, losses = gradient(slice_tasks(batch, start, stop), 3)
        share = (stop - start) / 7                          # GradientAverager's weight
        summed = [s + share * g for s, g in zip(summed, grads)]
        after += share * float(losses.after)
    for s, w in zip(summed, whole):
        torch.testing.assert_close(s, w, rtol=1e-4, atol=1e-5)  # conv biases under batch norm: 0 + noise
    assert after == pytest.approx(float(whole_losses.after), rel=1e-5)
