"""The training figures in the window's status bar: iteration / total, iterations/s, device,
elapsed and time left, a progress bar and the training state.

Every label has a fixed size (wide enough for its longest text), so a new report repaints
the labels alone instead of laying out the whole window again, ten times a second.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Slot
from PySide6.QtWidgets import QLabel, QProgressBar, QStatusBar, QWidget

from maml_gui.core.training import Progress
from maml_gui.qt.panels.training_status import format_duration

WIDEST = {  # the longest text each label shows, for its fixed width
    "iteration": "iteration 100,000,000 / 100,000,000",
    "speed": "99,999 it/s",
    "device": "cuda (NVIDIA GeForce RTX 4090)",
    "time": "9:59:59 elapsed · 9:59:59 left",
    "state": "training",
}


class TrainingStatusBar:
    """Permanent widgets added to ``status_bar``; fed by the session's reports."""

    def __init__(self, status_bar: QStatusBar) -> None:
        self.labels: dict[str, QLabel] = {}
        for name, widest in WIDEST.items():
            label = QLabel(status_bar)
            label.setObjectName(f"statusbar_{name}")
            label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            metrics = label.fontMetrics()
            label.setFixedSize(metrics.horizontalAdvance(widest) + 8, metrics.height() + 4)
            self.labels[name] = label
        self.iteration, self.speed, self.device, self.time, self.state = (
            self.labels[name] for name in ("iteration", "speed", "device", "time", "state"))
        self.device.setToolTip("the device training runs on")
        self.progress_bar = QProgressBar(status_bar)
        self.progress_bar.setObjectName("statusbar_progress")
        self.progress_bar.setFixedSize(160, self.iteration.height())
        self.progress_bar.setTextVisible(True)
        self.progress_bar.setFormat("%p%")
        for widget in (self.iteration, self.progress_bar, self.time, self.speed, self.device, self.state):
            status_bar.addPermanentWidget(widget)
        self.total = 1
        self.current = 0
        self.reset(1)

    def widgets(self) -> list[QWidget]:
        return [*self.labels.values(), self.progress_bar]

    @Slot()
    def reset(self, total: int, iteration: int = 0) -> None:
        """A new or opened model: no speed or time yet."""
        self.speed.setText("")
        self.time.setText("")
        self.device.setText("")
        self.set_total(total)
        self.set_iteration(iteration)

    def set_total(self, total: int) -> None:
        self.total = max(int(total), 1)
        self.progress_bar.setMaximum(self.total)
        self.set_iteration(self.current)

    def set_iteration(self, iteration: int) -> None:
        self.current = max(int(iteration), 0)
        self.progress_bar.setValue(min(self.current, self.total))
        self.iteration.setText(f"iteration {iteration:,} / {self.total:,}")

    def set_state(self, text: str) -> None:
        self.state.setText(text)

    @Slot(object)
    def show_progress(self, progress: Progress) -> None:
        self.total = max(progress.total, 1)
        self.progress_bar.setMaximum(self.total)
        self.set_iteration(progress.iteration)
        if progress.iterations.size:  # a report without new iterations has no speed to tell
            self.speed.setText(f"{progress.its_per_s:,.0f} it/s")
        left = "done" if progress.finished else "stopped" if progress.stopped else \
            f"{format_duration(progress.eta_s)} left"
        self.time.setText(f"{format_duration(progress.elapsed_s)} elapsed · {left}")
        self.device.setText(progress.device)
