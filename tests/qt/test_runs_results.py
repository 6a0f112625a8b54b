"""The Results window over runs made by ``maml-gui sweep``: table contents, sorting, CSV export,
and the sweep view opened with a sweep folder (parallel coordinates and scatter)."""

from __future__ import annotations

import csv
import json

import pytest

pytest.importorskip("pytestqt")

from PySide6.QtCore import Qt  # noqa: E402

from tests.qt.helpers import quiet_main_window, tiny_config  # noqa: E402


@pytest.fixture
def window(qtbot, monkeypatch):
    made = quiet_main_window(qtbot, monkeypatch, tiny_config())
    yield made
    made.close()


@pytest.fixture
def opened(qtbot, window, compared_runs):
    with qtbot.waitSignal(window.runs.model.folder_read, timeout=20_000):
        window.runs.open_folder(compared_runs[0])
    qtbot.waitUntil(lambda: not window.runs.model.is_loading(), timeout=5_000)
    return window.runs.results


def column(model, name: str) -> list:
    return [model.value(row, name) for row in range(model.rowCount())]


def evaluation(sweep, run: str) -> dict:
    return json.loads((sweep / run / "evaluation.json").read_text())


def test_the_table_has_a_row_per_run_the_differing_fields_and_the_final_metrics(opened, compared_runs):
    sweep = compared_runs[0]
    model = opened.model
    assert model.rowCount() == 4
    columns = model.table.columns
    assert columns[:2] == ["run", "training.algorithm"]
    assert {"seed", "iteration", "val_mse", "eval_mse@0", "eval_mse@2", "eval_ci95@2", "eval_tasks"} <= set(columns)
    assert "model.hidden" not in columns and "training.inner_lr" not in columns  # the same in every run
    rows = {model.value(r, "run"): r for r in range(model.rowCount())}
    row = rows["algorithm=anil,seed=1"]
    assert model.value(row, "training.algorithm") == "anil" and model.value(row, "seed") == 1
    assert model.value(row, "iteration") == 30
    assert model.value(row, "eval_mse@2") == pytest.approx(evaluation(sweep, "algorithm=anil,seed=1")["mse"][-1])
    header = model.headerData(1, Qt.Orientation.Horizontal)
    assert header == "algorithm" and model.headerData(1, Qt.Orientation.Horizontal, Qt.ItemDataRole.ToolTipRole) == (
        "training.algorithm")


def test_clicking_a_header_sorts_numbers_as_numbers(opened):
    model = opened.model
    at = model.table.columns.index("eval_mse@2")
    opened.table.sortByColumn(at, Qt.SortOrder.AscendingOrder)
    values = column(model, "eval_mse@2")
    assert values == sorted(values)
    opened.table.sortByColumn(at, Qt.SortOrder.DescendingOrder)
    assert column(model, "eval_mse@2") == sorted(values, reverse=True)
    shown = model.data(model.index(0, at))
    assert shown == f"{values[-1]:.4g}"


def test_export_csv_writes_the_rows_as_shown(opened, tmp_path, compared_runs):
    model = opened.model
    opened.table.sortByColumn(model.table.columns.index("val_mse"), Qt.SortOrder.AscendingOrder)
    target = tmp_path / "results"
    opened.ask_csv_path = lambda: str(target.with_suffix(".csv"))
    assert opened.export_csv()
    rows = list(csv.DictReader(target.with_suffix(".csv").open()))
    assert [r["run"] for r in rows] == column(model, "run")
    assert [float(r["val_mse"]) for r in rows] == column(model, "val_mse")
    assert {r["training.algorithm"] for r in rows} == {"maml", "anil"}


def test_an_export_that_cannot_be_written_is_one_line(opened, tmp_path):
    errors = []
    opened.show_error = errors.append
    opened.ask_csv_path = lambda: str(tmp_path / "missing" / "folder" / "results.csv")
    assert not opened.export_csv()
    assert len(errors) == 1 and "\n" not in errors[0] and "cannot write" in errors[0]


def test_opening_a_sweep_shows_the_sweep_view_with_one_line_per_run(opened):
    assert opened.isVisible() and opened.tabs.currentWidget() is opened.sweep_view
    view = opened.sweep_view
    assert view.mode_combo.currentText() == "Parallel coordinates"
    assert view.metric_combo.currentText() == "eval_mse@2"
    assert len(view.lines) == 4
    ticks = view.plot.getPlotItem().getAxis("bottom")._tickLevels[0]
    assert [text for _, text in ticks] == ["algorithm", "eval_mse@2"]
    algorithm_axis = [line.getOriginalDataset()[1][0] for line in view.lines]
    assert sorted(algorithm_axis) == [0.0, 0.0, 1.0, 1.0]  # anil at the bottom, maml at the top


def test_the_scatter_puts_each_run_at_its_metric(opened):
    view = opened.sweep_view
    view.mode_combo.setCurrentText("Scatter: training.algorithm")
    assert len(view.lines) == 1
    points = view.lines[0].points()
    assert len(points) == 4
    metric = {opened.model.value(r, "run"): opened.model.value(r, "eval_mse@2") for r in range(4)}
    drawn = {p.data(): p.pos().y() for p in points}
    assert drawn.keys() == metric.keys()
    assert [drawn[name] for name in metric] == pytest.approx(list(metric.values()))
    view.metric_combo.setCurrentText("val_mse")
    assert view.plot.getPlotItem().getAxis("left").labelText == "val_mse"


def test_the_results_window_opens_from_its_shortcut_and_is_empty_without_runs(qtbot, window):
    results = window.runs.results
    assert not results.isVisible()
    window.runs.results_action.trigger()
    assert results.isVisible() and results.model.rowCount() == 0
    assert not results.export_button.isEnabled() and "Open Runs" in results.summary.text()


def test_rows_come_in_the_runs_panel_order_until_a_header_is_clicked(opened):
    panel_order = [entry.name for entry in opened.runs.runs()]
    assert column(opened.model, "run") == panel_order


def test_a_metric_spanning_orders_of_magnitude_gets_a_log_axis_in_the_scatter(qtbot, window, compared_runs, tmp_path):
    import shutil

    folder = shutil.copytree(compared_runs[0], tmp_path / "sweep")
    file = folder / "algorithm=anil,seed=0" / "evaluation.json"
    data = json.loads(file.read_text())
    data["mse"][-1] = 1e6  # a diverged evaluation
    file.write_text(json.dumps(data))
    with qtbot.waitSignal(window.runs.model.folder_read, timeout=20_000):
        window.runs.open_folder(folder)
    view = window.runs.results.sweep_view
    view.mode_combo.setCurrentText("Scatter: training.algorithm")
    assert view.plot.getPlotItem().ctrl.logYCheck.isChecked()
    assert "(log scale)" in view.plot.getPlotItem().titleLabel.text
    heights = {p.data(): p.pos().y() for p in view.lines[0].points()}
    assert heights["algorithm=anil,seed=0"] == pytest.approx(6.0)  # placed at log10 of the metric
