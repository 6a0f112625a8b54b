"""The main window: training from the actions, live curves, runs on disk, closing, settings."""

from __future__ import annotations

import pytest

pytest.importorskip("pytestqt")

from PySide6.QtWidgets import QMessageBox  # noqa: E402

from maml_gui.core.checkpoint import load_run  # noqa: E402
from maml_gui.core.config import load_config  # noqa: E402
from maml_gui.core.presets import load_preset  # noqa: E402
from maml_gui.qt import settings as keys  # noqa: E402
from maml_gui.qt.main_window import MainWindow  # noqa: E402
from maml_gui.qt.playground import PlaygroundWidget  # noqa: E402
from maml_gui.qt.session import TrainingState  # noqa: E402
from maml_gui.qt.settings import AppSettings  # noqa: E402
from tests.qt.helpers import slow_config, tiny_config  # noqa: E402


@pytest.fixture
def warnings(monkeypatch):
    shown = []
    monkeypatch.setattr(QMessageBox, "warning", lambda parent, title, text, *a: shown.append(text))
    return shown


@pytest.fixture
def window(qtbot, warnings):
    made = MainWindow()
    made.settings.set(keys.CONFIRM_DISCARD, False)  # pytest-qt closes widgets before fixtures end
    qtbot.addWidget(made)
    made.session.new_experiment(tiny_config())
    made.show()
    yield made
    made.close()


def wait_idle(qtbot, window) -> None:
    qtbot.waitUntil(lambda: window.session.state is TrainingState.IDLE, timeout=20_000)
    qtbot.wait(30)


def test_layout_and_idle_actions(window):
    assert isinstance(window.centralWidget().currentWidget(), PlaygroundWidget)
    assert set(window.docks) == {"experiment", "training", "meta_loss", "adaptation"}
    a = window.window_actions
    assert a.start.isEnabled() and not a.stop.isEnabled() and not a.pause.isEnabled()
    assert not a.continue_.isEnabled()
    assert window.windowTitle().startswith("tiny")


def test_start_draws_curves_and_feeds_the_playground(qtbot, window):
    window.window_actions.start.trigger()
    assert window.window_actions.stop.isEnabled() and not window.window_actions.start.isEnabled()
    wait_idle(qtbot, window)
    assert window.loss_plot.point_count() == 40
    assert window.adaptation_plot.record is not None and window.adaptation_plot.record.iteration == 40
    assert window.status_panel.progress_bar.value() == 40
    assert window.isWindowModified()
    qtbot.waitUntil(lambda: "iteration 40" in window.playground.controls.model_label.text(), timeout=10_000)


def test_pause_and_stop_actions(qtbot, window):
    window.session.set_config(slow_config())
    window.window_actions.start.trigger()
    qtbot.waitUntil(lambda: window.session.iteration > 0, timeout=10_000)
    window.window_actions.pause.trigger()
    assert window.session.state is TrainingState.PAUSED
    assert window.window_actions.pause.text() == "Resume"
    window.window_actions.pause.trigger()
    assert window.session.state is TrainingState.RUNNING
    window.window_actions.stop.trigger()
    wait_idle(qtbot, window)
    assert window.window_actions.continue_.isEnabled() and window.state_label.text() == "idle"


def test_save_as_writes_the_run_with_the_drawn_points(qtbot, window, tmp_path):
    window.window_actions.start.trigger()
    wait_idle(qtbot, window)
    window.playground.set_points([(0.0, 1.0), (1.0, -1.0)])
    window.files.ask_save_folder = lambda title: str(tmp_path / "run")
    window.window_actions.save_run.trigger()  # no folder yet: asks for one
    run = load_run(tmp_path / "run")
    assert run.iteration == 40 and run.points == [(0.0, 1.0), (1.0, -1.0)]
    assert not window.isWindowModified() and str(tmp_path / "run") in window.windowTitle()
    assert AppSettings().recent_runs()[0] == str((tmp_path / "run").resolve())


def test_opening_a_run_restores_config_curves_and_points(qtbot, window, tmp_path):
    window.window_actions.start.trigger()
    wait_idle(qtbot, window)
    window.playground.set_points([(0.5, 0.5)])
    window.session.save_run(tmp_path / "run")
    other = MainWindow()
    other.settings.set(keys.CONFIRM_DISCARD, False)
    qtbot.addWidget(other)
    try:
        other.files.ask_directory = lambda title: str(tmp_path / "run")
        other.window_actions.open_run.trigger()
        assert other.config_panel.current_config() == window.session.config
        assert other.loss_plot.point_count() == 40
        assert other.playground.points() == [(0.5, 0.5)]
        assert other.adaptation_plot.record.iteration == 40
    finally:
        other.close()


def test_editing_iterations_enables_continue(qtbot, window):
    window.window_actions.start.trigger()
    wait_idle(qtbot, window)
    assert not window.window_actions.continue_.isEnabled()
    window.config_panel.training.iterations.setValue(60)
    assert window.window_actions.continue_.isEnabled()
    window.window_actions.continue_.trigger()
    wait_idle(qtbot, window)
    assert window.session.iteration == 60 and window.loss_plot.point_count() == 60


def test_close_during_training_stops_the_thread(qtbot, window):
    window.session.set_config(slow_config())
    window.window_actions.start.trigger()
    qtbot.waitUntil(lambda: window.session.iteration > 0, timeout=10_000)
    window.settings.set(keys.CONFIRM_DISCARD, True)
    asked = []
    window.ask_save_before_closing = lambda: asked.append(1) or QMessageBox.StandardButton.Discard
    assert window.close()
    assert asked == [1] and window.session.state is TrainingState.IDLE


def test_cancel_keeps_the_window_open(qtbot, window):
    window.window_actions.start.trigger()
    wait_idle(qtbot, window)
    window.settings.set(keys.CONFIRM_DISCARD, True)
    window.ask_save_before_closing = lambda: QMessageBox.StandardButton.Cancel
    assert not window.close()
    assert window.isVisible()
    window.settings.set(keys.CONFIRM_DISCARD, False)


def test_layout_and_log_scale_are_remembered(qtbot, window):
    window.resize(790, 560)  # the offscreen screen is 800 wide; the docks' minimum sizes need ~770 × 500
    window.docks["adaptation"].hide()
    window.window_actions.loss_log_scale.setChecked(False)
    assert not window.loss_plot.log_scale
    window.close()
    again = MainWindow()
    again.settings.set(keys.CONFIRM_DISCARD, False)
    qtbot.addWidget(again)
    try:
        assert (again.size().width(), again.size().height()) == (790, 560)
        assert again.docks["adaptation"].isHidden() and not again.docks["meta_loss"].isHidden()
        assert not again.loss_plot.log_scale
        assert not again.window_actions.loss_log_scale.isChecked()
    finally:
        again.close()


def test_config_import_and_export(window, tmp_path, warnings):
    target = tmp_path / "exp.toml"
    window.files.ask_file = lambda title, save: str(target)
    window.window_actions.export_config.trigger()
    assert load_config(target) == window.session.config
    target.write_text(tiny_config(iterations=77).to_toml())
    window.window_actions.import_config.trigger()
    assert window.session.config.training.iterations == 77
    assert window.config_panel.training.iterations.value() == 77
    target.write_text("[training]\ninner_lr = -1\n")
    window.window_actions.import_config.trigger()
    assert warnings and "training.inner_lr" in warnings[-1]
    assert window.session.config.training.iterations == 77
    target.write_text(load_preset("points-3way-5shot").to_toml())
    shown = len(warnings)
    window.window_actions.import_config.trigger()  # a classification config is imported like any other
    assert len(warnings) == shown and window.session.config == load_preset("points-3way-5shot")
    assert window.config_panel.task.kind.currentData() == "classification" and window.config_panel.is_valid()


def test_errors_reach_the_user(window, warnings, tmp_path):
    window.files.open_run(tmp_path / "nothing-here")
    assert warnings and "not a directory" in warnings[-1]
    assert "not a directory" in window.statusBar().currentMessage()


def test_recent_runs_menu_opens_a_run(qtbot, window, tmp_path):
    window.window_actions.start.trigger()
    wait_idle(qtbot, window)
    window.session.save_run(tmp_path / "run")
    window.session.new_experiment(tiny_config(iterations=5))
    window.recent_menu.rebuild()
    entry = window.recent_menu.actions()[0]
    assert entry.data() == str((tmp_path / "run").resolve())
    entry.trigger()
    assert window.session.iteration == 40 and window.session.run_path is not None


def test_export_menu_writes_the_trained_model_and_metrics(qtbot, window, tmp_path, monkeypatch):
    exports = window.export_actions
    told = []
    monkeypatch.setattr(exports, "inform", told.append)
    assert exports.export_model_as("torchscript") is None and told[-1].startswith("Train or open a run")
    window.window_actions.start.trigger()
    wait_idle(qtbot, window)
    monkeypatch.setattr(exports, "ask_save_path", lambda title, name, file_filter, suffix: tmp_path / f"m{suffix}")
    written = exports.export_model_as("safetensors")
    assert written == tmp_path / "m.safetensors" and written.is_file()
    assert (tmp_path / "m.safetensors.json").is_file()
    assert "iteration 40" in told[-1]
    monkeypatch.setattr(exports, "ask_save_path", lambda title, name, file_filter, suffix: tmp_path / "metrics.csv")
    assert exports.export_metrics() == tmp_path / "metrics.csv"
    assert len((tmp_path / "metrics.csv").read_text().splitlines()) == 41  # header + 40 iterations
    assert set(exports.plot_actions) == {"Playground", "Meta-loss", "Adaptation at validation", "Accuracy"}
