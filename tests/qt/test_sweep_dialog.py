"""Training > Sweep…: each field checked by the core's sweep parsing, errors beside the field."""

from __future__ import annotations

import json

import pytest

pytest.importorskip("pytestqt")

from maml_gui.core.sweep import SWEEP_FILE, prepare_directory  # noqa: E402
from maml_gui.core.sweep_plan import plan_sweep  # noqa: E402
from maml_gui.qt.sweep.dialog import SweepDialog  # noqa: E402
from tests.qt.helpers import tiny_config  # noqa: E402


@pytest.fixture
def dialog(qtbot, tmp_path):
    made = SweepDialog(tiny_config(), str(tmp_path))
    qtbot.addWidget(made)
    made.out.setText(str(tmp_path / "sweep"))
    made.show()
    made.check()
    return made


def test_the_default_sweep_varies_inner_lr_from_the_current_value(dialog):
    row = dialog.rows[0]
    assert row.key() == "training.inner_lr" and row.values.text() == "0.01"
    row.values.setText("0.001, 0.01")
    dialog.seeds.setText("0,1")
    assert dialog.check() and dialog.start_button.isEnabled()
    assert dialog.summary.text().startswith("4 trials (2 inner_lr × 2 seeds)")
    request = dialog.request()
    assert [t.name for t in request.plan.trials][:2] == ["inner_lr=0.001,seed=0", "inner_lr=0.001,seed=1"]
    assert request.plan.trials[-1].config.training.inner_lr == 0.01 and request.plan.trials[-1].config.training.seed == 1


@pytest.mark.parametrize("key, values, message", [
    ("training.inner_lr", "0.1,-1", "training.inner_lr: Input should be greater than 0"),
    ("training.inner_lr", "0.1,,0.2", "an empty value"),
    ("training.inner_lr", "0.1,0.1", "a value is repeated"),
    ("training.algorithm", "maml,mamba", "training.algorithm=mamba"),
    ("model.hidden", "[8,8],[0]", "model.hidden"),
])
def test_a_bad_value_is_one_line_under_its_field_and_start_is_off(qtbot, dialog, key, values, message):
    row = dialog.rows[0]
    row.set_field(key, values)
    qtbot.waitUntil(lambda: row.error.isVisible(), timeout=2000)  # the delayed check after typing
    assert message in row.error.text() and "\n" not in row.error.text()
    assert "--grid" not in row.error.text()
    assert not dialog.start_button.isEnabled() and dialog.request() is None
    row.values.setText("0.5" if key != "training.algorithm" else "maml,anil")
    if key == "model.hidden":
        row.values.setText("[8],[4,4]")
    assert dialog.check() and not row.error.isVisible()


def test_ranges_draw_random_trials_and_are_checked_at_both_ends(dialog):
    row = dialog.rows[0]
    row.mode.setCurrentIndex(row.mode.findData("log"))
    row.values.setText("0.001:0.1")
    dialog.random_count.setValue(3)
    assert dialog.check() and dialog.random_widget.isEnabled()
    values = [t.values["training.inner_lr"] for t in dialog.request().plan.trials]
    assert len(values) == 3 and all(0.001 <= v <= 0.1 for v in values)
    assert "3 random draws" in dialog.summary.text()
    row.values.setText("0.1:0.001")
    assert not dialog.check() and "needs finite LOW < HIGH" in row.error.text()
    row.values.setText("0.001:1e9")
    assert not dialog.check() and "training.inner_lr" in row.error.text()
    row.set_field("training.algorithm")  # a word: no ranges
    assert row.mode.currentData() == "values" and not row.mode.model().item(1).isEnabled()


def test_seeds_and_repeated_fields_are_refused(dialog):
    dialog.seeds.setText("1,1")
    assert not dialog.check() and "distinct whole numbers" in dialog.seeds_error.text()
    dialog.seeds.setText("0")
    dialog.add_row("training.inner_lr", "0.5")
    assert not dialog.check() and "given twice" in dialog.summary.text()
    dialog.remove_row(dialog.rows[1])
    assert dialog.check() and len(dialog.rows) == 1


def test_the_output_folder_must_be_new_empty_or_this_same_sweep(dialog, tmp_path):
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "notes.txt").write_text("mine")
    dialog.out.setText(str(tmp_path / "busy"))
    assert not dialog.check() and "is not empty" in dialog.out_error.text()
    assert (tmp_path / "busy" / "notes.txt").read_text() == "mine" and not (tmp_path / "busy" / SWEEP_FILE).exists()

    plan = plan_sweep(tiny_config(), ["training.inner_lr=0.01"], "0")
    prepare_directory(tmp_path / "earlier", plan.record())
    dialog.out.setText(str(tmp_path / "earlier"))
    assert dialog.check() and "continues the sweep in this folder: 0 of 1 finished" in dialog.summary.text()
    dialog.rows[0].values.setText("0.02")
    assert not dialog.check() and "holds a sweep with a different grid" in dialog.out_error.text()
    assert json.loads((tmp_path / "earlier" / SWEEP_FILE).read_text())["grid"] == [["training.inner_lr", [0.01]]]


def test_browse_puts_a_new_folder_inside_a_busy_one(dialog, tmp_path):
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "notes.txt").write_text("mine")
    name = dialog.out.text().rsplit("/", 1)[-1]
    dialog.ask_folder = lambda: str(tmp_path / "busy")
    dialog._on_browse()
    assert dialog.out.text() == str(tmp_path / "busy" / name)
    (tmp_path / "empty").mkdir()
    dialog.ask_folder = lambda: str(tmp_path / "empty")
    dialog._on_browse()
    assert dialog.out.text() == str(tmp_path / "empty") and dialog.check()
