"""The runs being compared: the current experiment plus the runs opened from disk.

:class:`RunsModel` holds one :class:`RunEntry` per run (a colour, a visibility flag and the
:class:`~maml_gui.core.compared_run.ComparedRun` read from disk), the grouping (config fields)
and the x axis (iteration or wall time) that the plots and the table share.

- :meth:`RunsModel.add_run` reads one run directory now (in the caller's thread);
  :meth:`RunsModel.open_folder` reads a folder of runs, or a sweep folder, in a worker thread
  (:mod:`maml_gui.qt.runs.runs_loader`), adding runs as they come; a folder that is no run or
  cannot be read gives one line through ``problem`` and is skipped.
- ``changed`` is emitted when runs are added, removed, shown or hidden; ``current_changed`` when
  the current experiment's curves grew (while it trains); ``view_changed`` when the grouping or
  the x axis changed.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from PySide6.QtCore import QObject, Signal, Slot

from maml_gui.core.compared_run import X_ITERATION, X_WALL_TIME, ComparedRun, RunError, read_compared_run
from maml_gui.core.run_groups import group_label
from maml_gui.core.run_validation import one_line
from maml_gui.qt.runs.runs_loader import RunsLoader

CURRENT_KEY = "current experiment"
CURRENT_COLOR = (40, 40, 40)
# Tableau 10 (matplotlib's default cycle): distinguishable, also for most colour-blind readers
PALETTE = ((31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40), (148, 103, 189), (140, 86, 75),
           (227, 119, 194), (127, 127, 127), (188, 189, 34), (23, 190, 207))
X_AXES = (X_ITERATION, X_WALL_TIME)


@dataclass(frozen=True)
class RunEntry:
    """A run in the model: ``key`` is its resolved path (or :data:`CURRENT_KEY`)."""

    key: str
    run: ComparedRun
    color: tuple[int, int, int]
    visible: bool = True

    @property
    def name(self) -> str:
        return CURRENT_KEY if self.is_current else self.run.name

    @property
    def is_current(self) -> bool:
        return self.key == CURRENT_KEY


class RunsModel(QObject):
    changed = Signal()  # runs added, removed, shown or hidden
    current_changed = Signal()  # the current experiment's curves or model changed
    view_changed = Signal()  # grouping or x axis
    problem = Signal(str)  # one line: a folder skipped, a run that cannot be read
    loading_changed = Signal(bool)  # a folder is being read in the background
    folder_read = Signal(object)  # runs_loader.FolderRead: a folder asked for was read

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._entries: list[RunEntry] = []
        self._next_color = 0
        self.group_fields: tuple[str, ...] | None = None  # None: one curve per run
        self.x_axis = X_ITERATION
        self.loader = RunsLoader(self)
        self.loader.loaded.connect(self._on_loaded)
        self.loader.problem.connect(self.problem)
        self.loader.busy_changed.connect(self.loading_changed)
        self.loader.folder_done.connect(self.folder_read)

    # -- reading ------------------------------------------------------------------------------------
    def runs(self) -> list[RunEntry]:
        """Every run, the current experiment (if it has a model or curves) first."""
        return list(self._entries)

    def visible_runs(self) -> list[RunEntry]:
        return [entry for entry in self._entries if entry.visible]

    def opened_runs(self) -> list[RunEntry]:
        """The runs read from disk (not the current experiment)."""
        return [entry for entry in self._entries if not entry.is_current]

    def entry(self, key: str) -> RunEntry | None:
        return next((entry for entry in self._entries if entry.key == key), None)

    def comparing(self) -> bool:
        """True when an opened run is shown: the plots draw the visible runs instead of the single one."""
        return any(entry.visible and not entry.is_current for entry in self._entries)

    def group_label_of(self, entry: RunEntry) -> str | None:
        """The group ``entry`` belongs to under the current grouping (None: not grouped)."""
        if self.group_fields is None:
            return None
        config = entry.run.flat_config()
        return group_label(self.group_fields, [config.get(field) for field in self.group_fields])

    def group_colors(self) -> dict[str, tuple[int, int, int]]:
        """Each group of the visible runs (by label) and its colour, in order of first appearance."""
        labels = dict.fromkeys(label for label in map(self.group_label_of, self.visible_runs()) if label is not None)
        return {label: PALETTE[i % len(PALETTE)] for i, label in enumerate(labels)}

    def shown_color(self, entry: RunEntry) -> tuple[int, int, int]:
        """The colour a run is drawn in: its group's while grouped (and shown), else its own."""
        label = self.group_label_of(entry)
        return self.group_colors().get(label, entry.color) if label is not None and entry.visible else entry.color

    def is_loading(self) -> bool:
        return self.loader.busy

    # -- changing ------------------------------------------------------------------------------------
    def add_run(self, path: str | Path) -> bool:
        """Read one run directory now and add it; False (and a ``problem`` line) when it cannot be read."""
        try:
            run = read_compared_run(path)
        except RunError as err:
            self.problem.emit(one_line(str(err)))
            return False
        return self.add_compared(run)

    def add_compared(self, run: ComparedRun) -> bool:
        """Add a run already read; a run that is open already is read again in its place."""
        self.add_many([run])
        return True

    def add_many(self, runs: list[ComparedRun]) -> None:
        """Add runs already read, with one ``changed``."""
        for run in runs:
            key = _key(run.path)
            existing = self.entry(key)
            if existing is not None:
                self._entries[self._entries.index(existing)] = replace(existing, run=run)
            else:
                self._entries.append(RunEntry(key, run, PALETTE[self._next_color % len(PALETTE)]))
                self._next_color += 1
        if runs:
            self.changed.emit()

    def open_folder(self, folder: str | Path) -> None:
        """Read every run in ``folder`` (a run, a folder of runs or a sweep) in the background."""
        self.loader.load(Path(folder))

    def remove(self, key: str) -> None:
        entry = self.entry(key)
        if entry is not None and not entry.is_current:
            self._entries.remove(entry)
            self.changed.emit()

    def clear(self) -> None:
        """Remove every opened run (the current experiment stays)."""
        self._entries = [entry for entry in self._entries if entry.is_current]
        self._next_color = 0
        self.changed.emit()

    def set_visible(self, key: str, visible: bool) -> None:
        entry = self.entry(key)
        if entry is not None and entry.visible != bool(visible):
            self._entries[self._entries.index(entry)] = replace(entry, visible=bool(visible))
            self.changed.emit()

    def set_current(self, run: ComparedRun | None) -> None:
        """The current experiment's run (its config, curves and model), or None when it has none."""
        existing = self.entry(CURRENT_KEY)
        if run is None:
            if existing is not None:
                self._entries.remove(existing)
                self.changed.emit()
            return
        if existing is None:
            self._entries.insert(0, RunEntry(CURRENT_KEY, run, CURRENT_COLOR))
            self.changed.emit()
        else:
            self._entries[0] = replace(existing, run=run)
            self.current_changed.emit()

    def set_group_fields(self, fields: tuple[str, ...] | list[str] | None) -> None:
        """Group the plotted runs by these flattened config keys (``()``: all in one group; None: no groups)."""
        fields = None if fields is None else tuple(fields)
        if fields != self.group_fields:
            self.group_fields = fields
            self.view_changed.emit()

    def set_x_axis(self, x_axis: str) -> None:
        if x_axis not in X_AXES:
            raise ValueError(f"x axis must be one of {X_AXES}")
        if x_axis != self.x_axis:
            self.x_axis = x_axis
            self.view_changed.emit()

    def stop_loading(self, timeout_ms: int = 10_000) -> bool:
        """Stop reading folders and wait for the thread (closing the window)."""
        return self.loader.stop_and_wait(timeout_ms)

    @Slot(object)
    def _on_loaded(self, runs: list[ComparedRun]) -> None:
        self.add_many(runs)


def _key(path: Path) -> str:
    try:
        return str(Path(path).resolve())
    except OSError:
        return str(path)
