"""Run > Sweep…: the current experiment trained over a grid of field values × seeds.

The user picks fields to vary (rows of :class:`~.field_rows.FieldRow`), seeds, parallel jobs
and an output folder. Every edit re-checks the whole sweep with the core's own planning
(:func:`~maml_gui.core.sweep_plan.plan_sweep`, :func:`~maml_gui.core.sweep.check_directory`);
each error is shown beside its field in one line, the summary says how many trials will run
(and how many an earlier run of the same sweep already finished), and Start is enabled only
for a sweep the core accepts.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QTimer, Slot
from PySide6.QtWidgets import (QDialog, QDialogButtonBox, QFileDialog, QFormLayout, QHBoxLayout, QLabel, QLineEdit,
                               QPushButton, QSpinBox, QVBoxLayout, QWidget)

from maml_gui.core.config import ExperimentConfig
from maml_gui.core.sweep import SWEEP_FILE, SweepError, check_directory, parse_seeds
from maml_gui.core.sweep_fields import sweep_fields
from maml_gui.core.sweep_plan import SweepPlan, plan_sweep
from maml_gui.core.sweep_runner import FINISHED, trial_state
from maml_gui.qt.panels.field_errors import ERROR_COLOR, INVALID_FRAME

from .field_rows import FieldRow, one_line

CHECK_DELAY_MS = 150  # typing coalesces into one check of the whole sweep
COUNTED_TRIALS = 500  # the folder's finished trials are counted for sweeps up to this size
DEFAULT_FIELD = "training.inner_lr"
MAX_JOBS = 64


@dataclass(frozen=True)
class SweepRequest:
    """What the dialog was accepted with."""

    plan: SweepPlan
    out: Path
    jobs: int


def default_jobs() -> int:
    """Half the cores (the app and the machine keep the rest), at least one."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        cores = os.cpu_count() or 1
    return max(1, cores // 2)


class SweepDialog(QDialog):
    def __init__(self, base: ExperimentConfig, start_directory: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("sweep_dialog")
        self.setWindowTitle("Sweep")
        self.base = base
        self._fields = sweep_fields()
        self.plan: SweepPlan | None = None
        self.rows: list[FieldRow] = []
        self._timer = QTimer(self, singleShot=True, interval=CHECK_DELAY_MS)
        self._timer.timeout.connect(self.check)

        intro = QLabel(f"Train variants of the current experiment <b>{base.name}</b> "
                       f"({base.training.iterations:,} iterations each), each trial in its own worker process.")
        intro.setWordWrap(True)
        self.rows_box = QVBoxLayout()
        self.add_button = QPushButton("Add field")
        self.add_button.setObjectName("sweep_add_field")
        self.add_button.clicked.connect(self._on_add_clicked)

        self.random_count = QSpinBox(objectName="sweep_random_count", minimum=1, maximum=10_000, value=8)
        self.random_count.setToolTip("random search: how many draws of the ranged fields (each crossed with the "
                                     "listed values and the seeds)")
        self.random_seed = QSpinBox(objectName="sweep_random_seed", minimum=0, maximum=2**31 - 1, value=0)
        random_row = QHBoxLayout()
        random_row.addWidget(self.random_count)
        random_row.addWidget(QLabel("draws, seed"))
        random_row.addWidget(self.random_seed)
        random_row.addStretch(1)
        self.random_widget = QWidget()
        self.random_widget.setLayout(random_row)
        random_row.setContentsMargins(0, 0, 0, 0)

        self.seeds = QLineEdit("0", objectName="sweep_seeds")
        self.seeds.setPlaceholderText("comma-separated seeds, e.g. 0,1,2")
        self.seeds_error = self._error_label("sweep_seeds_error")
        self.jobs = QSpinBox(objectName="sweep_jobs", minimum=1, maximum=MAX_JOBS, value=default_jobs())
        self.jobs.setToolTip("trials trained at once, each in its own process; the cores are divided between them")
        self.out = QLineEdit(objectName="sweep_out")
        self.out.setText(str(Path(start_directory) / f"{_safe(base.name)}-sweep-{time.strftime('%Y%m%d-%H%M%S')}"))
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._on_browse)
        out_row = QHBoxLayout()
        out_row.addWidget(self.out, stretch=1)
        out_row.addWidget(browse)
        self.out_error = self._error_label("sweep_out_error")
        self.summary = QLabel(objectName="sweep_summary")
        self.summary.setWordWrap(True)

        form = QFormLayout()
        form.addRow("Random search:", self.random_widget)
        form.addRow("Seeds:", self.seeds)
        form.addRow("", self.seeds_error)
        form.addRow("Parallel jobs:", self.jobs)
        form.addRow("Output folder:", out_row)
        form.addRow("", self.out_error)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.start_button = self.buttons.addButton("Start Sweep", QDialogButtonBox.ButtonRole.AcceptRole)
        self.start_button.setObjectName("sweep_start")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(QLabel("<b>Fields to vary</b>"))
        layout.addLayout(self.rows_box)
        layout.addWidget(self.add_button)
        layout.addLayout(form)
        layout.addWidget(self.summary)
        layout.addStretch(1)
        layout.addWidget(self.buttons)
        for edit in (self.seeds, self.out):
            edit.textChanged.connect(self.schedule_check)
        for spin in (self.random_count, self.random_seed, self.jobs):
            spin.valueChanged.connect(self.schedule_check)
        self.add_row(DEFAULT_FIELD)
        self.resize(720, 420)
        self.check()

    # -- rows -------------------------------------------------------------------------------
    def add_row(self, key: str | None = None, values: str | None = None) -> FieldRow:
        used = {row.key() for row in self.rows}
        key = key or next((f.key for f in self._fields if f.key not in used), DEFAULT_FIELD)
        row = FieldRow(self._fields, self.base, key, self)
        if values is not None:
            row.values.setText(values)
        row.changed.connect(self.schedule_check)
        row.removeRequested.connect(self._on_remove_row)
        self.rows.append(row)
        self.rows_box.addWidget(row)
        self.schedule_check()
        return row

    def remove_row(self, row: FieldRow) -> None:
        if row in self.rows:
            self.rows.remove(row)
            self.rows_box.removeWidget(row)
            row.deleteLater()
            self.schedule_check()

    # -- checking ---------------------------------------------------------------------------
    @Slot()
    def schedule_check(self) -> None:
        self.start_button.setEnabled(False)  # until the pending check says otherwise
        self._timer.start()

    @Slot()
    def check(self) -> bool:
        """Check every field and the whole sweep; True (and :attr:`plan` set) when it can start."""
        self._timer.stop()
        self.plan = None
        row_errors = [row.check() for row in self.rows]
        seeds_error = self._seeds_error()
        self._show(self.seeds_error, self.seeds, seeds_error)
        ranged = any(row.is_range() for row in self.rows)
        self.random_widget.setEnabled(ranged)
        out_error, summary = "", ""
        if not any(row_errors) and not seeds_error:
            try:
                plan = plan_sweep(self.base, [r.assignment() for r in self.rows if not r.is_range()],
                                  self.seeds.text(), [r.assignment() for r in self.rows if r.is_range()],
                                  self.random_count.value() if ranged else None, self.random_seed.value())
            except SweepError as err:
                summary = one_line(err)
            else:
                out_error, summary = self._check_folder(plan)
                if not out_error:
                    self.plan = plan
        self._show(self.out_error, self.out, out_error)
        self.summary.setText(summary)
        self.summary.setStyleSheet("" if self.plan is not None else f"color: {ERROR_COLOR};")
        self.start_button.setEnabled(self.plan is not None)
        return self.plan is not None

    def _seeds_error(self) -> str:
        try:
            parse_seeds(self.seeds.text())
        except SweepError as err:
            return one_line(err)
        return ""

    def _check_folder(self, plan: SweepPlan) -> tuple[str, str]:
        """(the folder's error, the summary line)."""
        text = self.out.text().strip()
        if not text:
            return "choose an output folder", ""
        out = Path(text).expanduser()
        try:
            rerun = check_directory(out, plan.record())
        except SweepError as err:
            return one_line(err).replace("--out", "folder"), ""
        trials = len(plan.trials)
        shape = " × ".join([f"{len(v)} {k.rsplit('.', 1)[-1]}" for k, v in plan.grid]
                           + ([f"{plan.random['count']} random draws"] if plan.random else [])
                           + [f"{len(plan.seeds)} seed{'s' if len(plan.seeds) > 1 else ''}"])
        line = f"{trials:,} trial{'s' if trials != 1 else ''} ({shape}), {self.jobs.value()} at a time"
        if rerun:
            if trials <= COUNTED_TRIALS:
                done = sum(trial_state(out / t.name, t.config.training.iterations)[0] == FINISHED
                           for t in plan.trials)
                line += f"; continues the sweep in this folder: {done} of {trials} finished (kept)"
            else:
                line += "; continues the sweep in this folder (finished trials are kept)"
        return "", line

    @staticmethod
    def _error_label(name: str) -> QLabel:
        label = QLabel(objectName=name)
        label.setStyleSheet(f"color: {ERROR_COLOR};")
        label.setWordWrap(True)
        label.hide()
        return label

    @staticmethod
    def _show(label: QLabel, edit: QLineEdit, message: str) -> None:
        label.setText(message)
        label.setVisible(bool(message))
        edit.setStyleSheet(f"QLineEdit {{ {INVALID_FRAME} }}" if message else "")

    # -- result -----------------------------------------------------------------------------
    def request(self) -> SweepRequest | None:
        if self.plan is None:
            return None
        return SweepRequest(self.plan, Path(self.out.text().strip()).expanduser(), self.jobs.value())

    def accept(self) -> None:
        if self.check():  # never start on a stale check
            super().accept()

    # -- slots ------------------------------------------------------------------------------
    @Slot()
    def _on_add_clicked(self) -> None:
        self.add_row()

    @Slot(object)
    def _on_remove_row(self, row: FieldRow) -> None:
        self.remove_row(row)

    @Slot()
    def _on_browse(self) -> None:
        folder = self.ask_folder()
        if not folder:
            return
        chosen = Path(folder)
        try:  # a sweep folder or an empty one is used as it is; any other gets a new folder inside
            usable = (chosen / SWEEP_FILE).is_file() or not any(chosen.iterdir())
        except OSError:
            usable = True  # the check says why it cannot be used
        self.out.setText(str(chosen if usable else chosen / Path(self.out.text().strip()).name))

    def ask_folder(self) -> str:  # replaced in tests
        return QFileDialog.getExistingDirectory(self, "Sweep output folder", str(Path(self.out.text()).parent))


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name).strip(".") or "experiment"
