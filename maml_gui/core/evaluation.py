"""Evaluation as in Finn et al. (2017): MSE on query points after 0..S inner steps, averaged
over many test tasks, with a 95% confidence interval, for the meta-model and the baseline."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Sequence

import numpy as np
import torch

from .adaptation import InnerRates, inner_loop
from .models import MLPSpec, task_mse
from .snapshot import ModelSnapshot
from .tasks import TaskBatch, TaskFamily

CHUNK = 4096  # tasks adapted at once at most: bounds the inner loop's memory (the task batch itself is drawn whole)
CHUNK_POINTS = 10_000  # points (support + query) adapted at once: activations stay in the CPU's caches;
# 200 validation tasks x 110 points ran in 2 chunks at about half the time of 1 (measured, 1 thread)


@dataclass(frozen=True)
class AdaptationCurve:
    steps: tuple[int, ...]
    mse: tuple[float, ...]
    ci95: tuple[float, ...]
    diverged: tuple[int, ...] = ()  # tasks whose loss overflowed (inner lr too large for their points)


def adaptation_losses(spec: MLPSpec, params: Sequence[torch.Tensor], rates: InnerRates, batch: TaskBatch,
                      steps: int, head_only: bool = False) -> torch.Tensor:
    """Query MSE of every task after 0..steps inner steps: ``[steps + 1, B]``."""
    rows = []
    points = batch.x_support.shape[1] + batch.x_query.shape[1]
    chunk = max(1, min(CHUNK, CHUNK_POINTS // points))
    with torch.no_grad():
        for start in range(0, batch.size, chunk):
            part = slice(start, start + chunk)
            result = inner_loop(spec, params, batch.x_support[part], batch.y_support[part], steps, rates,
                                head_only=head_only, x_query=batch.x_query[part], query_steps=range(steps + 1))
            rows.append(torch.stack([task_mse(result.query_predictions[s], batch.y_query[part])
                                     for s in range(steps + 1)]))
    return torch.cat(rows, 1)


def summarize(losses: torch.Tensor, steps: Sequence[int]) -> AdaptationCurve:
    """Mean and 95% CI (1.96 standard errors) over tasks, at the chosen steps."""
    losses = losses.double().cpu()
    n = losses.shape[1]
    mean = losses.mean(1)
    std = losses.std(1) if n > 1 else torch.zeros_like(mean)
    ci = 1.96 * std / math.sqrt(n)
    diverged = (~torch.isfinite(losses)).sum(1)
    return AdaptationCurve(tuple(steps), tuple(float(mean[s]) for s in steps), tuple(float(ci[s]) for s in steps),
                           tuple(int(diverged[s]) for s in steps))


@dataclass(frozen=True)
class EvaluationResult:
    shots: int
    tasks: int
    steps: list[int]
    mse: list[float]
    ci95: list[float]
    baseline_mse: list[float] | None = None
    baseline_ci95: list[float] | None = None
    diverged: list[int] | None = None  # per step, tasks whose inner loop overflowed (their MSE is inf/nan)

    def to_dict(self) -> dict:
        return {k: v for k, v in asdict(self).items() if v is not None}


def evaluation_seed(seed: int) -> int:
    """The test tasks' generator seed, derived so it never equals a training stream's
    (training uses ``seed + 1`` and ``seed + 2`` of the training seed)."""
    return int(np.random.SeedSequence([int(seed), 0xE7A1]).generate_state(1, np.uint64)[0])


def evaluate(snapshot: ModelSnapshot, family: TaskFamily, *, tasks: int = 600, shots: int = 5,
             queries: int = 100, steps: Sequence[int] = (0, 1, 5, 10), seed: int = 1234, device="cpu",
             baseline: bool = False, baseline_lr: float | None = None, lr: float | None = None) -> EvaluationResult:
    """Evaluate ``snapshot`` on ``tasks`` fresh tasks drawn with ``seed``."""
    steps = sorted(set(int(s) for s in steps))
    if not steps or steps[0] < 0:
        raise ValueError("steps must be non-negative integers")
    generator = torch.Generator().manual_seed(evaluation_seed(seed))
    batch = family.sample(tasks, shots, queries, generator).to(device)
    rates = snapshot.rates.to(device) if not lr or lr <= 0 else InnerRates(lr)
    params = [p.to(device) for p in snapshot.params]
    curve = summarize(adaptation_losses(snapshot.spec, params, rates, batch, steps[-1], snapshot.head_only), steps)
    result = dict(shots=shots, tasks=tasks, steps=list(steps), mse=list(curve.mse), ci95=list(curve.ci95),
                  diverged=list(curve.diverged))
    if baseline:
        if snapshot.baseline_params is None:
            raise ValueError("this run has no pretrained baseline (it was trained with training.baseline = false)")
        base_params = [p.to(device) for p in snapshot.baseline_params]
        base_rates = InnerRates(baseline_lr or snapshot.baseline_lr)
        base = summarize(adaptation_losses(snapshot.spec, base_params, base_rates, batch, steps[-1]), steps)
        result.update(baseline_mse=list(base.mse), baseline_ci95=list(base.ci95))
    return EvaluationResult(**result)
