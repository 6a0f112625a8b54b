"""Runs made by the CLI for the comparison tests: a 2 x 2 sweep (algorithm x seed) and a classification run.

Made once per test session (a few seconds on one thread) and only read by the tests; a test
that damages runs copies them first.
"""

from __future__ import annotations

from pathlib import Path

from maml_gui.cli import main

TINY = """
[model]
hidden = [8]
[training]
meta_batch = 2
iterations = 30
val_interval = 10
val_tasks = 4
log_every = 2
baseline = false
[evaluation]
tasks = 6
inner_steps = 2
"""
ALGORITHMS = ("maml", "anil")
SEEDS = (0, 1)


def make_sweep(folder: Path) -> Path:
    """``maml-gui sweep`` of maml and anil over seeds 0 and 1: four runs of 30 iterations each."""
    base = folder / "base.toml"
    base.write_text(TINY)
    out = folder / "sweep"
    status = main(["sweep", str(base), "--grid", f"training.algorithm={','.join(ALGORITHMS)}",
                   "--seeds", ",".join(map(str, SEEDS)), "--threads", "1", "--eval-tasks", "4", "--quiet",
                   "--out", str(out)])
    assert status == 0
    return out


def make_classification_run(folder: Path) -> Path:
    """``maml-gui train`` of the 3-way points preset, shrunk to a few iterations."""
    out = folder / "blobs"
    status = main(["train", "--preset", "points-3way-5shot", "--set", "training.iterations=20", "--set",
                   "training.val_interval=10", "--set", "training.val_tasks=4", "--set", "training.meta_batch=2",
                   "--set", "model.hidden=[8]", "--set", "training.threads=1", "--quiet", "--out", str(out)])
    assert status == 0
    return out
