"""``maml-gui sweep``: a small grid run twice (the second skips), resumed trials, the summary, bad input."""

from __future__ import annotations

import csv

import pytest
import torch

from maml_gui.cli import main
from maml_gui.core.checkpoint import load_run

from .processes import interrupt_once_saved

TINY = """
[model]
hidden = [8]
[training]
meta_batch = 2
iterations = 20
val_interval = 10
val_tasks = 4
baseline = false
[evaluation]
tasks = 6
inner_steps = 2
"""
GRID = ["--grid", "training.inner_lr=0.01,0.1", "--grid", "training.algorithm=maml,anil", "--seeds", "0,1"]


@pytest.fixture
def base(tmp_path):
    path = tmp_path / "base.toml"
    path.write_text(TINY)
    return path


def sweep(base, out, *extra):
    return main(["sweep", str(base), *GRID, "--threads", "1", "--eval-tasks", "4", "--quiet", "--out", str(out),
                 *extra])


def weights_mtimes(out):
    return {p.parent.name: p.stat().st_mtime_ns for p in out.glob("*/model.safetensors")}


def test_a_2x2x2_sweep_writes_runs_and_a_summary_and_a_rerun_skips_them(tmp_path, base, capsys):
    out = tmp_path / "sweep"
    assert sweep(base, out) == 0
    printed = capsys.readouterr()
    names = sorted(p.name for p in out.iterdir() if p.is_dir())
    assert len(names) == 8 and "inner_lr=0.1,algorithm=anil,seed=1" in names
    run = load_run(out / "inner_lr=0.1,algorithm=anil,seed=1")
    assert run.iteration == 20 and run.config.training.algorithm == "anil" and run.config.training.seed == 1
    assert printed.err.count(": finished 20 iterations") == 8
    rows = list(csv.DictReader((out / "summary.csv").open()))
    assert len(rows) == 8
    assert {"run", "training.inner_lr", "training.algorithm", "seed", "val_mse", "eval_mse@0", "eval_mse@2",
            "eval_ci95@2", "eval_tasks"} <= set(rows[0])
    assert {(r["training.inner_lr"], r["training.algorithm"], r["seed"]) for r in rows} == {
        (lr, alg, seed) for lr in ("0.01", "0.1") for alg in ("maml", "anil") for seed in ("0", "1")}
    assert all(float(r["eval_mse@2"]) > 0 and r["eval_tasks"] == "4" for r in rows)
    assert "model.hidden" not in rows[0]  # the same in every trial
    assert printed.out.splitlines()[0].split()[:4] == ["run", "inner_lr", "algorithm", "seed"]
    assert len(printed.out.splitlines()) == 9

    before = weights_mtimes(out)
    assert sweep(base, out) == 0
    again = capsys.readouterr()
    assert again.err.count("already finished (20 iterations), skipped") == 8
    assert "finished 20 iterations in" not in again.err
    assert weights_mtimes(out) == before
    assert len(list(csv.DictReader((out / "summary.csv").open()))) == 8


def test_an_interrupted_trial_resumes_to_the_same_weights(tmp_path, base, capsys):
    out = tmp_path / "sweep"
    args = ["--grid", "training.inner_lr=0.1", "--seeds", "0,1"]
    main(["sweep", str(base), *args, "--threads", "1", "--eval-tasks", "4", "--quiet", "--out", str(out)])
    trial = out / "inner_lr=0.1,seed=1"
    whole = load_run(trial).snapshot.params
    # the same trial stopped at iteration 10: its run directory holds a 10-iteration run
    for child in trial.iterdir():
        child.unlink()
    assert main(["train", str(base), "--set", "training.inner_lr=0.1", "--seed", "1", "--iterations", "10",
                 "--threads", "1", "--quiet", "--out", str(trial)]) == 0
    capsys.readouterr()
    assert main(["sweep", str(base), *args, "--threads", "1", "--eval-tasks", "4", "--quiet", "--out", str(out)]) == 0
    err = capsys.readouterr().err
    assert "1 finished, 1 to resume, 0 new" in err
    assert "inner_lr=0.1,seed=1: finished 20 iterations in" in err and "resumed from iteration 10" in err
    assert "inner_lr=0.1,seed=0: already finished" in err
    assert all(torch.equal(a, b) for a, b in zip(load_run(trial).snapshot.params, whole))
    assert [row[0] for row in load_run(trial).history.rows] == [10, 20]


def test_a_trial_without_run_json_starts_again(tmp_path, base, capsys):
    out = tmp_path / "sweep"
    args = ["--grid", "training.algorithm=anil", "--out", str(out), "--threads", "1", "--quiet", "--eval-tasks", "3"]
    assert main(["sweep", str(base), *args]) == 0
    trial = out / "algorithm=anil,seed=0"
    (trial / "run.json").unlink()
    capsys.readouterr()
    assert main(["sweep", str(base), *args]) == 0
    assert "0 finished, 0 to resume, 1 new" in capsys.readouterr().err
    assert load_run(trial).iteration == 20


def test_two_jobs_run_trials_in_worker_processes(tmp_path, base, capsys):
    out = tmp_path / "sweep"
    # one trial, so one worker process starts (each imports torch: seconds on a busy machine)
    assert main(["sweep", str(base), "--grid", "training.inner_lr=0.1", "--jobs", "2", "--threads", "1",
                 "--eval-tasks", "3", "--quiet", "--out", str(out)]) == 0
    err = capsys.readouterr().err
    assert "2 job(s) x 1 torch thread(s)" in err and err.count(": finished 20 iterations") == 1
    assert load_run(out / "inner_lr=0.1,seed=0").iteration == 20
    assert (out / "inner_lr=0.1,seed=0" / "evaluation.json").is_file()


@pytest.mark.parametrize("extra, message", [
    (["--grid", "training.inner_lrr=0.1,0.2"], "--grid training.inner_lrr: unknown key"),
    (["--grid", "training.inner_lr=0.1,zero"], "training.inner_lr=zero: training.inner_lr: Input should be"),
    (["--grid", "training.inner_lr"], "expected section.key=value1,value2"),
    (["--seeds", "0,x"], "--seeds '0,x'"),
    (["--jobs", "0"], "--jobs must be between 1"),
])
def test_bad_input_is_one_line_and_exit_2_before_any_trial(tmp_path, base, capsys, extra, message):
    out = tmp_path / "sweep"
    assert main(["sweep", str(base), "--quiet", "--out", str(out), *extra]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert not out.exists()


def test_a_different_grid_into_the_same_directory_is_refused(tmp_path, base, capsys):
    out = tmp_path / "sweep"
    args = ["--threads", "1", "--quiet", "--eval-tasks", "3", "--out", str(out)]
    assert main(["sweep", str(base), "--grid", "training.inner_lr=0.1", *args]) == 0
    capsys.readouterr()
    assert main(["sweep", str(base), "--grid", "training.inner_lr=0.2", *args]) == 2
    err = capsys.readouterr().err
    assert "holds a sweep with a different grid" in err and len(err.strip().splitlines()) == 1
    assert not (out / "inner_lr=0.2,seed=0").exists()


def test_a_random_search_draws_the_same_trials_again(tmp_path, base, capsys):
    out = tmp_path / "random"
    args = ["sweep", str(base), "--random", "2", "--range", "training.inner_lr=log:0.001:0.1", "--random-seed", "3",
            "--threads", "1", "--eval-tasks", "3", "--quiet", "--out", str(out)]
    assert main(args) == 0
    names = sorted(p.name for p in out.iterdir() if p.is_dir())
    assert len(names) == 2 and all(n.startswith("inner_lr=0.") and n.endswith(",seed=0") for n in names)
    rows = list(csv.DictReader((out / "summary.csv").open()))
    assert sorted(f"inner_lr={r['training.inner_lr']},seed=0" for r in rows) == names
    capsys.readouterr()
    assert main(args) == 0
    assert capsys.readouterr().err.count("skipped") == 2
    assert main([*args[:-1], str(out), "--random-seed", "4"]) == 2
    assert "different random search" in capsys.readouterr().err
    assert main(["sweep", str(base), "--random", "2", "--range", "training.inner_lr=log:0.001:1000", "--quiet",
                 "--out", str(tmp_path / "bad")]) == 2
    assert "--range training.inner_lr=1000.0: training.inner_lr: Input should be less than" in capsys.readouterr().err


def test_ctrl_c_stops_the_running_trial_keeps_finished_ones_and_starts_no_more(tmp_path, base):
    """A real SIGINT to ``maml-gui sweep``: the middle trial is set to a million iterations, so it is
    still training when the signal comes, however fast the machine."""
    import subprocess
    import sys

    base.write_text(TINY.replace("baseline = false", "baseline = false\nautosave_interval = 10"))
    out = tmp_path / "sweep"
    process = subprocess.Popen([sys.executable, "-m", "maml_gui", "sweep", str(base), "--grid",
                                "training.iterations=20,1000000,30", "--threads", "1", "--eval-tasks", "3",
                                "--quiet", "--out", str(out)], stderr=subprocess.PIPE, text=True)
    err = interrupt_once_saved(process, out / "iterations=1000000,seed=0", 20)
    assert process.returncode == 130, err
    assert "interrupted: 1 of 3 trials finished and kept" in err and "Traceback" not in err
    assert (out / "iterations=20,seed=0" / "evaluation.json").is_file()
    stopped = load_run(out / "iterations=1000000,seed=0")
    assert stopped.iteration >= 20 and not (out / "iterations=1000000,seed=0" / "evaluation.json").exists()
    assert not (out / "iterations=30,seed=0" / "run.json").exists()
