"""Decision regions of an adapted 2-D point classifier, as RGBA images (no Qt).

The playground colours every pixel of a ``size x size`` grid over the plane by the class the
adapted model predicts there, and its lightness by the model's confidence: a light tint of the
class colour where the largest softmax probability is 1 (``REGION_STRENGTH``: the points, drawn
in the full colour, stand out), white where it is ``1 / ways`` (no preference).

Adaptation is the engine's own: :meth:`ModelSnapshot.adapted_parameters` runs the inner loop
once on the support points and keeps the parameters after every step; each step's image is
then one forward pass of the grid through the engine's backend (in cache-sized chunks, which
measured several times faster than one pass over 40,000 points). So a region image equals
``snapshot.adapt(...)``'s predictions at the pixel centres, and a step can be drawn alone
(the playground draws the step on screen first and the others after).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import torch
from torch import Tensor

from .snapshot import ModelSnapshot

MAX_CLASSES = 9  # keys 1..9
# tab10 without its grey (grey would read as "unsure", which is white here); the app's one palette
CLASS_COLOURS: tuple[tuple[int, int, int], ...] = (
    (31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40), (148, 103, 189),
    (140, 86, 75), (227, 119, 194), (188, 189, 34), (23, 190, 207))
GRID_SIZE = 200
CHUNK = 4000  # grid points per forward pass: the activations stay in the CPU's caches
UNSURE_RGB = 255.0  # white
REGION_STRENGTH = 0.7  # share of the class colour at full confidence


@dataclass(frozen=True)
class RegionGrid:
    """A ``size x size`` grid of pixel centres over ``[x0, x1] x [y0, y1]``.

    Pixel ``(row, column)`` is at ``x = x0 + (column + 0.5) * width / size`` and
    ``y = y0 + (row + 0.5) * height / size``: row 0 is the bottom (smallest y), as the plot draws it.
    """

    x0: float = -5.0
    x1: float = 5.0
    y0: float = -5.0
    y1: float = 5.0
    size: int = GRID_SIZE

    def __post_init__(self) -> None:
        if not (self.x1 > self.x0 and self.y1 > self.y0 and self.size >= 1):
            raise ValueError(f"a region grid needs x1 > x0, y1 > y0 and size >= 1, got {self}")

    @property
    def aspect(self) -> float:
        """Width over height in data units."""
        return (self.x1 - self.x0) / (self.y1 - self.y0)

    def axis(self, low: float, high: float) -> Tensor:
        step = (high - low) / self.size
        return low + step * (torch.arange(self.size, dtype=torch.float32) + 0.5)

    def pixels(self) -> Tensor:
        """``[size * size, 2]`` pixel centres, row by row (row-major ``[row, column]``)."""
        ys, xs = torch.meshgrid(self.axis(self.y0, self.y1), self.axis(self.x0, self.x1), indexing="ij")
        return torch.stack([xs.reshape(-1), ys.reshape(-1)], dim=1)


def class_colour(label: int) -> tuple[int, int, int]:
    return CLASS_COLOURS[label % len(CLASS_COLOURS)]


@dataclass(frozen=True)
class AdaptedSteps:
    """The parameters of one adapted classifier after each step 0..S, and how to run them."""

    snapshot: ModelSnapshot
    params: tuple[tuple[Tensor, ...], ...]

    @property
    def steps(self) -> int:
        return len(self.params) - 1

    def logits(self, step: int, x: Tensor) -> Tensor:
        """``[P, ways]`` logits at step ``step`` for points ``x`` of shape ``[P, 2]``."""
        backend = self.snapshot.backend()
        with torch.no_grad():
            parts = [backend.forward(self.params[step], chunk.unsqueeze(0))[0] for chunk in x.split(CHUNK)]
        return torch.cat(parts) if parts else torch.zeros(0, self.snapshot.spec.outputs)

    def predicted_labels(self, x: Tensor) -> np.ndarray:
        """``[S + 1, P]`` int64: the class predicted for each of ``x`` (``[P, 2]``) after each step.

        One forward pass for all steps: the steps' parameters stacked on the task axis."""
        if len(x) == 0:
            return np.zeros((len(self.params), 0), dtype=np.int64)
        stacked = [torch.stack([p[0] if p.dim() > shared.dim() else p for p in step])
                   for shared, step in zip(self.snapshot.params, zip(*self.params))]
        with torch.no_grad():
            logits = self.snapshot.backend().forward(stacked, x.unsqueeze(0).expand(len(self.params), -1, -1))
        return logits.argmax(-1).numpy()


def accuracy(predicted: np.ndarray, labels) -> np.ndarray:
    """``[S + 1]`` fraction of ``predicted`` (``[S + 1, P]``) equal to ``labels`` (NaN for no points)."""
    if predicted.shape[1] == 0:
        return np.full(predicted.shape[0], np.nan)
    return (predicted == np.asarray(labels)[None, :]).mean(axis=1)


def adapt_steps(snapshot: ModelSnapshot, x_support: Tensor, y_support: Tensor, steps: int,
                lr: float | None = None, baseline: bool = False, random_seed: int | None = None) -> AdaptedSteps:
    """Adapt ``snapshot`` (or its baseline) to support points ``[K, 2]`` with labels ``[K]``.

    With no support points nothing adapts: every step shows the starting parameters.
    Raises ValueError for a label the model has no output for.
    """
    x_support = torch.as_tensor(x_support, dtype=torch.float32).reshape(-1, 2)
    y_support = torch.as_tensor(y_support, dtype=torch.int64).reshape(-1)
    ways = snapshot.spec.outputs
    if len(y_support) and (int(y_support.min()) < 0 or int(y_support.max()) >= ways):
        raise ValueError(f"this model tells {ways} classes apart: classes 1..{ways} only "
                         f"(a point of class {int(y_support.max()) + 1} was given)")
    if len(x_support) == 0:
        start, _, _ = snapshot.adaptation_start(lr, baseline, random_seed)
        return AdaptedSteps(snapshot, (tuple(start),) * (steps + 1))
    params = snapshot.adapted_parameters(x_support, y_support, steps, lr, baseline, random_seed)
    return AdaptedSteps(snapshot, tuple(tuple(p) for p in params))


@lru_cache(maxsize=16)
def _tints(ways: int) -> Tensor:
    """Each class's colour minus white, ``[ways, 3]``: a pixel is white plus a share of its row."""
    return torch.tensor([class_colour(i) for i in range(ways)], dtype=torch.float32) - UNSURE_RGB


def region_colours(logits: Tensor) -> np.ndarray:
    """``[P, 3]`` uint8: a tint of the predicted class's colour, towards white as confidence falls to 1 / ways."""
    ways = logits.shape[-1]
    logits = logits.float()
    top, label = logits.max(dim=-1)
    confidence = (logits - top.unsqueeze(-1)).exp_().sum(dim=-1).reciprocal_()  # the largest softmax probability
    strength = confidence.sub_(1.0 / ways).mul_(REGION_STRENGTH / (1.0 - 1.0 / ways)).clamp_(0.0, REGION_STRENGTH)
    rgb = _tints(ways)[label].mul_(strength.unsqueeze(-1)).add_(UNSURE_RGB + 0.5)  # + 0.5: rounds as it truncates
    return rgb.to(torch.uint8).numpy()


def region_image(adapted: AdaptedSteps, step: int, grid: RegionGrid, pixels: Tensor | None = None) -> np.ndarray:
    """``[size, size, 3]`` uint8 image of the decision regions after ``step`` steps (row 0 at the bottom)."""
    pixels = grid.pixels() if pixels is None else pixels
    backend = adapted.snapshot.backend()
    with torch.no_grad():  # chunk by chunk: the activations stay in the CPU's caches
        logits = torch.cat([backend.forward(adapted.params[step], chunk.unsqueeze(0))[0]
                            for chunk in pixels.split(CHUNK)])
    return region_colours(logits).reshape(grid.size, grid.size, 3)
