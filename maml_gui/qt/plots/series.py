"""Append-only numeric series for live curves (numpy only, no Qt).

Buffers grow by doubling, so appending a report costs amortised O(new points) and a
curve's ``setData`` gets views of contiguous arrays, never Python lists.
"""

from __future__ import annotations

import numpy as np


class GrowingSeries:
    """(x, y) pairs appended in order; ``x`` and ``y`` are views of the filled part."""

    def __init__(self, capacity: int = 1024) -> None:
        self._x = np.empty(capacity, dtype=np.float64)
        self._y = np.empty(capacity, dtype=np.float64)
        self._size = 0

    def __len__(self) -> int:
        return self._size

    def clear(self) -> None:
        self._size = 0

    def extend(self, x, y) -> None:
        x = np.asarray(x, dtype=np.float64).ravel()
        y = np.asarray(y, dtype=np.float64).ravel()
        if x.shape != y.shape:
            raise ValueError(f"x and y differ in length ({x.size} and {y.size})")
        end = self._size + x.size
        if end > self._x.size:
            capacity = max(end, 2 * self._x.size)
            self._x = np.concatenate([self._x[:self._size], np.empty(capacity - self._size)])
            self._y = np.concatenate([self._y[:self._size], np.empty(capacity - self._size)])
        self._x[self._size:end] = x
        self._y[self._size:end] = y
        self._size = end

    @property
    def x(self) -> np.ndarray:
        return self._x[:self._size]

    @property
    def y(self) -> np.ndarray:
        return self._y[:self._size]


class SmoothedSeries(GrowingSeries):
    """A :class:`GrowingSeries` of the exponential moving average of what is appended.

    The average is bias-corrected (as in Adam), so the first points are not pulled to zero;
    non-finite values are skipped rather than poisoning every later point.
    """

    def __init__(self, span: int = 50, capacity: int = 1024) -> None:
        super().__init__(capacity)
        self.alpha = 2.0 / (span + 1.0)
        self._average = 0.0
        self._weight = 0.0

    def clear(self) -> None:
        super().clear()
        self._average = self._weight = 0.0

    def extend(self, x, y) -> None:
        x = np.asarray(x, dtype=np.float64).ravel()
        y = np.asarray(y, dtype=np.float64).ravel()
        keep = np.isfinite(y)
        x, y = x[keep], y[keep]
        smoothed = np.empty_like(y)
        decay = 1.0 - self.alpha
        average, weight = self._average, self._weight
        for i, value in enumerate(y):  # a report holds ~tens of values: a plain loop is fine
            average = decay * average + self.alpha * value
            weight = decay * weight + self.alpha
            smoothed[i] = average / weight
        self._average, self._weight = average, weight
        super().extend(x, smoothed)
