"""Task kinds: what a task's loss and headline metric are.

Everything downstream of the engine (progress records, metrics.csv, validation curves,
evaluation, run files, the CLI) asks the kind for its metric *by name* instead of assuming MSE.

- ``regression``: mean squared error is both the loss and the metric (lower is better).
- ``classification``: cross-entropy is the loss, accuracy (fraction of query examples whose
  largest logit is the true label) the metric (higher is better).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import torch.nn.functional as F
from torch import Tensor

TASK_KINDS = ("regression", "classification")


def task_mse(prediction: Tensor, target: Tensor) -> Tensor:
    """Mean squared error per task: ``[B, N, D] -> [B]``."""
    return (prediction - target).square().flatten(1).mean(1)


def task_cross_entropy(logits: Tensor, labels: Tensor) -> Tensor:
    """Mean cross-entropy per task: logits ``[B, N, ways]``, labels ``[B, N]`` -> ``[B]``."""
    per_example = F.cross_entropy(logits.flatten(0, 1), labels.flatten(), reduction="none")
    return per_example.reshape(labels.shape).mean(1)


def task_accuracy(logits: Tensor, labels: Tensor) -> Tensor:
    """Fraction of correctly classified examples per task: ``[B]`` in [0, 1]."""
    return (logits.argmax(-1) == labels).to(logits.dtype).mean(1)


@dataclass(frozen=True)
class TaskKind:
    """A task kind's per-task loss (differentiable) and metric, both ``(outputs, targets) -> [B]``."""

    name: str
    metric: str                      # "mse" or "accuracy": the key used in files and JSON
    metric_label: str                # for people: "MSE", "accuracy"
    higher_is_better: bool
    task_loss: Callable[[Tensor, Tensor], Tensor]
    task_metric: Callable[[Tensor, Tensor], Tensor]

    @property
    def loss_is_metric(self) -> bool:
        return self.task_loss is self.task_metric


REGRESSION = TaskKind("regression", "mse", "MSE", False, task_mse, task_mse)
CLASSIFICATION = TaskKind("classification", "accuracy", "accuracy", True, task_cross_entropy, task_accuracy)


def task_kind(name: str) -> TaskKind:
    """The kind called ``name``; ValueError (one line) for anything else."""
    kinds = {REGRESSION.name: REGRESSION, CLASSIFICATION.name: CLASSIFICATION}
    if name not in kinds:
        raise ValueError(f"unknown task kind {name!r}; allowed: {', '.join(TASK_KINDS)}")
    return kinds[name]
