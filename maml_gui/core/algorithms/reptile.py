"""Reptile (Nichol et al. 2018): move the initialisation toward the adapted weights."""

from __future__ import annotations

import torch

from ..adaptation import inner_loop
from ..models import task_mse
from ..tasks import TaskBatch
from .base import MetaLearner, StepLosses


class ReptileLearner(MetaLearner):
    name = "reptile"

    def meta_step(self, batch: TaskBatch, iteration: int) -> StepLosses:
        """The meta-gradient is ``theta - mean_tasks(phi_task)``; the outer optimiser applies it
        (plain SGD with meta_lr = epsilon is the paper's update)."""
        with torch.no_grad():
            result = inner_loop(self.spec, self.params, batch.x_support, batch.y_support, self.inner_steps,
                                self.rates(), first_order=True, x_query=batch.x_query,
                                query_steps=[self.inner_steps])
            for p, adapted in zip(self.params, result.params):
                p.grad = p - adapted.mean(0).reshape(p.shape)
            after = task_mse(result.query_predictions[self.inner_steps], batch.y_query).mean()
        return StepLosses(result.support_loss.mean(), after)
