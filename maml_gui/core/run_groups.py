"""Runs grouped by config fields, each group's curves as a mean with a 95% band over its runs (Qt-free).

Runs that differ only in their seed form one group when grouped by the fields a sweep varies;
:func:`group_runs` groups by any flattened config keys (``training.algorithm``). The band is the
95% confidence interval of the mean over the group's runs, Student's t with n-1 degrees of
freedom (with 3 seeds the half-width is 4.30 standard errors, not 1.96): what W&B and Aim call
a CI band. A group of one run has no band.

Curves of different runs rarely share their x values (wall time never does), so each group's
curves are interpolated onto the x values of its longest run, cut to the range every run covers.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np

# Student's t quantile t_{0.975, df} for df = 1..30 (from the t distribution's inverse CDF)
T_975 = (12.706205, 4.302653, 3.182446, 2.776445, 2.570582, 2.446912, 2.364624, 2.306004, 2.262157, 2.228139,
         2.200985, 2.178813, 2.160369, 2.144787, 2.131450, 2.119905, 2.109816, 2.100922, 2.093024, 2.085963,
         2.079614, 2.073873, 2.068658, 2.063899, 2.059539, 2.055529, 2.051831, 2.048407, 2.045230, 2.042272)
Z_975 = 1.959963984540054


def t_quantile_975(df: int) -> float:
    """The two-sided 95% quantile of Student's t with ``df`` degrees of freedom (df >= 1)."""
    if df < 1:
        raise ValueError("degrees of freedom must be at least 1")
    if df <= len(T_975):
        return T_975[df - 1]
    z = Z_975  # Cornish-Fisher expansion, exact to about 1e-6 beyond 30 degrees of freedom
    return z + (z**3 + z) / (4 * df) + (5 * z**5 + 16 * z**3 + 3 * z) / (96 * df**2)


@dataclass(frozen=True)
class MeanBand:
    """A group's curve: the mean over ``count`` runs at each x and the 95% CI half-width (0 for one run)."""

    x: np.ndarray
    mean: np.ndarray
    half_width: np.ndarray
    count: int

    @property
    def lower(self) -> np.ndarray:
        return self.mean - self.half_width

    @property
    def upper(self) -> np.ndarray:
        return self.mean + self.half_width


def mean_band(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and 95% CI half-width over the rows of ``values`` [runs, points], ignoring non-finite entries."""
    values = np.asarray(values, dtype=np.float64)
    finite = np.isfinite(values)
    count = finite.sum(axis=0)
    safe = np.where(finite, values, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = safe.sum(axis=0) / count
        variance = (np.where(finite, values - mean, 0.0) ** 2).sum(axis=0) / (count - 1)
        table = np.array([t_quantile_975(n - 1) if n >= 2 else math.nan for n in range(int(count.max(initial=0)) + 1)])
        t = table[count]
        half = np.where(count >= 2, t * np.sqrt(variance / count), 0.0)
    mean = np.where(count > 0, mean, np.nan)
    return mean, half


def curves_mean_band(curves: Sequence[tuple[np.ndarray, np.ndarray]]) -> MeanBand | None:
    """The mean and band of (x, y) curves, interpolated onto the longest one's x within the common range."""
    curves = [(np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)) for x, y in curves]
    curves = [(x[np.isfinite(y)], y[np.isfinite(y)]) for x, y in curves]
    curves = [(x, y) for x, y in curves if x.size]
    if not curves:
        return None
    start = max(float(x[0]) for x, _ in curves)
    end = min(float(x[-1]) for x, _ in curves)
    longest = max(curves, key=lambda c: c[0].size)[0]
    grid = longest[(longest >= start) & (longest <= end)]
    if grid.size == 0:
        return None
    stacked = np.stack([np.interp(grid, x, y) for x, y in curves])
    mean, half = mean_band(stacked)
    return MeanBand(grid, mean, half, len(curves))


def steps_mean_band(curves: Sequence[tuple[Sequence[int], Sequence[float]]]) -> MeanBand | None:
    """Mean and band of adaptation curves (steps, values) at the steps every curve has."""
    curves = [c for c in curves if len(c[0])]
    if not curves:
        return None
    common = sorted(set.intersection(*(set(int(s) for s in steps) for steps, _ in curves)))
    if not common:
        return None
    stacked = np.array([[dict(zip((int(s) for s in steps), values))[s] for s in common] for steps, values in curves],
                       dtype=np.float64)
    mean, half = mean_band(stacked)
    return MeanBand(np.asarray(common, dtype=np.float64), mean, half, len(curves))


def group_label(fields: Sequence[str], values: Sequence[object]) -> str:
    """``algorithm=maml`` (the last part of each key), or ``all runs`` when no fields are given."""
    if not fields:
        return "all runs"
    return ", ".join(f"{k.rsplit('.', 1)[-1]}={_text(v)}" for k, v in zip(fields, values))


def _text(value: object) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, (list, dict)):
        return json.dumps(value, separators=(",", ":"))
    return str(value)


@dataclass(frozen=True)
class RunGroup:
    label: str
    values: tuple
    members: tuple  # the runs, in the order given


def group_runs(runs: Sequence, fields: Sequence[str], config_of: Callable[[object], dict[str, object]]) -> list[RunGroup]:
    """Runs grouped by their values of ``fields`` (flattened config keys), groups in order of first appearance."""
    groups: dict[str, list] = {}
    values_of: dict[str, tuple] = {}
    for run in runs:
        config = config_of(run)
        values = tuple(config.get(field) for field in fields)
        key = json.dumps(values, sort_keys=True, default=str)
        groups.setdefault(key, []).append(run)
        values_of[key] = values
    return [RunGroup(group_label(fields, values_of[key]), values_of[key], tuple(members))
            for key, members in groups.items()]
