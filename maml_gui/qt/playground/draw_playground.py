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

from maml_gui.core.drawn_task import DrawnTask, parse_drawn_task
from maml_gui.core.snapshot import ModelSnapshot
from maml_gui.core.stroke_raster import DrawingStyle, style_for_images

from maml_gui.qt.panels.algorithm_names import model_algorithm_name

from .by_kind import IMAGES, register_playground
from .draw_sample_view import SampleTaskView
from .draw_task_widget import DrawTaskWidget

BRIGHT_INK_FAMILIES = ("glyphs", "omniglot")  # bright ink on dark, as the glyphs and the inverted Omniglot
DEFAULT_STEPS = 5
MAX_STEPS = 50


class DrawPlaygroundWidget(QWidget):
    drawingChanged = Signal()  # an edit of the drawn task (to mark the experiment modified)
    drawnWorkChanged = Signal()  # every change of the drawn task, loading included (the playground host's)
    clear_text = "Clear &Drawings"  # Edit > Clear Points while this playground is shown

    def __init__(self, parent: QWidget | None = None, undo_shortcuts: bool = True) -> None:
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
        self.draw = DrawTaskWidget(self.steps.value, self._lr, undo_shortcuts=undo_shortcuts)
        self.undo_stack = self.draw.undo_stack  # the drawings' edits: Edit > Undo / Redo in the window
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
        self.draw.model.changed.connect(self.drawnWorkChanged)
        self.sample.taskSampled.connect(self._on_task_sampled)
        self._sampled_polarity: bool | None = None
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

    def set_experiment(self, config) -> None:
        """The experiment in the form: its image size and channels shape the drawings, its K shots the
        grid (N ways: the model's outputs once there is a model); Sample task draws from its test classes."""
        task = config.task
        known_polarity = task.family in BRIGHT_INK_FAMILIES
        style = DrawingStyle(task.image_size, task.channels,
                             True if known_polarity or self._sampled_polarity is None else self._sampled_polarity)
        ways = self.draw.snapshot.spec.outputs if self._fits(self.draw.snapshot) else task.ways
        self.draw.configure(ways, task.shots, style)
        if task != self.sample.task_config:
            self._sampled_polarity = None
        self.sample.set_task_config(task)
        if self.sample.batch is None:
            self.sample.sample_task()

    @staticmethod
    def _fits(snapshot: ModelSnapshot | None) -> bool:
        return snapshot is not None and snapshot.task_kind == "classification" and len(snapshot.input_shape) == 3

    @Slot(object)
    def _on_task_sampled(self, batch) -> None:
        """Folders of unknown paper: draw with the polarity their images have."""
        task = self.sample.task_config
        if task is None or task.family in BRIGHT_INK_FAMILIES:
            return
        style = style_for_images(batch[0], task.channels, task.image_size)
        self._sampled_polarity = style.ink_bright
        self.draw.configure(self.draw.task.ways, self.draw.task.shots,
                            DrawingStyle(self.draw.style.image_size, self.draw.style.channels, style.ink_bright))

    def drawn_task(self) -> DrawnTask:
        return self.draw.task

    def set_drawn_task(self, task: DrawnTask | None) -> None:
        self.draw.set_drawn_task(task)

    def has_drawn_work(self) -> bool:
        return not self.drawn_task().is_empty()

    def clear_drawn_work(self) -> None:
        """Erase every drawing, as one step Undo (Ctrl+Z) takes back."""
        self.draw.clear_all()

    def drawn_state(self) -> dict | None:
        """The drawn task as the JSON document of ``drawing.json``; None when nothing is drawn."""
        task = self.drawn_task()
        return None if task.is_empty() else task.to_json()

    def restore_drawn_state(self, state: dict) -> None:
        """Show a document from :meth:`drawn_state`; RunError (one line) when it is malformed."""
        self.set_drawn_task(parse_drawn_task(state))

    def shutdown(self) -> None:
        self.draw.shutdown()
        self.sample.shutdown()

    @Slot()
    def _on_settings_changed(self) -> None:
        self.draw.request_adaptation()
        self.sample.request_adaptation()


def create_draw_playground(parent: QWidget) -> DrawPlaygroundWidget:
    """The playground host's factory: there the window's Edit menu owns Ctrl+Z / Ctrl+Shift+Z / Ctrl+Y."""
    return DrawPlaygroundWidget(parent, undo_shortcuts=False)


register_playground(IMAGES, create_draw_playground)
