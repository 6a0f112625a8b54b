"""Random search for sweeps: ``--range KEY=log:0.001:0.1`` fields drawn ``--random K`` times.

Draws come from a seeded generator and are rounded to 4 significant digits, so the same
command draws the same trials (a re-run resumes them) and a trial's name shows its exact value.
"""

from __future__ import annotations

import math

import numpy as np

from .sweep import SweepError

KINDS = ("log", "lin", "int")  # log-uniform, uniform, uniform whole numbers (both ends included)


def parse_ranges(assignments: list[str]) -> list[tuple[str, str, float, float]]:
    """``section.key=KIND:LOW:HIGH`` strings -> ``[(key, kind, low, high)]``."""
    ranges: list[tuple[str, str, float, float]] = []
    for assignment in assignments:
        key, sep, spec = assignment.partition("=")
        key = key.strip()
        parts = spec.split(":")
        if not sep or "." not in key or len(parts) != 3 or parts[0] not in KINDS:
            raise SweepError(f"--range {assignment!r}: expected section.key=KIND:LOW:HIGH with KIND one of "
                             f"{', '.join(KINDS)}, e.g. training.inner_lr=log:0.001:0.1")
        if key == "training.seed":
            raise SweepError("--range training.seed: give the seeds with --seeds")
        if key in (k for k, *_ in ranges):
            raise SweepError(f"--range {key} is given twice")
        try:
            low, high = float(parts[1]), float(parts[2])
        except ValueError:
            raise SweepError(f"--range {assignment!r}: LOW and HIGH must be numbers") from None
        if not (math.isfinite(low) and math.isfinite(high) and low < high):
            raise SweepError(f"--range {assignment!r}: needs finite LOW < HIGH")
        if parts[0] == "log" and low <= 0:
            raise SweepError(f"--range {assignment!r}: a log range needs LOW > 0")
        if parts[0] == "int" and not (low.is_integer() and high.is_integer()):
            raise SweepError(f"--range {assignment!r}: an int range needs whole numbers")
        ranges.append((key, parts[0], low, high))
    return ranges


def sample_points(ranges: list[tuple[str, str, float, float]], count: int, seed: int) -> list[dict[str, object]]:
    """``count`` draws of every ranged field, e.g. ``[{"training.inner_lr": 0.003162}, ...]``."""
    if count < 1 or not ranges:
        raise SweepError("--random K needs K >= 1 and at least one --range KEY=KIND:LOW:HIGH")
    generator = np.random.default_rng(seed)
    points: list[dict[str, object]] = []
    for _ in range(count):
        point: dict[str, object] = {}
        for key, kind, low, high in ranges:
            if kind == "int":
                point[key] = int(generator.integers(int(low), int(high) + 1))
            elif kind == "log":
                point[key] = float(f"{math.exp(generator.uniform(math.log(low), math.log(high))):.4g}")
            else:
                point[key] = float(f"{generator.uniform(low, high):.4g}")
        points.append(point)
    return points


def range_ends(ranges: list[tuple[str, str, float, float]]) -> list[tuple[str, list[object]]]:
    """Each ranged field with its two ends, as a grid: checked against the config before drawing."""
    return [(key, [int(low), int(high)] if kind == "int" else [low, high]) for key, kind, low, high in ranges]
