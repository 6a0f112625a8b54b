"""ClassifyPointsWidget: class picking, clicks of several classes, undo/redo, decision regions for
every step (equal to the engine's predictions), accuracy per step and the baseline toggle."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import torch

pytest.importorskip("pytestqt")

from PySide6.QtCore import Qt  # noqa: E402

from maml_gui.core.config import from_dict  # noqa: E402
from maml_gui.core.decision_regions import GRID_SIZE, accuracy, class_colour, region_colours  # noqa: E402
from maml_gui.core.tasks.classification.points import BlobsFamily  # noqa: E402
from maml_gui.core.training import Trainer  # noqa: E402
from maml_gui.qt.playground.classify_points import ClassifyPointsWidget  # noqa: E402

from .test_playground import click, data_to_pixel, drag  # noqa: E402

STEPS = 3


@pytest.fixture(scope="module")
def classifier():
    """A small MAML classifier on 3-way blobs, briefly trained (with its pretrained baseline)."""
    config = from_dict({
        "task": {"kind": "classification", "family": "blobs", "ways": 3, "shots": 2, "queries": 3},
        "model": {"kind": "mlp", "hidden": [16, 16]},
        "training": {"algorithm": "maml", "iterations": 8, "val_interval": 8, "val_tasks": 4, "meta_batch": 4,
                     "inner_steps": 1, "inner_lr": 0.2}})
    trainer = Trainer(config, device="cpu", threads=1)
    for _ in trainer.run():
        pass
    return trainer.snapshot()


@pytest.fixture
def playground(qtbot, classifier):
    widget = ClassifyPointsWidget()
    qtbot.addWidget(widget)
    widget.resize(1000, 700)
    widget.controls.steps_spin.setValue(STEPS)
    widget.set_family(BlobsFamily(), 3, 2, 3)
    widget.set_snapshot(classifier)
    widget.show()
    qtbot.waitExposed(widget)
    qtbot.wait(50)  # the axes size themselves after the first paint
    yield widget
    widget.shutdown()


def wait_for_all_steps(qtbot, widget) -> None:
    """Until the newest edit's regions are drawn for every step (and nothing is pending)."""
    runner = widget._runner

    def done() -> bool:
        result = widget.last_result
        return (result is not None and runner.worker._pending is None and len(widget.images) == result.steps + 1
                and result.request_id >= runner.latest_id - result.steps and result.points == tuple(widget.points()))

    qtbot.waitUntil(done, timeout=10000)


def add(qtbot, widget, x: float, y: float, key: Qt.Key | None = None) -> None:
    if key is not None:
        qtbot.keyClick(widget.plot, key)
    click(qtbot, widget.plot, data_to_pixel(widget.plot, x, y))


# -- class picking and editing ---------------------------------------------------------------
def test_keys_and_palette_pick_the_class(qtbot, playground):
    assert playground.current_class == 0
    qtbot.keyClick(playground.plot, Qt.Key.Key_2)
    assert playground.current_class == 1
    assert playground.controls.palette.buttons[1].isChecked()
    qtbot.mouseClick(playground.controls.palette.buttons[2], Qt.MouseButton.LeftButton)
    assert playground.current_class == 2
    qtbot.keyClick(playground.plot, Qt.Key.Key_7)  # a 3-way model has no class 7
    assert playground.current_class == 2
    assert "keys 1–3" in playground.hint.text()
    assert not playground.controls.palette.buttons[6].isEnabled()


def test_clicks_add_points_of_several_classes_in_their_colours(qtbot, playground):
    add(qtbot, playground, -3.0, -3.0, Qt.Key.Key_1)
    add(qtbot, playground, 3.0, 3.0, Qt.Key.Key_2)
    add(qtbot, playground, 0.0, 3.5, Qt.Key.Key_3)
    add(qtbot, playground, -2.0, -3.5, Qt.Key.Key_1)
    points = playground.points()
    assert [label for _, _, label in points] == [0, 1, 2, 0]
    assert np.array([(x, y) for x, y, _ in points]) == pytest.approx(np.array([(-3, -3), (3, 3), (0, 3.5), (-2, -3.5)]),
                                                                      abs=0.1)
    brushes = [b.color().getRgb()[:3] for b in playground.plot.support.data["brush"]]
    assert brushes == [class_colour(label) for _, _, label in points]


def test_undo_redo_of_adds_a_drag_and_a_removal(qtbot, playground):
    add(qtbot, playground, -3.0, -3.0, Qt.Key.Key_1)
    add(qtbot, playground, 3.0, 3.0, Qt.Key.Key_2)
    drag(qtbot, playground.plot, data_to_pixel(playground.plot, 3.0, 3.0), data_to_pixel(playground.plot, 1.0, -1.0))
    moved = playground.points()[1]
    assert moved[:2] == pytest.approx((1.0, -1.0), abs=0.1) and moved[2] == 1, "a drag keeps the class"
    click(qtbot, playground.plot, data_to_pixel(playground.plot, -3.0, -3.0), Qt.MouseButton.RightButton)
    assert playground.points() == [moved]
    playground.undo_stack.undo()          # the removal
    assert [p[2] for p in playground.points()] == [0, 1]
    playground.undo_stack.undo()          # the whole drag, one step
    assert playground.points()[1][:2] == pytest.approx((3.0, 3.0), abs=0.1)
    qtbot.keyClick(playground.plot, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)  # the second add
    assert len(playground.points()) == 1
    assert playground.controls.redo_button.isEnabled()
    qtbot.mouseClick(playground.controls.redo_button, Qt.MouseButton.LeftButton)
    assert len(playground.points()) == 2 and playground.points()[1][2] == 1
    playground.undo_stack.redo()
    playground.undo_stack.redo()
    assert playground.points() == [moved]
    with pytest.raises(ValueError, match="class must be 0..8"):
        playground.set_points([(0.0, 0.0, 12)])
    assert playground.points() == [moved], "a refused load changes nothing"


def test_delete_removes_the_selected_point_and_clear_is_one_step(qtbot, playground):
    add(qtbot, playground, -3.0, -3.0, Qt.Key.Key_1)
    add(qtbot, playground, 3.0, 3.0, Qt.Key.Key_3)
    click(qtbot, playground.plot, data_to_pixel(playground.plot, -3.0, -3.0))  # selects, adds nothing
    assert len(playground.points()) == 2
    qtbot.keyClick(playground.plot, Qt.Key.Key_Delete)
    assert [p[2] for p in playground.points()] == [2]
    qtbot.mouseClick(playground.controls.clear_button, Qt.MouseButton.LeftButton)
    assert playground.points() == []
    playground.undo_stack.undo()
    assert [p[2] for p in playground.points()] == [2]


# -- regions, accuracy, baseline -------------------------------------------------------------
def test_regions_for_every_step_equal_the_engine_predictions(qtbot, playground, classifier):
    playground.set_points([(-3.0, -3.0, 0), (3.0, 3.0, 1), (0.0, 4.0, 2), (-2.5, -3.5, 0)])
    wait_for_all_steps(qtbot, playground)
    result = playground.last_result
    pixels = result.grid.pixels()
    xs = torch.tensor([p[:2] for p in playground.points()])
    ys = torch.tensor([p[2] for p in playground.points()])
    expected = classifier.adapt(xs, ys, pixels, STEPS)[:, 0]
    shown = []
    for step in range(STEPS + 1):
        playground.set_step(step)
        image = playground.shown_image()
        assert image.shape == (GRID_SIZE, GRID_SIZE, 3)
        assert np.array_equal(image.reshape(-1, 3), region_colours(expected[step])), f"step {step}"
        shown.append(image.copy())
    assert not np.array_equal(shown[0], shown[-1]), "adapting changes the regions"
    for step in playground.multiples.steps:
        assert not playground.multiples.thumbnails[("model", step)].pixmap().isNull()
    before = shown[-1]
    playground.model.move(0, (4.0, -4.0, 0))   # an edit redraws the regions
    wait_for_all_steps(qtbot, playground)
    assert not np.array_equal(playground.shown_image(), before)


def test_accuracy_per_step_on_a_sampled_task(qtbot, playground, classifier):
    playground.sample_task()
    query = playground.query
    assert len(playground.points()) == 3 * 2 and len(query.x) == 3 * 3
    assert sorted({p[2] for p in playground.points()}) == [0, 1, 2]
    wait_for_all_steps(qtbot, playground)
    result = playground.last_result
    assert result.accuracy_on == "query"
    xs = torch.tensor([p[:2] for p in playground.points()])
    ys = torch.tensor([p[2] for p in playground.points()])
    logits = classifier.adapt(xs, ys, query.x, STEPS)[:, 0]
    expected = accuracy(logits.argmax(-1).numpy(), query.labels.numpy())
    assert result.accuracy == pytest.approx(expected)
    assert playground.controls.accuracy_curve.getData()[1] == pytest.approx(expected)
    for step in (0, STEPS):
        playground.set_step(step)
        assert f"after {step} step" in playground.controls.accuracy_label.text()
        assert f"{expected[step]:.0%}" in playground.controls.accuracy_label.text()
    assert len(playground.plot.query.data) == len(query.x)
    playground.undo_stack.undo()  # Sample task is one step: points and query set go back
    assert playground.points() == [] and playground.query is None


def test_baseline_toggle_adds_baseline_regions_and_accuracy(qtbot, playground, classifier):
    playground.sample_task()
    playground.controls.set_baseline_mode("pretrained")
    wait_for_all_steps(qtbot, playground)
    result = playground.last_result
    assert result.baseline_label == "pretrained baseline"
    xs = torch.tensor([p[:2] for p in playground.points()])
    ys = torch.tensor([p[2] for p in playground.points()])
    base = classifier.adapt_baseline(xs, ys, playground.query.x, STEPS)[:, 0]
    assert result.baseline_accuracy == pytest.approx(accuracy(base.argmax(-1).numpy(), playground.query.labels.numpy()))
    assert len(playground.controls.baseline_curve.getData()[1]) == STEPS + 1
    qtbot.waitUntil(lambda: len(playground.baseline_images) == STEPS + 1, timeout=10000)
    pixels = result.grid.pixels()
    expected = classifier.adapt_baseline(xs, ys, pixels, STEPS)[STEPS, 0]
    assert np.array_equal(playground.baseline_images[STEPS].reshape(-1, 3), region_colours(expected))
    assert ("baseline", STEPS) in playground.multiples.thumbnails
    with qtbot.assertNotEmitted(playground.regionsShown, wait=300):
        pass  # settled: the new thumbnail row does not set off resize -> new grid -> new request loops
    playground.controls.set_baseline_mode("off")
    wait_for_all_steps(qtbot, playground)
    assert playground.last_result.baseline_accuracy is None and not playground.baseline_images
    assert ("baseline", STEPS) not in playground.multiples.thumbnails
    assert len(playground.controls.baseline_curve.getData()[0] or []) == 0


def test_steps_control_sets_the_slider_and_the_number_of_images(qtbot, playground):
    playground.set_points([(-3.0, -3.0, 0), (3.0, 3.0, 1)])
    playground.controls.steps_spin.setValue(5)
    assert playground.step_slider.maximum() == 5
    wait_for_all_steps(qtbot, playground)
    assert sorted(playground.images) == list(range(6))
    assert playground.multiples.steps == [0, 1, 2, 3, 5]


def test_without_a_model_points_are_drawn_and_a_hint_says_what_to_do(qtbot):
    widget = ClassifyPointsWidget()
    qtbot.addWidget(widget)
    try:
        widget.set_points([(0.0, 0.0, 1)])
        qtbot.waitUntil(lambda: widget.last_result is not None, timeout=5000)
        assert widget.shown_image() is None
        assert "Train or open a classification run" in widget.hint.text()
        assert len(widget.plot.support.data) == 1
    finally:
        widget.shutdown()


def test_experiment_model_checks_and_drawn_state(qtbot, playground, classifier):
    config = from_dict({"task": {"kind": "classification", "family": "rings", "ways": 3, "shots": 4, "queries": 2}})
    playground.set_experiment(config)
    playground.sample_task()
    assert len(playground.points()) == 3 * 4 and len(playground.query.x) == 3 * 2
    state = playground.drawn_state()
    playground.restore_drawn_state({"points": [[1.0, 2.0, 2]]})
    assert playground.points() == [(1.0, 2.0, 2)] and playground.query is None
    with pytest.raises(ValueError, match="drawn points must be"):
        playground.restore_drawn_state({"points": "nope"})
    playground.restore_drawn_state(state)
    assert [list(p) for p in playground.points()] == state["points"]
    playground.set_experiment(from_dict({"task": {"kind": "classification", "family": "glyphs", "ways": 3},
                                         "model": {"kind": "conv4"}}))
    assert not playground.controls.sample_button.isEnabled(), "images are not 2-D points"
    playground.set_snapshot(replace(classifier, task_kind="regression"))
    assert "not of 2-D points" in playground.hint.text()
    qtbot.waitUntil(lambda: playground.last_result is not None and playground.last_result.adapted is None)
    assert playground.shown_image() is None


def test_the_newest_edit_wins(qtbot, playground):
    adapted: list[int] = []  # first-stage results the worker computed (fills draw more steps of one)
    playground._runner.worker.resultReady.connect(lambda r: r.fills_in or adapted.append(r.request_id))
    playground.set_points([(0.0, 0.0, 0), (1.0, 1.0, 1)])
    for x in np.linspace(-4, 4, 12):  # a drag: 12 more edits while the worker is busy
        playground.model.move(0, (float(x), 0.0, 0))
    wait_for_all_steps(qtbot, playground)
    assert playground.last_result.points == ((4.0, 0.0, 0), (1.0, 1.0, 1))
    assert len(adapted) < 13, "older edits were superseded, not queued"
