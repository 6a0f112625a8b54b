"""Evaluation as in Finn et al. (2017): the task kind's metric on query points (MSE for
regression, accuracy for classification) after 0..S inner steps, averaged over many test tasks
(600 in the papers), with a 95% confidence interval, for the meta-model and the baseline."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np
import torch

from .adaptation import InnerRates
from .model_backends import ModelBackend
from .snapshot import ModelSnapshot
from .tasks import TaskFamily
from .tasks.classification import ClassificationFamily

CHUNK = 4096  # tasks adapted at once on the MLP fast path (the backend says for other models)


@dataclass(frozen=True, init=False)
class AdaptationCurve:
    """A metric's mean and 95% CI over tasks after each number of inner steps.

    ``values`` hold the metric called ``metric`` ("mse" or "accuracy"); ``mse`` is kept as an
    alias of ``values`` (also as a keyword) for code written when the engine only knew regression."""

    steps: tuple[int, ...]
    values: tuple[float, ...]
    ci95: tuple[float, ...]
    diverged: tuple[int, ...] = ()  # tasks whose loss overflowed (inner lr too large for their points)
    metric: str = "mse"

    def __init__(self, steps, values=None, ci95=(), diverged=(), metric: str = "mse", *, mse=None) -> None:
        if (values is None) == (mse is None):
            raise TypeError("AdaptationCurve needs its values (or, for regression, mse), once")
        for name, value in (("steps", steps), ("values", values if values is not None else mse), ("ci95", ci95),
                            ("diverged", diverged), ("metric", metric)):
            object.__setattr__(self, name, value)

    @property
    def mse(self) -> tuple[float, ...]:
        return self.values


def adaptation_curves(backend: ModelBackend, params: Sequence[torch.Tensor], rates: InnerRates, batch,
                      steps: int, head_only: bool = False) -> tuple[torch.Tensor, torch.Tensor]:
    """(query loss, query metric) of every task after 0..steps inner steps, each ``[steps + 1, B]``."""
    losses, metrics = [], []
    chunk = backend.evaluation_chunk(batch)
    with torch.no_grad():
        for start in range(0, batch.size, chunk):
            part = slice(start, start + chunk)
            result = backend.inner_loop(params, batch.x_support[part], batch.y_support[part], steps, rates,
                                        head_only=head_only, x_query=batch.x_query[part],
                                        query_steps=range(steps + 1))
            predictions = [result.query_predictions[s] for s in range(steps + 1)]
            targets = batch.y_query[part]
            loss = torch.stack([backend.task_loss(p, targets) for p in predictions])
            losses.append(loss)
            metrics.append(loss if backend.kind.loss_is_metric else
                           torch.stack([backend.task_metric(p, targets) for p in predictions]))
    return torch.cat(losses, 1), torch.cat(metrics, 1)


def summarize(losses: torch.Tensor, steps: Sequence[int], metric: str = "mse") -> AdaptationCurve:
    """Mean and 95% CI (1.96 standard errors) over tasks, at the chosen steps."""
    losses = losses.double().cpu()
    n = losses.shape[1]
    mean = losses.mean(1)
    std = losses.std(1) if n > 1 else torch.zeros_like(mean)
    ci = 1.96 * std / math.sqrt(n)
    diverged = (~torch.isfinite(losses)).sum(1)
    return AdaptationCurve(tuple(steps), tuple(float(mean[s]) for s in steps), tuple(float(ci[s]) for s in steps),
                           tuple(int(diverged[s]) for s in steps), metric)


@dataclass(frozen=True)
class EvaluationResult:
    """Mean and 95% CI of ``metric`` ("mse" or "accuracy") over ``tasks`` after each of ``steps``."""

    shots: int
    tasks: int
    steps: list[int]
    values: list[float]
    ci95: list[float]
    baseline_values: list[float] | None = None
    baseline_ci95: list[float] | None = None
    diverged: list[int] | None = None  # per step, tasks whose inner loop overflowed (their MSE is inf/nan)
    metric: str = "mse"
    ways: int | None = None  # classification: N

    @property
    def mse(self) -> list[float]:
        return self.values

    @property
    def baseline_mse(self) -> list[float] | None:
        return self.baseline_values

    def to_dict(self) -> dict:
        """JSON-ready, with the metric's values under its own name (``mse`` or ``accuracy``)."""
        out = {"metric": self.metric, "shots": self.shots, "tasks": self.tasks, "steps": self.steps,
               self.metric: self.values, "ci95": self.ci95}
        if self.ways is not None:
            out["ways"] = self.ways
        if self.baseline_values is not None:
            out.update({f"baseline_{self.metric}": self.baseline_values, "baseline_ci95": self.baseline_ci95})
        if self.diverged is not None:
            out["diverged"] = self.diverged
        return out


def evaluation_seed(seed: int) -> int:
    """The test tasks' generator seed, derived so it never equals a training stream's
    (training uses ``seed + 1`` and ``seed + 2`` of the training seed)."""
    return int(np.random.SeedSequence([int(seed), 0xE7A1]).generate_state(1, np.uint64)[0])


def evaluate(snapshot: ModelSnapshot, family: TaskFamily | ClassificationFamily, *, tasks: int = 600,
             shots: int = 5, queries: int = 100, steps: Sequence[int] = (0, 1, 5, 10), seed: int = 1234,
             device="cpu", baseline: bool = False, baseline_lr: float | None = None,
             lr: float | None = None) -> EvaluationResult:
    """Evaluate ``snapshot`` on ``tasks`` fresh tasks drawn with ``seed``.

    Classification: N-way episodes (N = the model's outputs) from the family's ``test`` classes,
    ``shots`` and ``queries`` per class; the metric is accuracy."""
    steps = sorted(set(int(s) for s in steps))
    if not steps or steps[0] < 0:
        raise ValueError("steps must be non-negative integers")
    generator = torch.Generator().manual_seed(evaluation_seed(seed))
    backend = snapshot.backend()
    ways = None
    if isinstance(family, ClassificationFamily):
        ways = snapshot.spec.outputs
        batch = family.sample(tasks, ways, shots, queries, generator, split="test").to(device)
    else:
        batch = family.sample(tasks, shots, queries, generator).to(device)
    rates = snapshot.rates.to(device) if not lr or lr <= 0 else InnerRates(lr)
    params = [p.to(device) for p in snapshot.params]
    metric = backend.kind.metric
    values = adaptation_curves(backend, params, rates, batch, steps[-1], snapshot.head_only)[1]
    curve = summarize(values, steps, metric)
    result = dict(shots=shots, tasks=tasks, steps=list(steps), values=list(curve.values), ci95=list(curve.ci95),
                  diverged=list(curve.diverged), metric=metric, ways=ways)
    if baseline:
        if snapshot.baseline_params is None:
            raise ValueError("this run has no pretrained baseline (it was trained with training.baseline = false)")
        base_params = [p.to(device) for p in snapshot.baseline_params]
        base_rates = InnerRates(baseline_lr or snapshot.baseline_lr)
        base_values = adaptation_curves(backend, base_params, base_rates, batch, steps[-1],
                                        snapshot.baseline_head_only)[1]
        base = summarize(base_values, steps, metric)
        result.update(baseline_values=list(base.values), baseline_ci95=list(base.ci95))
    return EvaluationResult(**result)
