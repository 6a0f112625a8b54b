"""App start-up and quitting, the TOML editor, the status numbers."""

from __future__ import annotations

import math
import os
import subprocess
import sys

import pytest

pytest.importorskip("pytestqt")

from PySide6.QtCore import QCoreApplication, QSettings  # noqa: E402

from maml_gui.core.presets import load_preset  # noqa: E402
from maml_gui.qt import settings as keys  # noqa: E402
from maml_gui.qt.app import configure_application, create_window  # noqa: E402
from maml_gui.qt.panels.training_status import format_duration  # noqa: E402
from maml_gui.qt.resources import app_icon_path  # noqa: E402
from maml_gui.qt.session import ExperimentSession, TrainingState  # noqa: E402
from maml_gui.qt.settings import AppSettings  # noqa: E402
from maml_gui.qt.toml_dialog import ConfigTomlDialog  # noqa: E402
from tests.qt.helpers import tiny_config  # noqa: E402


@pytest.fixture
def restore_app_names():
    names = QCoreApplication.organizationName(), QCoreApplication.applicationName()
    yield
    QCoreApplication.setOrganizationName(names[0])
    QCoreApplication.setApplicationName(names[1])


def test_configure_application_names_and_settings_format(qapp, restore_app_names):
    configure_application(qapp)
    assert QCoreApplication.organizationName() == keys.ORGANIZATION
    assert QCoreApplication.applicationName() == keys.APPLICATION
    assert QSettings().format() == QSettings.Format.IniFormat
    assert app_icon_path() is not None and not qapp.windowIcon().isNull()


def test_start_opens_the_last_preset(qtbot):
    AppSettings().set(keys.LAST_PRESET, "reptile-sinusoid")
    window = create_window()
    window.settings.set(keys.CONFIRM_DISCARD, False)
    qtbot.addWidget(window)
    assert window.session.config == load_preset("reptile-sinusoid")
    window.close()


def test_start_ignores_a_preset_that_no_longer_exists(qtbot):
    AppSettings().set(keys.LAST_PRESET, "removed-in-this-version")
    window = create_window()
    qtbot.addWidget(window)
    assert window.session.config == load_preset("finn2017-sinusoid")
    window.close()


def test_start_on_a_run_directory(qtbot, tmp_path):
    session = ExperimentSession(tiny_config())
    session.start_training()
    qtbot.waitUntil(lambda: session.state is TrainingState.IDLE and session.iteration == 40, timeout=20_000)
    session.save_run(tmp_path / "run")
    window = create_window(str(tmp_path / "run"))
    qtbot.addWidget(window)
    assert window.session.iteration == 40 and window.session.run_path == tmp_path / "run"
    window.close()


def test_run_app_opens_the_window_and_returns_the_exit_code(tmp_path):
    # in a child process: a finished app.exec() leaves this process's Qt in a state that slows
    # every later test's worker threads
    code = ("import sys\n"
            "from PySide6.QtCore import QTimer\n"
            "from PySide6.QtWidgets import QApplication\n"
            "from maml_gui.qt.app import run_app\n"
            "app = QApplication(sys.argv[:1])\n"
            "def check():\n"
            "    windows = [w for w in app.topLevelWidgets() if w.objectName() == 'main_window']\n"
            "    print(len(windows), windows[0].isVisible(), windows[0].session.config.name)\n"
            "    app.exit(3)\n"
            "QTimer.singleShot(200, check)\n"
            "sys.exit(run_app())\n")
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "XDG_CONFIG_HOME": str(tmp_path), "HOME": str(tmp_path)}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=env)
    assert result.returncode == 3, result.stderr[-2000:]
    assert result.stdout.strip() == f"1 True {load_preset('finn2017-sinusoid').name}"


def test_toml_dialog_refuses_invalid_text_then_accepts(qtbot):
    dialog = ConfigTomlDialog(tiny_config())
    qtbot.addWidget(dialog)
    assert dialog.parse() == tiny_config()
    dialog.editor.setPlainText("[training]\ninner_steps = 0\n")
    dialog.accept()
    assert dialog.result() == 0 and dialog.config is None
    assert dialog.error_label.text().startswith("config: training.inner_steps")
    dialog.editor.setPlainText(tiny_config(iterations=9).to_toml())
    dialog.accept()
    assert dialog.config.training.iterations == 9 and dialog.result() == 1


@pytest.mark.parametrize("seconds, text", [(0, "0:00"), (75, "1:15"), (3725, "1:02:05"), (math.inf, "–"),
                                           (math.nan, "–")])
def test_durations(seconds, text):
    assert format_duration(seconds) == text


def test_recent_runs_are_unique_newest_first_and_bounded(tmp_path):
    settings = AppSettings()
    for i in range(12):
        settings.add_recent_run(tmp_path / f"run{i}")
    settings.add_recent_run(tmp_path / "run5")
    runs = settings.recent_runs()
    assert len(runs) == keys.MAX_RECENT_RUNS and runs[0].endswith("run5") and len(set(runs)) == len(runs)
    settings.forget_recent_run(runs[0])
    assert not settings.recent_runs()[0].endswith("run5")


def test_settings_of_the_wrong_type_read_as_defaults():
    store = QSettings()
    store.setValue(keys.LOSS_LOG_SCALE.key, "false")
    store.setValue(keys.LAST_PRESET.key, 12)
    settings = AppSettings(store)
    assert settings.get(keys.LOSS_LOG_SCALE) is False
    assert settings.get(keys.LAST_PRESET) == keys.LAST_PRESET.default


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT to a child process is POSIX")
def test_ctrl_c_in_the_terminal_quits_cleanly(tmp_path):
    """Ctrl-C quits through the app's own shutdown, and the process does not linger in the
    interpreter's final garbage collection (what was allocated is frozen, see ``end_quickly``)."""
    import gc
    import signal

    code = ("import gc, sys\n"
            "from PySide6.QtCore import QTimer\n"
            "from PySide6.QtWidgets import QApplication\n"
            "from maml_gui.qt.app import run_app\n"
            "app = QApplication(sys.argv[:1])\n"
            "QTimer.singleShot(100, lambda: print('shown', flush=True))\n"
            "code = run_app()\n"
            "print('collects automatically', gc.isenabled(), flush=True)\n"
            "print('frozen', gc.get_freeze_count(), flush=True)\n"
            "sys.exit(code)\n")
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "XDG_CONFIG_HOME": str(tmp_path), "HOME": str(tmp_path)}
    child = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             env=env)
    try:
        assert child.stdout.readline().strip() == "shown"  # the event loop runs, the handler is installed
        child.send_signal(signal.SIGINT)
        stdout, stderr = child.communicate(timeout=60)
    finally:
        if child.poll() is None:
            child.kill()
    assert child.returncode == 0, stderr[-2000:]
    assert "Destroyed while thread" not in stderr  # the playground's thread was stopped
    assert any(p.name.endswith(".ini") for p in tmp_path.rglob("*"))  # the layout was saved
    assert int(stdout.split("frozen")[1]) > 10_000 and gc.get_freeze_count() == 0  # only the app's process
    assert "collects automatically False" in stdout  # cycles are collected in the GUI thread only (qt/gui_gc.py)


def test_status_panel_keeps_the_last_speed_and_says_done(qtbot):
    import numpy as np

    from maml_gui.core.training import Progress
    from maml_gui.qt.panels.training_status import TrainingStatusPanel

    panel = TrainingStatusPanel([])
    qtbot.addWidget(panel)

    def report(iterations, rate, finished=False):
        its = np.arange(iterations[0], iterations[1], dtype=np.int64)
        return Progress(iteration=int(its[-1]) if its.size else 100, total=100, iterations=its,
                        loss_before=np.ones(its.size), loss_after=np.full(its.size, 0.5), validation=None,
                        its_per_s=rate, elapsed_s=65.0, eta_s=12.0, meta_lr=1e-3, snapshot=None, device="cpu",
                        finished=finished)

    panel.show_progress(report((90, 101), 480.0))
    assert panel.speed.text().startswith("480 it/s") and panel.time.text() == "1:05 / 0:12"
    panel.show_progress(report((0, 0), 0.0, finished=True))
    assert panel.speed.text().startswith("480 it/s") and panel.time.text() == "1:05 / done"
    assert panel.progress_bar.value() == 100 and panel.losses.text() == "1 before → 0.5 after"
