"""The drawn task: its file (saved with the run, validated on load) and its adaptation."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from maml_gui.core.checkpoint import DRAWING, load_run, save_run
from maml_gui.core.config import ExperimentConfig
from maml_gui.core.drawn_adaptation import (DrawnRequest, SampledRequest, adapt_drawn_task, adapt_sampled_task,
                                            class_probabilities)
from maml_gui.core.drawn_task import DrawnTask, parse_drawn_task
from maml_gui.core.presets import load_preset
from maml_gui.core.run_validation import RunError
from maml_gui.core.stroke_raster import DrawingStyle, rasterise_all
from maml_gui.core.tasks.classification.glyphs import GlyphFamily
from tests.image_classifier import small_image_classifier

SHAPES = [  # five characters as strokes in pad coordinates
    (((0.2, 0.2), (0.8, 0.8)), ((0.8, 0.2), (0.2, 0.8))),
    (((0.5, 0.1), (0.5, 0.9)),),
    (((0.1, 0.5), (0.9, 0.5)), ((0.1, 0.2), (0.9, 0.2))),
    (((0.2, 0.8), (0.5, 0.2), (0.8, 0.8)),),
    (((0.2, 0.2), (0.8, 0.2), (0.8, 0.8), (0.2, 0.8), (0.2, 0.2)),),
]


def drawn_task(tests=(0, 3)) -> DrawnTask:
    task = DrawnTask.empty(5, 1, len(tests))
    for n, shape in enumerate(SHAPES):
        task = task.with_example(("support", n, 0), shape)
    for t, n in enumerate(tests):
        task = task.with_example(("test", 0, t), SHAPES[n])
    return task


def test_drawn_task_saved_with_the_run_and_read_back(tmp_path):
    task = drawn_task()
    save_run(tmp_path, ExperimentConfig(), drawing=task)
    loaded = load_run(tmp_path).drawing
    assert loaded == task
    assert json.loads((tmp_path / DRAWING).read_text())["ways"] == 5
    save_run(tmp_path, ExperimentConfig(), drawing=DrawnTask.empty(5, 1))   # cleared pad: file removed
    assert not (tmp_path / DRAWING).exists() and load_run(tmp_path).drawing is None
    save_run(tmp_path, ExperimentConfig())                                  # no drawing given: untouched
    assert load_run(tmp_path).drawing is None


@pytest.mark.parametrize("change, message", [
    (lambda d: d.update(format="other"), "not written by MAML Studio"),
    (lambda d: d.update(format_version=99), "newer"),
    (lambda d: d.update(ways=0), "ways"),
    (lambda d: d["support"].pop(), "support must be a list of 5"),
    (lambda d: d["support"][1].append([]), "class 1 must hold 1 examples"),
    (lambda d: d["support"][0][0][0].append([1.5, 0.2]), "outside the pad"),
    (lambda d: d["support"][0][0][0].append([float("nan"), 0.2]), "finite"),
    (lambda d: d["support"][0][0].append([]), "non-empty list"),
    (lambda d: d["tests"][0][0].append("x"), r"a point must be \[x, y\]"),
    (lambda d: d.update(tests=[[]] * 51), "at most 50"),
])
def test_a_damaged_drawing_is_refused_in_one_line(tmp_path, change, message):
    document = drawn_task().to_json()
    change(document)
    with pytest.raises(RunError, match=message) as info:
        parse_drawn_task(json.loads(json.dumps(document)))
    assert "\n" not in str(info.value)
    save_run(tmp_path, ExperimentConfig())
    (tmp_path / DRAWING).write_text(json.dumps(document))
    run = load_run(tmp_path)                 # the run opens without the drawing; the file stays as it is
    assert run.drawing is None and run.unread[DRAWING] == str(info.value) and DRAWING in str(info.value)
    assert (tmp_path / DRAWING).read_text() == json.dumps(document)


def test_adapting_to_a_drawn_task_gives_probabilities_per_step():
    snapshot = small_image_classifier()
    result = adapt_drawn_task(DrawnRequest(3, snapshot, drawn_task(), DrawingStyle(), steps=5))
    assert result.error == "" and result.request_id == 3 and result.tests == (0, 1)
    p = result.probabilities
    assert p.shape == (6, 2, 5)
    np.testing.assert_allclose(p.sum(-1), 1.0, atol=1e-9)
    assert not np.allclose(p[0], p[-1])                     # the steps changed something
    # tests drawn exactly like class 1 and 4: adaptation raises their probability
    assert p[-1, 0, 0] > p[0, 0, 0] and p[-1, 1, 3] > p[0, 1, 3]
    assert list(result.predictions()[-1]) == [0, 3]
    # the engine's own adaptation, nothing else: the same numbers from snapshot.adapt
    xs, ys, xq = drawn_task().tensors(DrawingStyle())
    logits = snapshot.adapt(xs, ys, xq, 5)[:, 0]
    np.testing.assert_allclose(p, torch.softmax(logits.double(), -1).numpy(), atol=1e-6)


def test_what_is_missing_is_said_in_one_line():
    snapshot = small_image_classifier()
    style = DrawingStyle()
    unfinished = drawn_task().with_example(("support", 2, 0), ())
    assert "class 3, example 1" in adapt_drawn_task(DrawnRequest(1, snapshot, unfinished, style, 5)).error
    untested = DrawnTask.empty(5, 1, 1).resized(5, 1, 1)
    for n, shape in enumerate(SHAPES):
        untested = untested.with_example(("support", n, 0), shape)
    assert "test character" in adapt_drawn_task(DrawnRequest(1, snapshot, untested, style, 5)).error
    assert "Train or open" in adapt_drawn_task(DrawnRequest(1, None, drawn_task(), style, 5)).error
    wrong_size = DrawingStyle(image_size=32)
    assert "reads images" in adapt_drawn_task(DrawnRequest(1, snapshot, drawn_task(), wrong_size, 5)).error
    too_many = DrawnTask.empty(6, 1)
    assert "at most 5 classes" in adapt_drawn_task(DrawnRequest(1, snapshot, too_many, style, 5)).error


def test_sampled_task_accuracy_per_step_matches_the_predictions():
    snapshot = small_image_classifier()
    batch = GlyphFamily().sample(1, 5, 1, 2, generator=torch.Generator().manual_seed(1), split="test")
    given = (batch.x_support[0], batch.y_support[0], batch.x_query[0], batch.y_query[0])
    result = adapt_sampled_task(SampledRequest(1, snapshot, 3, batch=given))
    assert result.probabilities.shape == (4, 10, 5)
    expected = (result.predictions() == batch.y_query[0].numpy()).mean(axis=1)
    np.testing.assert_allclose(result.accuracy, expected)
    direct = class_probabilities(snapshot, batch.x_support[0], batch.y_support[0], batch.x_query[0], 3, None, 5)
    np.testing.assert_allclose(result.probabilities, direct)


def test_a_task_is_sampled_from_the_experiments_test_classes():
    task = load_preset("glyphs-5way-1shot").task
    result = adapt_sampled_task(SampledRequest(1, small_image_classifier(), 2, task_config=task, queries=3, seed=5))
    x_support, y_support, x_query, y_query = result.batch
    assert x_support.shape == (5, 1, 28, 28) and x_query.shape == (15, 1, 28, 28)
    assert sorted(y_support.tolist()) == [0, 1, 2, 3, 4] and result.probabilities.shape == (3, 15, 5)
    again = adapt_sampled_task(SampledRequest(2, None, 2, task_config=task, queries=3, seed=5))
    assert torch.equal(again.batch[0], x_support) and "Train or open" in again.error   # seeded; says what is missing
    broken = task.model_copy(update={"family": "folder", "root": "/nonexistent/clsdraw"})
    failed = adapt_sampled_task(SampledRequest(3, None, 2, task_config=broken))
    assert failed.error.startswith("cannot sample a task:") and "\n" not in failed.error


def test_resizing_keeps_what_fits():
    task = drawn_task()
    bigger = task.resized(6, 2, 3)
    assert bigger.support[4][0] == SHAPES[4] and bigger.support[5] == ((), ()) and bigger.tests[2] == ()
    assert bigger.resized(5, 1, 2) == task
    assert rasterise_all([]).shape == (0, 1, 28, 28)
