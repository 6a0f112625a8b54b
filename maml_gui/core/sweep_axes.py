"""Axes of a sweep's parallel-coordinates and scatter views (Qt-free).

Each hyperparameter (a config field that differs between the runs) and the metric becomes an
:class:`Axis`: every run's place on it from 0 (bottom) to 1 (top) and the labelled ticks.
Numbers are spaced linearly, or logarithmically when all are positive and span a factor of 10
or more (learning rates); anything else (an algorithm, a list of layer sizes) is a category,
its values evenly spaced in sorted order. A run without a value (a metric it has not got, a
diverged evaluation) has no place (NaN).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass

import numpy as np

MAX_TICKS = 6


@dataclass(frozen=True)
class Axis:
    name: str
    positions: np.ndarray  # per run, in [0, 1]; NaN where the run has no value
    ticks: tuple[tuple[float, str], ...]
    log: bool = False
    categorical: bool = False


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if math.isfinite(value) else None


def _label(value: object) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, (list, dict)):
        return json.dumps(value, separators=(",", ":"))
    return str(value)


def make_axis(name: str, values: list[object]) -> Axis:
    """The axis of ``values`` (one per run; None for a run without one)."""
    present = [v for v in values if v is not None and not (isinstance(v, float) and math.isnan(v))]
    numbers = [_number(v) for v in present]
    if present and all(n is not None for n in numbers):
        return _numeric_axis(name, [_number(v) if v is not None else None for v in values])
    categories = sorted({_label(v) for v in present})
    spot = {c: (i / (len(categories) - 1) if len(categories) > 1 else 0.5) for i, c in enumerate(categories)}
    positions = np.array([spot[_label(v)] if v is not None and _label(v) in spot else math.nan for v in values])
    return Axis(name, positions, tuple((spot[c], c) for c in categories), categorical=True)


def _numeric_axis(name: str, numbers: list[float | None]) -> Axis:
    finite = np.array([n for n in numbers if n is not None], dtype=np.float64)
    if finite.size == 0:
        return Axis(name, np.full(len(numbers), math.nan), ())
    low, high = float(finite.min()), float(finite.max())
    log = low > 0 and high / low >= 10
    scale = (lambda v: math.log10(v)) if log else (lambda v: v)
    a, b = scale(low), scale(high)

    def place(v: float) -> float:
        return 0.5 if b == a else (scale(v) - a) / (b - a)

    positions = np.array([place(n) if n is not None else math.nan for n in numbers])
    distinct = sorted(set(finite.tolist()))
    if len(distinct) > MAX_TICKS:
        steps = np.linspace(a, b, MAX_TICKS)
        distinct = [10**s if log else s for s in steps]
    return Axis(name, positions, tuple((place(v), _label(v)) for v in distinct), log=log)


def parallel_axes(rows: list[dict[str, object]], fields: list[str], metric: str) -> list[Axis]:
    """One axis per field, then the metric's, over the table rows."""
    return [make_axis(field, [row.get(field) for row in rows]) for field in [*fields, metric]]


def metric_columns(columns: list[str]) -> list[str]:
    """The table's metric columns a sweep view can show, the paper protocol's after the most steps first."""
    evals = [c for c in columns if c.startswith("eval_") and "@" in c and not c.startswith("eval_ci95")]
    evals.sort(key=lambda c: -int(c.partition("@")[2]) if c.partition("@")[2].isdigit() else 0)
    return evals + [c for c in columns if c.startswith("val_")]
