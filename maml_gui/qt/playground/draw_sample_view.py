"""Sample task: a task drawn from the family's unseen (test) classes, adapted step by step.

The support images sit in one row per class; below them the query images, each badged with its
predicted class after the step chosen on the slider, framed green when right and red when
wrong. A small plot shows the accuracy on the queries after 0..S steps. The adaptation runs on
its own :class:`AdaptationRunner` thread, like the drawing pad's.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
import torch
from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QGridLayout, QHBoxLayout, QLabel, QPushButton, QScrollArea, QSlider, QVBoxLayout, QWidget

from maml_gui.core.drawn_adaptation import ClassProbabilities, SampledRequest, compute
from maml_gui.core.snapshot import ModelSnapshot

from .adaptation import AdaptationRunner
from .draw_cells import ImageThumb, class_colour, model_view
from .draw_probabilities import step_label

RIGHT, WRONG = QColor("#2ca02c"), QColor("#d62728")
QUERIES_PER_CLASS = 2   # shown per class (a full query set of 15 per class would not fit)
SIDE = 48


class SampleTaskView(QWidget):
    adaptationShown = Signal(int)
    taskSampled = Signal(object)  # the new task's (x_support, y_support, x_query, y_query)

    def __init__(self, steps=lambda: 5, lr=lambda: None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._steps, self._lr = steps, lr
        self.task_config = None   # the experiment's TaskConfig: what Sample task draws from
        self.snapshot: ModelSnapshot | None = None
        self.batch = None   # (x_support, y_support, x_query, y_query) of the task shown
        self.last_result: ClassProbabilities | None = None
        self.query_thumbs: list[ImageThumb] = []
        self._generator = torch.Generator()
        self._generator.seed()
        self._seed: int | None = None  # of the task being sampled or shown
        self._runner = AdaptationRunner(self, compute=compute)
        self._runner.resultReady.connect(self._on_result)

        self.sample_button = QPushButton("Sample task")
        self.sample_button.setToolTip("Draw a task from classes the model never trained on (R)")
        self.sample_button.setShortcut("R")
        self.sample_button.clicked.connect(self.sample_task)
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setRange(0, 5)
        self.slider.setPageStep(1)
        self.slider.valueChanged.connect(self._show_step)
        self.step_text = QLabel()
        self.accuracy_text = QLabel()
        self.accuracy_text.setWordWrap(True)
        self.plot = pg.PlotWidget()
        self.plot.setMaximumHeight(170)
        self.plot.setLabel("bottom", "inner steps")
        self.plot.setLabel("left", "query accuracy")
        self.plot.setYRange(0, 1)
        self.plot.setXRange(0, 5)
        self.plot.setMouseEnabled(False, False)
        self.curve = self.plot.plot([], [], pen=pg.mkPen("#1f77b4", width=1), symbol="o", symbolSize=6)
        self.marker = pg.InfiniteLine(angle=90, pen=pg.mkPen("#888", style=Qt.PenStyle.DashLine))
        self.plot.addItem(self.marker)

        self._images = QWidget()
        self._grid = QGridLayout(self._images)
        self._grid.setSpacing(3)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self._images)
        top = QHBoxLayout()
        top.addWidget(self.sample_button)
        top.addWidget(QLabel("Show step:"))
        top.addWidget(self.slider, stretch=1)
        top.addWidget(self.step_text)
        side = QVBoxLayout()
        side.addWidget(self.plot)
        side.addWidget(self.accuracy_text)
        side.addStretch(1)
        body = QHBoxLayout()
        body.addWidget(scroll, stretch=3)
        body.addLayout(side, stretch=2)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addLayout(body, stretch=1)

    # -- API ----------------------------------------------------------------------------------
    def set_task_config(self, task_config) -> None:
        """The image task distribution Sample task draws from (its test classes); a new one samples anew."""
        changed = task_config != self.task_config
        self.task_config = task_config
        if changed and (self.batch is not None or self._seed is not None):
            self.sample_task()

    def set_snapshot(self, snapshot: ModelSnapshot | None) -> None:
        self.snapshot = snapshot
        self.request_adaptation()

    def sample_task(self) -> None:
        """Sample a new task on the worker thread (a folder is decoded there on first use)."""
        if self.task_config is None:
            self.accuracy_text.setText("No image task distribution to sample from.")
            return
        if not self._runner.is_running():
            return
        self._seed = int(torch.randint(0, 2 ** 62, (1,), generator=self._generator).item())
        self.batch = None
        self.accuracy_text.setText("Sampling a task…")
        self.request_adaptation()

    def shutdown(self) -> None:
        self._runner.shutdown()

    def request_adaptation(self) -> None:
        """Adapt to the task shown; while one is being sampled, sample it again (same seed) for the new settings."""
        if not self._runner.is_running() or (self.batch is None and self._seed is None):
            return
        self._runner.submit(SampledRequest(self._runner.next_request_id(), self.snapshot, self._steps(), self._lr(),
                                           batch=self.batch, task_config=self.task_config,
                                           queries=QUERIES_PER_CLASS, seed=self._seed or 0))

    # -- drawing ------------------------------------------------------------------------------
    def _lay_out(self) -> None:
        while self._grid.count():
            widget = self._grid.takeAt(0).widget()
            if widget is not None:
                widget.deleteLater()
        x_support, y_support, x_query, y_query = self.batch
        ways = int(y_support.max()) + 1
        self._grid.addWidget(QLabel("<b>Support</b>"), 0, 0, 1, 4)
        columns = {}
        for image, label in zip(x_support, y_support.tolist()):
            column = columns[label] = columns.get(label, 0) + 1
            thumb = ImageThumb(class_colour(label), SIDE)
            thumb.set_pixels(model_view(image))
            thumb.set_badge(str(label + 1), class_colour(label))
            self._grid.addWidget(thumb, 1 + label, column)
        for label in range(ways):
            self._grid.addWidget(QLabel(f"<b style='color:{class_colour(label).name()}'>{label + 1}</b>"), 1 + label, 0)
        row = 2 + ways
        self._grid.addWidget(QLabel("<b>Queries</b> (badge: predicted class; green right, red wrong)"), row, 0, 1, 8)
        self.query_thumbs = []
        per_row = max(5, ways)
        for i, image in enumerate(x_query):
            thumb = ImageThumb(QColor("#999"), SIDE, key=i)
            thumb.set_pixels(model_view(image))
            thumb.setToolTip(f"query {i + 1}: true class {int(y_query[i]) + 1}")
            self._grid.addWidget(thumb, row + 1 + i // per_row, 1 + i % per_row)
            self.query_thumbs.append(thumb)
        self._grid.setRowStretch(self._grid.rowCount(), 1)
        self._grid.setColumnStretch(per_row + 2, 1)

    @Slot(object)
    def _on_result(self, result: ClassProbabilities) -> None:
        self.last_result = result
        if result.batch is not None and result.batch is not self.batch:
            self.batch = result.batch
            self._lay_out()
            self.taskSampled.emit(self.batch)
        if result.error or result.probabilities is None:
            self.accuracy_text.setText(result.error)
            self.curve.setData([], [])
        else:
            steps = result.probabilities.shape[0] - 1
            self.slider.setRange(0, steps)
            if self.slider.value() > steps or self.slider.value() == 0:
                self.slider.setValue(steps)
            accuracy = result.accuracy
            self.curve.setData(np.arange(steps + 1), accuracy)
            self.plot.setXRange(0, max(steps, 1))
            self.accuracy_text.setText("Accuracy: " + " · ".join(
                f"{step_label(s)} {100 * a:.0f}%" for s, a in enumerate(accuracy)))
            self._show_step()
        self.adaptationShown.emit(result.request_id)

    @Slot()
    def _show_step(self) -> None:
        step = self.slider.value()
        self.step_text.setText(step_label(step))
        self.marker.setValue(step)
        result = self.last_result
        if result is None or result.probabilities is None or self.batch is None:
            return
        if step >= result.probabilities.shape[0] or len(self.query_thumbs) != result.probabilities.shape[1]:
            return
        predicted = result.predictions()[step]
        truth = self.batch[3].tolist()
        for thumb, guess, label in zip(self.query_thumbs, predicted.tolist(), truth):
            right = guess == label
            thumb.colour = RIGHT if right else WRONG
            thumb.set_selected(True)
            thumb.set_badge(f"{guess + 1}{'✓' if right else '✗'}", RIGHT if right else WRONG)

    def marks(self) -> list[bool]:
        """Whether each query thumbnail is marked right, at the shown step (for tests)."""
        return [thumb.colour == RIGHT for thumb in self.query_thumbs]
