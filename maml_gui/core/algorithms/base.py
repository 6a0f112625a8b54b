"""What every meta-learning algorithm offers the trainer."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass

import torch
from torch import Tensor

from ..adaptation import InnerRates
from ..model_backends import ModelSpec, backend_for
from ..tasks import TaskBatch


@dataclass(frozen=True)
class StepLosses:
    """Mean losses of one meta-iteration (0-d tensors, not yet synchronised).

    ``before``: the initialisation's loss on the support points (what a task costs before
    adaptation); ``after``: the query loss after the inner loop.
    """

    before: Tensor
    after: Tensor
    metric_after: Tensor | None = None  # the task kind's metric after adaptation where it is not the loss (accuracy)


class MetaLearner(ABC):
    """Holds the meta-parameters; ``meta_step`` fills their ``.grad`` for one meta-batch."""

    name = ""
    head_only = False

    def __init__(self, spec: ModelSpec, training, generator: torch.Generator, device, kind: str = "regression",
                 generic: bool = False) -> None:
        self.spec = spec
        self.backend = backend_for(spec, kind, generic=generic)
        self.training = training
        self.inner_lr = float(training.inner_lr)
        self.inner_steps = int(training.inner_steps)
        self.params = [p.to(device).requires_grad_() for p in self.backend.initial_parameters(generator)]

    def meta_parameters(self) -> list[Tensor]:
        """Everything the outer optimiser updates (weights, then any learned rates)."""
        return list(self.params)

    def rates(self) -> InnerRates:
        return InnerRates(self.inner_lr)

    @abstractmethod
    def meta_step(self, batch: TaskBatch, iteration: int) -> StepLosses:
        """Compute the meta-gradient of one meta-batch into ``.grad`` of the meta-parameters."""

    def named_tensors(self) -> dict[str, Tensor]:
        """Meta-parameters by name, for checkpoints: weights in PyTorch layout plus learned rates."""
        to_named = self.backend.to_named
        named = {f"model.{k}": v for k, v in to_named([p.detach() for p in self.params]).items()}
        rates = self.rates()
        if rates.per_parameter is not None:
            named.update({f"inner_lr.{k}": v.detach() for k, v in to_named(list(rates.per_parameter)).items()})
        if rates.per_step is not None:
            named["inner_lr.per_step"] = rates.per_step.detach()
        return named
