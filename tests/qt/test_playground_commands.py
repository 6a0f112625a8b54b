"""Playground pieces without the widget: point commands on a QUndoStack, the prediction
function, and the coalescing adaptation runner."""

from __future__ import annotations

import numpy as np
import pytest
import torch

pytest.importorskip("pytestqt")

from PySide6.QtGui import QUndoStack  # noqa: E402

from maml_gui.core.tasks import SinusoidFamily  # noqa: E402
from maml_gui.qt.playground import (AddPointCommand, ClearPointsCommand, MovePointCommand,  # noqa: E402
                                    RemovePointCommand, ReplacePointsCommand)
from maml_gui.qt.playground.adaptation import AdaptationRunner  # noqa: E402
from maml_gui.qt.playground.points import PointListModel  # noqa: E402
from maml_gui.qt.playground.prediction import AdaptationRequest, compute_adaptation, query_grid  # noqa: E402


@pytest.fixture
def model_and_stack(qapp):
    model = PointListModel()
    return model, QUndoStack()


def test_add_move_remove_undo_redo(model_and_stack):
    model, stack = model_and_stack
    changes = []
    model.changed.connect(lambda: changes.append(model.points()))
    stack.push(AddPointCommand(model, (1.0, 2.0)))
    stack.push(AddPointCommand(model, (3.0, 4.0)))
    stack.push(MovePointCommand(model, 0, (1.0, 2.0), (1.5, 2.5)))
    stack.push(RemovePointCommand(model, 1))
    assert model.points() == [(1.5, 2.5)]
    stack.undo()
    assert model.points() == [(1.5, 2.5), (3.0, 4.0)]
    stack.undo()
    assert model.points() == [(1.0, 2.0), (3.0, 4.0)]
    stack.undo()
    stack.undo()
    assert model.points() == []
    for _ in range(4):
        stack.redo()
    assert model.points() == [(1.5, 2.5)]
    assert len(changes) == 12
    assert "Add point (1.00, 2.00)" == stack.text(0)


def test_remove_undo_puts_the_point_back_in_place(model_and_stack):
    model, stack = model_and_stack
    model.replace([(0.0, 0.0), (1.0, 1.0), (2.0, 2.0)])
    stack.push(RemovePointCommand(model, 1))
    assert model.points() == [(0.0, 0.0), (2.0, 2.0)]
    stack.undo()
    assert model.points() == [(0.0, 0.0), (1.0, 1.0), (2.0, 2.0)]


def test_move_command_after_a_live_drag_does_not_emit_again(model_and_stack):
    model, stack = model_and_stack
    model.replace([(0.0, 0.0)])
    model.move(0, (2.0, 3.0))  # the drag preview already put it there
    changes = []
    model.changed.connect(lambda: changes.append(1))
    stack.push(MovePointCommand(model, 0, (0.0, 0.0), (2.0, 3.0)))
    assert changes == [] and model.points() == [(2.0, 3.0)]
    stack.undo()
    assert model.points() == [(0.0, 0.0)]


def test_clear_and_replace_restore_extra_state(model_and_stack):
    model, stack = model_and_stack
    model.replace([(0.0, 0.0), (1.0, 1.0)])
    stack.push(ClearPointsCommand(model))
    assert model.points() == [] and stack.text(0) == "Clear 2 points"
    stack.undo()
    assert model.points() == [(0.0, 0.0), (1.0, 1.0)]
    applied = []
    stack.push(ReplacePointsCommand(model, [(5.0, 5.0)], "Sample task", on_apply=applied.append,
                                    old_extra="old task", new_extra="new task"))
    assert model.points() == [(5.0, 5.0)] and applied == ["new task"]
    stack.undo()
    assert model.points() == [(0.0, 0.0), (1.0, 1.0)] and applied == ["new task", "old task"]


def test_points_are_validated(model_and_stack):
    model, _ = model_and_stack
    with pytest.raises(ValueError, match="finite"):
        AddPointCommand(model, (float("inf"), 0.0))
    with pytest.raises(ValueError, match="pair"):
        model.replace([(1.0, 2.0, 3.0)])
    model.replace([np.array([1, 2])])
    assert model.points() == [(1.0, 2.0)] and isinstance(model.points()[0][0], float)


# -- prediction (runs on the worker; plain function here) ------------------------------------
def test_compute_adaptation_matches_snapshot_and_true_mse(snapshot):
    family = SinusoidFamily()
    task = family.sample(1, 5, 0, generator=torch.Generator().manual_seed(3))
    points = tuple(zip(task.x_support[0, :, 0].tolist(), task.y_support[0, :, 0].tolist()))
    request = AdaptationRequest(1, snapshot, points, steps=4, lr=None, baseline="pretrained", task=task)
    result = compute_adaptation(request)
    assert result.error is None and result.request_id == 1
    xq = torch.from_numpy(result.x)
    expected = snapshot.adapt(task.x_support[0, :, 0], task.y_support[0, :, 0], xq, 4)[:, 0, :, 0].numpy()
    np.testing.assert_allclose(result.steps, expected, atol=1e-6)
    true_y = task.true_function(xq)[0, :, 0].numpy()
    np.testing.assert_allclose(result.mse, ((expected - true_y) ** 2).mean(axis=1), rtol=1e-5)
    assert result.baseline.shape == (5, len(result.x)) and result.baseline_mse.shape == (5,)
    assert result.baseline_label == "pretrained baseline"


def test_compute_adaptation_without_points_or_snapshot(snapshot):
    empty = compute_adaptation(AdaptationRequest(2, snapshot, (), steps=3))
    assert empty.error is None
    np.testing.assert_allclose(empty.steps[0], empty.steps[3])  # nothing to adapt to
    none = compute_adaptation(AdaptationRequest(3, None, ((0.0, 1.0),), steps=3, baseline="random"))
    assert none.steps is None and none.baseline.shape == (4, len(none.x)) and none.error is None


def test_compute_adaptation_reports_errors_instead_of_raising(snapshot):
    result = compute_adaptation(AdaptationRequest(4, snapshot, ((0.0, 1.0),), steps=-2))
    assert result.error is not None and result.error.startswith("adaptation failed")


def test_query_grid_covers_points_outside_the_task_range():
    grid = query_grid((-5.0, 5.0), [(7.0, 0.0)])
    assert grid[0] == -5.0 and grid[-1] > 7.0
    assert np.all(np.diff(grid) > 0)


# -- runner -----------------------------------------------------------------------------------
def test_runner_drops_stale_results_and_shuts_down(qtbot, snapshot):
    runner = AdaptationRunner()
    shown = []
    runner.resultReady.connect(lambda r: shown.append(r.request_id))
    try:
        ids = [runner.next_request_id() for _ in range(3)]
        assert ids == sorted(ids) and len(set(ids)) == 3
        for request_id in ids:
            runner.submit(AdaptationRequest(request_id, snapshot, ((0.0, float(request_id)),), steps=2))
        qtbot.waitUntil(lambda: ids[-1] in shown, timeout=5000)
        assert all(i == ids[-1] for i in shown), "only the newest request's result reaches the GUI"
    finally:
        assert runner.shutdown()
    assert not runner.is_running()
    runner.submit(AdaptationRequest(99, snapshot, (), steps=1))  # ignored after shutdown
