"""Runs read for comparison: finding them under a folder (hostile ones skipped with one line each),
their curves by iteration and wall time, evaluation.json checks, sweep axes."""

from __future__ import annotations

import json
import math
import shutil

import numpy as np
import pytest

from maml_gui.core.checkpoint import RunError, save_trainer
from maml_gui.core.compared_run import (X_WALL_TIME, find_run_folders, key_settings, read_compared_run,
                                        sweep_fields)
from maml_gui.core.config import from_dict
from maml_gui.core.run_table import read_evaluation
from maml_gui.core.sweep_axes import make_axis, metric_columns, parallel_axes
from maml_gui.core.training import Trainer

TINY = {"model": {"hidden": [4]}, "task": {"shots": 3, "queries": 3},
        "training": {"iterations": 6, "meta_batch": 2, "val_interval": 3, "val_tasks": 3, "baseline": False,
                     "log_every": 1, "threads": 1}}


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    trainer = Trainer(from_dict(TINY), device="cpu", threads=1)
    for _ in trainer.run():
        pass
    return save_trainer(tmp_path_factory.mktemp("compared") / "run", trainer)


def test_a_run_gives_its_loss_curve_by_iteration_and_by_seconds_trained(trained):
    run = read_compared_run(trained)
    x, y = run.loss_curve()
    assert x.tolist() == [1, 2, 3, 4, 5, 6]
    assert y.tolist() == [row[2] for row in run.history.rows]
    seconds, same = run.loss_curve(X_WALL_TIME)
    assert np.all(np.diff(seconds) > 0) and same.tolist() == y.tolist()
    assert seconds.tolist() == [row[4] for row in run.history.rows]
    assert run.adaptation_curve().steps[0] == 0 and run.evaluation is None
    assert key_settings(run.config, run.iteration) == "maml · sinusoid · lr 0.01 × 1 step · seed 0 · 6 it."


def test_a_folder_of_runs_and_sweeps_is_searched_and_non_runs_are_named(tmp_path, trained):
    shutil.copytree(trained, tmp_path / "a")
    sweep = tmp_path / "sweep"
    shutil.copytree(trained, sweep / "x=1,seed=0")
    (sweep / "sweep.json").write_text(json.dumps({"grid": [["training.inner_lr", [0.1]]], "random": None}))
    (tmp_path / "notes").mkdir()
    (tmp_path / "readme.txt").write_text("not a folder")
    found, problems = find_run_folders(tmp_path)
    assert [(p.name, s.name if s else None) for p, s in found] == [("a", None), ("x=1,seed=0", "sweep")]
    assert problems == ["notes: not a run (no config.toml and run.json), skipped"]
    assert sweep_fields(sweep) == ["training.inner_lr"]
    assert find_run_folders(tmp_path / "a")[0] == [(tmp_path / "a", None)]


@pytest.mark.parametrize("what", ["missing", "file", "empty"])
def test_nothing_to_open_is_one_line(tmp_path, what):
    target = tmp_path / "target"
    if what == "file":
        target.write_text("x")
    elif what == "empty":
        target.mkdir()
    found, problems = find_run_folders(target)
    assert found == [] and len(problems) == 1 and "\n" not in problems[0]


def test_a_damaged_run_raises_one_line(tmp_path, trained):
    broken = shutil.copytree(trained, tmp_path / "broken")
    (broken / "metrics.csv").write_text("iteration,nonsense\n1,\x00\n")
    with pytest.raises(RunError) as err:
        read_compared_run(broken)
    assert "\n" not in str(err.value) and "broken" in str(err.value)


@pytest.mark.parametrize("text", ["{", "[]", '{"metric": "mse"}', '{"metric": "mse", "steps": [0], "mse": [1.0], '
                                  '"ci95": [], "tasks": 3}', '{"metric": "mse", "steps": [0], "mse": ["x"], '
                                  '"ci95": [0.1], "tasks": 3}', '{"metric": "loss", "steps": [0], "loss": [1], '
                                  '"ci95": [0.1], "tasks": 3}'])
def test_a_malformed_evaluation_is_ignored(tmp_path, text):
    (tmp_path / "evaluation.json").write_text(text)
    assert read_evaluation(tmp_path) is None


def test_a_sound_evaluation_is_read(tmp_path):
    (tmp_path / "evaluation.json").write_text(json.dumps(
        {"metric": "mse", "steps": [0, 2], "mse": [3.0, None], "ci95": [0.5, None], "tasks": 4}))
    assert read_evaluation(tmp_path)["mse"] == [3.0, None]


def test_learning_rates_get_a_log_axis_and_words_a_categorical_one():
    lr = make_axis("training.inner_lr", [0.001, 0.01, 0.1, None])
    assert lr.log and lr.positions[:3] == pytest.approx([0.0, 0.5, 1.0]) and math.isnan(lr.positions[3])
    assert [text for _, text in lr.ticks] == ["0.001", "0.01", "0.1"]
    steps = make_axis("training.inner_steps", [1, 3, 5])
    assert not steps.log and steps.positions == pytest.approx([0.0, 0.5, 1.0])
    algorithm = make_axis("training.algorithm", ["reptile", "anil", "maml", "anil"])
    assert algorithm.categorical and [t for _, t in algorithm.ticks] == ["anil", "maml", "reptile"]
    assert algorithm.positions == pytest.approx([1.0, 0.0, 0.5, 0.0])
    assert make_axis("eval", [2.0, 2.0]).positions == pytest.approx([0.5, 0.5])
    rows = [{"training.algorithm": "maml", "eval_mse@10": 1.0}, {"training.algorithm": "anil", "eval_mse@10": 3.0}]
    axes = parallel_axes(rows, ["training.algorithm"], "eval_mse@10")
    assert [a.name for a in axes] == ["training.algorithm", "eval_mse@10"]
    assert axes[1].positions == pytest.approx([0.0, 1.0])
    assert metric_columns(["run", "val_mse", "eval_mse@0", "eval_mse@10", "eval_ci95@10"]) == [
        "eval_mse@10", "eval_mse@0", "val_mse"]
