"""PlaygroundWidget: mouse editing, undo, and adapted curves from the worker thread."""

from __future__ import annotations

import threading

import numpy as np
import pytest
import torch

pytest.importorskip("pytestqt")

from PySide6.QtCore import QPoint, QPointF, Qt  # noqa: E402
from PySide6.QtGui import QMouseEvent  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from maml_gui.core.tasks import SinusoidFamily  # noqa: E402
from maml_gui.qt.playground import PlaygroundWidget, adaptation  # noqa: E402

MOVE_INTERVAL_MS = 15  # pyqtgraph drops mouse moves closer together than 10 ms


@pytest.fixture
def playground(qtbot):
    widget = PlaygroundWidget()
    qtbot.addWidget(widget)
    widget.resize(900, 560)
    widget.show()
    qtbot.waitExposed(widget)
    wait_for_idle(qtbot, widget)
    qtbot.wait(50)  # the axes size themselves to their tick labels after the first paint
    yield widget
    widget.shutdown()


# -- mouse helpers: QMouseEvents sent to the viewport, as pyqtgraph's own tests do ------------
def _send(widget, kind, pos: QPoint, button, buttons) -> None:
    local = QPointF(pos)
    event = QMouseEvent(kind, local, QPointF(widget.mapToGlobal(pos)), button, buttons,
                        Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(widget, event)


def click(qtbot, plot, pos: QPoint, button=Qt.MouseButton.LeftButton) -> None:
    viewport = plot.viewport()
    _send(viewport, QMouseEvent.Type.MouseButtonPress, pos, button, button)
    _send(viewport, QMouseEvent.Type.MouseButtonRelease, pos, button, Qt.MouseButton.NoButton)
    qtbot.wait(1)


def drag(qtbot, plot, start: QPoint, end: QPoint, steps: int = 6) -> None:
    viewport, left = plot.viewport(), Qt.MouseButton.LeftButton
    _send(viewport, QMouseEvent.Type.MouseButtonPress, start, left, left)
    for i in range(1, steps + 1):
        qtbot.wait(MOVE_INTERVAL_MS)
        at = start + (end - start) * (i / steps)
        _send(viewport, QMouseEvent.Type.MouseMove, at, Qt.MouseButton.NoButton, left)
    qtbot.wait(MOVE_INTERVAL_MS)
    _send(viewport, QMouseEvent.Type.MouseButtonRelease, end, left, Qt.MouseButton.NoButton)
    qtbot.wait(1)


def data_to_pixel(plot, x: float, y: float) -> QPoint:
    return plot.mapFromScene(plot.editor.mapViewToScene(QPointF(x, y)))


def pixel_to_data(plot, pos: QPoint) -> tuple[float, float]:
    at = plot.editor.mapSceneToView(plot.mapToScene(pos))
    return at.x(), at.y()


def wait_for_idle(qtbot, widget) -> None:
    """Until the newest request's curves are drawn."""
    runner = widget._runner
    qtbot.waitUntil(lambda: widget.last_result is not None
                    and widget.last_result.request_id == runner.latest_id, timeout=5000)


def expected_steps(snapshot, widget, lr=None) -> np.ndarray:
    pts = np.asarray(widget.points(), dtype=np.float32).reshape(-1, 2)
    grid = torch.from_numpy(widget.last_result.x)
    out = snapshot.adapt(torch.from_numpy(pts[:, 0].copy()), torch.from_numpy(pts[:, 1].copy()), grid,
                         widget.controls.steps(), lr=lr)
    return out[:, 0, :, 0].numpy()


def curves_match(widget, expected: np.ndarray) -> bool:
    drawn = widget.step_curves()
    return len(drawn) == len(expected) and all(np.allclose(d, e, atol=1e-5) for d, e in zip(drawn, expected))


# -- editing ---------------------------------------------------------------------------------
def test_click_adds_point_at_mapped_data_coordinates(qtbot, playground):
    plot = playground.plot
    pos = QPoint(plot.viewport().width() // 3, plot.viewport().height() // 4)
    expected = pixel_to_data(plot, pos)
    with qtbot.waitSignal(playground.pointsChanged, timeout=1000):
        click(qtbot, plot, pos)
    assert len(playground.points()) == 1
    x, y = playground.points()[0]
    assert x == pytest.approx(expected[0], abs=1e-9)
    assert y == pytest.approx(expected[1], abs=1e-9)
    assert playground.undo_stack.count() == 1
    assert playground.selected_index == 0


def test_drag_moves_point_in_one_undo_step_and_undo_redo_restore(qtbot, playground):
    plot = playground.plot
    playground.set_points([(0.5, 1.0), (-2.0, -1.0)])
    start = data_to_pixel(plot, 0.5, 1.0)
    end = start + QPoint(80, -50)
    grab = pixel_to_data(plot, start)
    target = pixel_to_data(plot, end)
    view_before = plot.editor.viewRange()
    drag(qtbot, plot, start, end)
    moved = playground.points()[0]
    # the point keeps its offset from where it was grabbed
    assert moved[0] == pytest.approx(0.5 + target[0] - grab[0], abs=1e-6)
    assert moved[1] == pytest.approx(1.0 + target[1] - grab[1], abs=1e-6)
    assert playground.points()[1] == (-2.0, -1.0)
    assert playground.undo_stack.count() == 1, "a whole drag is one undo step"
    assert plot.editor.viewRange() == view_before, "dragging a point must not pan"
    playground.undo_stack.undo()
    assert playground.points() == [(0.5, 1.0), (-2.0, -1.0)]
    playground.undo_stack.redo()
    assert playground.points()[0] == pytest.approx(moved)


def test_drag_on_empty_space_pans_and_edits_nothing(qtbot, playground):
    plot = playground.plot
    playground.set_points([(4.0, 4.0)])
    start = data_to_pixel(plot, -3.0, -3.0)
    (x0, x1), _ = plot.editor.viewRange()
    drag(qtbot, plot, start, start + QPoint(120, 0))
    (nx0, nx1), _ = plot.editor.viewRange()
    assert nx0 < x0 and nx1 < x1, "a drag on empty space pans the view"
    assert playground.points() == [(4.0, 4.0)]
    assert playground.undo_stack.count() == 0


def test_right_click_on_point_removes_it_and_undo_restores(qtbot, playground):
    plot = playground.plot
    playground.set_points([(1.0, 2.0), (-1.0, -2.0)])
    click(qtbot, plot, data_to_pixel(plot, -1.0, -2.0), Qt.MouseButton.RightButton)
    assert playground.points() == [(1.0, 2.0)]
    playground.undo_stack.undo()
    assert playground.points() == [(1.0, 2.0), (-1.0, -2.0)]


def test_delete_key_removes_the_selected_point(qtbot, playground):
    plot = playground.plot
    playground.controls.steps_spin.setFocus()
    playground.set_points([(1.0, 2.0), (-1.0, -2.0), (3.0, 0.0)])
    click(qtbot, plot, data_to_pixel(plot, -1.0, -2.0))  # left click on a point selects it
    assert playground.selected_index == 1
    assert len(playground.points()) == 3, "clicking a point must not add one"
    assert plot.hasFocus()
    qtbot.keyClick(plot, Qt.Key.Key_Delete)
    assert playground.points() == [(1.0, 2.0), (3.0, 0.0)]
    playground.undo_stack.undo()
    assert playground.points() == [(1.0, 2.0), (-1.0, -2.0), (3.0, 0.0)]
    playground.controls.lr_spin.setFocus()  # Backspace while typing a value edits the value
    qtbot.keyClick(playground.controls.lr_spin, Qt.Key.Key_Backspace)
    assert len(playground.points()) == 3


def test_clear_points_is_one_undoable_step(qtbot, playground):
    points = [(0.0, 0.0), (1.0, 1.0), (2.0, -1.0)]
    playground.set_points(points)
    with qtbot.waitSignal(playground.pointsChanged, timeout=1000):
        playground.clear_points()
    assert playground.points() == []
    assert playground.undo_stack.count() == 1
    playground.undo_stack.undo()
    assert playground.points() == points
    playground.undo_stack.redo()
    assert playground.points() == []


def test_set_points_round_trip_clears_undo_and_is_not_an_edit(qtbot, playground):
    playground.clear_points()
    click(qtbot, playground.plot, QPoint(200, 200))
    assert playground.undo_stack.count() == 1
    points = [(-4.5, 1.25), (0.0, -3.0), (2.75, 0.5)]
    with qtbot.assertNotEmitted(playground.pointsChanged):
        playground.set_points(points)
    assert playground.points() == points
    assert playground.undo_stack.count() == 0
    with pytest.raises(ValueError, match="pair"):
        playground.set_points([(1.0,)])
    with pytest.raises(ValueError, match="finite"):
        playground.set_points([(1.0, float("nan"))])
    assert playground.points() == points, "a rejected set_points leaves the points alone"


# -- adaptation ------------------------------------------------------------------------------
def test_curves_follow_snapshot_adapt_after_an_edit(qtbot, playground, snapshot):
    playground.set_snapshot(snapshot)
    playground.set_points([(-3.0, 1.0), (0.0, 0.5), (2.0, -1.5)])
    click(qtbot, playground.plot, data_to_pixel(playground.plot, 3.5, 2.0))
    wait_for_idle(qtbot, playground)
    assert len(playground.points()) == 4
    qtbot.waitUntil(lambda: curves_match(playground, expected_steps(snapshot, playground)), timeout=5000)
    assert playground.controls.model_label.text() == "model: MAML, iteration 20"


def test_steps_and_lr_controls_change_the_adaptation(qtbot, playground, snapshot):
    playground.set_snapshot(snapshot)
    playground.set_points([(-2.0, 1.0), (1.0, -1.0)])
    playground.controls.steps_spin.setValue(3)
    playground.controls.lr_spin.setValue(0.05)
    assert playground.controls.lr() == 0.05
    wait_for_idle(qtbot, playground)
    assert len(playground.step_curves()) == 4
    assert curves_match(playground, expected_steps(snapshot, playground, lr=0.05))
    assert not curves_match(playground, expected_steps(snapshot, playground, lr=None))
    playground.controls.lr_spin.setValue(0.0)
    assert playground.controls.lr() is None and playground.controls.lr_spin.text() == "learned/config"


def test_newer_edit_supersedes_an_older_pending_one(qtbot, playground, snapshot, monkeypatch):
    playground.set_snapshot(snapshot)
    wait_for_idle(qtbot, playground)
    computed: list[int] = []
    shown: list[int] = []
    busy, release = threading.Event(), threading.Event()
    real = adaptation.compute_adaptation

    def slow_compute(request):
        computed.append(request.request_id)
        busy.set()
        release.wait(5)
        return real(request)

    monkeypatch.setattr(adaptation, "compute_adaptation", slow_compute)
    playground.adaptationShown.connect(shown.append)
    playground.set_points([(0.0, 0.0)])  # request A: the worker starts it and blocks
    qtbot.waitUntil(busy.is_set, timeout=2000)
    first = computed[0]
    playground.model.move(0, (1.0, 1.0))  # request B: pending
    playground.model.move(0, (2.0, -1.0))  # request C replaces B
    latest = playground._runner.latest_id
    release.set()
    wait_for_idle(qtbot, playground)
    assert computed == [first, latest], "only the in-flight and the newest request are computed"
    assert first not in shown, "the stale result is dropped"
    assert shown[-1] == latest
    assert playground._runner.dropped >= 1
    assert curves_match(playground, expected_steps(snapshot, playground))


def test_sample_task_shows_true_curve_k_points_and_mse(qtbot, playground, snapshot):
    family = SinusoidFamily()
    playground.set_snapshot(snapshot)
    playground.set_family(family, 7)
    playground.set_points([(0.0, 0.0)])
    playground.sample_task()
    assert len(playground.points()) == 7
    task = playground.true_task
    assert task is not None
    xs = task.x_support[0, :, 0].tolist()
    assert [p[0] for p in playground.points()] == pytest.approx(xs)
    wait_for_idle(qtbot, playground)
    x, y = playground.plot.true_curve.getData()
    assert len(x) > 100
    assert y == pytest.approx(task.true_function(torch.from_numpy(x.astype(np.float32)))[0, :, 0].numpy(), abs=1e-5)
    assert playground.plot.true_curve.opts["pen"].style() == Qt.PenStyle.DashLine
    result = playground.last_result
    steps = np.stack(playground.step_curves())
    assert result.mse == pytest.approx(((steps - y[None, :]) ** 2).mean(axis=1), rel=1e-5)
    table = playground.controls.mse_table
    assert table.rowCount() == playground.controls.steps() + 1
    assert float(table.item(0, 1).text()) == pytest.approx(result.mse[0], rel=1e-3)
    playground.undo_stack.undo()  # Sample task is one undo step: points and true curve go back
    assert playground.points() == [(0.0, 0.0)] and playground.true_task is None
    wait_for_idle(qtbot, playground)
    assert playground.plot.true_curve.getData()[0] is None or len(playground.plot.true_curve.getData()[0]) == 0
    assert table.rowCount() == 0


def test_baseline_modes(qtbot, playground, snapshot):
    playground.set_snapshot(snapshot)
    playground.set_points([(-1.0, 1.0), (1.0, 0.0)])
    playground.controls.set_baseline_mode("pretrained")
    wait_for_idle(qtbot, playground)
    pts = torch.tensor(playground.points())
    grid = torch.from_numpy(playground.last_result.x)
    expected = snapshot.adapt_baseline(pts[:, 0], pts[:, 1], grid, playground.controls.steps())[-1, 0, :, 0]
    assert playground.plot.baseline_curve.getData()[1] == pytest.approx(expected.numpy(), abs=1e-5)
    playground.controls.set_baseline_mode("random")
    wait_for_idle(qtbot, playground)
    random_y = playground.plot.baseline_curve.getData()[1]
    assert not np.allclose(random_y, expected.numpy(), atol=1e-3)
    playground.controls.set_baseline_mode("off")
    wait_for_idle(qtbot, playground)
    assert len(playground.plot.baseline_curve.getData()[0] or []) == 0
    with pytest.raises(ValueError, match="unknown baseline mode"):
        playground.controls.set_baseline_mode("pretrained-ish")


def test_without_snapshot_shows_hint_points_and_random_baseline(qtbot, playground):
    assert "Train or open a run" in playground.hint.text()
    playground.set_points([(-1.0, 1.0), (1.0, 0.0)])
    playground.controls.set_baseline_mode("random")
    wait_for_idle(qtbot, playground)
    assert playground.step_curves() == []
    assert len(playground.plot.baseline_curve.getData()[0]) > 0
    xy = playground.plot.support.getData()
    assert list(zip(xy[0], xy[1])) == [(-1.0, 1.0), (1.0, 0.0)]
    playground.controls.set_baseline_mode("pretrained")
    wait_for_idle(qtbot, playground)
    assert "once a model is trained" in playground.hint.text()


def test_shutdown_stops_the_thread_and_later_edits_are_ignored(qtbot, playground):
    runner = playground._runner
    assert runner.is_running()
    playground.shutdown()
    assert not runner.is_running()
    playground.set_points([(0.0, 1.0)])  # no crash, nothing computed
    playground.shutdown()  # twice is fine


def test_set_family_fits_the_view_only_when_the_distribution_changes(qtbot, playground):
    from maml_gui.core.tasks import LinearFamily

    playground.set_family(SinusoidFamily(x_range=(-5.0, 5.0)), 5)
    playground.plot.editor.translateBy(x=1.0)  # the user pans
    panned = playground.plot.editor.viewRange()
    playground.set_family(SinusoidFamily(x_range=(-5.0, 5.0)), 8)  # same distribution, other K
    assert playground.plot.editor.viewRange() == panned
    playground.set_family(LinearFamily(x_range=(0.0, 10.0)), 8)
    (x0, x1), _ = playground.plot.editor.viewRange()
    assert x0 == pytest.approx(-0.5) and x1 == pytest.approx(10.5)
    playground.sample_task()
    assert len(playground.points()) == 8
    assert all(0.0 <= x <= 10.0 for x, _ in playground.points())
    with pytest.raises(ValueError, match="shots"):
        playground.set_family(SinusoidFamily(), 0)


def test_editing_does_not_drain_references_to_none_or_true(qtbot, playground, snapshot):
    """PySide6 6.12.0 on Python < 3.12 (where None/True are not immortal) drops one reference
    to None on most void Qt calls and one to True on every Signal.emit(); a playground drag
    then aborts the app with 'deallocating None' within seconds."""
    import sys

    playground.set_snapshot(snapshot)
    playground.set_points([(0.0, 0.0), (1.0, 1.0)])
    wait_for_idle(qtbot, playground)
    edits = 20
    none_before, true_before = sys.getrefcount(None), sys.getrefcount(True)
    for i in range(edits):
        playground.model.move(0, (0.1 * i, 0.0))
        wait_for_idle(qtbot, playground)
    none_lost = (none_before - sys.getrefcount(None)) / edits
    true_lost = (true_before - sys.getrefcount(True)) / edits
    assert none_lost < 20 and true_lost < 5, (
        f"each playground edit drops ~{none_lost:.0f} references to None and ~{true_lost:.0f} to True: "
        "this Qt binding has a reference-count bug (PySide6 6.12.0 on Python < 3.12) and the app will "
        "abort after a few hundred edits; install another PySide6 (6.11.3 works) or use Python >= 3.12")
