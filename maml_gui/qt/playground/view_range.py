"""The playground's initial view: the family's x range and a y range fitting its typical curves."""

from __future__ import annotations

import numpy as np
import torch

from maml_gui.core.tasks import TaskFamily

SAMPLE_TASKS = 64
FALLBACK_Y_RANGE = (-5.0, 5.0)
X_PAD = 0.05
Y_PAD = 0.1


def typical_y_range(family: TaskFamily, tasks: int = SAMPLE_TASKS) -> tuple[float, float]:
    """The 1st..99th percentile of ``tasks`` true curves (fixed seed), padded by 10%."""
    try:
        batch = family.sample(tasks, 1, 0, generator=torch.Generator().manual_seed(0))
        grid = torch.linspace(family.x_range[0], family.x_range[1], 100)
        y = batch.true_function(grid).detach().cpu().numpy().ravel()
        y = y[np.isfinite(y)]
        low, high = np.percentile(y, [1, 99])
    except (ValueError, RuntimeError, IndexError):  # an odd family still gets a usable view
        return FALLBACK_Y_RANGE
    if not high > low:
        low, high = low - 1.0, high + 1.0
    pad = Y_PAD * (high - low)
    return round(float(low - pad), 6), round(float(high + pad), 6)


def typical_view(family: TaskFamily) -> tuple[tuple[float, float], tuple[float, float]]:
    """((x0, x1), (y0, y1)): the family's x range padded by 5%, and :func:`typical_y_range`."""
    low, high = family.x_range
    pad = X_PAD * (high - low)
    return (low - pad, high + pad), typical_y_range(family)
