"""How many torch threads training uses: chosen by model size, capped by the cores there are.

Measured with ``benchmarks/threads.py`` (2-core CPU, torch 2.13, second-order MAML, meta-batch
25, it/s with 1 vs 2 threads): quiet, 1-40-40-1 ran 296 vs 1.7 it/s, 1-256-256-1 24.0 vs 1.7,
1-1024-1024-1 0.9 vs 0.5; with one busy competing process 76.8 vs 3.6, 5.7 vs 0.8 and 0.2 vs
0.1. The machine was shared with other work, which is the point: a second thread only helps
when a core is idle, and any other load makes the threads wait on each other. So models up
to the largest size measured (:data:`MEASURED_PARAMETERS`) train on one thread; larger ones,
which were not measured, use the free cores. The GUI process leaves one core to the UI.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

MAX_THREADS = 1024
MEASURED_PARAMETERS = 1_100_000  # 1-1024-1024-1 has 1,053,697: one thread was fastest up to there


@dataclass(frozen=True)
class ThreadChoice:
    count: int
    note: str | None = None  # why the request was changed, for the user


def usable_cores() -> int:
    """Cores this process may run on (its CPU affinity, else the machine's count)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def parameter_count(hidden) -> int:
    sizes = (1, *hidden, 1)
    return sum((a + 1) * b for a, b in zip(sizes, sizes[1:]))


def choose_threads(requested: int | None = None, hidden=(40, 40), leave_free: int = 0,
                   cores: int | None = None, measured_model: bool = True) -> ThreadChoice:
    """Threads for training a 1-``hidden``-1 MLP: ``requested`` (0 or None: automatic) clamped to
    the usable cores, with a note when it was lowered. ``measured_model=False`` (Conv-4, not
    measured) uses the free cores."""
    cores = usable_cores() if cores is None else cores
    free = max(1, cores - leave_free)
    if requested:
        requested = int(requested)
        if requested > cores:
            return ThreadChoice(cores, f"{requested} threads asked for but only {cores} cores are usable "
                                       f"(more threads than cores only slow training); using {cores}")
        return ThreadChoice(max(1, requested))
    small = measured_model and parameter_count(hidden) <= MEASURED_PARAMETERS
    return ThreadChoice(1 if small else free)
