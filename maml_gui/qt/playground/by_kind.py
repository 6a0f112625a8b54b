"""Which playground the window shows: one widget per kind of experiment, chosen from a registry.

The window's central widget is a :class:`PlaygroundHost`. It always holds the regression
:class:`~maml_gui.qt.playground.widget.PlaygroundWidget` (draw points, watch curves adapt) and,
for a classification experiment, the widget registered for its input:

=============  ===========================================  ==========================================
key            experiments                                   widget (until one is registered)
=============  ===========================================  ==========================================
``"points"``   ``task.kind = "classification"`` on 2-D       :class:`ClassificationPlaceholder`
               points (blobs, halfplanes, rings, ...)
``"images"``   classification on images (glyphs, folders)    :class:`ClassificationPlaceholder`
=============  ===========================================  ==========================================

How a classification playground plugs in (clspoints, clsdraw)::

    # maml_gui/qt/playground/classify_points.py
    from maml_gui.qt.playground.by_kind import register_playground
    class ClassifyPointsPlayground(QWidget): ...
    register_playground("points", ClassifyPointsPlayground)

and one import line in :data:`BUILT_IN_PLAYGROUNDS` below (the host imports those modules the
first time it needs the key, so the window never imports a playground it does not show). A factory
is called once as ``factory(parent)`` and must return a QWidget; the host keeps it and calls,
where the widget has them (every method is optional):

- ``set_experiment(config: ExperimentConfig)``: the experiment in the form (what "Sample task"
  draws from: family, ways, shots, queries, image size); called on every valid edit and when a
  run is opened or a preset loaded.
- ``set_snapshot(snapshot: ModelSnapshot | None)``: the model to adapt: a classification
  snapshot (``snapshot.task_kind == "classification"``, ``snapshot.spec.outputs`` ways,
  ``snapshot.input_shape`` its input) or None while there is none, or when the model was trained
  for another kind of experiment than the one shown. While training runs this is throttled (at
  most ~3 a second). ``snapshot.baseline_params`` holds the pretrained baseline, if trained.
  The model may have been trained with other ways or inputs than the form now shows (the user
  edits the form after training): compare ``snapshot.spec.outputs`` and ``snapshot.input_shape``.
- ``shutdown()``: stop worker threads (the window calls it when closing).
- ``undo_stack`` (a ``QUndoStack`` attribute): Edit > Undo / Redo act on it while the widget is
  shown (the host's ``undo_group``); its own Ctrl+Z shortcuts would clash with the menu's.
- ``drawn_state() -> dict | None`` / ``restore_drawn_state(state: dict)``: what the user drew, as
  JSON (the run files are written through :mod:`~maml_gui.qt.playground.draw_link` instead).
- ``drawnWorkChanged`` (a signal: every change of what was drawn, loading included),
  ``has_drawn_work() -> bool`` and ``clear_drawn_work()`` (undoable where the widget has undo):
  Edit > Clear Points acts on the playground shown; ``clear_text`` (a str attribute) names it there.

The session (``maml_gui.qt.session.ExperimentSession``) exposes the same facts for anyone who
needs them: ``session.config`` (the form), ``session.model_config`` (what the model was trained
with), ``session.snapshot`` and :func:`playground_key` of either.
"""

from __future__ import annotations

import importlib
from typing import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QUndoGroup
from PySide6.QtWidgets import QLabel, QStackedWidget, QVBoxLayout, QWidget

from maml_gui.core.config import POINT_FAMILIES, ExperimentConfig
from maml_gui.core.snapshot import ModelSnapshot

PlaygroundFactory = Callable[[QWidget], QWidget]
REGRESSION, POINTS, IMAGES = "regression", "points", "images"
# key -> modules that register that key's playground when imported (one line per playground)
BUILT_IN_PLAYGROUNDS: dict[str, tuple[str, ...]] = {POINTS: ("maml_gui.qt.playground.classify_points",),
                                                     IMAGES: ("maml_gui.qt.playground.draw_playground",)}
_factories: dict[str, PlaygroundFactory] = {}


def register_playground(key: str, factory: PlaygroundFactory) -> None:
    """Show ``factory(parent)`` for experiments of ``key`` ("points" or "images") from now on."""
    if key not in BUILT_IN_PLAYGROUNDS:
        raise ValueError(f"unknown playground key {key!r}; allowed: {', '.join(BUILT_IN_PLAYGROUNDS)}")
    _factories[key] = factory


def playground_key(config: ExperimentConfig) -> str:
    """``"regression"``, ``"points"`` (2-D point classification) or ``"images"`` (image classification)."""
    if config.task.kind != "classification":
        return REGRESSION
    return POINTS if config.task.family in POINT_FAMILIES else IMAGES


def playground_factory(key: str) -> PlaygroundFactory:
    """The registered factory for ``key``, importing its built-in modules first; the placeholder if none."""
    if key not in _factories:
        for module in BUILT_IN_PLAYGROUNDS.get(key, ()):
            importlib.import_module(module)
    return _factories.get(key, ClassificationPlaceholder)


class ClassificationPlaceholder(QWidget):
    """Says plainly what this build offers for a classification experiment, instead of a regression
    playground that would pretend: which task, which model, and where its results are shown."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("classification_placeholder")
        self.text = QLabel(self)
        self.text.setObjectName("classification_placeholder_text")
        self.text.setWordWrap(True)
        self.text.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        layout.addWidget(self.text)
        layout.addStretch(1)
        self.config: ExperimentConfig | None = None
        self.snapshot: ModelSnapshot | None = None
        self._show()

    def set_experiment(self, config: ExperimentConfig) -> None:
        self.config = config
        self._show()

    def set_snapshot(self, snapshot: ModelSnapshot | None) -> None:
        self.snapshot = snapshot
        self._show()

    def _show(self) -> None:
        task = self.config.task if self.config is not None else None
        what = (f"{task.ways}-way {task.shots}-shot classification on {task.family}" if task is not None
                else "a classification experiment")
        model = ("no model yet: Train (F5) meta-trains one" if self.snapshot is None
                 else f"model at iteration {self.snapshot.iteration:,}")
        self.text.setText(
            f"<h3>{what}</h3><p>{model}.</p><p>The interactive playground for this kind of task is not in this "
            "build yet. Its accuracy curves are in the Meta-loss and Adaptation docks; File ▸ Export saves "
            "the classifier (TorchScript with <tt>adapt</tt>, safetensors, ONNX).</p>")


class PlaygroundHost(QStackedWidget):
    """The central widget: the regression playground, or the classification one the experiment needs."""

    drawnWorkChanged = Signal()  # what was drawn in a playground changed, or another playground is shown

    def __init__(self, regression: QWidget, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("playground_host")
        self.regression = regression
        self.addWidget(regression)
        self.widgets: dict[str, QWidget] = {REGRESSION: regression}
        self.key = REGRESSION
        self._snapshot: ModelSnapshot | None = None
        # Edit > Undo / Redo act on the playground shown (each keeps its own ``undo_stack``)
        self.undo_group = QUndoGroup(self)
        self._activate_undo_stack(regression)
        self._watch(regression)

    def current(self) -> QWidget:
        return self.widgets[self.key]

    def show_experiment(self, config: ExperimentConfig) -> QWidget:
        """Show the playground for ``config`` (created the first time) and hand it the experiment."""
        key = playground_key(config)
        if key not in self.widgets:
            widget = playground_factory(key)(self)
            self.addWidget(widget)
            self.widgets[key] = widget
            self._watch(widget)
        widget = self.widgets[key]
        if key != REGRESSION and hasattr(widget, "set_experiment"):
            widget.set_experiment(config)
        if key != self.key:
            self.key = key
            self.setCurrentWidget(widget)
            self._activate_undo_stack(widget)
            self._hand_snapshot()
            self.drawnWorkChanged.emit()
        return widget

    def _watch(self, widget: QWidget) -> None:
        signal = getattr(widget, "drawnWorkChanged", None)
        if signal is not None:
            signal.connect(self.drawnWorkChanged)

    # -- Edit > Clear Points: the playground shown -------------------------------------------------
    def has_drawn_work(self) -> bool:
        """The playground shown holds something the user drew (points, drawings)."""
        widget = self.current()
        return hasattr(widget, "has_drawn_work") and widget.has_drawn_work()

    def clear_drawn_work(self) -> None:
        """Clear the playground shown (one undoable step where it has undo)."""
        widget = self.current()
        if hasattr(widget, "clear_drawn_work"):
            widget.clear_drawn_work()

    def clear_text(self) -> str:
        """The Clear action's text for the playground shown."""
        return getattr(self.current(), "clear_text", "Clear &Points")

    def _activate_undo_stack(self, widget: QWidget) -> None:
        stack = getattr(widget, "undo_stack", None)
        if stack is not None and stack not in self.undo_group.stacks():
            self.undo_group.addStack(stack)
        self.undo_group.setActiveStack(stack)

    def set_snapshot(self, snapshot: ModelSnapshot | None) -> None:
        """The session's model; each playground gets it only when it is of the kind it shows."""
        self._snapshot = snapshot
        self._hand_snapshot()

    def _hand_snapshot(self) -> None:
        snapshot = self._snapshot
        for key, widget in self.widgets.items():
            if key != self.key and key != REGRESSION:
                continue  # a hidden classification playground keeps its last model until shown again
            kind = REGRESSION if key == REGRESSION else "classification"
            fits = snapshot is not None and snapshot.task_kind == kind and (key == self.key)
            if hasattr(widget, "set_snapshot"):
                widget.set_snapshot(snapshot if fits else None)

    def shutdown(self) -> None:
        for key, widget in self.widgets.items():
            if key != REGRESSION and hasattr(widget, "shutdown"):
                widget.shutdown()
