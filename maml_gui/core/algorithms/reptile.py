"""Reptile (Nichol et al. 2018): move the initialisation toward the adapted weights."""

from __future__ import annotations

import torch

from ..tasks import TaskBatch
from .base import MetaLearner, StepLosses


class ReptileLearner(MetaLearner):
    name = "reptile"

    def meta_step(self, batch: TaskBatch, iteration: int) -> StepLosses:
        """The meta-gradient is ``theta - mean_tasks(phi_task)``; the outer optimiser applies it
        (plain SGD with meta_lr = epsilon is the paper's update)."""
        with torch.no_grad():
            backend = self.backend
            result = backend.inner_loop(self.params, batch.x_support, batch.y_support, self.inner_steps,
                                        self.rates(), first_order=True, x_query=batch.x_query,
                                        query_steps=[self.inner_steps])
            for p, adapted in zip(self.params, result.params):
                p.grad = p - adapted.mean(0).reshape(p.shape)
            last = result.query_predictions[self.inner_steps]
            after = backend.task_loss(last, batch.y_query).mean()
            metric = None if backend.kind.loss_is_metric else backend.task_metric(last, batch.y_query).mean()
        return StepLosses(result.support_loss.mean(), after, metric)
