"""Empty plots say what will appear, on plain axes (issue 8): no -400..400 "(x0.001)", no
"(x1e+18)" left over from a diverged run, and ranges that follow new data and reset."""

from __future__ import annotations

import math

import numpy as np
import pytest

pytest.importorskip("pytestqt")

from maml_gui.core.evaluation import AdaptationCurve  # noqa: E402
from maml_gui.core.metrics import ValidationRecord  # noqa: E402
from maml_gui.core.training import Progress  # noqa: E402
from maml_gui.qt.plots import AdaptationCurvePlot, MetaLossPlot  # noqa: E402
from maml_gui.qt.plots import adaptation_plot, loss_plot  # noqa: E402
from maml_gui.qt.plots.axes import ThinLogAxis  # noqa: E402


def report(first: int, count: int, level: float, validation=None) -> Progress:
    iterations = np.arange(first, first + count)
    return Progress(iteration=first + count - 1, total=1000, iterations=iterations,
                    loss_before=np.full(count, 3.0 * level), loss_after=np.linspace(1.0, 0.5, count) * level,
                    validation=validation, its_per_s=500.0, elapsed_s=1.0, eta_s=math.inf, meta_lr=1e-3,
                    snapshot=None, device="cpu")


def record(iteration: int, scale: float = 1.0) -> ValidationRecord:
    curve = AdaptationCurve(steps=tuple(range(6)), mse=tuple(scale * v for v in (3.0, 1.0, 0.6, 0.4, 0.3, 0.25)),
                            ci95=(0.1,) * 6)
    return ValidationRecord(iteration, 3.0 * scale, 0.25 * scale, curve)


def shown(plot, qtbot) -> None:
    qtbot.addWidget(plot)
    plot.resize(400, 260)
    plot.show()
    qtbot.waitUntil(plot.isVisible)


def view_range(plot):
    vb = plot.getPlotItem().getViewBox()
    vb.updateAutoRange()
    return vb.viewRange()


def axis_labels(plot) -> str:
    item = plot.getPlotItem()
    return " ".join(item.getAxis(name).labelString() for name in ("left", "bottom"))


def test_an_empty_meta_loss_plot_says_what_will_appear_on_plain_axes(qtbot):
    plot = MetaLossPlot(log_scale=True)
    shown(plot, qtbot)
    assert plot.empty_message.is_visible() and "F5" in plot.empty_message.text
    assert not plot.legend.isVisible()
    (x0, x1), (y0, y1) = view_range(plot)
    assert (x0, x1) == pytest.approx(loss_plot.EMPTY_X_RANGE) and (y0, y1) == pytest.approx(loss_plot.EMPTY_Y_RANGE[True])
    box = plot.empty_message.label.mapRectToScene(plot.empty_message.label.boundingRect())
    centre = plot.getPlotItem().getViewBox().sceneBoundingRect().center()
    assert abs(box.center().x() - centre.x()) < 2 and abs(box.center().y() - centre.y()) < 2


def test_a_diverged_run_leaves_no_scaling_behind_for_the_next_one(qtbot):
    plot = MetaLossPlot(log_scale=False)
    shown(plot, qtbot)
    plot.add_progress(report(1, 20, level=1e18))
    assert not plot.empty_message.is_visible() and plot.legend.isVisible()
    (_, _), (y0, y1) = view_range(plot)
    assert y1 > 1e17  # the range followed the data
    assert "(x" not in axis_labels(plot) and "e+18" not in axis_labels(plot)
    plot.reset(None)  # a new preset: empty again, plain ranges
    assert plot.empty_message.is_visible()
    assert view_range(plot)[1] == pytest.approx(loss_plot.EMPTY_Y_RANGE[False])
    plot.add_progress(report(1, 20, level=1.0))
    (_, _), (y0, y1) = view_range(plot)
    assert 2.9 < y1 < 10 and not plot.empty_message.is_visible()
    assert "(x" not in axis_labels(plot)


def test_the_log_scale_of_an_empty_plot_keeps_it_plain(qtbot):
    plot = MetaLossPlot(log_scale=False)
    shown(plot, qtbot)
    plot.set_log_scale(True)
    assert view_range(plot)[1] == pytest.approx(loss_plot.EMPTY_Y_RANGE[True])


def test_an_empty_adaptation_plot_says_what_will_appear_and_resets(qtbot):
    plot = AdaptationCurvePlot()
    shown(plot, qtbot)
    assert plot.empty_message.is_visible() and "validation" in plot.empty_message.text
    assert view_range(plot) == [pytest.approx(r) for r in adaptation_plot.EMPTY_RANGE]
    assert "(x" not in axis_labels(plot)
    plot.show_record(record(500, scale=1e-4))  # tiny values: pyqtgraph would say "(x0.0001)"
    assert not plot.empty_message.is_visible()
    title = plot.getPlotItem().titleLabel.text
    assert "meta-learned init" in title and "baseline" not in title  # no baseline trained: no entry
    assert "iteration 500" in plot.getPlotItem().getAxis("bottom").labelText
    assert plot.getPlotItem().legend is None  # the key is the title, outside the data
    (x0, x1), (y0, y1) = view_range(plot)
    assert x1 >= 5 and y1 < 0.01
    assert "(x" not in axis_labels(plot)
    plot.reset(None)
    assert plot.empty_message.is_visible()
    assert view_range(plot) == [pytest.approx(r) for r in adaptation_plot.EMPTY_RANGE]


def test_a_short_log_axis_labels_one_two_five_before_the_other_minor_ticks():
    axis = ThinLogAxis("left")
    levels = axis.logTickValues(math.log10(0.25), math.log10(4.5), 150, [])
    first, rest = ([round(10 ** v, 6) for v in values] for _, values in levels[-2:])
    assert sorted(first) == [0.5, 1.0, 2.0]  # labelled first; the rest only where there is room
    assert sorted(rest) == [0.3, 0.4, 0.6, 0.7, 0.8, 0.9, 3.0, 4.0]
