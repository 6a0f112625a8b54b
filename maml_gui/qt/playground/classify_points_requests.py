"""What the 2-D classification playground shows, computed from one frozen request (no Qt).

A request is computed on the playground's worker thread. The first request after an edit
adapts the model (and the baseline) once with the engine's inner loop, measures the accuracy
of every step and draws only the step on screen; the widget then asks for the other steps'
images one request at a time (``adapted`` passed back, so nothing adapts again). Each of those
is small, so a new edit never waits long behind them, and supersedes them (latest wins).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import torch

from maml_gui.core.decision_regions import AdaptedSteps, RegionGrid, accuracy, adapt_steps, region_image
from maml_gui.core.snapshot import ModelSnapshot

from .prediction import BASELINE_OFF, BASELINE_PRETRAINED, BASELINE_RANDOM, RANDOM_INIT_SEED

LabelledPoint = tuple[float, float, int]  # x, y, class index 0..8


@dataclass(frozen=True)
class QuerySet:
    """A sampled task's query points ``[Q, 2]`` and labels ``[Q]``: what accuracy is measured on."""

    x: torch.Tensor
    labels: torch.Tensor


@dataclass(frozen=True)
class RegionRequest:
    request_id: int
    snapshot: ModelSnapshot | None
    points: tuple[LabelledPoint, ...]
    steps: int
    draw_steps: tuple[int, ...]            # the step images to draw in this request
    lr: float | None = None                # None: the run's learned or configured rates
    baseline: str = BASELINE_OFF
    grid: RegionGrid = RegionGrid()
    query: QuerySet | None = None
    adapted: AdaptedSteps | None = None    # from an earlier result for the same inputs: draw only
    baseline_adapted: AdaptedSteps | None = None

    @property
    def fills_in(self) -> bool:
        """True for a request that only draws more steps of an earlier adaptation."""
        return self.adapted is not None


@dataclass(frozen=True)
class RegionResult:
    request_id: int
    steps: int
    grid: RegionGrid
    images: dict[int, np.ndarray] = field(default_factory=dict)           # step -> [H, W, 3] uint8
    baseline_images: dict[int, np.ndarray] = field(default_factory=dict)
    accuracy: np.ndarray | None = None           # [S + 1] on the query set (or on the points without one)
    baseline_accuracy: np.ndarray | None = None
    accuracy_on: str = ""                        # "query" or "support" (or "" with no points)
    predicted: np.ndarray | None = None          # [S + 1, P] class predicted for each point measured on
    baseline_label: str = ""
    adapted: AdaptedSteps | None = None
    baseline_adapted: AdaptedSteps | None = None
    fills_in: bool = False
    points: tuple[LabelledPoint, ...] = ()       # what was adapted to (first results only)
    error: str | None = None
    compute_s: float = 0.0   # wall-clock time on the worker
    cpu_s: float = 0.0       # the worker thread's CPU time (what it would take on an idle core)


def _support(points) -> tuple[torch.Tensor, torch.Tensor]:
    array = np.asarray([(x, y) for x, y, _ in points], dtype=np.float32).reshape(-1, 2)
    return torch.from_numpy(array), torch.tensor([label for _, _, label in points], dtype=torch.int64)


def _baseline(request: RegionRequest, xs, ys) -> tuple[AdaptedSteps | None, str]:
    snapshot = request.snapshot
    if request.baseline == BASELINE_RANDOM:
        return adapt_steps(snapshot, xs, ys, request.steps, request.lr, True, RANDOM_INIT_SEED), "random init"
    if request.baseline == BASELINE_PRETRAINED:
        label = "pretrained baseline" if snapshot.baseline_params is not None \
            else "random init (this run has no pretrained baseline)"
        return adapt_steps(snapshot, xs, ys, request.steps, request.lr, True), label
    return None, ""


def compute_regions(request: RegionRequest) -> RegionResult:
    """Adapt (unless the request carries adapted steps) and draw ``draw_steps``; never raises."""
    started, cpu_started = time.perf_counter(), time.thread_time()
    grid = request.grid
    try:
        if request.snapshot is None:
            return RegionResult(request.request_id, request.steps, grid)
        adapted, baseline, label = request.adapted, request.baseline_adapted, ""
        scores = baseline_scores = predicted = None
        accuracy_on = ""
        if not request.fills_in:
            xs, ys = _support(request.points)
            adapted = adapt_steps(request.snapshot, xs, ys, request.steps, request.lr)
            baseline, label = _baseline(request, xs, ys)
            x_eval, y_eval = (request.query.x, request.query.labels) if request.query is not None else (xs, ys)
            accuracy_on = "query" if request.query is not None else ("support" if len(xs) else "")
            predicted = adapted.predicted_labels(x_eval)
            scores = accuracy(predicted, y_eval)
            baseline_scores = None if baseline is None else accuracy(baseline.predicted_labels(x_eval), y_eval)
        pixels = grid.pixels()
        draw = [s for s in request.draw_steps if 0 <= s <= request.steps]
        images = {s: region_image(adapted, s, grid, pixels) for s in draw}
        baseline_images = {} if baseline is None else {s: region_image(baseline, s, grid, pixels) for s in draw}
        return RegionResult(request.request_id, request.steps, grid, images, baseline_images, scores,
                            baseline_scores, accuracy_on, predicted, label, adapted, baseline, request.fills_in,
                            () if request.fills_in else request.points, compute_s=time.perf_counter() - started,
                            cpu_s=time.thread_time() - cpu_started)
    except Exception as err:  # noqa: BLE001 - shown to the user instead of killing the worker
        message = str(err) if isinstance(err, ValueError) else f"{type(err).__name__}: {err}"
        return RegionResult(request.request_id, request.steps, grid, fills_in=request.fills_in,
                            error=f"adaptation failed: {message}", compute_s=time.perf_counter() - started)
