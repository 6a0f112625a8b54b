"""The playground's key to its lines sits under the plot (issue 8): at ten steps nothing covers
the data, a click where the legend used to be adds a visible point, and no entry is cut."""

from __future__ import annotations

import pyqtgraph as pg
import pytest

pytest.importorskip("pytestqt")

from PySide6.QtCore import QPoint, QPointF, Qt  # noqa: E402
from PySide6.QtGui import QMouseEvent  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from maml_gui.qt.playground import PlaygroundWidget  # noqa: E402

OLD_LEGEND_SPOT = QPoint(40, 25)  # pixels from the data area's top-left: under the old in-plot legend


@pytest.fixture
def playground(qtbot, snapshot):
    widget = PlaygroundWidget()
    qtbot.addWidget(widget)
    widget.resize(760, 420)  # the playground at a 1024×640 window
    widget.show()
    qtbot.waitExposed(widget)
    widget.set_snapshot(snapshot)
    widget.controls.steps_spin.setValue(10)
    widget.controls.set_baseline_mode("pretrained")
    widget._generator.manual_seed(1)
    widget.sample_task()
    wait_for_idle(qtbot, widget)
    yield widget
    widget.shutdown()


def wait_for_idle(qtbot, widget) -> None:
    runner = widget._runner
    qtbot.waitUntil(lambda: widget.last_result is not None
                    and widget.last_result.request_id == runner.latest_id, timeout=5000)


def click(qtbot, plot, pos: QPoint) -> None:
    viewport, left = plot.viewport(), Qt.MouseButton.LeftButton
    for kind, buttons in ((QMouseEvent.Type.MouseButtonPress, left), (QMouseEvent.Type.MouseButtonRelease,
                                                                       Qt.MouseButton.NoButton)):
        event = QMouseEvent(kind, QPointF(pos), QPointF(viewport.mapToGlobal(pos)), left, buttons,
                            Qt.KeyboardModifier.NoModifier)
        QApplication.sendEvent(viewport, event)
    qtbot.wait(1)


def test_nothing_covers_the_data_at_ten_steps(playground):
    item = playground.plot.getPlotItem()
    assert item.legend is None  # no legend item inside the plot
    assert len(playground.step_curves()) == 11
    key = playground.plot.key
    assert key.isVisible() and not playground.plot.geometry().intersects(key.geometry())


def test_a_click_where_the_legend_was_adds_a_visible_point(qtbot, playground):
    plot = playground.plot
    data_area = plot.mapFromScene(plot.editor.sceneBoundingRect()).boundingRect()
    pos = data_area.topLeft() + OLD_LEGEND_SPOT
    playground.clear_points()
    click(qtbot, plot, pos)
    assert len(playground.points()) == 1
    x, y = playground.points()[0]
    (x0, x1), (y0, y1) = plot.editor.viewRange()
    assert x0 < x < x1 and y0 < y < y1  # in the data area, drawn
    drawn = plot.support.getData()
    assert list(zip(drawn[0], drawn[1])) == [(x, y)]
    assert not any(isinstance(item, pg.LegendItem) for item in plot.items(pos))  # nothing hides it


def test_the_key_names_every_line_in_full(qtbot, playground):
    key = playground.plot.key
    assert key.entries == ["step 0 (meta-learned init) → step 10", "true function",
                           "pretrained baseline, after 10 steps"]
    qtbot.waitUntil(lambda: key.height() >= key.heightForWidth(key.width()))  # wrapped, not cut
    assert key.wordWrap() and key.width() <= playground.plot.width() + 1
    playground.controls.set_baseline_mode("off")
    wait_for_idle(qtbot, playground)
    assert key.entries == ["step 0 (meta-learned init) → step 10", "true function"]
