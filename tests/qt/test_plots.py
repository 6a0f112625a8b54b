"""The live curves: the meta-loss plot draws what the reports carry, long curves stay cheap."""

from __future__ import annotations

import math

import numpy as np
import pytest

pytest.importorskip("pytestqt")

from maml_gui.core.training import Progress  # noqa: E402
from maml_gui.qt.plots import MetaLossPlot  # noqa: E402


def report(first: int, count: int, validation=None) -> Progress:
    iterations = np.arange(first, first + count)
    return Progress(iteration=first + count - 1, total=10**6, iterations=iterations,
                    loss_before=np.full(count, 3.0), loss_after=np.linspace(1.0, 0.5, count), validation=validation,
                    its_per_s=500.0, elapsed_s=1.0, eta_s=math.inf, meta_lr=1e-3, snapshot=None, device="cpu",
                    finished=False, stopped=False)


class Record:  # the fields of a ValidationRecord the plot reads
    def __init__(self, iteration: int, before: float, after: float) -> None:
        self.iteration, self.loss_before, self.loss_after = iteration, before, after


@pytest.fixture
def plot(qtbot):
    made = MetaLossPlot(log_scale=True)
    qtbot.addWidget(made)
    return made


def test_reports_append_training_and_validation_points(plot):
    plot.add_progress(report(1, 10, Record(10, 3.0, 0.8)))
    plot.add_progress(report(11, 10))
    assert plot.point_count() == 20
    curve = plot.raw_after_curve  # xData/yData: the data handed over, before the log transform
    assert list(curve.xData) == list(range(1, 21)) and curve.yData[0] == 1.0
    assert list(plot.val_after_curve.xData) == [10]
    plot.add_progress(report(21, 5, Record(25, 2.0, 0.4)))
    assert list(plot.val_after_curve.yData) == [0.8, 0.4]


def test_validation_curves_are_not_redrawn_by_training_only_reports(plot, monkeypatch):
    plot.add_progress(report(1, 10, Record(10, 3.0, 0.8)))
    handed = []
    monkeypatch.setattr(plot.val_after_curve, "setData", lambda *a, **k: handed.append(a))
    plot.add_progress(report(11, 10))
    assert handed == []
    plot.add_progress(report(21, 10, Record(30, 3.0, 0.7)))
    assert len(handed) == 1


def test_long_curves_are_downsampled_and_clipped(plot):
    item = plot.getPlotItem()
    assert item.clipToViewMode() and item.downsampleMode()[1]  # auto downsampling on
    plot.add_progress(report(1, 100_000))
    plot.add_progress(report(100_001, 50))  # timings: benchmarks/ui_latency.py --prefill 100000
    assert plot.point_count() == 100_050


def test_log_scale_leaves_out_non_positive_losses(plot):
    progress = report(1, 4)
    object.__setattr__(progress, "loss_after", np.array([1.0, 0.0, -1.0, 0.5]))
    plot.add_progress(progress)
    assert list(plot.raw_after_curve.yData) == [1.0, 0.5]
    plot.set_log_scale(False)
    assert list(plot.raw_after_curve.yData) == [1.0, 0.0, -1.0, 0.5]


def test_smoothing_slider_redraws_the_smoothed_curve_and_keeps_the_raw_one(qtbot):
    from maml_gui.qt import settings as keys
    from maml_gui.qt.plots.loss_panel import MetaLossPanel
    from maml_gui.qt.plots.loss_plot import RAW_ALPHA
    from maml_gui.qt.settings import AppSettings

    settings = AppSettings()
    panel = MetaLossPanel(settings)
    qtbot.addWidget(panel)
    plot = panel.plot
    assert panel.smoothing_slider.value() == pytest.approx(0.95) == plot.smoothing  # the default
    progress = report(1, 4)
    object.__setattr__(progress, "loss_after", np.array([1.0, 2.0, 3.0, 4.0]))
    plot.add_progress(progress)
    # 0.95: last = 0.05, 0.1475, 0.290125, 0.47561875; debiased by 1 - 0.95**n
    expected = [0.05 / 0.05, 0.1475 / 0.0975, 0.290125 / 0.142625, 0.47561875 / 0.18549375]
    np.testing.assert_allclose(plot.after_curve.yData, expected)
    panel.smoothing_slider.setValue(0.0)
    np.testing.assert_allclose(plot.after_curve.yData, [1.0, 2.0, 3.0, 4.0])
    panel.smoothing_slider.setValue(0.9)
    assert 2.56407 < plot.after_curve.yData[-1] < 4.0  # lighter than 0.95, still behind the rising raw curve
    assert list(plot.raw_after_curve.yData) == [1.0, 2.0, 3.0, 4.0]  # the raw curve is still drawn
    assert plot.raw_after_curve.opts["pen"].color().alpha() == RAW_ALPHA == 64  # faintly, 25%
    assert settings.get(keys.LOSS_SMOOTHING) == pytest.approx(0.9)
    again = MetaLossPanel(settings)  # the setting is read back (as text from the INI file)
    qtbot.addWidget(again)
    assert again.smoothing_slider.value() == pytest.approx(0.9) and again.plot.smoothing == pytest.approx(0.9)
