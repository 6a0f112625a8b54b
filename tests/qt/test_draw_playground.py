"""The image playground: strokes drawn with the mouse -> model input, undo, probabilities per step,
the Sample task view's right/wrong marks, and the drawn task saved with the run."""

from __future__ import annotations

import numpy as np
import pytest
import torch

pytest.importorskip("pytestqt")

from PySide6.QtCore import QPointF, Qt  # noqa: E402
from PySide6.QtGui import QMouseEvent  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from maml_gui.core.checkpoint import load_run, save_run  # noqa: E402
from maml_gui.core.config import ExperimentConfig  # noqa: E402
from maml_gui.core.stroke_raster import DrawingStyle  # noqa: E402
from maml_gui.core.presets import load_preset  # noqa: E402
from maml_gui.qt.playground.draw_playground import DrawPlaygroundWidget  # noqa: E402
from tests.image_classifier import small_image_classifier  # noqa: E402

LEFT, NONE = Qt.MouseButton.LeftButton, Qt.MouseButton.NoButton
CHARACTERS = [  # strokes in pad coordinates, one character per class
    [[(0.2, 0.2), (0.5, 0.5), (0.8, 0.8)], [(0.8, 0.2), (0.2, 0.8)]],
    [[(0.5, 0.1), (0.5, 0.5), (0.5, 0.9)]],
    [[(0.1, 0.5), (0.9, 0.5)], [(0.1, 0.2), (0.9, 0.2)]],
    [[(0.2, 0.8), (0.5, 0.2), (0.8, 0.8)]],
    [[(0.2, 0.2), (0.8, 0.2), (0.8, 0.8), (0.2, 0.8), (0.2, 0.2)]],
]


@pytest.fixture
def playground(qtbot):
    widget = DrawPlaygroundWidget()
    qtbot.addWidget(widget)
    widget.resize(1200, 650)
    widget.show()
    qtbot.waitExposed(widget)
    yield widget
    widget.shutdown()


def stroke(qtbot, pad, points) -> None:
    """Press, move through ``points`` (pad coordinates), release: real mouse events on the pad."""
    def send(kind, point, button, buttons):
        pos = QPointF(pad.to_widget(point))
        QApplication.sendEvent(pad, QMouseEvent(kind, pos, QPointF(pad.mapToGlobal(pos.toPoint())), button,
                                                buttons, Qt.KeyboardModifier.NoModifier))

    send(QMouseEvent.Type.MouseButtonPress, points[0], LEFT, LEFT)
    for a, b in zip(points, points[1:]):
        for i in range(1, 5):   # several moves per segment, as a hand makes
            send(QMouseEvent.Type.MouseMove, (a[0] + (b[0] - a[0]) * i / 4, a[1] + (b[1] - a[1]) * i / 4), NONE, LEFT)
    send(QMouseEvent.Type.MouseButtonRelease, points[-1], LEFT, NONE)


def draw_task(qtbot, widget, tests=(0, 3)) -> None:
    draw = widget.draw
    for n, character in enumerate(CHARACTERS):
        draw.select(("support", n, 0))
        for points in character:
            stroke(qtbot, draw.pad, points)
    for t, n in enumerate(tests):
        draw.select(("test", 0, t))
        for points in CHARACTERS[n]:
            stroke(qtbot, draw.pad, points)


def wait_for_result(qtbot, view):
    qtbot.waitUntil(lambda: view.last_result is not None and view.last_result.request_id == view._runner.latest_id,
                    timeout=10000)
    return view.last_result


def test_strokes_become_the_model_input_tensor(qtbot, playground):
    draw = playground.draw
    draw.configure(5, 1, DrawingStyle(fit=False))   # the pad maps onto the image: ink where it was drawn
    draw.select(("support", 0, 0))
    stroke(qtbot, draw.pad, [(0.1, 0.25), (0.5, 0.25), (0.9, 0.25)])
    image = draw.images[("support", 0, 0)]
    assert image.shape == (1, 28, 28) and image.dtype == torch.float32
    assert image.min() >= 0 and image.max() <= 1 and image.max() > 0.9
    rows = (image[0] > 0.3).any(dim=1).nonzero().flatten()
    assert rows.min() >= 4 and rows.max() <= 9            # y = 0.25 of 28 pixels
    assert image[0, 14:].max() == 0
    assert draw.task.support[0][0][0][0] == pytest.approx((0.1, 0.25), abs=0.01)
    thumb = draw.grid.thumbs[("support", 0, 0)].pixels    # the thumbnail shows exactly that image
    np.testing.assert_allclose(thumb, image[0].numpy())

    draw.configure(5, 1, DrawingStyle())                   # fit (default): centred, glyph-sized
    image = draw.images[("support", 0, 0)]
    rows = (image[0] > 0.3).any(dim=1).nonzero().flatten().float()
    assert abs(rows.mean().item() - 13.5) < 2


def test_undo_per_stroke_and_per_example(qtbot, playground):
    draw = playground.draw
    cell = ("support", 1, 0)
    draw.select(cell)
    with qtbot.waitSignal(draw.drawingChanged):
        stroke(qtbot, draw.pad, CHARACTERS[0][0])
    stroke(qtbot, draw.pad, CHARACTERS[0][1])
    assert len(draw.task.example(cell)) == 2
    draw.undo_button.click()                              # undo the last stroke only
    assert len(draw.task.example(cell)) == 1 and len(draw.pad.example()) == 1
    draw.undo_stack.redo()
    two_strokes = draw.task.example(cell)
    assert len(two_strokes) == 2
    draw.erase_button.click()                             # the whole example, as one step
    assert draw.task.example(cell) == () and draw.images[cell] is None
    assert draw.grid.thumbs[cell].pixels is None
    draw.undo_stack.undo()
    assert draw.task.example(cell) == two_strokes and draw.images[cell].max() > 0.9
    draw.clear_button.click()
    assert draw.task.is_empty()
    draw.undo_stack.undo()
    assert draw.task.example(cell) == two_strokes


def test_probabilities_after_each_step_of_adaptation(qtbot, playground):
    playground.set_snapshot(small_image_classifier())
    playground.steps.setValue(3)
    draw = playground.draw
    draw_task(qtbot, playground)
    result = wait_for_result(qtbot, draw)
    assert result.error == ""
    tables = draw.results.tables
    assert len(tables) == 2                                # one per drawn test
    for table in tables:
        assert table.probabilities.shape == (4, 5)         # before + 3 steps, 5 classes
        np.testing.assert_allclose(table.probabilities.sum(1), 1.0, atol=1e-6)
    np.testing.assert_allclose(tables[0].probabilities, result.probabilities[:, 0])
    # tests drawn like class 1 and class 4: their class gains from adaptation and is predicted
    assert tables[0].probabilities[-1, 0] > tables[0].probabilities[0, 0]
    assert [int(t.predicted()[-1]) for t in tables] == [0, 3]
    assert draw.results.thumbs[1].badge == "4" and draw.grid.thumbs[("test", 0, 1)].badge == "4"

    before = tables[0].probabilities.copy()
    playground.steps.setValue(5)                           # more steps: the tables grow and change
    wait_for_result(qtbot, draw)
    assert draw.results.tables[0].probabilities.shape == (6, 5)
    np.testing.assert_allclose(draw.results.tables[0].probabilities[:4], before, atol=1e-6)
    draw.select(("test", 0, 1))
    draw.erase_selected()                                  # an edit supersedes: one table left
    wait_for_result(qtbot, draw)
    assert len(draw.results.tables) == 1


def test_drawing_without_a_classifier_says_what_to_do(qtbot, playground):
    draw = playground.draw
    draw.select(("support", 0, 0))
    stroke(qtbot, draw.pad, CHARACTERS[0][0])
    result = wait_for_result(qtbot, draw)
    assert "Train or open an image classifier" in result.error
    assert draw.results.message.text() == result.error and not draw.results.tables


def test_sample_task_marks_right_and_wrong_per_step(qtbot, playground):
    playground.set_snapshot(small_image_classifier())
    playground.steps.setValue(4)
    playground.set_experiment(load_preset("glyphs-5way-1shot"))   # samples a task of its test classes
    sample = playground.sample
    result = wait_for_result(qtbot, sample)
    assert sample.batch is result.batch and len(sample.query_thumbs) == 10
    assert result.probabilities.shape == (5, 10, 5)
    truth = sample.batch[3].numpy()
    for step in (0, 4, 2):
        sample.slider.setValue(step)
        assert sample.marks() == list(result.predictions()[step] == truth)
        assert [t.badge[0] for t in sample.query_thumbs] == [str(p + 1) for p in result.predictions()[step]]
    np.testing.assert_allclose(result.accuracy, (result.predictions() == truth).mean(1))
    np.testing.assert_allclose(sample.curve.getData()[1], result.accuracy)
    old = sample.batch[0].clone()
    sample.sample_button.click()
    wait_for_result(qtbot, sample)
    assert not torch.equal(sample.batch[0], old)


def test_drawn_task_saved_and_reloaded(qtbot, playground, tmp_path):
    playground.set_snapshot(small_image_classifier())
    draw_task(qtbot, playground, tests=(2,))
    drawn = playground.drawn_task()
    images = {cell: image.clone() for cell, image in playground.draw.images.items() if image is not None}
    save_run(tmp_path, ExperimentConfig(), drawing=drawn)
    playground.draw.clear_all()
    assert playground.drawn_task().is_empty()

    playground.set_drawn_task(load_run(tmp_path).drawing)
    assert playground.drawn_task() == drawn
    assert not playground.draw.undo_stack.canUndo()        # loading is not an edit
    for cell, image in images.items():
        assert torch.equal(playground.draw.images[cell], image)
    assert wait_for_result(qtbot, playground.draw).tests == (0,)
    state = playground.drawn_state()
    playground.draw.clear_all()
    assert playground.drawn_state() is None
    playground.restore_drawn_state(state)
    assert playground.drawn_task() == drawn
    from maml_gui.core.run_validation import RunError
    with pytest.raises(RunError):
        playground.restore_drawn_state({"format": "maml-gui-drawing", "ways": 5})
    assert playground.drawn_task() == drawn                 # nothing lost on bad input


def test_the_session_saves_the_drawn_task_with_the_experiment(qtbot, playground, tmp_path):
    from maml_gui.qt.session import ExperimentSession
    from tests.qt.helpers import tiny_config

    draw_task(qtbot, playground, tests=(1,))
    saving = ExperimentSession(tiny_config())
    saving.drawing_provider = playground.drawn_task
    assert saving.save_run(tmp_path / "run")
    opening = ExperimentSession()
    loaded = []
    opening.drawing_loaded.connect(loaded.append)
    assert opening.open_run(tmp_path / "run")
    assert loaded == [playground.drawn_task()]
    playground.draw.clear_all()                           # saved again with a cleared pad: no drawing left
    assert saving.save_run(tmp_path / "run") and load_run(tmp_path / "run").drawing is None


def test_a_stroke_past_the_file_limits_is_refused_and_said(qtbot, playground, monkeypatch):
    from maml_gui.core import drawn_task

    monkeypatch.setattr(drawn_task, "MAX_STROKES", 2)
    draw = playground.draw
    draw.select(("support", 0, 0))
    for points in CHARACTERS[4] + CHARACTERS[0]:   # three strokes
        stroke(qtbot, draw.pad, points)
    assert len(draw.task.example(("support", 0, 0))) == 2 and len(draw.pad.example()) == 2
    assert "At most 2 strokes" in draw.where.text()


def test_fewer_classes_and_more_examples_are_chosen_and_undone(qtbot, playground):
    playground.set_snapshot(small_image_classifier())   # 5 outputs
    draw = playground.draw
    draw_task(qtbot, playground, tests=(1,))
    assert draw.ways_spin.maximum() == 5
    draw.ways_spin.setValue(3)
    draw.shots_spin.setValue(2)
    assert (draw.task.ways, draw.task.shots) == (3, 2) and len(draw.grid.thumbs) == 3 * 2 + 3
    assert draw.task.support[1][0] and not draw.task.support[1][1]    # drawings kept where they fit
    result = wait_for_result(qtbot, draw)
    assert "class 1, example 2" in result.error                       # the new examples are still to draw
    playground.set_snapshot(small_image_classifier(seed=1))           # a new model keeps the chosen size
    assert (draw.task.ways, draw.task.shots) == (3, 2)
    draw.undo_stack.undo()
    draw.undo_stack.undo()
    assert (draw.task.ways, draw.task.shots) == (5, 1) and draw.ways_spin.value() == 5
    assert draw.task.support[4][0]                                    # class 5 is back with its drawing


@pytest.fixture
def glyph_run(tmp_path):
    """A glyphs-5way-1shot run made by the CLI (tiny: 4 filters, 2 iterations)."""
    from maml_gui.cli import main

    run = tmp_path / "glyph-run"
    overrides = ["model.filters=4", "training.meta_batch=2", "task.queries=1", "training.val_interval=2",
                 "training.val_tasks=2", "training.baseline=false"]
    args = ["train", "--preset", "glyphs-5way-1shot", "--iterations", "2", "--threads", "1", "--quiet",
            "--out", str(run)]
    for override in overrides:
        args += ["--set", override]
    assert main(args) == 0
    return run


def test_the_window_draws_on_a_cli_made_glyph_run_and_saves_the_drawing(qtbot, glyph_run):
    from maml_gui.qt import settings as keys
    from maml_gui.qt.main_window import MainWindow

    def open_window(run):
        window = MainWindow()
        window.settings.set(keys.CONFIRM_DISCARD, False)
        qtbot.addWidget(window)
        window.show()
        assert window.session.open_run(run)
        return window

    window = open_window(glyph_run)
    playground = window.playground_host.current()
    assert isinstance(playground, DrawPlaygroundWidget)
    assert playground.draw.snapshot is window.session.snapshot and playground.draw.snapshot.iteration == 2
    sampled = wait_for_result(qtbot, playground.sample)   # sampled before the model arrived: adapted after
    assert sampled.error == "" and sampled.probabilities.shape == (6, 10, 5)
    draw_task(qtbot, playground, tests=(3,))
    result = wait_for_result(qtbot, playground.draw)
    assert result.error == "" and result.probabilities.shape == (6, 1, 5)
    assert window.session.save_run()                                  # into the opened run
    assert load_run(glyph_run).drawing == playground.drawn_task()
    drawn = playground.drawn_task()
    window.close()

    again = open_window(glyph_run)
    assert again.playground_host.current().drawn_task() == drawn
    again.close()
