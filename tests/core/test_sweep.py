"""Sweep grid expansion, trial names, the sweep directory's record, and the results table (no Qt)."""

from __future__ import annotations

import json
import multiprocessing
import os

import pytest

from maml_gui.core.config import ExperimentConfig, from_toml
from maml_gui.core.run_table import flatten, run_table
from maml_gui.core.sweep import (SweepError, expand, parse_grid, parse_seeds, prepare_directory, split_values,
                                 sweep_record, trial_name)
from maml_gui.core.sweep_runner import FINISHED, NEW, RESUMABLE, SweepRunner, threads_per_trial, trial_state

TINY = """
[model]
hidden = [8]
[training]
meta_batch = 2
iterations = 12
val_interval = 6
val_tasks = 4
baseline = false
[evaluation]
tasks = 6
inner_steps = 2
"""


@pytest.fixture
def base() -> ExperimentConfig:
    return from_toml(TINY)


def test_the_grid_expands_to_every_combination_times_the_seeds(base):
    grid = parse_grid(["training.inner_lr=0.001,0.01,0.1", "training.algorithm=maml,anil"])
    trials = expand(base, grid, [0, 1, 2])
    assert len(trials) == 18
    first = trials[0]
    assert first.name == "inner_lr=0.001,algorithm=maml,seed=0"
    assert first.config.training.inner_lr == 0.001 and first.config.training.seed == 0
    assert {t.config.training.algorithm for t in trials} == {"maml", "anil"}
    assert len({t.name for t in trials}) == 18
    assert trials[-1].values == {"training.inner_lr": 0.1, "training.algorithm": "anil"}


def test_names_are_safe_and_clashing_short_names_use_the_whole_key(base):
    grid = parse_grid(["model.hidden=[8,8],[4]", "training.inner_steps=1,2", "evaluation.inner_steps=3"])
    names = [t.name for t in expand(base, grid, [5])]
    assert names[0] == "hidden=8x8,training.inner_steps=1,evaluation.inner_steps=3,seed=5"
    assert trial_name({"task.formula": "a * sin(x)/2"}, 0) == "formula=a___sin_x__2,seed=0"
    assert all("/" not in n and not n.startswith(".") for n in names)


def test_values_split_on_top_level_commas_only():
    assert split_values("[40,40],[8], 'a,b' ,3") == ["[40,40]", "[8]", "'a,b'", "3"]
    assert parse_grid(["model.hidden=[40,40],[8]"]) == [("model.hidden", [[40, 40], [8]])]


@pytest.mark.parametrize("grid, message", [
    (["training.inner_lrr=0.1"], "--grid training.inner_lrr: unknown key"),
    (["trainng.inner_lr=0.1"], "unknown section 'trainng'"),
    (["training.inner_lr=0.1,-1"], "training.inner_lr=-1: training.inner_lr: Input should be greater than 0"),
    (["training.algorithm=maml,mamba"], "training.algorithm=mamba"),
    (["training.inner_lr"], "expected section.key=value1,value2"),
    (["training.inner_lr=0.1,,0.2"], "an empty value"),
    (["training.inner_lr=0.1,0.1"], "a value is repeated"),
    (["training.seed=1,2"], "--seeds"),
    (["training.inner_lr=0.1", "training.inner_lr=0.2"], "given twice"),
])
def test_bad_grid_input_is_one_line_naming_the_culprit(base, grid, message):
    with pytest.raises(SweepError) as caught:
        expand(base, parse_grid(grid), [0])
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_seeds_are_distinct_whole_numbers():
    assert parse_seeds("0, 1,2") == [0, 1, 2]
    for bad in ("", "a", "1,1", "-1"):
        with pytest.raises(SweepError):
            parse_seeds(bad)


def test_a_sweep_directory_refuses_a_different_grid(tmp_path, base):
    grid = parse_grid(["training.inner_lr=0.01,0.1"])
    out = tmp_path / "sweep"
    assert prepare_directory(out, sweep_record(base, grid, [0])) is False
    assert prepare_directory(out, sweep_record(base, grid, [0])) is True
    with pytest.raises(SweepError, match="different grid"):
        prepare_directory(out, sweep_record(base, parse_grid(["training.inner_lr=0.01"]), [0]))
    with pytest.raises(SweepError, match="different seeds"):
        prepare_directory(out, sweep_record(base, grid, [0, 1]))
    other = tmp_path / "other"
    other.mkdir()
    (other / "notes.txt").write_text("mine")
    with pytest.raises(SweepError, match="not empty"):
        prepare_directory(other, sweep_record(base, grid, [0]))


def test_threads_are_divided_between_jobs(monkeypatch):
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    monkeypatch.setattr("os.sched_getaffinity", lambda pid: set(range(8)))
    assert [threads_per_trial(j) for j in (1, 2, 3, 16)] == [8, 4, 2, 1]
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    assert threads_per_trial(1) == 1


def test_small_mlp_trials_get_the_trainers_single_thread(monkeypatch, base):
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    monkeypatch.setattr("os.sched_getaffinity", lambda pid: set(range(8)))
    monkeypatch.setattr("maml_gui.core.threads.usable_cores", lambda: 8)
    trials = expand(base, parse_grid(["training.inner_lr=0.01,0.1"]), [0])
    assert threads_per_trial(1, trials) == 1  # a 1-8-1 MLP: one thread, measured fastest
    wide = expand(base, parse_grid(["model.hidden=[2048, 2048]"]), [0])
    assert threads_per_trial(1, wide) == 8 and threads_per_trial(2, wide) == 4


def test_trials_run_in_process_are_evaluated_and_tabled(tmp_path, base):
    grid = parse_grid(["training.inner_lr=0.01,0.1"])
    trials = expand(base, grid, [3])
    runner = SweepRunner(tmp_path, trials, jobs=1, threads=1, eval_tasks=5)
    assert [state for _, state, _ in runner.pending()] == [NEW, NEW]
    results = runner.run()
    assert [r.status for r in results] == ["finished", "finished"]
    assert [trial_state(tmp_path / t.name, 12) for t in trials] == [(FINISHED, 12), (FINISHED, 12)]
    assert trial_state(tmp_path / trials[0].name, 20) == (RESUMABLE, 12)
    evaluation = json.loads((tmp_path / trials[0].name / "evaluation.json").read_text())
    assert evaluation["tasks"] == 5 and evaluation["steps"] == [0, 1, 2] and evaluation["iteration"] == 12

    table = run_table([tmp_path / t.name for t in trials])
    assert table.columns[:2] == ["run", "training.inner_lr"]  # the only config field that differs
    assert "model.hidden" not in table.columns
    assert [row["training.inner_lr"] for row in table.rows] == [0.01, 0.1]
    assert {"seed", "iteration", "val_mse", "eval_mse@0", "eval_mse@2", "eval_ci95@2"} <= set(table.columns)
    assert [row["iteration"] for row in table.rows] == [12, 12]
    assert table.rows[0]["eval_mse@2"] == evaluation["mse"][2]
    lines = table.format().splitlines()
    assert len(lines) == 3 and lines[0].split()[:2] == ["run", "inner_lr"]
    csv_lines = table.to_csv().splitlines()
    assert csv_lines[0].startswith("run,training.inner_lr,seed,iteration,val_mse,eval_mse@0")
    assert csv_lines[1].startswith('"inner_lr=0.01,seed=3",0.01,3,12,')


def test_a_stopped_sweep_keeps_finished_trials_and_starts_no_more(tmp_path, base):
    trials = expand(base, parse_grid(["training.inner_lr=0.01,0.02,0.03"]), [0])
    runner = SweepRunner(tmp_path, trials, jobs=1, threads=1, eval_tasks=3)
    results = runner.run(on_result=lambda result: runner.stop())
    assert [r.status for r in results] == ["finished", "interrupted", "interrupted"]
    again = SweepRunner(tmp_path, trials, jobs=1, threads=1, eval_tasks=3).run()
    assert [r.status for r in again] == ["skipped", "finished", "finished"]


def test_running_trials_report_their_iterations_and_saves(tmp_path, base):
    trials = expand(base, parse_grid(["training.inner_lr=0.01,0.02"]), [0])
    reports = []
    SweepRunner(tmp_path, trials, jobs=1, threads=1, eval_tasks=3).run(on_progress=reports.append)
    for trial in trials:
        mine = [r for r in reports if r.name == trial.name]
        assert mine[0].iteration == 0 and not mine[0].saved and {r.total for r in mine} == {12}
        saves = [r.iteration for r in mine if r.saved]
        assert saves == sorted(saves) and saves[-1] == 12 and 6 in saves  # val_interval 6: an autosave
    assert [r.name for r in reports].index(trials[1].name) > [r.name for r in reports].index(trials[0].name)


def test_a_worker_whose_parent_is_gone_saves_its_trial_and_stops(tmp_path, base, monkeypatch):
    import maml_gui.core.sweep_runner as sweep_runner

    trial = expand(base.with_overrides(["training.iterations=1000000"]), [], [0])[0]
    monkeypatch.setattr(sweep_runner, "_stop_event", multiprocessing.get_context("spawn").Event())
    monkeypatch.setattr(sweep_runner, "_parent_pid", os.getppid() + 1)  # as after the app was killed
    result = sweep_runner.run_trial(str(tmp_path / trial.name), trial.config.to_toml(), 1, 3)
    assert result.status == "interrupted" and 0 < result.iteration < 1_000_000
    assert trial_state(tmp_path / trial.name, 1_000_000) == (RESUMABLE, result.iteration)


def test_an_unreadable_run_is_a_row_with_its_error(tmp_path):
    (tmp_path / "broken").mkdir()
    table = run_table([tmp_path / "broken"])
    assert table.rows[0]["run"] == "broken" and "not a MAML Studio run" in table.rows[0]["error"]
    assert flatten({"a": {"b": 1, "c": [1, 2]}, "d": "x"}) == {"a.b": 1, "a.c": [1, 2], "d": "x"}


def test_random_draws_are_seeded_rounded_and_within_their_ranges():
    from maml_gui.core.sweep_random import parse_ranges, sample_points

    ranges = parse_ranges(["training.inner_lr=log:0.001:0.1", "training.inner_steps=int:1:3",
                           "training.meta_lr=lin:0.0001:0.01"])
    points = sample_points(ranges, 20, seed=7)
    assert points == sample_points(ranges, 20, seed=7) and points != sample_points(ranges, 20, seed=8)
    lrs = [p["training.inner_lr"] for p in points]
    assert all(0.001 <= v <= 0.1 and float(f"{v:.4g}") == v for v in lrs)
    assert min(lrs) < 0.01 < max(lrs)  # log-uniform: about half of the draws below the geometric middle
    assert {p["training.inner_steps"] for p in points} == {1, 2, 3}
    assert all(0.0001 <= p["training.meta_lr"] <= 0.01 for p in points)


@pytest.mark.parametrize("text, message", [
    ("training.inner_lr=log:0:0.1", "LOW > 0"), ("training.inner_lr=exp:1:2", "KIND one of log, lin, int"),
    ("training.inner_lr=lin:0.1:0.01", "LOW < HIGH"), ("training.inner_steps=int:1:2.5", "whole numbers"),
    ("training.inner_lr=lin:a:1", "must be numbers"), ("training.seed=int:0:3", "--seeds"),
])
def test_bad_ranges_are_refused(text, message):
    from maml_gui.core.sweep_random import parse_ranges

    with pytest.raises(SweepError, match=message):
        parse_ranges([text])


def test_random_points_cross_the_grid_and_seeds(base):
    points = [{"training.inner_lr": 0.003}, {"training.inner_lr": 0.02}]
    trials = expand(base, parse_grid(["training.algorithm=maml,anil"]), [0, 1], points)
    assert len(trials) == 8
    assert trials[0].name == "algorithm=maml,inner_lr=0.003,seed=0"
    assert trials[0].config.training.inner_lr == 0.003
