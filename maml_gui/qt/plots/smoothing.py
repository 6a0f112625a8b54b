"""TensorBoard's smoothing of noisy curves, as a plain numpy function (no Qt).

A debiased exponential moving average (tensorboard/webapp/widgets/line_chart_v2/
data_transformer.ts): ``last = last * w + (1 - w) * y`` starting from ``last = 0``, each
value divided by ``1 - w ** n`` (n = finite values so far) so the first points are not pulled
towards zero. Non-finite values pass through unchanged and do not enter the average.
``w = 0`` leaves the curve as it is; ``w`` close to 1 smooths hard.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

MAX_WEIGHT = 0.999
DEFAULT_WEIGHT = 0.6  # TensorBoard's default
BLOCK_DECADES = 100  # w^-i stays below 1e100 within a block of the vectorised average


@dataclass(frozen=True)
class EmaState:
    """Where an average left off, so a growing curve is smoothed one report at a time."""

    last: float = 0.0
    count: int = 0


def debiased_ema(values, weight: float, state: EmaState = EmaState()) -> tuple[np.ndarray, EmaState]:
    """The smoothed ``values`` and the state to continue from; ``weight`` in [0, MAX_WEIGHT]."""
    if not 0.0 <= weight <= MAX_WEIGHT:
        raise ValueError(f"smoothing weight must be in [0, {MAX_WEIGHT}], got {weight}")
    values = np.asarray(values, dtype=np.float64).ravel()
    smoothed = values.copy()
    finite = np.isfinite(values)
    y = values[finite]
    if y.size == 0:
        return smoothed, state
    if weight == 0.0:
        return smoothed, EmaState(float(y[-1]), state.count + y.size)
    averages = np.empty_like(y)
    last = state.last
    # last_k = w^k * (last_0 + (1 - w) * sum_i<=k y_i * w^-i), block by block so w^-i stays finite
    block = max(1, int(BLOCK_DECADES * math.log(10.0) / -math.log(weight)))
    for start in range(0, y.size, block):
        chunk = y[start:start + block]
        powers = weight ** np.arange(1, chunk.size + 1, dtype=np.float64)
        averages[start:start + chunk.size] = powers * (last + (1.0 - weight) * np.cumsum(chunk / powers))
        last = float(averages[start + chunk.size - 1])
    counts = state.count + np.arange(1, y.size + 1, dtype=np.float64)
    smoothed[finite] = averages / -np.expm1(counts * math.log(weight))  # / (1 - w^n), exact for small n
    return smoothed, EmaState(last, state.count + y.size)
