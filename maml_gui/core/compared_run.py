"""Runs read for comparison: finding the runs under a folder, reading each, their curves (Qt-free).

:func:`find_run_folders` turns what a user picked (one run, a folder of runs, a sweep folder)
into run directories and one line per folder that is not a run; :func:`read_compared_run`
reads one of them fully (config, curves, weights, ``evaluation.json``) or raises
:class:`~maml_gui.core.checkpoint.RunError` with one line. A :class:`ComparedRun` gives the
meta-loss curve by iteration or by wall time (``metrics.csv``'s ``elapsed_s``, the training's
own clock, summed over resumes), the last validation's adaptation curve and its results row.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np

from .checkpoint import RunData, RunError, is_run, load_run
from .config import ExperimentConfig
from .evaluation import AdaptationCurve
from .metrics import MetricsHistory
from .run_table import flatten, read_evaluation, row_of
from .run_validation import one_line
from .snapshot import ModelSnapshot
from .sweep import SWEEP_FILE

X_ITERATION, X_WALL_TIME = "iteration", "wall time"
MAX_RUNS = 1000  # run directories taken from one folder
MAX_DEPTH = 2  # a folder of sweeps (each a folder of runs) is found; deeper folders are not searched


@dataclass(frozen=True)
class ComparedRun:
    """One run directory as read for comparison; ``sweep`` is the sweep folder it belongs to, if any."""

    path: Path
    config: ExperimentConfig
    history: MetricsHistory
    snapshot: ModelSnapshot | None
    iteration: int
    evaluation: dict | None = None
    sweep: Path | None = None

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def task_kind(self) -> str:
        return self.config.task.kind

    @cached_property
    def _flat(self) -> dict[str, object]:
        return flatten(self.config.model_dump(mode="json"))

    def flat_config(self) -> dict[str, object]:
        """``{"training.algorithm": "maml", ...}`` (a copy)."""
        return dict(self._flat)

    @cached_property
    def _rows(self) -> np.ndarray:  # [logged iterations, columns]: converted once, not at every redraw
        return np.asarray(self.history.rows, dtype=np.float64).reshape(-1, 5)

    def loss_curve(self, x_axis: str = X_ITERATION) -> tuple[np.ndarray, np.ndarray]:
        """(x, query loss after adaptation) of every logged iteration; x the iteration or seconds trained."""
        rows = self._rows
        return (rows[:, 4] if x_axis == X_WALL_TIME else rows[:, 0]), rows[:, 2]

    def adaptation_curve(self) -> AdaptationCurve | None:
        """The metric after 0, 1, ... inner steps at the last validation."""
        return self.history.validations[-1].curve if self.history.validations else None

    def results_row(self) -> tuple[dict[str, object], dict[str, object]]:
        return row_of(self.name, self.config, self.iteration, self.history, self.evaluation)


def key_settings(config: ExperimentConfig, iteration: int) -> str:
    """``maml · sinusoid · lr 0.01 × 1 step · seed 0 · 1,000 it.``: what a run is, in one short line."""
    t, task = config.training, config.task
    what = f"{task.ways}-way {task.shots}-shot {task.family}" if task.kind == "classification" else task.family
    steps = f"{t.inner_steps} step{'s' if t.inner_steps != 1 else ''}"
    return f"{t.algorithm} · {what} · lr {t.inner_lr:g} × {steps} · seed {t.seed} · {iteration:,} it."


def read_compared_run(path: str | Path, sweep: Path | None = None) -> ComparedRun:
    """Read one run directory (raises :class:`RunError` with one line when it cannot be read)."""
    run: RunData = load_run(path)
    return ComparedRun(run.path, run.config, run.history, run.snapshot, run.iteration, read_evaluation(run.path),
                       sweep)


def is_sweep(folder: Path) -> bool:
    try:
        return (folder / SWEEP_FILE).is_file()
    except OSError:
        return False


def find_run_folders(folder: str | Path) -> tuple[list[tuple[Path, Path | None]], list[str]]:
    """The run directories in ``folder`` (itself, its subfolders, the runs of sweeps in it), each
    with the sweep folder it belongs to (or None), and one line per subfolder that is no run.

    Subfolders are taken in name order, at most :data:`MAX_RUNS` runs and :data:`MAX_DEPTH` levels."""
    folder = Path(folder)
    try:
        if not folder.is_dir():
            return [], [f"{one_line(str(folder))} is not a folder"]
    except OSError as err:
        return [], [f"{one_line(str(folder))}: {err.strerror or err}"]
    found: list[tuple[Path, Path | None]] = []
    problems: list[str] = []
    _search(folder, None, 0, found, problems)
    if not found and not problems:
        problems.append(f"{one_line(str(folder))} holds no MAML Studio runs")
    return found, problems


def _search(folder: Path, sweep: Path | None, depth: int, found: list, problems: list[str]) -> None:
    if is_run(folder):
        found.append((folder, sweep))
        return
    sweep = folder if is_sweep(folder) else sweep
    try:
        children = sorted(child for child in folder.iterdir() if child.is_dir() and not child.is_symlink())
    except OSError as err:
        problems.append(f"{one_line(str(folder))}: cannot list it: {err.strerror or err}")
        return
    for child in children:
        if len(found) >= MAX_RUNS:
            problems.append(f"{one_line(str(folder))}: more than {MAX_RUNS} runs; the rest were not opened")
            return
        if is_run(child):
            found.append((child, sweep))
        elif depth + 1 < MAX_DEPTH and _holds_runs(child):
            _search(child, sweep, depth + 1, found, problems)
        elif depth == 0:
            problems.append(f"{one_line(child.name)}: not a run (no config.toml and run.json), skipped")


def _holds_runs(folder: Path) -> bool:
    try:
        return is_sweep(folder) or any(is_run(child) for child in folder.iterdir() if child.is_dir())
    except OSError:
        return False


def sweep_fields(sweep: Path) -> list[str]:
    """The config keys a sweep varies (its grid and random ranges), from its ``sweep.json``; [] if unreadable."""
    try:
        record = json.loads((sweep / SWEEP_FILE).read_text(encoding="utf-8"))
        keys = [str(key) for key, _ in record.get("grid") or []]
        keys += [str(r[0]) for r in ((record.get("random") or {}).get("ranges") or [])]
        return list(dict.fromkeys(keys))
    except (OSError, ValueError, TypeError, KeyError, IndexError, AttributeError, RecursionError):
        return []


__all__ = ["ComparedRun", "RunError", "X_ITERATION", "X_WALL_TIME", "find_run_folders",
           "key_settings", "read_compared_run", "sweep_fields"]
