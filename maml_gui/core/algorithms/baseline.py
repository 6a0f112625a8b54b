"""The "pretrained on all tasks" baseline of Finn et al. (2017): one network fit to samples
from many tasks, fine-tuned on each test task's support points."""

from __future__ import annotations

import torch

from ..models import MLPSpec, forward, init_parameters
from ..tasks import TaskBatch


class PretrainedBaseline:
    head_only = False  # at test: fine-tune every weight

    def __init__(self, spec: MLPSpec, lr: float, generator: torch.Generator, device) -> None:
        self.spec = spec
        self.params = [p.to(device).requires_grad_() for p in init_parameters(spec, generator)]
        self.optimizer = torch.optim.Adam(self.params, lr=lr)

    def loss(self, batch: TaskBatch) -> torch.Tensor:
        """MSE on every point of the meta-batch, pooled as a single regression."""
        x = torch.cat([batch.x_support, batch.x_query], 1)
        y = torch.cat([batch.y_support, batch.y_query], 1)
        return (forward(self.spec, self.params, x) - y).square().mean()

    def step(self, loss: torch.Tensor) -> None:
        """One Adam step on ``loss`` (from :meth:`loss`)."""
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        self.optimizer.step()

    def evaluation_parameters(self) -> list[torch.Tensor]:
        """The weights that test tasks start fine-tuning from, detached."""
        return [p.detach() for p in self.params]
