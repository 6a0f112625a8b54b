"""The experiment form: config <-> widgets, inline validation, family switching."""

from __future__ import annotations

import pytest

pytest.importorskip("pytestqt")

from maml_gui.core.config import ConfigError  # noqa: E402
from maml_gui.core.experiment_setup import FOLDER_FAMILIES  # noqa: E402
from maml_gui.core.presets import load_preset, preset_names  # noqa: E402
from maml_gui.qt.panels.config_panel import ConfigPanel  # noqa: E402
from maml_gui.qt.panels.fields import field_bounds, int_field  # noqa: E402
from maml_gui.qt.panels.training_section import parse_hidden  # noqa: E402
from maml_gui.core.config import TaskConfig, TrainingConfig  # noqa: E402


@pytest.fixture
def panel(qtbot):
    widget = ConfigPanel()
    qtbot.addWidget(widget)
    return widget


def edits(panel):
    seen = []
    panel.config_edited.connect(seen.append)
    return seen


@pytest.mark.parametrize("name", [n for n in preset_names() if load_preset(n).task.family not in FOLDER_FAMILIES])
def test_every_preset_round_trips_through_the_form(panel, name):
    config = load_preset(name)
    panel.set_config(config)
    assert panel.current_config() == config
    assert panel.error == ""


def test_loading_a_config_emits_nothing(panel):
    seen = edits(panel)
    for name in preset_names():
        panel.set_config(load_preset(name))
    assert seen == []


def test_a_spin_box_edit_emits_a_validated_config(panel):
    panel.set_config(load_preset("finn2017-sinusoid"))
    seen = edits(panel)
    panel.training.inner_steps.setValue(5)
    panel.task.shots.setValue(5)
    assert [c.training.inner_steps for c in seen] == [5, 5]
    assert seen[-1].task.shots == 5
    assert panel.config is seen[-1]


def test_invalid_edit_shows_the_validator_message_and_keeps_the_last_valid_config(panel):
    config = load_preset("finn2017-sinusoid")
    panel.set_config(config)
    seen = edits(panel)
    panel.task.x_low.setValue(6.0)  # above x_high = 5
    assert seen == [] and panel.config == config
    assert "x_range" in panel.error and not panel.is_valid()
    marker = panel.task.marker
    assert marker.label.isVisibleTo(panel) and "needs low &lt; high" in marker.text
    assert marker.marked == (panel.task.x_low, panel.task.x_high) and "border" in panel.task.x_low.styleSheet()
    panel.task.x_low.setValue(-4.0)
    assert panel.error == "" and seen[-1].task.x_range == (-4.0, 5.0)
    assert not marker.label.isVisibleTo(panel) and panel.task.x_low.styleSheet() == ""


def test_algorithm_options_are_checked_together(panel):
    panel.set_config(load_preset("finn2017-sinusoid"))
    panel.training.algorithm.setCurrentIndex(panel.training.algorithm.findData("reptile"))
    seen = edits(panel)
    panel.training.learn_inner_lr.setChecked(True)
    assert seen == [] and "learn_inner_lr" in panel.error
    assert panel.training.training_marker.marked == (panel.training.learn_inner_lr,)


def test_switching_family_loads_its_parameters(panel):
    panel.set_config(load_preset("finn2017-sinusoid"))
    seen = edits(panel)
    panel.task.family.setCurrentIndex(panel.task.family.findData("gaussian"))
    assert seen[-1].task.family == "gaussian"
    assert set(panel.task.ranges.ranges()) == {"height", "center", "width"}
    assert not panel.task.ranges.names_editable


def test_formula_family_has_an_expression_and_editable_names(panel):
    panel.set_config(load_preset("finn2017-sinusoid"))
    seen = edits(panel)
    panel.task.family.setCurrentIndex(panel.task.family.findData("formula"))
    assert seen[-1].task.family == "formula" and seen[-1].task.expression == "a * sin(b * x + c)"
    assert panel.task.ranges.names_editable
    assert panel.task.form.isRowVisible(panel.task.expression)
    panel.task.expression.setText("a * x + q")
    panel.task.expression.editingFinished.emit()
    assert "unknown name 'q'" in panel.error and "column 9" in panel.field_error
    panel.task.ranges.add_parameter()  # adds 'd'
    table = panel.task.ranges.table
    table.item(table.rowCount() - 1, 0).setText("q")
    assert panel.error == "" and "q" in seen[-1].task.params


def test_a_bad_range_cell_is_named(panel):
    panel.set_config(load_preset("finn2017-sinusoid"))
    table = panel.task.ranges.table
    table.item(0, 1).setText("lots")
    assert panel.error == "task.params: amplitude: low and high must be numbers"


def test_mixture_keeps_its_components(panel):
    config = load_preset("sinusoid-and-line")
    panel.set_config(config)
    panel.training.meta_batch.setValue(10)
    assert panel.config.task.components == config.task.components
    assert "sinusoid (weight 0.5)" in panel.task.components.text()


def test_hidden_layers_text():
    assert parse_hidden("40, 40") == [40, 40]
    assert parse_hidden("64 32;16") == [64, 32, 16]
    with pytest.raises(ValueError, match="whole numbers"):
        parse_hidden("40, forty")
    with pytest.raises(ValueError, match="at least one"):
        parse_hidden(" , ")


def test_bad_hidden_text_is_reported(panel):
    panel.set_config(load_preset("finn2017-sinusoid"))
    panel.training.hidden.setText("40, x")
    panel.training.hidden.editingFinished.emit()
    assert panel.error.startswith("model.hidden:")
    assert panel.training.model_marker.marked == (panel.training.hidden,) and "whole numbers" in panel.field_error
    assert not panel.error_label.isVisibleTo(panel)  # said at the field, not again under the form
    with pytest.raises(ConfigError):
        panel.current_config()


def test_preset_chooser_emits_and_resets(panel):
    chosen = []
    panel.preset_chosen.connect(chosen.append)
    index = panel.preset.findData("reptile-sinusoid")
    panel.preset.activated.emit(index)
    assert chosen == ["reptile-sinusoid"] and panel.preset.currentIndex() == 0


def test_field_limits_come_from_the_config_model(qtbot):
    assert field_bounds(TrainingConfig, "inner_lr") == (1e-6, 100)
    assert field_bounds(TaskConfig, "shots") == (1, 1000)
    box = int_field(TaskConfig, "shots")
    qtbot.addWidget(box)
    assert (box.minimum(), box.maximum()) == (1, 1000)
    assert "support points" in box.toolTip() and "1 … 1000" in box.toolTip()


def test_formula_parse_error_is_shown_at_the_field_with_its_column_while_typing(panel):
    panel.set_config(load_preset("custom-formula"))
    validity = []
    panel.validity_changed.connect(validity.append)
    seen = edits(panel)
    panel.task.expression.setText("a * sin(b * x + ) * c")
    panel.task.expression.textEdited.emit(panel.task.expression.text())  # typing, before Enter
    assert not panel.is_valid() and validity == [False] and seen == []
    assert "column 17" in panel.error
    marker = panel.task.marker
    assert marker.marked == (panel.task.expression,) and marker.label.isVisibleTo(panel)
    row, _ = panel.task.form.getWidgetPosition(panel.task.expression)
    assert panel.task.form.getWidgetPosition(marker.label)[0] == row + 1  # right below the editor
    assert "column 17: invalid syntax" in marker.text
    assert "text-decoration: underline'>)</span>" in marker.text  # the offending character
    panel.task.expression.setText("a * cos(b * x + c)")
    panel.task.expression.textEdited.emit(panel.task.expression.text())
    assert panel.is_valid() and validity == [False, True] and panel.field_error == ""
    assert seen[-1].task.expression == "a * cos(b * x + c)"


def test_unknown_field_errors_fall_back_to_the_line_under_the_form():
    from maml_gui.qt.panels.field_errors import error_field, formula_column

    assert error_field("training.inner_lr: Input should be greater than 0 (got -1)") == "training.inner_lr"
    assert error_field("model.hidden.0: Input should be greater than or equal to 1") == "model.hidden"
    assert error_field("task: expression: column 3: unknown name 'q'") == "task.expression"
    assert error_field("task: expression 'log(x)' is not finite everywhere") == "task.expression"
    assert error_field("task: x_range is empty: [2.0, 1.0] needs low < high") == "task.x_range"
    assert error_field("task: sinusoid parameter 'amplitude' is empty") == "task.params"
    assert error_field("training: min_meta_lr (1) must not exceed meta_lr (0.1)") == "training.min_meta_lr"
    assert error_field("config: malformed TOML") == ""
    assert formula_column("task: expression: column 12: invalid syntax") == 12
    assert formula_column("task: expression: formula is empty") is None


def test_preview_redraws_on_valid_task_edits_only(panel):
    panel.set_config(load_preset("finn2017-sinusoid"))
    preview = panel.task.preview
    assert len(preview.curve_data()) == 8
    before = [y.copy() for y in preview.curve_data()]
    redraws = preview.redraws
    panel.training.meta_batch.setValue(10)  # not a task setting: nothing to redraw
    assert preview.redraws == redraws
    table = panel.task.ranges.table
    table.item(0, 2).setText("10.0")  # amplitude up to 10
    assert preview.redraws == redraws + 1
    after = preview.curve_data()
    assert max(abs(y).max() for y in after) > max(abs(y).max() for y in before)
    panel.task.x_low.setValue(6.0)  # invalid: the last valid preview stays
    assert preview.redraws == redraws + 1
    panel.task.x_low.setValue(-5.0)  # valid again, and the distribution already drawn
    assert preview.redraws == redraws + 1
    panel.task.family.setCurrentIndex(panel.task.family.findData("linear"))
    assert preview.redraws == redraws + 2 and preview.shown_task.family == "linear"
    assert all(abs(y[1:] - y[:-1]).std() < 1e-3 for y in preview.curve_data())  # straight lines


def test_the_form_offers_classification_presets_after_the_regression_ones(panel):
    listed = [panel.preset.itemData(i) for i in range(panel.preset.count()) if panel.preset.itemData(i)]
    assert listed == preset_names("regression") + preset_names("classification")
