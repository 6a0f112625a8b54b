"""The pretrained baseline for few-shot classification: standard supervised pre-training, then a
new head fine-tuned on each test task's support set.

This is the "Baseline" of Chen et al. (ICLR 2019, *A Closer Look at Few-shot Classification*),
the transfer-learning comparison of the few-shot papers:

- **Pre-training**: the same network as the meta-learner (Conv-4 or the MLP), but with one
  standard head over *all meta-training classes*, trained by plain cross-entropy (Adam,
  ``training.baseline_lr``) on every example of each meta-batch (support and query), each
  labelled with its class's index in the training pool (``batch.classes``). No inner loop.
  Families with an unlimited class pool (procedural glyphs) give stable class ids, folded
  into ``HASHED_CLASSES`` head outputs. Families whose tasks have no lasting classes (the 2-D
  point families draw every task's classes afresh) train the head on the episodes' own labels
  0..N-1 instead; as those are permuted per task they carry little signal, so there the
  baseline is close to "untrained features with a fine-tuned linear head".
- **Test**: the head is replaced by a zero-initialised N-way head; only the head is fine-tuned
  on the support set (the body frozen), with ``evaluation.baseline_lr`` for the same numbers of
  steps as the meta-learned model, and evaluated on the same test tasks. Batch norm uses each
  task's batch statistics, as for the meta-learner.
"""

from __future__ import annotations

from dataclasses import replace

import torch

from ..model_backends import ModelSpec, backend_for

HASHED_CLASSES = 1024


class ClassificationPretrainedBaseline:
    head_only = True  # at test: fine-tune the new head only

    def __init__(self, spec: ModelSpec, lr: float, generator: torch.Generator, device,
                 pool_classes: int | None, named_classes: bool = True) -> None:
        """``named_classes``: the family's batches say which pool class each way is (``batch.classes``)."""
        self.spec = spec
        self.named_classes = named_classes
        self.pool_classes = (int(pool_classes) if pool_classes else HASHED_CLASSES) if named_classes else spec.outputs
        self.backend = backend_for(replace(spec, outputs=self.pool_classes), "classification")
        self.params = [p.to(device).requires_grad_() for p in self.backend.initial_parameters(generator)]
        self.optimizer = torch.optim.Adam(self.params, lr=lr)
        self.gradient_sync = None  # multi-process: [loss, *grads] -> their average over the processes

    def loss(self, batch) -> torch.Tensor:
        """Cross-entropy over the training pool's classes on every example of the meta-batch."""
        x = torch.cat([batch.x_support, batch.x_query], 1)
        labels = torch.cat([batch.y_support, batch.y_query], 1)
        if self.named_classes:
            if batch.classes is None:
                raise ValueError(f"the {batch.family.name!r} family stopped naming its classes (batch.classes)")
            labels = batch.classes.gather(1, labels) % self.pool_classes
        return self.backend.task_loss(self.backend.forward(self.params, x), labels).mean()

    def step(self, loss: torch.Tensor) -> torch.Tensor:
        """One Adam step on ``loss``; returns it detached (averaged over the processes, if several)."""
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        loss = loss.detach()
        if self.gradient_sync is not None:
            loss, *grads = self.gradient_sync([loss, *(p.grad for p in self.params)])
            for p, g in zip(self.params, grads):
                p.grad = g
        self.optimizer.step()
        return loss

    def trains_at(self, iteration: int) -> bool:
        """The trainer asks every baseline; this one takes a step at every meta-iteration."""
        return True

    def train_step(self, batch) -> torch.Tensor:
        """One Adam step on :meth:`loss`; returns the loss before the step (0-d, detached)."""
        return self.step(self.loss(batch))

    def evaluation_parameters(self) -> list[torch.Tensor]:
        """The pre-trained body with a zero N-way head (what test tasks fine-tune), detached."""
        body = [p.detach() for p in self.params[:-2]]
        weight = self.params[-2]
        head = [torch.zeros(self.spec.outputs, weight.shape[1], dtype=weight.dtype, device=weight.device),
                torch.zeros(self.spec.outputs, dtype=weight.dtype, device=weight.device)]
        return body + head
