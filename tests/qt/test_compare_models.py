"""Compare Models: the same drawn points adapted by two or more runs, with each one's per-step MSE
equal to the engine's own adaptation of those points."""

from __future__ import annotations

import numpy as np
import pytest
import torch

pytest.importorskip("pytestqt")

from maml_gui.core.checkpoint import save_run  # noqa: E402
from maml_gui.core.config import from_dict  # noqa: E402
from maml_gui.core.tasks import build_family  # noqa: E402
from maml_gui.core.training import Trainer  # noqa: E402
from maml_gui.qt.playground.compare_window import CompareModelsWindow, PlaygroundInputs  # noqa: E402
from maml_gui.qt.playground.prediction import query_grid  # noqa: E402

POINTS = ((-3.0, 1.0), (-1.0, -0.5), (0.5, 0.8), (2.0, 1.5), (4.0, -1.0))
STEPS = 3


def trained(algorithm: str, iterations: int):
    config = from_dict({"model": {"hidden": [16, 16]}, "training": {
        "algorithm": algorithm, "iterations": iterations, "val_interval": iterations, "val_tasks": 4,
        "meta_batch": 4, "baseline": False, "device": "cpu", "threads": 1}})
    trainer = Trainer(config, device="cpu", threads=1)
    for _ in trainer.run():
        pass
    return config, trainer.snapshot()


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("compare")
    made = {}
    for name, algorithm, iterations in (("maml-run", "maml", 12), ("anil-run", "anil", 8)):
        config, snapshot = trained(algorithm, iterations)
        made[name] = (save_run(folder / name, config, snapshot), snapshot)
    return made


def engine_mse(snapshot, points, steps):
    xy = torch.tensor(points, dtype=torch.float32)
    predictions = snapshot.adapt(xy[:, 0], xy[:, 1], xy[:, 0], steps)[:, 0, :, 0].double()
    return ((predictions - xy[:, 1].double()) ** 2).mean(dim=1).numpy()


def make_window(qtbot, inputs):
    window = CompareModelsWindow(lambda: inputs[0])
    qtbot.addWidget(window)
    window.show()
    return window


def test_each_run_adapts_the_same_points_with_the_engines_per_step_mse(qtbot, runs):
    inputs = [PlaygroundInputs(POINTS, STEPS, None, (-5.0, 5.0))]
    window = make_window(qtbot, inputs)
    with qtbot.waitSignal(window.resultShown, timeout=10_000):
        assert window.add_run(runs["maml-run"][0]) and window.add_run(runs["anil-run"][0])
    qtbot.waitUntil(lambda: len(window.shown_models()) == 2, timeout=10_000)
    shown = window.shown_models()
    assert [m.name.split(" ")[0] for m in shown] == ["maml-run", "anil-run"]
    assert shown[1].name == "anil-run (anil, it 8)"
    grid = torch.from_numpy(query_grid((-5.0, 5.0), POINTS))
    xy = torch.tensor(POINTS)
    for model, key in zip(shown, ("maml-run", "anil-run")):
        snapshot = runs[key][1]
        assert model.error is None and model.true_mse is None
        np.testing.assert_allclose(model.mse(), engine_mse(snapshot, POINTS, STEPS), rtol=1e-5)
        expected = snapshot.adapt(xy[:, 0], xy[:, 1], grid, STEPS)[:, 0, :, 0].numpy()
        np.testing.assert_allclose(model.steps, expected, rtol=1e-5, atol=1e-6)
    assert not np.allclose(shown[0].mse(), shown[1].mse())  # two different models
    # one curve per run in the overlay's legend and the MSE plot, one column per run in the table
    labels = [label.text for _, label in window.overlay_legend.items]
    assert labels == [m.name for m in shown]
    assert window.overlay.getPlotItem().titleLabel.text.startswith(f"after {STEPS} inner steps")
    assert len(window.mse_plot.getPlotItem().listDataItems()) == 2
    table = window.mse_table
    assert (table.rowCount(), table.columnCount()) == (2, STEPS + 1)
    assert table.verticalHeaderItem(1).text() == shown[1].name
    assert table.item(1, STEPS).text() == f"{shown[1].mse()[STEPS]:.4g}"
    assert window.mse_plot.getPlotItem().getAxis("left").labelText == "MSE on the drawn points"
    window.mode.setCurrentText("side by side")
    assert window.plots.currentWidget() is window.side_by_side
    assert len([i for i in window.side_by_side.ci.items if i.__class__.__name__ == "PlotItem"]) == 2
    window.shutdown()


def test_a_sampled_task_gives_the_mse_against_its_true_curve(qtbot, runs):
    family = build_family(from_dict({}).task)
    task = family.sample(1, 5, 0, generator=torch.Generator().manual_seed(3))
    points = tuple(map(tuple, torch.cat([task.x_support[0], task.y_support[0]], dim=1).tolist()))
    inputs = [PlaygroundInputs(points, 2, 0.02, family.x_range, task)]
    window = make_window(qtbot, inputs)
    window.add_run(runs["maml-run"][0])
    with qtbot.waitSignal(window.resultShown, timeout=10_000):
        window.add_run(runs["anil-run"][0])
    qtbot.waitUntil(lambda: len(window.shown_models()) == 2, timeout=10_000)
    grid = torch.from_numpy(window.last_result.x)
    true_y = task.true_function(grid)[0, :, 0].double()
    xy = torch.tensor(points)
    for model, key in zip(window.shown_models(), ("maml-run", "anil-run")):
        predictions = runs[key][1].adapt(xy[:, 0], xy[:, 1], grid, 2, lr=0.02)[:, 0, :, 0].double()
        np.testing.assert_allclose(model.mse(), ((predictions - true_y) ** 2).mean(dim=1).numpy(), rtol=1e-5)
    assert window.mse_plot.getPlotItem().getAxis("left").labelText == "MSE vs true curve"
    window.shutdown()


def test_unusable_folders_are_one_line_and_removing_leaves_the_rest(qtbot, runs, tmp_path):
    inputs = [PlaygroundInputs(POINTS, 1, None, (-5.0, 5.0))]
    window = make_window(qtbot, inputs)
    (tmp_path / "empty").mkdir()
    assert not window.add_run(tmp_path / "empty")
    assert "not a MAML Studio run" in window.message.text() and "\n" not in window.message.text()
    window.add_run(runs["maml-run"][0])
    window.add_run(runs["anil-run"][0])
    window.add_run(runs["anil-run"][0])  # the same folder twice is one entry
    assert len(window.model_names()) == 2
    window.model_list.item(0).setSelected(True)
    with qtbot.waitSignal(window.resultShown, timeout=10_000):
        window.remove_selected()
    assert window.model_names() == ["anil-run (anil, it 8)"]
    qtbot.waitUntil(lambda: [m.name for m in window.shown_models()] == ["anil-run (anil, it 8)"], timeout=10_000)
    window.shutdown()


def test_the_window_follows_the_main_playgrounds_points_and_steps(qtbot, runs, monkeypatch):
    from PySide6.QtWidgets import QMenu

    from tests.qt.helpers import quiet_main_window

    main = quiet_main_window(qtbot, monkeypatch)
    assert main.compare.action in main.menuBar().findChild(QMenu, "training_menu").actions()
    window = main.compare.open([runs["maml-run"][0], runs["anil-run"][0]])
    assert window.isVisible() and len(window.model_names()) == 2  # no current model before training
    main.playground.controls.steps_spin.setValue(2)
    steps = main.playground.controls.steps()
    assert steps == 2
    with qtbot.waitSignal(window.resultShown, timeout=10_000):
        main.playground.set_points(POINTS)
    qtbot.waitUntil(lambda: window.last_result is not None and len(window.shown_models()) == 2
                    and window.shown_models()[0].mse() is not None
                    and len(window.shown_models()[0].mse()) == steps + 1, timeout=10_000)
    np.testing.assert_allclose(window.shown_models()[0].mse(), engine_mse(runs["maml-run"][1], POINTS, steps),
                               rtol=1e-5)
    window.remove_button.setEnabled(True)
    window.model_list.selectAll()
    window.remove_selected()
    assert window.model_names() == []
    for folder, _ in runs.values():  # the Runs panel's ticked runs
        main.runs.model.add_run(folder)
    main.runs.model.set_visible(str(runs["anil-run"][0].resolve()), False)
    assert window.add_visible_button.isEnabled()
    window.add_visible_button.click()
    assert window.model_names() == ["maml-run (maml, it 12)"]
    main.close()
