"""The image-classification playground: "Draw your own task" and "Sample task" in two tabs.

Given a meta-trained image classifier (a :class:`ModelSnapshot` of Conv-4 on images) and the
image family it was trained on, the user draws K examples of each of N characters and test
characters and sees the class probabilities before adaptation and after each inner step, or
samples a task of unseen classes and sees each query's prediction per step. The inner steps
and the inner learning rate are shared by both tabs; adaptation runs off the UI thread.
"""

from __future__ import annotations

from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import QDoubleSpinBox, QHBoxLayout, QLabel, QSpinBox, QTabWidget, QVBoxLayout, QWidget

from maml_gui.core.drawn_task import DrawnTask
from maml_gui.core.snapshot import ModelSnapshot
from maml_gui.core.stroke_raster import DrawingStyle, style_for_images

from maml_gui.qt.panels.algorithm_names import model_algorithm_name

from .draw_sample_view import SampleTaskView
from .draw_task_widget import DrawTaskWidget

DEFAULT_STEPS = 5
MAX_STEPS = 50


class DrawPlaygroundWidget(QWidget):
    drawingChanged = Signal()  # an edit of the drawn task (to mark the experiment modified)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.steps = QSpinBox()
        self.steps.setRange(0, MAX_STEPS)
        self.steps.setValue(DEFAULT_STEPS)
        self.steps.setToolTip("Inner gradient steps on the support drawings")
        self.lr = QDoubleSpinBox()
        self.lr.setDecimals(4)
        self.lr.setRange(0.0, 10.0)
        self.lr.setSingleStep(0.05)
        self.lr.setSpecialValueText("model's own")
        self.lr.setToolTip("Inner learning rate; 'model's own' uses the rate (or learned rates) it was trained with")
        self.model_label = QLabel()
        self.draw = DrawTaskWidget(self.steps.value, self._lr)
        self.sample = SampleTaskView(self.steps.value, self._lr)
        self.tabs = QTabWidget()
        self.tabs.addTab(self.draw, "Draw your own task")
        self.tabs.addTab(self.sample, "Sample task")

        header = QHBoxLayout()
        header.addWidget(self.model_label, stretch=1)
        header.addWidget(QLabel("Inner steps"))
        header.addWidget(self.steps)
        header.addWidget(QLabel("Inner lr"))
        header.addWidget(self.lr)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addLayout(header)
        layout.addWidget(self.tabs, stretch=1)

        self.steps.valueChanged.connect(self._on_settings_changed)
        self.lr.valueChanged.connect(self._on_settings_changed)
        self.draw.drawingChanged.connect(self.drawingChanged)
        self.set_snapshot(None)

    def _lr(self) -> float | None:
        return self.lr.value() or None

    # -- API for the main window --------------------------------------------------------------
    def set_snapshot(self, snapshot: ModelSnapshot | None) -> None:
        if snapshot is None:
            self.model_label.setText("No model yet: train or open an image classifier.")
        else:
            name = model_algorithm_name(snapshot.algorithm, snapshot.rates.per_step is not None)
            self.model_label.setText(f"Adapting the meta-learned {name} classifier (iteration {snapshot.iteration:,})")
        self.draw.set_snapshot(snapshot)
        self.sample.set_snapshot(snapshot)

    def set_family(self, family, ways: int, shots: int) -> None:
        """The image family the model learns from: its size, channels and ink polarity shape the
        drawings; Sample task draws from its test classes."""
        shape = tuple(getattr(family, "input_shape", ()))
        if len(shape) == 3:
            style = DrawingStyle(shape[1], shape[0])
            if getattr(family, "name", "") not in ("glyphs", "omniglot"):  # unknown paper: look at it
                try:
                    sample = family.sample(1, 2, 1, 1, split="train").x_support
                    style = style_for_images(sample, shape[0], shape[1])
                except ValueError:
                    pass
            self.draw.configure(ways, shots, style)
        self.sample.set_family(family, ways, shots)
        if self.sample.batch is None and family is not None:
            self.sample.sample_task()

    def drawn_task(self) -> DrawnTask:
        return self.draw.task

    def set_drawn_task(self, task: DrawnTask | None) -> None:
        self.draw.set_drawn_task(task)

    def shutdown(self) -> None:
        self.draw.shutdown()
        self.sample.shutdown()

    @Slot()
    def _on_settings_changed(self) -> None:
        self.draw.request_adaptation()
        self.sample.request_adaptation()
