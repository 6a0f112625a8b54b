"""First start: the bundled trained model is in the playground at once, labelled as such, and
it is nobody's unsaved work; a changed bundled file is refused with a message."""

from __future__ import annotations

import shutil

import pytest

pytest.importorskip("pytestqt")

from PySide6.QtWidgets import QMessageBox  # noqa: E402

from maml_gui.core import bundled as core_bundled  # noqa: E402
from maml_gui.core.checkpoint import WEIGHTS  # noqa: E402
from maml_gui.core.presets import load_preset  # noqa: E402
from maml_gui.qt import settings as keys  # noqa: E402
from maml_gui.qt.app import create_window  # noqa: E402
from maml_gui.qt.settings import AppSettings  # noqa: E402

DESCRIPTION = "bundled model: MAML on sinusoids, 20,000 iterations"


@pytest.fixture
def first_start(qtbot):
    window = create_window()  # a fresh settings store: no last config, no run
    qtbot.addWidget(window)
    window.show()
    yield window
    window.settings.set(keys.CONFIRM_DISCARD, False)
    window.close()


def test_first_start_adapts_clicked_points_with_the_bundled_model(qtbot, first_start):
    window, playground = first_start, first_start.playground
    assert window.session.snapshot is not None and window.session.snapshot.iteration == 20_000
    assert window.session.config == load_preset("finn2017-sinusoid")  # the form still shows the preset
    assert playground.showing_bundled_model()
    assert DESCRIPTION in playground.hint.text() and DESCRIPTION in window.statusBar().currentMessage()
    assert playground.controls.model_label.text().startswith("bundled model")
    with qtbot.waitSignal(playground.adaptationShown, timeout=10_000):
        playground._on_add_requested(-3.0, 1.0)  # what a click on empty space asks for
    with qtbot.waitSignal(playground.adaptationShown, timeout=10_000):
        playground._on_add_requested(1.0, -2.0)
    curves = playground.step_curves()
    assert len(curves) == playground.controls.steps() + 1
    assert abs(curves[-1] - curves[0]).max() > 0.1  # the steps moved the curve towards the points


def test_the_bundled_model_is_not_unsaved_work(qtbot, first_start, monkeypatch):
    window = first_start
    window.settings.set(keys.CONFIRM_DISCARD, True)
    asked = []
    monkeypatch.setattr(window, "ask_unsaved", lambda doing: asked.append(doing) or QMessageBox.StandardButton.Cancel)
    assert not window.session.unsaved and not window.isWindowModified()
    assert not window.window_actions.continue_.isEnabled()  # nothing to continue: Train replaces it
    assert window.confirm_discard("training a new model")
    window.window_actions.new_experiment.trigger()
    assert asked == [] and window.session.snapshot is None
    assert not window.playground.showing_bundled_model()
    assert window.playground.controls.model_label.text() == "no model yet"


def test_save_as_writes_the_bundled_weights_with_the_points(qtbot, first_start, tmp_path):
    window = first_start
    window.playground.set_points([(0.0, 1.0)])
    window.files.ask_save_folder = lambda title: str(tmp_path / "run")
    assert window.files.save_run()
    from maml_gui.core.checkpoint import load_run

    run = load_run(tmp_path / "run")
    assert run.iteration == 20_000 and run.points == [(0.0, 1.0)]


def test_the_bundled_model_waits_for_an_experiment_it_fits(qtbot):
    AppSettings().set(keys.LAST_PRESET, "sinusoid-and-line")
    window = create_window()
    qtbot.addWidget(window)
    assert window.session.snapshot is None and not window.playground.showing_bundled_model()
    window.close()


def test_a_changed_bundled_file_is_refused_with_a_message(qtbot, tmp_path, monkeypatch):
    copy = tmp_path / "bundled"
    shutil.copytree(core_bundled.bundled_directory(), copy)
    data = bytearray((copy / WEIGHTS).read_bytes())
    data[-1] ^= 0xFF
    (copy / WEIGHTS).write_bytes(bytes(data))
    monkeypatch.setattr(core_bundled, "bundled_directory", lambda: copy)
    window = create_window()
    qtbot.addWidget(window)
    assert window.session.snapshot is None and window.playground.controls.model_label.text() == "no model yet"
    assert "does not match its recorded sha256 checksum" in window.statusBar().currentMessage()
    window.close()
