"""Comparing models on the same drawn points: what each adapts to, computed from one frozen
request (no Qt; runs on the playground's kind of worker thread).

:func:`compute_comparison` adapts every model of a :class:`ComparisonRequest` to the same support
points with :func:`~.prediction.compute_adaptation` (the playground's own computation) and adds,
per inner step, the MSE on the drawn points themselves (how well each model fits them) and, when
the points come from a sampled task, the MSE against its true curve on the plot's x grid.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import torch

from maml_gui.core.snapshot import ModelSnapshot
from maml_gui.core.tasks import TaskBatch

from .prediction import AdaptationRequest, compute_adaptation, query_grid


@dataclass(frozen=True)
class ComparedModel:
    name: str
    snapshot: ModelSnapshot


@dataclass(frozen=True)
class ComparisonRequest:
    request_id: int
    models: tuple[ComparedModel, ...]
    points: tuple[tuple[float, float], ...]
    steps: int
    lr: float | None = None  # None: each model's own (learned or configured) rates
    x_range: tuple[float, float] = (-5.0, 5.0)
    task: TaskBatch | None = None


@dataclass(frozen=True)
class ModelAdaptation:
    name: str
    steps: np.ndarray | None = None  # [S + 1, G] predictions on the grid, step 0 first
    points_mse: np.ndarray | None = None  # [S + 1] MSE on the drawn points
    true_mse: np.ndarray | None = None  # [S + 1] MSE against the sampled task's true curve
    error: str | None = None

    def mse(self) -> np.ndarray | None:
        """The per-step MSE shown: against the true curve where there is one, else on the points."""
        return self.true_mse if self.true_mse is not None else self.points_mse


@dataclass(frozen=True)
class ComparisonResult:
    request_id: int
    x: np.ndarray
    true_y: np.ndarray | None = None
    models: tuple[ModelAdaptation, ...] = field(default_factory=tuple)
    compute_s: float = 0.0


def points_mse(snapshot: ModelSnapshot, points, steps: int, lr: float | None) -> np.ndarray | None:
    """Per-step MSE of the adapted model on the support points themselves (float64)."""
    if not points:
        return None
    xy = torch.tensor(points, dtype=torch.float32).reshape(-1, 2)
    xs, ys = xy[:, 0], xy[:, 1]
    predictions = snapshot.adapt(xs, ys, xs, steps, lr=lr)[:, 0, :, 0].double()
    return ((predictions - ys.double()[None, :]) ** 2).mean(dim=1).numpy()


def adapt_one(model: ComparedModel, request: ComparisonRequest) -> ModelAdaptation:
    if model.snapshot.task_kind != "regression":
        return ModelAdaptation(model.name, error="a classifier: compare it in the classification playground")
    result = compute_adaptation(AdaptationRequest(request.request_id, model.snapshot, request.points, request.steps,
                                                  request.lr, x_range=request.x_range, task=request.task))
    if result.error:
        return ModelAdaptation(model.name, error=result.error)
    try:
        fit = points_mse(model.snapshot, request.points, request.steps, request.lr)
    except Exception as err:  # noqa: BLE001 - shown beside the model instead of killing the worker
        return ModelAdaptation(model.name, error=f"adaptation failed: {type(err).__name__}: {err}")
    return ModelAdaptation(model.name, result.steps, fit, result.mse)


def compute_comparison(request: ComparisonRequest) -> ComparisonResult:
    """Every model adapted to the same points; never raises (errors are per model)."""
    started = time.perf_counter()
    grid = query_grid(request.x_range, request.points)
    true_y = None
    if request.task is not None:
        true_y = request.task.true_function(torch.from_numpy(grid))[0, :, 0].detach().cpu().numpy()
    models = tuple(adapt_one(model, request) for model in request.models)
    return ComparisonResult(request.request_id, grid, true_y, models, time.perf_counter() - started)
