"""Issue 8's smaller reading fixes: the Preset box and the title follow the config, MAML++ is a
choice and a model name, texts are not cut, training buttons live in one place, the two kinds
of inner steps say which is which, one number format, no numpy overflow warnings."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

pytest.importorskip("pytestqt")

from PySide6.QtWidgets import (QComboBox, QFormLayout, QMessageBox, QStyle, QStyleOptionComboBox,  # noqa: E402
                               QToolButton)

from maml_gui.core.adaptation import InnerRates  # noqa: E402
from maml_gui.core.config import ExperimentConfig  # noqa: E402
from maml_gui.core.presets import load_preset  # noqa: E402
from maml_gui.core.training import Progress  # noqa: E402
from maml_gui.qt import settings as keys  # noqa: E402
from maml_gui.qt.about import about_html  # noqa: E402
from maml_gui.qt.main_window import MainWindow  # noqa: E402
from maml_gui.qt.panels.algorithm_names import MAML_PLUS_PLUS, model_algorithm_name  # noqa: E402
from maml_gui.qt.panels.config_panel import CHOOSE_PRESET  # noqa: E402
from maml_gui.qt.panels.fields import set_choice  # noqa: E402
from maml_gui.qt.playground.controls import _fmt  # noqa: E402
from maml_gui.qt.playground.prediction import _mse  # noqa: E402
from maml_gui.qt.playground.widget import as_sentence  # noqa: E402


@pytest.fixture
def window(qtbot, monkeypatch):
    monkeypatch.setattr(QMessageBox, "warning", lambda *a: None)
    made = MainWindow()
    made.settings.set(keys.CONFIRM_DISCARD, False)
    qtbot.addWidget(made)
    made.resize(1024, 640)
    made.show()
    qtbot.waitUntil(made.isVisible)
    yield made
    made.close()


def test_the_preset_box_shows_the_loaded_preset_until_the_config_is_edited(window):
    box = window.config_panel.preset
    window.load_preset("reptile-sinusoid")
    assert box.currentData() == "reptile-sinusoid"
    window.config_panel.task.shots.setValue(7)
    assert box.currentText() == "reptile-sinusoid (edited)" and box.currentData() is None
    window.config_panel.task.shots.setValue(load_preset("reptile-sinusoid").task.shots)
    assert box.currentData() == "reptile-sinusoid"  # edited back: the preset again
    window.load_preset("finn2017-sinusoid")
    assert box.currentData() == "finn2017-sinusoid"
    config = window.session.config
    window.session.set_config(config.model_copy(update={"training": config.training.model_copy(
        update={"threads": 1, "device": "cpu"})}))
    assert box.currentData() == "finn2017-sinusoid"  # where it trains does not make it another experiment
    window.session.new_experiment(ExperimentConfig(name="opened run", task={"shots": 3}))
    assert box.currentText() == CHOOSE_PRESET


def test_the_title_follows_a_switch_from_sinusoids_to_a_formula(window):
    window.load_preset("finn2017-sinusoid")
    assert "sinusoid" in window.windowTitle().lower()
    set_choice(window.config_panel.task.family, "formula")
    name = window.session.config.name
    assert "formula" in name and "sinusoids" not in name
    assert window.config_panel.name_label.text() == name and name in window.windowTitle()


def test_a_name_the_user_gave_is_kept_when_the_family_changes(window):
    window.session.new_experiment(ExperimentConfig(name="my own experiment"))
    set_choice(window.config_panel.task.family, "linear")
    assert window.session.config.name == "my own experiment"


def test_maml_plus_plus_is_a_choice_that_sets_its_options(window):
    section = window.config_panel.training
    assert "MAML++" in [section.algorithm.itemText(i) for i in range(section.algorithm.count())]
    set_choice(section.algorithm, MAML_PLUS_PLUS)
    t = window.session.config.training
    assert (t.algorithm, t.learn_inner_lr, t.multi_step_loss, t.meta_lr_schedule) == ("maml", True, True, "cosine")
    assert t.first_order_iterations > 0
    assert "MAML++" in window.session.config.name
    set_choice(section.algorithm, "reptile")  # Reptile takes neither option
    t = window.session.config.training
    assert (t.algorithm, t.learn_inner_lr, t.multi_step_loss) == ("reptile", False, False)
    assert window.config_panel.is_valid()


def test_the_maml_plus_plus_preset_reads_maml_plus_plus(window):
    window.load_preset("mamlpp-sinusoid")
    assert window.config_panel.training.algorithm.currentText() == "MAML++"
    assert window.config_panel.current_config() == load_preset("mamlpp-sinusoid")
    assert model_algorithm_name("maml", learned_per_step_rates=True) == "MAML++"
    assert model_algorithm_name("maml", learned_per_step_rates=False) == "MAML"
    assert model_algorithm_name("metasgd", learned_per_step_rates=False) == "Meta-SGD"


def test_the_playground_names_a_maml_plus_plus_model_by_what_it_is(window, snapshot):
    import dataclasses

    import torch

    rates = InnerRates(0.01, per_step=torch.full((5, len(snapshot.params)), 0.01))
    window.playground.set_snapshot(dataclasses.replace(snapshot, rates=rates))
    assert "MAML++" in window.playground.controls.model_label.text()
    assert "(MAML++)" in window.playground.hint.text()


def test_closed_combo_boxes_and_the_bounds_table_show_whole_texts(window):
    window.window_actions.reset_layout.trigger()
    task, training = window.config_panel.task, window.config_panel.training
    for combo in window.config_panel.findChildren(QComboBox):
        if combo is window.config_panel.preset or not combo.isVisible():
            continue
        for index in range(combo.count()):
            text = combo.itemText(index)
            option = QStyleOptionComboBox()
            combo.initStyleOption(option)
            room = combo.style().subControlRect(QStyle.ComplexControl.CC_ComboBox, option,
                                                QStyle.SubControl.SC_ComboBoxEditField, combo).width()
            assert combo.fontMetrics().horizontalAdvance(text) <= room, (combo.objectName(), text)
    table = task.ranges.table
    phase = next(r for r in range(table.rowCount()) if table.item(r, 0).text() == "phase")
    assert table.item(phase, 2).text() == "3.14159"
    cell = table.visualItemRect(table.item(phase, 2))
    assert table.fontMetrics().horizontalAdvance("3.14159") < cell.width()
    assert task.ranges.ranges()["phase"][1] == math.pi  # the exact bound is kept
    assert "<nobr>MAML++</nobr>" in about_html("MAML Studio")
    assert training.algorithm.itemText(training.algorithm.findData("metasgd")) == "Meta-SGD"


def test_training_buttons_are_in_the_toolbar_only(window):
    assert window.status_panel.findChildren(QToolButton) == []
    toolbar = window.dock_layout.toolbars[0]
    assert window.window_actions.start in toolbar.actions()


def test_the_two_kinds_of_inner_steps_say_which_is_which(window):
    controls, training = window.playground.controls, window.config_panel.training
    forms = controls.findChildren(QFormLayout)
    labels = [form.labelForField(controls.steps_spin) for form in forms]
    assert [label.text() for label in labels if label is not None] == ["Adapt steps"]
    assert "Experiment form" in controls.steps_spin.toolTip()
    assert "playground" in training.inner_steps.toolTip() and "playground" in training.eval_inner_steps.toolTip()


def test_iterations_read_the_same_in_the_dock_and_the_status_bar(window):
    progress = Progress(iteration=1336, total=70_000, iterations=np.arange(1300, 1337), loss_before=np.ones(37),
                        loss_after=np.ones(37), validation=None, its_per_s=300.0, elapsed_s=4.0, eta_s=900.0,
                        meta_lr=1e-3, snapshot=None, device="cpu")
    window.status_panel.show_progress(progress)
    window.training_status.show_progress(progress)
    assert window.status_panel.progress_bar.text() == "1,336 / 70,000"
    assert window.training_status.iteration.text() == "iteration 1,336 / 70,000"


def test_numbers_and_notes_read_alike():
    assert [_fmt(np.array([4.0, 4.486, 0.01234]), i) for i in range(3)] == ["4.000", "4.486", "0.01234"]
    assert as_sentence("the pretrained baseline appears once a model is trained") == \
        "The pretrained baseline appears once a model is trained."
    assert as_sentence("Done.") == "Done."


def test_a_diverging_adaptation_prints_no_overflow_warning():
    predictions = np.full((3, 50), 3e20, dtype=np.float32)  # float32 squares of this overflow
    true_y = np.zeros(50, dtype=np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        mse = _mse(predictions, true_y)
    assert np.all(np.isfinite(mse)) and mse[0] == pytest.approx(9e40, rel=1e-5)


def test_a_formula_error_highlights_the_column_its_message_names(window):
    """The validator reads the stripped text: leading spaces must not shift the highlight."""
    panel = window.config_panel
    panel.set_config(load_preset("custom-formula"))
    panel.task.expression.setText("   a * q")
    panel.task.expression.textEdited.emit(panel.task.expression.text())
    assert "column 5: unknown name" in panel.task.marker.text
    assert "text-decoration: underline'>q</span>" in panel.task.marker.text
