"""Training buttons and live numbers: progress, speed, time left, latest losses.

The value labels have a fixed size that grows only for a longer text (see :mod:`.fixed_labels`),
so the ten reports a second repaint them alone instead of laying out the whole window again.
"""

from __future__ import annotations

import math

from PySide6.QtCore import Slot
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QFormLayout, QHBoxLayout, QLabel, QProgressBar, QToolButton, QVBoxLayout, QWidget

from maml_gui.core.training import Progress
from maml_gui.qt.panels.fixed_labels import fit_width, fixed_label, show_text


def format_duration(seconds: float) -> str:
    """``75`` -> ``1:15``, ``3725`` -> ``1:02:05``; unknown (inf/NaN) -> ``–``."""
    if not math.isfinite(seconds) or seconds < 0:
        return "–"
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def format_count(iteration: int, total: int) -> str:
    """Iterations done of the total, as every part of the window writes them: ``1,336 / 70,000``."""
    return f"{iteration:,} / {total:,}"


ROOM_FOR = "0.1234 before → 0.1234 after"


def format_loss(value: float) -> str:
    return f"{value:.4g}" if math.isfinite(value) else str(value)


class TrainingStatusPanel(QWidget):
    """The numbers of the latest report (and buttons for ``actions``, if given: the window
    keeps its training buttons in the toolbar alone)."""

    def __init__(self, actions: list[QAction] | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("training_status")
        buttons = QHBoxLayout()
        for action in actions or ():
            button = QToolButton(self)
            button.setDefaultAction(action)
            buttons.addWidget(button)
        buttons.addStretch(1)
        self.progress_bar = QProgressBar(self)
        self.progress_bar.valueChanged.connect(self._show_count)
        self.progress_bar.setObjectName("training_progress")
        self.speed, self.time, self.losses, self.validation, self.device = (
            self._value_label(name) for name in ("speed", "time", "train_loss", "validation_loss", "device"))
        form = QFormLayout()
        form.addRow("Speed", self.speed)
        form.addRow("Elapsed / left", self.time)
        form.addRow("Train MSE", self.losses)
        form.addRow("Validation MSE", self.validation)
        form.addRow("Device", self.device)
        self.form = form
        self.set_classification(False)
        layout = QVBoxLayout(self)
        if actions:
            layout.addLayout(buttons)
        layout.addWidget(self.progress_bar)
        layout.addLayout(form)
        layout.addStretch(1)
        self.reset()

    @Slot()
    def _show_count(self) -> None:
        """``1,336 / 70,000``: the status bar's format (Qt's ``%v / %m`` has no thousands separators)."""
        bar = self.progress_bar
        bar.setFormat(format_count(bar.value(), bar.maximum()))

    def _value_label(self, name: str) -> QLabel:
        label = fixed_label(self, f"status_{name}", ROOM_FOR)
        label.setText("–")
        return label

    @Slot()
    def reset(self, total: int = 1) -> None:
        self.progress_bar.setRange(0, max(total, 1))
        self.progress_bar.setValue(0)
        self._show_count()
        for label in (self.speed, self.time, self.losses, self.validation, self.device):
            fit_width(label, ROOM_FOR)
            label.setText("–")

    def set_classification(self, classification: bool) -> None:
        """Name the rows after the experiment's metric: MSE, or loss and accuracy (set when a
        config is shown too, so an opened classification run never reads 'Train MSE')."""
        self.form.labelForField(self.losses).setText("Train loss · acc." if classification else "Train MSE")
        self.form.labelForField(self.validation).setText("Validation acc." if classification else "Validation MSE")
        what = "cross-entropy and accuracy" if classification else "MSE"
        self.losses.setToolTip(f"query {what} of the latest meta-batch, before → after the inner steps")
        self.validation.setToolTip(f"query {'accuracy' if classification else 'MSE'} on the validation tasks, "
                                   "before → after the inner steps, at the latest validation's iteration")

    def set_total(self, total: int) -> None:
        self.progress_bar.setMaximum(max(total, 1))
        self._show_count()

    def set_iteration(self, iteration: int) -> None:
        self.progress_bar.setValue(min(iteration, self.progress_bar.maximum()))

    @Slot(object)
    def show_progress(self, progress: Progress) -> None:
        self.progress_bar.setMaximum(max(progress.total, 1))
        self.progress_bar.setValue(min(progress.iteration, progress.total))
        self._show_count()
        if progress.iterations.size:  # a report without new iterations has no speed to tell
            show_text(self.speed, f"{progress.its_per_s:,.0f} it/s · meta lr {progress.meta_lr:.3g}")
        left = "done" if progress.finished else "stopped" if progress.stopped else format_duration(progress.eta_s)
        show_text(self.time, f"{format_duration(progress.elapsed_s)} / {left}")
        classification = progress.metric == "accuracy"
        self.set_classification(classification)
        if progress.loss_after.size:
            accuracy = (f" · {float(progress.accuracy_after[-1]):.0%}" if classification
                        and progress.accuracy_after is not None and progress.accuracy_after.size else "")
            show_text(self.losses, f"{format_loss(float(progress.loss_before[-1]))} → "
                                   f"{format_loss(float(progress.loss_after[-1]))}{accuracy}" if classification
                      else f"{format_loss(float(progress.loss_before[-1]))} before → "
                           f"{format_loss(float(progress.loss_after[-1]))} after")
        if progress.validation is not None:
            v = progress.validation
            if classification:
                before, after = v.curve.values[0], v.curve.values[min(progress.snapshot.train_inner_steps,
                                                                      len(v.curve.values) - 1)]
                show_text(self.validation, f"{before:.0%} → {after:.0%} at {v.iteration:,}")
            else:
                show_text(self.validation, f"{format_loss(v.loss_before)} → {format_loss(v.loss_after)} "
                                           f"at {v.iteration:,}")
        show_text(self.device, progress.device)
