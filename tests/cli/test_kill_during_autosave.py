"""kill -9 at random moments while `maml-gui train` autosaves every iteration.

After every kill the run directory must still evaluate and resume (to two more iterations),
and opening it removes the temporary files the killed write left (``.NAME.xxxxxxxx.tmp``).
The trainer runs in a child forked from a forkserver that has already imported torch and
the app, so each round costs milliseconds rather than a fresh interpreter's start-up.
"""

from __future__ import annotations

import multiprocessing
import os
import random
import shutil
import signal
import time
from pathlib import Path

import torch

from maml_gui import cli
from maml_gui.core.checkpoint import RESUME, RUN_INFO, is_run, load_run

from .hostile_runs import assert_one_line_refusal, run_cli

KILLS = 20  # each round waits at most ~40 s (a save, the kill), so the loop is bounded however loaded the machine
CONFIG = """\
[model]
hidden = [4]
[task]
shots = 3
queries = 3
[training]
iterations = 100000
meta_batch = 2
val_interval = 1000
val_tasks = 3
log_every = 1
autosave_interval = 1
baseline = true
threads = 1
[evaluation]
tasks = 3
queries = 3
shots = 2
inner_steps = 2
"""


def leftover_temp_files(folder: Path) -> list[str]:
    return sorted(name for name in os.listdir(folder) if name.endswith(".tmp"))


def saved_at(run: Path) -> int | None:
    try:
        return (run / RUN_INFO).stat().st_mtime_ns
    except OSError:
        return None


def wait_for_a_save(run: Path, before: int | None, timeout_s: float = 30.0) -> None:
    """Until the child has written ``run.json`` (its last file of a save) at least once."""
    deadline = time.monotonic() + timeout_s
    while saved_at(run) in (None, before) and time.monotonic() < deadline:
        time.sleep(0.002)


def test_kill_9_during_autosaves_leaves_a_run_that_evaluates_and_resumes(tmp_path):
    torch.set_num_threads(1)
    context = multiprocessing.get_context("forkserver")
    # torch._dynamo: the first optimizer imports it (seconds); the children inherit it imported
    context.set_forkserver_preload(["torch", "torch._dynamo", "maml_gui.cli", "maml_gui.cli_train",
                                    "maml_gui.core.training"])
    config = tmp_path / "autosave-every-iteration.toml"
    config.write_text(CONFIG)
    run = tmp_path / "run"
    chance = random.Random(7)
    started, rounds, resumed, temp_files_seen = time.monotonic(), 0, 0, 0
    while rounds < KILLS:
        rounds += 1
        if is_run(run):
            argv = ["train", "--resume", str(run), "--iterations", "100000", "--quiet", "--threads", "1"]
        else:
            shutil.rmtree(run, ignore_errors=True)
            argv = ["train", str(config), "--out", str(run), "--quiet", "--threads", "1"]
        last_save = saved_at(run)
        child = context.Process(target=cli.main, args=(argv,), daemon=True)
        child.start()
        if rounds % 5:  # most kills land among the autosaves; every fifth one in the start-up or first save
            wait_for_a_save(run, last_save)
        time.sleep(chance.uniform(0.0, 0.15))
        os.kill(child.pid, signal.SIGKILL)
        child.join(10)
        assert child.exitcode == -signal.SIGKILL, f"round {rounds}: the trainer ended by itself ({child.exitcode})"
        if not is_run(run):  # killed before its first save was complete: a clear refusal
            if run.exists():
                assert_one_line_refusal(run_cli(["evaluate", run]), "not a MAML Studio run")
            continue
        temp_files_seen += len(leftover_temp_files(run))
        evaluated = run_cli(["evaluate", run, "--tasks", "3", "--queries", "3", "--steps", "0,1"])
        assert evaluated.status == 0, f"round {rounds}: {evaluated.err}"
        assert leftover_temp_files(run) == [], f"round {rounds}: opening the run left its temporary files"
        iteration = torch.load(run / RESUME, weights_only=True)["iteration"]
        again = run_cli(["train", "--resume", run, "--iterations", iteration + 2, "--quiet", "--threads", "1"])
        assert again.status == 0, f"round {rounds}: {again.err}"
        assert load_run(run).iteration == iteration + 2 and leftover_temp_files(run) == []
        resumed += 1
    assert resumed >= KILLS // 2, f"only {resumed} of {rounds} kills came after the first save"
    print(f"{rounds} kills, {resumed} resumed, {temp_files_seen} temporary files left by the kills, "
          f"{time.monotonic() - started:.1f} s")
