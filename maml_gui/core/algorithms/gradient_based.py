"""MAML and its relatives that differentiate through the inner loop.

One class covers MAML (second order), first-order MAML, ANIL (inner loop on the head only),
Meta-SGD (learned per-parameter inner rates) and the MAML++ options: multi-step loss (MSL),
learned per-step per-tensor inner rates (LSLR) and first-order for the first N iterations
(derivative-order annealing). The meta-batch is one batched computation (Conv-4 on a CPU: a few,
see ``FunctionalBackend.meta_batch_chunk``).
"""

from __future__ import annotations

import torch

from ..adaptation import InnerRates
from ..tasks import TaskBatch
from ..tasks.base import slice_tasks
from .base import MetaLearner, StepLosses


class GradientMetaLearner(MetaLearner):
    def __init__(self, spec, training, generator, device, kind: str = "regression", generic: bool = False) -> None:
        super().__init__(spec, training, generator, device, kind, generic)
        algorithm = training.algorithm
        self.name = algorithm
        self.first_order = algorithm == "fomaml"
        self.head_only = algorithm == "anil"
        self.per_parameter_rates = None
        self.per_step_rates = None
        if algorithm == "metasgd":
            self.per_parameter_rates = [torch.full_like(p, self.inner_lr).requires_grad_() for p in self.params]
        elif training.learn_inner_lr:
            self.per_step_rates = torch.full((self.inner_steps, len(self.params)), self.inner_lr,
                                             device=self.params[0].device, requires_grad=True)

    def meta_parameters(self):
        extra = self.per_parameter_rates or ([self.per_step_rates] if self.per_step_rates is not None else [])
        return list(self.params) + list(extra)

    def rates(self) -> InnerRates:
        return InnerRates(
            self.inner_lr,
            tuple(self.per_parameter_rates) if self.per_parameter_rates is not None else None,
            self.per_step_rates,
        )

    def step_weights(self, iteration: int) -> list[float]:
        """Weights of the query loss after steps 1..S: MSL anneals from uniform to last-only."""
        steps = self.inner_steps
        last_only = [0.0] * (steps - 1) + [1.0]
        span = self.training.multi_step_loss_iterations
        if not self.training.multi_step_loss or steps == 1 or iteration >= span:
            return last_only
        progress = iteration / max(span, 1)
        return [(1 - progress) / steps + progress * w for w in last_only]

    def uses_first_order(self, iteration: int) -> bool:
        return self.first_order or iteration < self.training.first_order_iterations

    def meta_step(self, batch: TaskBatch, iteration: int) -> StepLosses:
        """The meta-gradient of the whole meta-batch, in chunks of tasks where the backend asks for
        them (Conv-4 on a CPU): each chunk is one batched computation and adds its share
        (its tasks / all tasks) of the mean meta-loss's gradient to ``.grad``."""
        chunk = self.backend.meta_batch_chunk(batch)
        if chunk >= batch.size:
            return self._chunk_step(batch, iteration, None)
        parts = []
        for start in range(0, batch.size, chunk):
            part = slice_tasks(batch, start, min(start + chunk, batch.size))
            share = part.size / batch.size
            parts.append((share, self._chunk_step(part, iteration, share)))
        metrics = [losses.metric_after for _, losses in parts]
        return StepLosses(
            sum(share * losses.before for share, losses in parts),
            sum(share * losses.after for share, losses in parts),
            None if metrics[0] is None else sum(share * m for (share, _), m in zip(parts, metrics)),
        )

    def _chunk_step(self, batch: TaskBatch, iteration: int, share: float | None) -> StepLosses:
        weights = self.step_weights(iteration)
        query_steps = [s + 1 for s, w in enumerate(weights) if w > 0]
        backend = self.backend
        result = backend.inner_loop(
            self.params, batch.x_support, batch.y_support, self.inner_steps, self.rates(),
            first_order=self.uses_first_order(iteration), head_only=self.head_only,
            x_query=batch.x_query, query_steps=query_steps,
        )
        last = result.query_predictions[self.inner_steps]
        final = backend.task_loss(last, batch.y_query).mean()
        if len(query_steps) == 1:
            meta_loss = final
        else:
            meta_loss = sum(weights[s - 1] * backend.task_loss(result.query_predictions[s], batch.y_query).mean()
                            for s in query_steps)
        (meta_loss if share is None else meta_loss * share).backward()
        metric = None if backend.kind.loss_is_metric else backend.task_metric(last.detach(), batch.y_query).mean()
        return StepLosses(result.support_loss.detach().mean(), final.detach(), metric)
