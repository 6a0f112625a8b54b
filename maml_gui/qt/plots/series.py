"""Append-only numeric series for live curves (numpy only, no Qt).

Buffers grow by doubling, so appending a report costs amortised O(new points) and a
curve's ``setData`` gets views of contiguous arrays, never Python lists.
"""

from __future__ import annotations

import numpy as np

from .smoothing import DEFAULT_WEIGHT, EmaState, debiased_ema


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
    """A :class:`GrowingSeries` of TensorBoard's debiased moving average of what is appended
    (:func:`~maml_gui.qt.plots.smoothing.debiased_ema` with ``weight``).

    Non-finite values are left out: they cannot be drawn and would poison every later point.
    """

    def __init__(self, weight: float = DEFAULT_WEIGHT, capacity: int = 1024) -> None:
        super().__init__(capacity)
        self.weight = float(weight)
        self._state = EmaState()

    def clear(self) -> None:
        super().clear()
        self._state = EmaState()

    def extend(self, x, y) -> None:
        x = np.asarray(x, dtype=np.float64).ravel()
        y = np.asarray(y, dtype=np.float64).ravel()
        keep = np.isfinite(y)
        smoothed, self._state = debiased_ema(y[keep], self.weight, self._state)
        super().extend(x[keep], smoothed)

    def resmooth(self, weight: float, x, y) -> None:
        """Smooth the whole raw curve ``(x, y)`` again with a new ``weight``."""
        debiased_ema([], weight)  # refuses a weight out of range before anything is cleared
        self.clear()
        self.weight = float(weight)
        self.extend(x, y)
