"""Axes that read plainly: no SI-prefix scaling, and log axes that do not crowd their labels.

A diverged run's "(x1e+18)" (or an empty plot's "(x0.001)") must not stay on an axis label for
the next run, so :func:`plain_axes` turns SI prefixes off for good. :class:`ThinLogAxis` labels
1, 2 and 5 of each decade first and the other minor ticks only where there is room: in a short
dock pyqtgraph labelled 0.3 … 0.9 on top of each other.
"""

from __future__ import annotations

import math

import pyqtgraph as pg

FIRST_MINOR_DIGITS = (1, 2, 5)


def plain_axes(item: pg.PlotItem) -> None:
    """Tick labels in the data's own units: no "(x0.001)" or "(x1e+18)" scaling."""
    for name in ("left", "bottom"):
        item.getAxis(name).enableAutoSIPrefix(False)


def leading_digit(log_value: float) -> int:
    """``log10(0.3)`` -> 3: the first digit of the value a log-axis tick stands for."""
    return int(round(10 ** (log_value - math.floor(log_value + 1e-9))))


class ThinLogAxis(pg.AxisItem):
    """In log mode, the minor ticks come in two levels (1, 2, 5 first), so the axis's
    text-fill limits can leave the rest unlabelled when the axis is short."""

    def logTickValues(self, minVal, maxVal, size, stdTicks):  # noqa: N802, N803 - pyqtgraph's names
        ticks = super().logTickValues(minVal, maxVal, size, stdTicks)
        if not ticks or ticks[-1][0] is not None:
            return ticks
        minor = ticks[-1][1]
        first = [v for v in minor if leading_digit(v) in FIRST_MINOR_DIGITS]
        rest = [v for v in minor if leading_digit(v) not in FIRST_MINOR_DIGITS]
        return ticks[:-1] + [(None, first), (None, rest)]
