"""The decision-regions pipeline of the 2-D classification playground (GUI thread side).

:class:`StepRegions` sends :class:`RegionRequest`s to an :class:`AdaptationRunner` (worker
thread, latest request wins, stale results dropped) and draws what comes back: the first
result of an edit brings the regions of the step on screen and every step's accuracy; then it
asks for the other steps one request at a time (the step on screen first, then the small
multiples, then the rest), so a new edit never waits long behind them.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtWidgets import QLabel, QSlider

from maml_gui.core.decision_regions import GRID_SIZE, RegionGrid
from maml_gui.core.snapshot import ModelSnapshot
from maml_gui.core.tasks.classification import POINT_RANGE

from .adaptation import AdaptationRunner
from .classify_points_controls import ClassifyControls
from .classify_points_plot import ClassifyPointsPlot, SmallMultiples, small_multiple_steps
from .classify_points_requests import QuerySet, RegionRequest, RegionResult, compute_regions
from .prediction import BASELINE_OFF


class StepRegions(QObject):
    regionsShown = Signal(int)     # request id of an edit whose regions (the step on screen) are drawn
    allStepsShown = Signal(int)    # ... and once every step's image is drawn
    failed = Signal(str)           # a one-line error from the worker
    resultChanged = Signal()       # a new edit's first result (accuracy, baseline label) arrived

    def __init__(self, plot: ClassifyPointsPlot, multiples: SmallMultiples, controls: ClassifyControls,
                 slider: QSlider, step_label: QLabel, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.plot, self.multiples, self.controls = plot, multiples, controls
        self.slider, self.step_label = slider, step_label
        self.runner = AdaptationRunner(self, compute=compute_regions)
        self.last_result: RegionResult | None = None  # the newest edit's first result (accuracy, adapted steps)
        self.images: dict[int, np.ndarray] = {}
        self.baseline_images: dict[int, np.ndarray] = {}
        self.query: QuerySet | None = None  # the sampled task's query points, drawn as diamonds
        self.runner.resultReady.connect(self._on_result)
        slider.valueChanged.connect(self._on_step_changed)
        multiples.stepClicked.connect(slider.setValue)

    @property
    def shown_step(self) -> int:
        return self.slider.value()

    def set_steps_range(self, steps: int) -> None:
        self.slider.setRange(0, steps)
        self.multiples.set_steps(small_multiple_steps(steps), self.controls.baseline_mode() != BASELINE_OFF)
        self.multiples.mark_current(self.shown_step)
        self.step_label.setText(f"{self.shown_step} / {steps}")

    def current_grid(self) -> RegionGrid:
        """A GRID_SIZE x GRID_SIZE grid over what the plot shows (the regions follow pan and zoom)."""
        (x0, x1), (y0, y1) = self.plot.viewRange()
        if not (x1 > x0 and y1 > y0):
            return RegionGrid(*POINT_RANGE, *POINT_RANGE, GRID_SIZE)
        return RegionGrid(float(x0), float(x1), float(y0), float(y1), GRID_SIZE)

    def request(self, snapshot: ModelSnapshot | None, points: tuple) -> None:
        """Adapt ``snapshot`` to ``points`` (x, y, class) with the controls' settings (newest wins)."""
        if not self.runner.is_running():
            return
        steps = self.controls.steps()
        self.runner.submit(RegionRequest(
            request_id=self.runner.next_request_id(), snapshot=snapshot, points=points, steps=steps,
            draw_steps=(min(self.shown_step, steps),), lr=self.controls.lr(),
            baseline=self.controls.baseline_mode(), grid=self.current_grid(), query=self.query))

    def _request_fill(self) -> None:
        """Ask for the next step image not drawn yet (the step on screen first); emit when done."""
        result = self.last_result
        if result is None or result.adapted is None or not self.runner.is_running():
            return
        order = [self.shown_step, *self.multiples.steps, *range(result.steps + 1)]
        missing = [s for s in order if 0 <= s <= result.steps and s not in self.images]
        if not missing:
            self.allStepsShown.emit(result.request_id)
            return
        self.runner.submit(RegionRequest(
            request_id=self.runner.next_request_id(), snapshot=result.adapted.snapshot, points=(),
            steps=result.steps, draw_steps=(missing[0],), grid=result.grid, adapted=result.adapted,
            baseline_adapted=result.baseline_adapted))

    @Slot(object)
    def _on_result(self, result: RegionResult) -> None:
        if result.error:
            self.failed.emit(result.error)
            return
        if not result.fills_in:
            self.last_result = result
            self.images, self.baseline_images = {}, {}
            for step in self.multiples.steps:
                self.multiples.show_image("model", step, None)
                self.multiples.show_image("baseline", step, None)
        self.images.update(result.images)
        self.baseline_images.update(result.baseline_images)
        if not result.fills_in or self.shown_step in result.images:
            self.show_step()  # the big plot first: it is what the user watches
        if not result.fills_in:
            self.regionsShown.emit(result.request_id)
            self.resultChanged.emit()
        points = self.last_result.points if self.last_result is not None else ()
        for row, images in (("model", result.images), ("baseline", result.baseline_images)):
            for step, image in images.items():
                self.multiples.show_image(row, step, image, result.grid, points)
        self._request_fill()

    @Slot(int)
    def _on_step_changed(self, step: int) -> None:
        self.step_label.setText(f"{step} / {self.slider.maximum()}")
        self.multiples.mark_current(step)
        self.show_step()
        if step not in self.images:
            self._request_fill()

    def show_step(self) -> None:
        """The regions, accuracy and query marks of the step on screen."""
        result, step, query = self.last_result, self.shown_step, self.query
        usable = result is not None and result.adapted is not None
        self.plot.show_regions(self.images.get(step) if usable else None, result.grid if usable else None)
        if usable:
            self.controls.show_accuracy(result.accuracy, result.baseline_accuracy, result.accuracy_on, step,
                                        result.baseline_label)
        else:
            self.controls.show_accuracy(None, None, "", step)
        wrong = None
        if usable and query is not None and result.accuracy_on == "query" and step < len(result.predicted) \
                and result.predicted.shape[1] == len(query.labels):
            wrong = result.predicted[step] != query.labels.numpy()
        self.plot.show_query(None if query is None else query.x.numpy(),
                             None if query is None else query.labels.numpy(), wrong)

    def shutdown(self) -> None:
        self.runner.shutdown()
