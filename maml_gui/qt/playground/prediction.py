"""What the playground shows, computed from one frozen request (no Qt; runs on the worker).

:func:`compute_adaptation` turns an :class:`AdaptationRequest` (snapshot, support points,
steps, lr, baseline choice, optional true task) into an :class:`AdaptationResult` of plain
numpy arrays on an x grid: the prediction after 0..S inner steps, the baseline's, the true
curve and the MSE of every step against it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import torch

from maml_gui.core.adaptation import InnerRates
from maml_gui.core.models import MLPSpec, init_parameters
from maml_gui.core.snapshot import ModelSnapshot, adapt_predictions
from maml_gui.core.tasks import TaskBatch

BASELINE_OFF = "off"
BASELINE_PRETRAINED = "pretrained"
BASELINE_RANDOM = "random"
BASELINE_MODES = (BASELINE_OFF, BASELINE_PRETRAINED, BASELINE_RANDOM)

RANDOM_INIT_SEED = 0  # one fixed random network, so its curve only changes when the points do
GRID_POINTS = 200
DEFAULT_SPEC = MLPSpec(hidden=(40, 40), activation="relu")  # before any snapshot: Finn et al.'s network
DEFAULT_BASELINE_LR = 0.01


@dataclass(frozen=True)
class AdaptationRequest:
    request_id: int
    snapshot: ModelSnapshot | None
    points: tuple[tuple[float, float], ...]
    steps: int
    lr: float | None = None  # None: the snapshot's (learned or configured) rates
    baseline: str = BASELINE_OFF
    x_range: tuple[float, float] = (-5.0, 5.0)
    task: TaskBatch | None = None  # a single sampled task: its true curve and per-step MSE
    fallback_spec: MLPSpec = DEFAULT_SPEC  # the random-init network's shape when there is no snapshot


@dataclass(frozen=True)
class AdaptationResult:
    request_id: int
    x: np.ndarray  # [G]
    steps: np.ndarray | None = None  # [S + 1, G]: meta-learned init (row 0) and after each step
    baseline: np.ndarray | None = None  # [S + 1, G]
    baseline_label: str = ""
    true_y: np.ndarray | None = None  # [G]
    mse: np.ndarray | None = None  # [S + 1] vs the true curve on the grid
    baseline_mse: np.ndarray | None = None  # [S + 1]
    error: str | None = None
    compute_s: float = 0.0
    notes: tuple[str, ...] = field(default_factory=tuple)


def query_grid(x_range: tuple[float, float], points, count: int = GRID_POINTS) -> np.ndarray:
    """Evenly spaced x over the task's range, widened to cover every support point."""
    low, high = float(x_range[0]), float(x_range[1])
    if points:
        xs = [p[0] for p in points]
        pad = 0.05 * (high - low)
        low, high = min(low, min(xs) - pad), max(high, max(xs) + pad)
    return np.linspace(low, high, count, dtype=np.float32)


def _mse(predictions: np.ndarray, true_y: np.ndarray) -> np.ndarray:
    """Per-step MSE in float64: a diverging adaptation (1e20 and up) squared overflows float32,
    which printed numpy's "overflow encountered in square" once per step and edit."""
    error = predictions.astype(np.float64) - true_y.astype(np.float64)[None, :]
    return np.square(error).mean(axis=1)


def _baseline(request: AdaptationRequest, xs, ys, xq) -> tuple[torch.Tensor | None, str]:
    snapshot, steps, lr = request.snapshot, request.steps, request.lr
    if request.baseline == BASELINE_RANDOM:
        if snapshot is not None:
            return snapshot.adapt_baseline(xs, ys, xq, steps, lr=lr, random_seed=RANDOM_INIT_SEED), "random init"
        params = init_parameters(request.fallback_spec, torch.Generator().manual_seed(RANDOM_INIT_SEED))
        rates = InnerRates(float(lr) if lr and lr > 0 else DEFAULT_BASELINE_LR)
        return adapt_predictions(request.fallback_spec, params, rates, xs, ys, xq, steps), "random init"
    if request.baseline == BASELINE_PRETRAINED and snapshot is not None:
        label = "pretrained baseline" if snapshot.baseline_params is not None \
            else "random init (this run has no pretrained baseline)"
        return snapshot.adapt_baseline(xs, ys, xq, steps, lr=lr), label
    return None, ""


def compute_adaptation(request: AdaptationRequest) -> AdaptationResult:
    """Adapt the snapshot (and the baseline) to the request's points; never raises."""
    started = time.perf_counter()
    grid = query_grid(request.x_range, request.points)
    try:
        pts = np.asarray(request.points, dtype=np.float32).reshape(-1, 2)
        xs, ys = torch.from_numpy(pts[:, 0].copy()), torch.from_numpy(pts[:, 1].copy())
        xq = torch.from_numpy(grid)
        steps = None
        if request.snapshot is not None:
            steps = request.snapshot.adapt(xs, ys, xq, request.steps, lr=request.lr)[:, 0, :, 0].numpy().copy()
        baseline_t, label = _baseline(request, xs, ys, xq)
        baseline = None if baseline_t is None else baseline_t[:, 0, :, 0].numpy().copy()
        true_y = mse = baseline_mse = None
        if request.task is not None:
            true_y = request.task.true_function(xq)[0, :, 0].detach().cpu().numpy().astype(np.float32)
            mse = None if steps is None else _mse(steps, true_y)
            baseline_mse = None if baseline is None else _mse(baseline, true_y)
        notes = ()
        if request.baseline == BASELINE_PRETRAINED and request.snapshot is None:
            notes = ("the pretrained baseline appears once a model is trained",)
        return AdaptationResult(request.request_id, grid, steps, baseline, label, true_y, mse, baseline_mse,
                                compute_s=time.perf_counter() - started, notes=notes)
    except Exception as err:  # noqa: BLE001 - shown to the user instead of killing the worker
        return AdaptationResult(request.request_id, grid, error=f"adaptation failed: {type(err).__name__}: {err}",
                                compute_s=time.perf_counter() - started)
