"""Training reports made from what a followed run's files gained, so the app draws them as its own.

The app's plots and status panels take :class:`~maml_gui.core.training.Progress` reports from a
training in the app; a run another process writes gains rows in ``metrics.csv`` and records in
``validation.jsonl`` instead. :func:`followed_reports` turns those into the same reports: one per
new validation (with the rows up to it) and one for the rows after the last, the speed taken
from the rows' elapsed training time.
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np

from .metrics import MetricsHistory
from .snapshot import ModelSnapshot
from .task_kinds import task_kind
from .training import Progress

Row = tuple[int, float, float, float, float]  # iteration, loss before, loss after, meta lr, elapsed s
WRITER = "another process"  # the device column: the app does not know the writer's


def _speed(rows: list[Row], previous: Row | None) -> float:
    """Iterations per second of training time, from the newest row back to ``previous`` (or the start)."""
    last = rows[-1]
    first = previous if previous is not None else (0, 0.0, 0.0, 0.0, 0.0)
    spent = last[4] - first[4]
    return (last[0] - first[0]) / spent if spent > 0 and last[0] > first[0] else math.nan


def followed_reports(new: MetricsHistory, previous: Row | None, total: int, kind: str,
                     snapshot: ModelSnapshot | None, finished: bool = False) -> list[Progress]:
    """Reports of the rows and validations in ``new``; ``previous`` is the last row reported before."""
    rows, metric = list(new.rows), task_kind(kind).metric
    accuracy = list(new.accuracy) if len(new.accuracy) == len(rows) and kind != "regression" else None
    reports: list[Progress] = []
    start, last = 0, previous
    rate = _speed(rows, previous) if rows else math.nan
    for record in [*sorted(new.validations, key=lambda r: r.iteration), None]:
        end = len(rows) if record is None else next((i for i in range(start, len(rows))
                                                      if rows[i][0] > record.iteration), len(rows))
        chunk = rows[start:end]
        if record is None and not chunk:
            break
        if chunk:
            last = chunk[-1]
        iteration = max(last[0] if last is not None else 0, record.iteration if record is not None else 0)
        elapsed = last[4] if last is not None else 0.0
        arrays = np.array([r[:3] for r in chunk], dtype=np.float64).reshape(-1, 3)
        arrays.setflags(write=False)
        eta = (total - iteration) / rate if rate > 0 and not math.isnan(rate) else math.inf
        reports.append(Progress(
            iteration=iteration, total=total, iterations=arrays[:, 0].astype(np.int64), loss_before=arrays[:, 1],
            loss_after=arrays[:, 2], validation=record, its_per_s=rate if not math.isnan(rate) else 0.0,
            elapsed_s=elapsed, eta_s=max(eta, 0.0), meta_lr=last[3] if last is not None else 0.0, snapshot=snapshot,
            device=WRITER, metric=metric,
            accuracy_after=np.array(accuracy[start:end], dtype=np.float64) if accuracy is not None else None))
        start = end
    if reports and finished:
        reports[-1] = replace(reports[-1], finished=True, eta_s=0.0)
    return reports
