"""The plots' right-click menus: export this plot, log y axis, reset view, above pyqtgraph's items."""

from __future__ import annotations

import pytest

pytest.importorskip("pytestqt")

from PySide6.QtWidgets import QFileDialog, QMessageBox  # noqa: E402

from maml_gui.qt import settings as keys  # noqa: E402
from maml_gui.qt.main_window import MainWindow  # noqa: E402
from maml_gui.qt.plots.context_menu import EXPORT_TEXT, RESET_TEXT  # noqa: E402


@pytest.fixture
def window(qtbot, monkeypatch):
    monkeypatch.setattr(QMessageBox, "information", lambda *a: QMessageBox.StandardButton.Ok)
    made = MainWindow()
    made.settings.set(keys.CONFIRM_DISCARD, False)
    qtbot.addWidget(made)
    yield made
    made.close()


def texts(menu) -> list[str]:
    return [a.text() for a in menu.actions() if not a.isSeparator()]


def test_each_plot_menu_starts_with_the_apps_actions(window):
    plots = {"Playground": window.playground.plot, "Meta-loss": window.loss_plot,
             "Adaptation at validation": window.adaptation_plot, "Accuracy": window.loss_panel.accuracy_plot}
    assert set(window.plot_menus) == set(plots)
    for label, plot in plots.items():
        menu = plot.getPlotItem().getViewBox().menu
        ours = window.plot_menus[label].app_actions()
        assert texts(menu)[:len(ours)] == [a.text() for a in ours]
        assert texts(menu)[0] == EXPORT_TEXT and RESET_TEXT in texts(menu)
        assert "View All" in texts(menu)  # pyqtgraph's own items are still there, below
    assert window.plot_menus["Meta-loss"].log_action is window.window_actions.loss_log_scale
    assert window.plot_menus["Playground"].log_action is None  # y is as often negative as not


def test_log_y_axis_toggles_from_the_menu(window):
    loss_log = window.plot_menus["Meta-loss"].log_action
    before = window.loss_plot.log_scale
    loss_log.trigger()
    assert window.loss_plot.log_scale is (not before)
    assert window.loss_plot.getPlotItem().ctrl.logYCheck.isChecked() is (not before)
    assert window.settings.get(keys.LOSS_LOG_SCALE) is (not before)
    adaptation_log = window.plot_menus["Adaptation at validation"].log_action
    assert not window.adaptation_plot.log_scale
    adaptation_log.trigger()
    assert window.adaptation_plot.log_scale and window.adaptation_plot.getPlotItem().ctrl.logYCheck.isChecked()


def test_export_this_plot_writes_the_file_chosen_in_the_dialog(window, monkeypatch, tmp_path):
    asked = []

    def save_file_name(parent, title, start, file_filter):
        asked.append(title)
        return str(tmp_path / "loss.png"), file_filter

    monkeypatch.setattr(QFileDialog, "getSaveFileName", save_file_name)
    window.plot_menus["Meta-loss"].export_action.trigger()
    assert asked == ["Save the Meta-loss plot"]
    assert (tmp_path / "loss.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a: (str(tmp_path / "playground.svg"), ""))
    window.plot_menus["Playground"].export_action.trigger()
    assert b"<svg" in (tmp_path / "playground.svg").read_bytes()


def test_reset_view_brings_back_the_whole_curve(window):
    plot = window.loss_plot
    plot.getPlotItem().plot([0, 100], [1, 2])
    plot.getPlotItem().getViewBox().setRange(xRange=(40, 41), padding=0)
    window.plot_menus["Meta-loss"].reset_action.trigger()
    plot.getPlotItem().getViewBox().updateAutoRange()
    (x0, x1), _ = plot.getPlotItem().getViewBox().viewRange()
    assert x0 <= 0 and x1 >= 100
    playground = window.playground.plot
    home = playground.getPlotItem().getViewBox().viewRange()
    playground.getPlotItem().getViewBox().setRange(xRange=(2, 3), yRange=(0, 1), padding=0)
    window.plot_menus["Playground"].reset_action.trigger()
    assert sum(playground.getPlotItem().getViewBox().viewRange(), []) == pytest.approx(sum(home, []))


def test_the_adaptation_plot_on_a_log_axis_keeps_its_band_drawable(window):
    import numpy as np

    from maml_gui.core.evaluation import AdaptationCurve
    from maml_gui.core.metrics import ValidationRecord

    curve = AdaptationCurve(steps=(0, 1, 2), mse=(3.0, 0.5, 0.2), ci95=(0.5, 0.6, 0.1))  # step 1's band reaches below 0
    plot = window.adaptation_plot
    plot.show_record(ValidationRecord(10, 3.0, 0.5, curve))
    assert plot.meta.lower.yData[1] == 0.0
    window.plot_menus["Adaptation at validation"].log_action.trigger()
    assert np.all(plot.meta.lower.yData > 0) and plot.meta.lower.yData[1] == 0.5 * 0.01
    assert list(plot.meta.line.yData) == [3.0, 0.5, 0.2]
    window.grab()  # drawn on a log axis without an error
