"""The window's shell against issue 3: menus, Reset, Reset Layout, Clear Points, the status
bar, the device selector, Train disabled by an invalid form, the last config kept."""

from __future__ import annotations


import pytest

pytest.importorskip("pytestqt")

from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtWidgets import QMessageBox  # noqa: E402
from superqt.utils import qthrottled  # noqa: E402

from maml_gui.core.presets import load_preset  # noqa: E402
from maml_gui.qt import settings as keys  # noqa: E402
from maml_gui.qt.app import create_window  # noqa: E402
from maml_gui.qt.main_window import MainWindow  # noqa: E402
from maml_gui.qt.session import TrainingState  # noqa: E402
from maml_gui.qt.training_lifecycle import TrainingLifecycle  # noqa: E402
from tests.qt.helpers import slow_config, tiny_config  # noqa: E402

Button = QMessageBox.StandardButton


@pytest.fixture
def window(qtbot, monkeypatch):
    monkeypatch.setattr(QMessageBox, "warning", lambda *a: None)
    made = MainWindow()
    made.settings.set(keys.CONFIRM_DISCARD, False)
    qtbot.addWidget(made)
    made.session.new_experiment(tiny_config())
    made.show()
    yield made
    made.settings.set(keys.CONFIRM_DISCARD, False)
    made.close()


def menu(window, title: str):
    for action in window.menuBar().actions():
        if action.text().replace("&", "") == title:
            return action.menu()
    raise AssertionError(f"no {title} menu")


def entries(window, title: str) -> list[str]:
    return [a.text().replace("&", "") for a in menu(window, title).actions() if not a.isSeparator()]


def train_to_the_end(qtbot, window) -> None:
    window.window_actions.start.trigger()
    qtbot.waitUntil(lambda: window.session.state is TrainingState.IDLE and window.session.iteration == 40,
                    timeout=20_000)


def test_menus_hold_what_the_issue_lists(window):
    assert entries(window, "File")[:7] == ["New", "New from Preset", "Open Run…", "Open Runs…", "Open Recent",
                                           "Save Experiment", "Save Experiment As…"]
    assert entries(window, "File")[-1] == "Quit"
    assert entries(window, "Edit")[:3] == ["Undo", "Redo", "Clear Points"]
    assert entries(window, "Training")[:5] == ["Train", "Continue", "Pause", "Stop", "Reset"]
    assert entries(window, "Training")[5:] == ["Sweep…", "Sweep Progress", "Compare Models…"]
    assert {"Experiment", "Training", "Meta-loss", "Adaptation at validation", "Reset Layout"} <= set(
        entries(window, "View"))
    a = window.window_actions
    for action in (a.start, a.pause, a.stop, a.reset, a.continue_, a.new_experiment, a.open_run, a.save_run_as,
                   a.quit, a.clear_points):
        assert not action.shortcut().isEmpty(), action.text()


def test_no_two_window_actions_share_a_shortcut(window):
    from PySide6.QtGui import QAction

    keys_used: dict[str, str] = {}
    for action in window.findChildren(QAction):
        if action.parent() is not window:  # another window's (the results table's Ctrl+S saves its CSV)
            continue
        for key in action.shortcuts():
            assert key.toString() not in keys_used, (key.toString(), keys_used.get(key.toString()), action.text())
            keys_used[key.toString()] = action.text()
    assert {"Ctrl+Shift+E", "Ctrl+Shift+M", "Ctrl+Shift+W"} <= set(keys_used)


def test_about_names_the_versions_and_the_device(window, monkeypatch):
    shown = []
    monkeypatch.setattr(QMessageBox, "about", lambda parent, title, text: shown.append(text))
    window.window_actions.about.trigger()
    text = shown[-1]
    for name in ("MAML Studio", "PyTorch", "Qt", "PySide6", "Device found: cpu"):
        assert name in text


def test_reset_layout_brings_back_hidden_and_floating_docks(qtbot, window):
    docks = window.docks
    docks["adaptation"].hide()
    docks["meta_loss"].setFloating(True)
    window.removeDockWidget(docks["training"])
    window.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, docks["training"])
    window.window_actions.reset_layout.trigger()
    assert all(dock.isVisible() and not dock.isFloating() for dock in docks.values())
    assert window.dockWidgetArea(docks["training"]) == Qt.DockWidgetArea.LeftDockWidgetArea
    assert window.dockWidgetArea(docks["meta_loss"]) == Qt.DockWidgetArea.BottomDockWidgetArea
    assert window.dockWidgetArea(docks["experiment"]) == Qt.DockWidgetArea.LeftDockWidgetArea


def test_reset_discards_model_and_curves_after_asking(qtbot, window):
    assert not window.window_actions.reset.isEnabled()  # nothing to reset yet
    train_to_the_end(qtbot, window)
    window.playground.set_points([(0.0, 1.0)])
    assert window.window_actions.reset.isEnabled() and window.loss_plot.point_count() == 40
    window.settings.set(keys.CONFIRM_DISCARD, True)
    asked = []
    window.ask_unsaved = lambda doing: asked.append(doing) or Button.Cancel
    window.window_actions.reset.trigger()
    assert asked == ["resetting"] and window.session.snapshot is not None  # cancelled: all kept
    window.ask_unsaved = lambda doing: Button.Discard
    window.window_actions.reset.trigger()
    assert window.session.snapshot is None and window.session.history() is None
    assert window.loss_plot.point_count() == 0 and window.adaptation_plot.record is None
    assert window.training_status.iteration.text() == "iteration 0 / 40"
    assert window.session.config == tiny_config() and window.playground.points() == [(0.0, 1.0)]
    assert not window.window_actions.reset.isEnabled() and window.window_actions.start.isEnabled()
    qtbot.waitUntil(lambda: "Train or open a run" in window.playground.hint.text(), timeout=5000)


def test_reset_during_training_stops_it(qtbot, window):
    window.session.set_config(slow_config())
    window.window_actions.start.trigger()
    qtbot.waitUntil(lambda: window.session.iteration > 0, timeout=10_000)
    window.window_actions.reset.trigger()
    assert window.session.state is TrainingState.IDLE and window.session.snapshot is None
    assert window.loss_plot.point_count() == 0


def test_clear_points_from_the_edit_menu_is_undoable(window):
    clear = window.window_actions.clear_points
    assert not clear.isEnabled()
    window.playground.sample_task()
    points = window.playground.points()
    assert len(points) == 10 and clear.isEnabled()
    edit = {a.objectName() or a.text(): a for a in menu(window, "Edit").actions()}
    edit["clear_points"].trigger()
    assert window.playground.points() == [] and not clear.isEnabled()
    edit["undo"].trigger()
    assert window.playground.points() == points
    edit["redo"].trigger()
    assert window.playground.points() == []


def test_status_bar_shows_iteration_speed_device_time_and_progress(qtbot, window):
    window.session.set_config(slow_config())
    bar = window.training_status
    assert bar.iteration.text() == "iteration 0 / 1,000,000"
    window.window_actions.start.trigger()
    qtbot.waitUntil(lambda: window.session.iteration > 20 and bar.speed.text().endswith("it/s"), timeout=10_000)
    assert bar.iteration.text().startswith("iteration ") and bar.iteration.text().endswith(" / 1,000,000")
    assert int(bar.iteration.text().split()[1].replace(",", "")) > 0
    assert bar.device.text() == "cpu" and "elapsed" in bar.time.text() and "ETA" in bar.time.text()
    assert bar.progress_bar.maximum() == 1_000_000 and bar.progress_bar.value() > 0
    assert bar.state.text() == "training"
    assert all(w.minimumSize() == w.maximumSize() for w in bar.labels.values())  # no relayout per report
    window.window_actions.stop.trigger()
    qtbot.waitUntil(lambda: window.session.state is TrainingState.IDLE, timeout=10_000)
    assert "stopped" in bar.time.text() and bar.state.text() == "idle"


def test_absent_devices_are_disabled_with_the_reason(qtbot, monkeypatch):
    from maml_gui.qt.panels import training_section

    monkeypatch.setattr(training_section, "available_devices", lambda: {
        "cpu": None, "cuda": "no CUDA GPU found", "mps": "Apple MPS is not available on this machine"})
    section = training_section.TrainingSection()
    qtbot.addWidget(section)
    model = section.device.model()
    for name, reason in (("cuda", "no CUDA GPU found"), ("mps", "Apple MPS is not available on this machine")):
        index = section.device.findData(name)
        assert not model.item(index).isEnabled()
        assert section.device.itemData(index, Qt.ItemDataRole.ToolTipRole) == reason
    for name in ("auto", "cpu"):
        assert model.item(section.device.findData(name)).isEnabled()
    assert [section.device.itemText(i) for i in range(section.device.count())] == ["Auto", "CPU", "CUDA", "MPS"]


def test_present_devices_stay_enabled(qtbot, monkeypatch):
    from maml_gui.qt.panels import training_section

    monkeypatch.setattr(training_section, "available_devices", lambda: {"cpu": None, "cuda": None, "mps": "absent"})
    section = training_section.TrainingSection()
    qtbot.addWidget(section)
    assert section.device.model().item(section.device.findData("cuda")).isEnabled()
    assert not section.device.model().item(section.device.findData("mps")).isEnabled()


def test_a_formula_error_disables_train_until_fixed(window):
    window.session.new_experiment(load_preset("custom-formula"))
    expression = window.config_panel.task.expression
    start = window.window_actions.start
    assert start.isEnabled()
    expression.setText("a * sin(b * x +")
    expression.textEdited.emit(expression.text())
    assert not start.isEnabled() and "column" in start.toolTip()
    assert "column" in window.config_panel.field_error
    start.trigger()  # the shortcut cannot start it either
    assert window.session.state is TrainingState.IDLE
    expression.setText("a * sin(b * x + c) + 1")
    expression.textEdited.emit(expression.text())
    assert start.isEnabled() and window.session.config.task.expression == "a * sin(b * x + c) + 1"


def test_closing_during_training_stops_it(qtbot, window):
    window.session.set_config(load_preset("finn2017-sinusoid").with_overrides(
        ["training.device=\"cpu\"", "training.threads=1", "training.val_interval=200"]))
    window.window_actions.start.trigger()
    qtbot.waitUntil(lambda: window.session.iteration > 0, timeout=10_000)
    assert window.close()  # stops and waits for the thread (timings: benchmarks/app_exit.py)
    assert window.session.state is TrainingState.IDLE


def test_new_asks_then_starts_over_without_points(qtbot, window):
    train_to_the_end(qtbot, window)
    window.playground.set_points([(0.0, 1.0)])
    window.settings.set(keys.CONFIRM_DISCARD, True)
    window.ask_unsaved = lambda doing: Button.Discard
    window.window_actions.new_experiment.trigger()
    assert window.session.config == load_preset("finn2017-sinusoid") and window.session.snapshot is None
    assert window.playground.points() == []


def test_the_last_config_is_restored_on_start(qtbot):
    first = create_window()
    first.settings.set(keys.CONFIRM_DISCARD, False)
    qtbot.addWidget(first)
    first.config_panel.training.meta_batch.setValue(7)
    first.close()
    second = create_window()
    qtbot.addWidget(second)
    try:
        assert second.session.config.training.meta_batch == 7
        assert second.config_panel.training.meta_batch.value() == 7
    finally:
        second.close()


def test_a_damaged_last_config_falls_back_to_the_preset(qtbot):
    from maml_gui.qt.settings import AppSettings

    AppSettings().set(keys.LAST_CONFIG, "[training]\ninner_lr = -1\n")
    window = create_window()
    qtbot.addWidget(window)
    try:
        assert window.session.config == load_preset("finn2017-sinusoid")
    finally:
        window.close()


def test_playground_follows_training_snapshots_first_at_once_then_only_the_newest(qtbot, window, monkeypatch):
    shown = []

    def show(snapshot) -> None:
        shown.append(snapshot)

    running = [True]
    monkeypatch.setattr(TrainingLifecycle, "state",
                        property(lambda self: TrainingState.RUNNING if running[0] else TrainingState.IDLE))
    monkeypatch.setattr(window.playground, "set_snapshot", show)
    window.playground_snapshot = qthrottled(show, 100, parent=window)
    for value in ("first", "second", "third"):
        window._on_snapshot_changed(value)
    assert shown == ["first"]
    qtbot.waitUntil(lambda: shown == ["first", "third"], timeout=2000)
    window._on_snapshot_changed("fourth")
    running[0] = False
    window._on_snapshot_changed(None)  # not training: at once, and the pending "fourth" is dropped
    assert shown == ["first", "third", None]
    qtbot.wait(150)
    assert shown == ["first", "third", None]


def test_train_asks_before_replacing_an_unsaved_model(qtbot, window):
    train_to_the_end(qtbot, window)
    trained = window.session.snapshot
    window.settings.set(keys.CONFIRM_DISCARD, True)
    asked = []
    window.ask_unsaved = lambda doing: asked.append(doing) or Button.Cancel
    window.window_actions.start.trigger()
    assert asked == ["training a new model"] and window.session.snapshot is trained
    assert window.session.state is TrainingState.IDLE
