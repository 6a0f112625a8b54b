"""Comparing runs made by the CLI in the window: the Runs panel, overlays on the meta-loss and
adaptation plots, grouping with a mean and 95% band over seeds, wall time, hostile folders."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

pytest.importorskip("pytestqt")

import pyqtgraph as pg  # noqa: E402
from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtGui import QKeySequence  # noqa: E402

from maml_gui.core.compared_run import read_compared_run  # noqa: E402
from maml_gui.core.run_groups import t_quantile_975  # noqa: E402
from maml_gui.qt.plots.smoothing import debiased_ema  # noqa: E402
from maml_gui.qt.runs.runs_model import CURRENT_KEY  # noqa: E402
from tests.qt.helpers import quiet_main_window, tiny_config  # noqa: E402


@pytest.fixture
def window(qtbot, monkeypatch):
    made = quiet_main_window(qtbot, monkeypatch, tiny_config())
    yield made
    made.close()


def open_folder(qtbot, window, folder) -> None:
    with qtbot.waitSignal(window.runs.model.folder_read, timeout=20_000):
        window.runs.open_folder(folder)
    qtbot.waitUntil(lambda: not window.runs.model.is_loading(), timeout=5_000)


def legend_names(overlay) -> list[str]:
    return [label.text for _, label in overlay.legend.items]


def named_lines(overlay) -> dict[str, pg.PlotDataItem]:
    return {label.text: sample.item for sample, label in overlay.legend.items}


def data(line: pg.PlotDataItem) -> tuple[np.ndarray, np.ndarray]:
    """The line's data as given (not its log10 on a log axis)."""
    return line.getOriginalDataset()


def test_open_runs_is_in_the_file_menu_with_a_shortcut(window):
    action = window.runs.open_runs_action
    assert action.shortcut() == QKeySequence("Ctrl+Shift+O")
    file_menu = next(a.menu() for a in window.menuBar().actions() if a.text().replace("&", "") == "File")
    assert action in file_menu.actions()


def test_a_sweep_folder_opens_every_run_off_the_ui_thread_each_with_its_colour(qtbot, window, compared_runs):
    sweep, _ = compared_runs
    assert window.runs.dock.isHidden()
    open_folder(qtbot, window, sweep)
    runs = window.runs.model.opened_runs()
    assert sorted(e.name for e in runs) == ["algorithm=anil,seed=0", "algorithm=anil,seed=1",
                                             "algorithm=maml,seed=0", "algorithm=maml,seed=1"]
    assert len({e.color for e in runs}) == 4 and all(e.run.sweep == sweep for e in runs)
    assert not window.runs.dock.isHidden()
    table = window.runs.panel.table_model
    assert table.rowCount() == 4 and table.data(table.index(0, 0), Qt.ItemDataRole.CheckStateRole) == Qt.CheckState.Checked
    assert table.data(table.index(0, 1)).startswith("anil · sinusoid · lr 0.01 × 1 step · seed 0 · 30 it.")
    assert "4 run(s) opened" in window.runs.panel.status.text()


def test_broken_run_directories_are_skipped_with_one_line_each(qtbot, window, compared_runs, tmp_path):
    sweep, _ = compared_runs
    folder = shutil.copytree(sweep, tmp_path / "copy")
    (folder / "algorithm=maml,seed=0" / "config.toml").write_text("[training]\nalgorithm = 'nonsense'\n")
    (folder / "algorithm=anil,seed=1" / "metrics.csv").write_bytes(b"\xff\xfe garbage")
    (folder / "stray").mkdir()
    problems = []
    window.runs.model.problem.connect(problems.append)
    open_folder(qtbot, window, folder)
    assert sorted(e.name for e in window.runs.model.opened_runs()) == ["algorithm=anil,seed=0",
                                                                       "algorithm=maml,seed=1"]
    assert len(problems) == 3 and all("\n" not in line and "Traceback" not in line for line in problems)
    assert any("algorithm=maml,seed=0" in line for line in problems)
    assert "stray" in window.runs.panel.status.text()


def test_visible_runs_replace_the_single_run_curves_until_hidden_again(qtbot, window, compared_runs):
    sweep, _ = compared_runs
    loss = window.runs.loss_overlay
    own_curve = window.loss_plot.after_curve
    open_folder(qtbot, window, sweep)
    assert loss.active and not own_curve.isVisible()
    assert sorted(legend_names(loss)) == sorted(e.name for e in window.runs.model.opened_runs())
    assert len(legend_names(window.runs.adaptation_overlay)) == 4
    for entry in window.runs.model.opened_runs():
        line = named_lines(loss)[entry.name]
        assert line.opts["pen"].color().getRgb()[:3] == entry.color
        window.runs.model.set_visible(entry.key, False)
    assert not loss.active and own_curve.isVisible() and not loss.items
    assert window.loss_plot.getPlotItem().getAxis("bottom").labelText == "meta-iteration"


def test_overlaid_curves_use_the_shared_smoothing_slider_and_wall_time(qtbot, window, compared_runs):
    sweep, _ = compared_runs
    open_folder(qtbot, window, sweep)
    slider = window.loss_panel.smoothing_slider
    slider.setValue(0.0)
    run = read_compared_run(sweep / "algorithm=maml,seed=1")
    x, raw = run.loss_curve()
    line = named_lines(window.runs.loss_overlay)["algorithm=maml,seed=1"]
    assert data(line)[0].tolist() == x.tolist() and data(line)[1] == pytest.approx(raw)
    slider.setValue(0.5)  # a dragged slider redraws at most every 80 ms
    qtbot.waitUntil(lambda: data(line)[1] == pytest.approx(debiased_ema(raw, 0.5)[0]), timeout=2_000)
    assert named_lines(window.runs.loss_overlay)["algorithm=maml,seed=1"] is line  # one item, updated
    window.runs.panel.x_axis_combo.setCurrentText("wall time")
    line = named_lines(window.runs.loss_overlay)["algorithm=maml,seed=1"]
    assert data(line)[0].tolist() == [row[4] for row in run.history.rows]
    assert window.loss_plot.getPlotItem().getAxis("bottom").labelText == "seconds trained"


def test_grouping_by_algorithm_draws_the_mean_and_a_95_percent_band_over_seeds(qtbot, window, compared_runs):
    sweep, _ = compared_runs
    open_folder(qtbot, window, sweep)
    combo = window.runs.panel.group_combo
    assert "training.algorithm" in [combo.itemText(i) for i in range(combo.count())]
    window.loss_panel.smoothing_slider.setValue(0.0)
    combo.setCurrentText("training.algorithm")
    assert window.runs.model.group_fields == ("training.algorithm",)
    adaptation = window.runs.adaptation_overlay
    assert sorted(legend_names(adaptation)) == ["algorithm=anil (2 runs)", "algorithm=maml (2 runs)"]
    assert sum(isinstance(item, pg.FillBetweenItem) for item in adaptation.items) == 2
    curves = [read_compared_run(sweep / f"algorithm=maml,seed={seed}").adaptation_curve() for seed in (0, 1)]
    values = np.array([c.values for c in curves])
    mean = named_lines(adaptation)["algorithm=maml (2 runs)"]
    assert data(mean)[1] == pytest.approx(values.mean(axis=0))
    bands = [item for item in adaptation.items if isinstance(item, pg.FillBetweenItem)]
    uppers = [data(band.curves[1])[1] for band in bands]
    expected_upper = values.mean(axis=0) + t_quantile_975(1) * values.std(axis=0, ddof=1) / np.sqrt(2)
    assert any(np.allclose(upper, expected_upper) for upper in uppers)
    loss_lines = named_lines(window.runs.loss_overlay)
    raws = [read_compared_run(sweep / f"algorithm=anil,seed={seed}").loss_curve()[1] for seed in (0, 1)]
    assert data(loss_lines["algorithm=anil (2 runs)"])[1] == pytest.approx(np.mean(raws, axis=0))


def test_the_current_experiment_is_compared_with_opened_runs(qtbot, window, compared_runs):
    window.window_actions.start.trigger()
    qtbot.waitUntil(lambda: window.session.iteration == 40 and window.session.state.name == "IDLE", timeout=20_000)
    qtbot.waitUntil(lambda: window.runs.model.entry(CURRENT_KEY) is not None
                    and window.runs.model.entry(CURRENT_KEY).run.iteration == 40, timeout=5_000)
    assert not window.runs.loss_overlay.active  # nothing opened: the single-run view
    window.runs.model.add_run(compared_runs[0] / "algorithm=maml,seed=0")
    assert "current experiment" in legend_names(window.runs.loss_overlay)
    assert window.runs.panel.table_model.data(window.runs.panel.table_model.index(0, 0)) == "current experiment"


def test_runs_of_another_task_kind_are_left_out_with_a_note(qtbot, window, compared_runs):
    sweep, classification = compared_runs
    assert window.runs.model.add_run(classification)
    assert window.runs.model.add_run(sweep / "algorithm=maml,seed=0")
    adaptation = window.runs.adaptation_overlay
    assert legend_names(adaptation) == ["blobs"]
    assert "query accuracy" in window.adaptation_plot.getPlotItem().getAxis("left").labelText
    assert "1 run(s) of another task kind not drawn" in adaptation.item.titleLabel.text


def test_a_run_that_cannot_be_read_is_one_problem_line(qtbot, window, tmp_path):
    problems = []
    window.runs.model.problem.connect(problems.append)
    assert not window.runs.model.add_run(tmp_path / "nowhere")
    assert len(problems) == 1 and "\n" not in problems[0] and not window.runs.model.opened_runs()


def test_removing_selected_runs_keeps_the_others(qtbot, window, compared_runs):
    sweep, _ = compared_runs
    open_folder(qtbot, window, sweep)
    panel = window.runs.panel
    panel.table.selectRow(0)
    panel.remove_action.trigger()
    assert len(window.runs.model.opened_runs()) == 3
    window.runs.clear_action.trigger()
    assert not window.runs.model.opened_runs() and not window.runs.loss_overlay.active


def test_grouped_runs_show_their_group_colour_in_the_panel(qtbot, window, compared_runs):
    open_folder(qtbot, window, compared_runs[0])
    table = window.runs.panel.table_model
    own = [table.data(table.index(row, 0), Qt.ItemDataRole.DecorationRole).getRgb()[:3] for row in range(4)]
    assert len(set(own)) == 4
    window.runs.model.set_group_fields(("training.algorithm",))
    assert window.runs.panel.group_combo.currentText() == "training.algorithm"
    grouped = [table.data(table.index(row, 0), Qt.ItemDataRole.DecorationRole).getRgb()[:3] for row in range(4)]
    names = [table.data(table.index(row, 0)) for row in range(4)]
    lines = named_lines(window.runs.loss_overlay)
    for name, color in zip(names, grouped):
        group = "algorithm=anil (2 runs)" if "anil" in name else "algorithm=maml (2 runs)"
        assert lines[group].opts["pen"].color().getRgb()[:3] == color
    assert len(set(grouped)) == 2


def test_a_double_clicked_run_opens_in_the_window(qtbot, window, compared_runs):
    open_folder(qtbot, window, compared_runs[0])
    entry = window.runs.model.opened_runs()[2]
    assert window.runs.open_in_window(entry.key)
    assert window.session.run_path == entry.run.path and window.session.iteration == 30
    qtbot.waitUntil(lambda: window.runs.model.entry(CURRENT_KEY) is not None, timeout=5_000)
    assert window.runs.model.entry(CURRENT_KEY).run.iteration == 30


def test_folders_asked_for_while_reading_are_read_after_and_closing_stops_the_reading(qtbot, window, compared_runs,
                                                                                         tmp_path):
    sweep, classification = compared_runs
    with qtbot.waitSignals([window.runs.model.folder_read] * 2, timeout=20_000):
        window.runs.open_folder(sweep)
        window.runs.open_folder(classification)
    qtbot.waitUntil(lambda: not window.runs.model.is_loading(), timeout=5_000)
    assert len(window.runs.model.opened_runs()) == 5
    window.runs.model.clear()
    window.runs.open_folder(sweep)
    assert window.runs.model.is_loading()
    assert window.runs.shutdown()


def test_log_scale_and_training_while_comparing_keep_the_overlay(qtbot, window, compared_runs):
    window.runs.model.add_run(compared_runs[0] / "algorithm=maml,seed=0")
    window.runs.model.add_run(compared_runs[0] / "algorithm=maml,seed=1")
    window.runs.model.set_group_fields(())  # both in one group: mean and band
    loss = window.runs.loss_overlay
    window.window_actions.loss_log_scale.setChecked(False)
    window.window_actions.loss_log_scale.setChecked(True)
    band = next(item for item in loss.items if isinstance(item, pg.FillBetweenItem))
    lower, upper = data(band.curves[0])[1], data(band.curves[1])[1]
    mean = data(named_lines(loss)["all runs (2 runs)"])[1]
    assert np.any(mean - (upper - mean) < 0)  # with 2 seeds (t = 12.7) the band reaches below zero ...
    assert lower == pytest.approx(np.maximum(mean - (upper - mean), 0.01 * mean))  # ... cut at 1% of the mean
    window.runs.model.set_group_fields(None)
    window.window_actions.start.trigger()
    qtbot.waitUntil(lambda: window.session.iteration == 40 and window.session.state.name == "IDLE", timeout=20_000)
    qtbot.waitUntil(lambda: "current experiment" in legend_names(loss), timeout=5_000)
    assert not window.loss_plot.after_curve.isVisible() and loss.active
    adaptation = window.runs.adaptation_overlay  # the plot's own last report may retitle it until the overlay's turn
    qtbot.waitUntil(lambda: adaptation.item.titleLabel.text == "each run's last validation", timeout=5_000)
    assert "current experiment" in legend_names(adaptation)
