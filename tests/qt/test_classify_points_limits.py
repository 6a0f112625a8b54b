"""The 2-D classification playground keeps its points within ±CLASS_POINT_LIMIT, the limit
``class_points.json`` is read with: pan and zoom stop at the plane's edge, a drag past it puts the
point on the edge, so what the user saves always loads (and adapts without overflowing)."""

from __future__ import annotations

import warnings

import pytest

pytest.importorskip("pytestqt")

from PySide6.QtCore import QPoint  # noqa: E402

from maml_gui.core.drawn_work import CLASS_POINT_LIMIT, CLASS_POINTS, class_points_json, parse_class_points  # noqa: E402
from maml_gui.core.run_validation import parse_json  # noqa: E402
from maml_gui.qt.playground.classify_points_requests import RegionRequest, compute_regions  # noqa: E402

from .test_classify_points import add, classifier, playground  # noqa: E402,F401  (fixtures)
from .test_playground import data_to_pixel, drag  # noqa: E402

LIMIT = CLASS_POINT_LIMIT


def test_pan_and_zoom_stop_at_the_edge_of_the_plane(qtbot, playground):
    editor = playground.plot.editor
    for _ in range(40):  # what the wheel and a drag on empty space do: zoom out, pan far away
        editor.scaleBy(x=10.0, y=10.0)
        editor.translateBy(x=1e12, y=-1e12)
        (x0, x1), (y0, y1) = editor.viewRange()
        assert -LIMIT <= x0 < x1 <= LIMIT and -LIMIT <= y0 < y1 <= LIMIT
    assert x1 == LIMIT and y0 == -LIMIT


def test_a_click_or_drag_past_the_edge_puts_the_point_on_it_and_the_save_loads(qtbot, playground, classifier):
    playground.plot.setRange(xRange=(-LIMIT, LIMIT), yRange=(-LIMIT, LIMIT), padding=0)
    qtbot.waitUntil(lambda: playground.plot.editor.viewRange()[0][1] > LIMIT / 2)
    add(qtbot, playground, 0.0, 0.0)
    assert len(playground.points()) == 1
    size = playground.plot.viewport().size()
    drag(qtbot, playground.plot, data_to_pixel(playground.plot, *playground.points()[0][:2]),
         QPoint(size.width() + 400, -400))  # far past the right and top edges
    assert playground.points()[0][:2] == (LIMIT, LIMIT)
    playground.plot.editor.addRequested.emit(-1e300, 5e299)  # where a click beyond the plane would be
    assert playground.points()[1][:2] == (-LIMIT, LIMIT)
    saved = parse_class_points(parse_json(class_points_json(playground.points()), CLASS_POINTS))
    assert saved == playground.points()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no overflow on the way to float32
        result = compute_regions(RegionRequest(1, classifier, tuple(saved), steps=1, draw_steps=(0, 1)))
    assert result.error is None and result.accuracy is not None
    with pytest.raises(ValueError, match="within"):
        playground.set_points([(0.0, 1e300, 0)])
    assert playground.points() == saved, "a refused load changes nothing"
