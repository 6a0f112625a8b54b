"""Following a run directory that another process is writing: read what lands, write nothing.

:class:`RunTail` reads a run directory once (:meth:`RunTail.open`, like
:func:`~maml_gui.core.checkpoint.load_run` but without tidying the writer's temporary files),
then on each :meth:`RunTail.poll` only what changed: new rows of the metrics and validation
files (:mod:`~maml_gui.core.line_tail`), a weights file that was replaced, a changed config.
Everything read is checked as an opened run is; a weights file that fails the checks (caught
mid-replace, or damaged) is reported once and tried again when it changes, and the last good
model stays. A poll never raises for what it finds on disk: the folder deleted or no longer a
run is :attr:`TailUpdate.gone`, anything else is a line in :attr:`TailUpdate.problems`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from . import weights_validation as weights_check
from .checkpoint import (CONFIG, METRICS, POINTS, RUN_FILES, RUN_FORMAT, RUN_INFO, TEXT_LIMITS, VALIDATION, WEIGHTS,
                         RunData, is_run, snapshot_from_bytes)
from .config import ConfigError, ExperimentConfig, from_toml
from .line_tail import MetricsTail, ValidationTail
from .metrics import MetricsHistory
from .run_validation import PARSE_ERRORS, RunError, check_run_info, parse_json, parse_points, present, read_bytes, \
    read_text
from .snapshot import ModelSnapshot

Signature = tuple[int, int, int]  # inode, size, modification time (ns): a file replaced or changed


@dataclass(frozen=True)
class TailUpdate:
    """What a :meth:`RunTail.poll` found since the previous one."""

    rows: MetricsHistory = field(default_factory=MetricsHistory)  # new metrics rows and validations
    snapshot: ModelSnapshot | None = None  # a model that landed (checked against the config)
    iteration: int = 0  # the iteration run.json says the run reached
    last_write_s: float = 0.0  # the newest modification time of the run's files (seconds since the epoch)
    reopened: RunData | None = None  # the run, read again from scratch: its config changed or its metrics started over
    problems: tuple[str, ...] = ()  # one line each: something damaged that was skipped
    gone: str | None = None  # why following cannot go on (the folder was deleted, or is no longer a run)

    @property
    def landed(self) -> bool:
        return bool(self.rows.rows or self.rows.validations or self.snapshot is not None or self.reopened)


def _signature(path: Path) -> Signature | None:
    try:
        info = path.stat()
    except OSError:
        return None
    return info.st_ino, info.st_size, info.st_mtime_ns


class RunTail:
    """Reads the run directory ``path`` incrementally; used from one thread at a time."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.config: ExperimentConfig | None = None
        self._reset()

    def _reset(self) -> None:
        self.metrics = MetricsTail(self.path / METRICS, METRICS, TEXT_LIMITS[METRICS])
        self.validation = ValidationTail(self.path / VALIDATION, VALIDATION, TEXT_LIMITS[VALIDATION])
        self._config_seen: Signature | None = None
        self._weights_seen: Signature | None = None  # the weights file last tried, good or not

    # -- the first read ------------------------------------------------------------------------
    def open(self) -> tuple[RunData, list[str]]:
        """The run as it is now, and the problems met reading it; RunError when it is no run."""
        self._reset()
        where = self.path
        try:
            if not where.is_dir():
                raise RunError(f"{where} is not a directory")
        except OSError as err:
            raise RunError(f"{where}: {err.strerror or err}") from None
        if not is_run(where):
            raise RunError(f"{where} is not a MAML Studio run (no {CONFIG} and {RUN_INFO})")
        try:
            iteration = self._run_iteration()
            self._config_seen = _signature(where / CONFIG)
            self.config = self._read_config()
        except RunError as err:
            raise RunError(f"{where}: {err}") from None
        history, problems = self._read_history()
        snapshot = self._read_weights(problems)
        points: list[tuple[float, float]] = []
        try:
            if present(where, POINTS):
                points = parse_points(parse_json(read_text(where / POINTS, TEXT_LIMITS[POINTS], POINTS), POINTS), POINTS)
        except RunError as err:
            problems.append(str(err))
        run = RunData(where, self.config, snapshot, history, points, snapshot.iteration if snapshot else iteration)
        return run, problems

    # -- what changed since ----------------------------------------------------------------------
    def poll(self) -> TailUpdate:
        """What landed since the last :meth:`open` or :meth:`poll`."""
        if not self._still_a_run():
            return TailUpdate(gone=f"{self.path} was deleted, moved or is no longer a run: following stopped")
        last_write = self._last_write_s()
        try:
            iteration = self._run_iteration()
            if _signature(self.path / CONFIG) != self._config_seen and self._read_config() != self.config:
                run, problems = self.open()
                return TailUpdate(iteration=iteration, last_write_s=last_write, reopened=run, problems=tuple(problems))
        except RunError as err:  # caught between two writes, or damaged: try again at the next change
            return TailUpdate(last_write_s=last_write, problems=(str(err),))
        history, problems = self._read_history()
        if history is None:  # the metrics started over (a resumed run rewrote them): read everything again
            run, problems = self.open()
            return TailUpdate(iteration=iteration, last_write_s=last_write, reopened=run, problems=tuple(problems))
        snapshot = self._read_weights(problems)
        return TailUpdate(history, snapshot, iteration, last_write, problems=tuple(problems))

    def _still_a_run(self) -> bool:
        try:
            return self.path.is_dir() and is_run(self.path)
        except OSError:
            return False

    def _last_write_s(self) -> float:
        times = []
        for name in RUN_FILES:
            try:
                times.append(os.stat(self.path / name).st_mtime)
            except OSError:
                continue
        return max(times, default=0.0)

    def _run_iteration(self) -> int:
        info = check_run_info(parse_json(read_text(self.path / RUN_INFO, TEXT_LIMITS[RUN_INFO], RUN_INFO), RUN_INFO),
                              RUN_INFO, RUN_FORMAT)
        return int(info.get("iteration", 0))

    def _read_config(self) -> ExperimentConfig:
        self._config_seen = _signature(self.path / CONFIG)
        try:
            return from_toml(read_text(self.path / CONFIG, TEXT_LIMITS[CONFIG], CONFIG), source=CONFIG)
        except ConfigError as err:
            raise RunError(str(err)) from None
        except RecursionError:
            raise RunError(f"{CONFIG} is nested too deeply") from None

    def _read_history(self) -> tuple[MetricsHistory | None, list[str]]:
        """New rows and validations; None when either file started over."""
        problems: list[str] = []
        try:
            history, restarted, problems = self.metrics.read()
            records, validations_restarted, more = self.validation.read()
        except RunError as err:
            return MetricsHistory(), [str(err)]
        if restarted or validations_restarted:
            return None, problems
        history.validations.extend(records)
        return history, problems + more

    def _read_weights(self, problems: list[str]) -> ModelSnapshot | None:
        """The weights file if it changed since last tried and passes every check; else None."""
        signature = _signature(self.path / WEIGHTS)
        if signature is None or signature == self._weights_seen:
            return None
        self._weights_seen = signature
        from .training import model_spec

        try:
            limit = weights_check.expected_weights_bytes(model_spec(self.config).parameter_count(),
                                                         self.config.training.inner_steps)
            snapshot = snapshot_from_bytes(read_bytes(self.path / WEIGHTS, limit, WEIGHTS))
            weights_check.check_fits_config(snapshot, self.config, WEIGHTS)
        except RunError as err:
            problems.append(f"{err}; the last good model stays until the file changes")
            return None
        except (*PARSE_ERRORS, OSError) as err:
            problems.append(f"{WEIGHTS}: {type(err).__name__}: {err}; the last good model stays")
            return None
        return snapshot
