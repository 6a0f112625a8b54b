"""The training figures in the window's status bar: iteration / total, iterations/s, device,
elapsed and time left, a progress bar and the training state.

Every label has a fixed size that only grows when a longer text comes (and shrinks back when
a new model starts): see :mod:`.fixed_labels`.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Slot
from PySide6.QtWidgets import QLabel, QProgressBar, QStatusBar

from maml_gui.core.training import Progress
from maml_gui.qt.panels.fixed_labels import fit_width, fixed_label, show_text
from maml_gui.qt.panels.training_status import format_count, format_duration

WIDEST = {  # the text each label makes room for at first
    "iteration": "iteration 99,999 / 99,999",
    "speed": "9,999 it/s",
    "device": "cpu",
    "time": "elapsed 9:59 · ETA 9:59",
    "state": "training",
}


class TrainingStatusBar:
    """Permanent widgets added to ``status_bar``; fed by the session's reports."""

    def __init__(self, status_bar: QStatusBar) -> None:
        self.labels: dict[str, QLabel] = {}
        for name, widest in WIDEST.items():
            label = fixed_label(status_bar, f"statusbar_{name}", widest)
            label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            self.labels[name] = label
        self.iteration, self.speed, self.device, self.time, self.state = (
            self.labels[name] for name in ("iteration", "speed", "device", "time", "state"))
        self.device.setToolTip("the device training runs on")
        self.progress_bar = QProgressBar(status_bar)
        self.progress_bar.setObjectName("statusbar_progress")
        self.progress_bar.setFixedSize(120, self.iteration.height())
        self.progress_bar.setTextVisible(True)
        self.progress_bar.setFormat("%p%")
        for widget in (self.iteration, self.progress_bar, self.time, self.speed, self.device, self.state):
            status_bar.addPermanentWidget(widget)
        self.total = 1
        self.current = 0
        self.reset(1)

    @Slot()
    def reset(self, total: int, iteration: int = 0) -> None:
        """A new or opened model: no speed or time yet; the labels narrow again."""
        for name, widest in WIDEST.items():
            if name != "state":
                fit_width(self.labels[name], widest)
                self.labels[name].setText("")
        self.set_total(total)
        self.set_iteration(iteration)

    def set_total(self, total: int) -> None:
        self.total = max(int(total), 1)
        self.progress_bar.setMaximum(self.total)
        self.set_iteration(self.current)

    def set_iteration(self, iteration: int) -> None:
        self.current = max(int(iteration), 0)
        self.progress_bar.setValue(min(self.current, self.total))
        show_text(self.iteration, f"iteration {format_count(self.current, self.total)}")

    @Slot(object)
    def show_progress(self, progress: Progress) -> None:
        self.total = max(progress.total, 1)
        self.progress_bar.setMaximum(self.total)
        self.set_iteration(progress.iteration)
        if progress.iterations.size:  # a report without new iterations has no speed to tell
            show_text(self.speed, f"{progress.its_per_s:,.0f} it/s")
        left = "done" if progress.finished else "stopped" if progress.stopped else \
            f"ETA {format_duration(progress.eta_s)}"
        show_text(self.time, f"elapsed {format_duration(progress.elapsed_s)} · {left}")
        show_text(self.device, progress.device)
