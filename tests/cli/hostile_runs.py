"""Shared by the hostile run-directory tests: a tiny trained run, the CLI run in-process, checks.

A refused run directory must give exit status 2 and exactly one line on stderr (no traceback),
from every entry point that reads runs, and leave every file in the directory as it was.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import stat
from dataclasses import dataclass
from pathlib import Path

import torch

from maml_gui import cli
from maml_gui.core.checkpoint import save_trainer
from maml_gui.core.config import from_dict
from maml_gui.core.training import Trainer

TINY_CONFIG = {
    "model": {"hidden": [4]},
    "task": {"shots": 3, "queries": 3},
    "training": {"iterations": 3, "meta_batch": 2, "val_interval": 2, "val_tasks": 3, "baseline": True,
                 "log_every": 1, "threads": 1},
    "evaluation": {"tasks": 3, "queries": 3, "shots": 2, "inner_steps": 2},
}
TINY_CLASSIFICATION = {**TINY_CONFIG, "task": {"kind": "classification", "family": "blobs", "ways": 3, "shots": 2,
                                                "queries": 2}}
POINTS = [(0.5, 1.25), (-2.0, 0.1)]


def make_tiny_run(folder: Path, kind: str = "regression", **training) -> Path:
    """A run trained for 3 iterations with a baseline, validation curves and drawn points (~50 ms)."""
    torch.set_num_threads(1)
    base = TINY_CLASSIFICATION if kind == "classification" else TINY_CONFIG
    config = from_dict({**base, "training": {**base["training"], **training}})
    trainer = Trainer(config, device="cpu", threads=1)
    for _ in trainer.run():
        pass
    return save_trainer(folder, trainer, points=POINTS)


def tree_digest(folder: Path) -> str:
    """Hash of every name, mode and content under ``folder`` (to prove nothing changed)."""
    digest = hashlib.sha256()
    for path in sorted(Path(folder).rglob("*")):
        digest.update(str(path.relative_to(folder)).encode())
        info = path.lstat()
        digest.update(str(stat.S_IMODE(info.st_mode)).encode())
        if stat.S_ISREG(info.st_mode):
            digest.update(str(info.st_size).encode())
            if info.st_size < 64 << 20:  # sparse giants: their size stands for their content
                digest.update(path.read_bytes())
    return digest.hexdigest()


@dataclass
class Outcome:
    status: int
    out: str
    err: str


def run_cli(argv: list[str]) -> Outcome:
    """``maml_gui.cli.main(argv)`` in this process, with its output captured."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            status = cli.main([str(a) for a in argv])
        except SystemExit as exit_:  # argparse
            status = exit_.code if isinstance(exit_.code, int) else 1
    return Outcome(status, out.getvalue(), err.getvalue())


def commands(run: Path, export_to: Path, iterations: int = 4) -> dict[str, list]:
    """Every entry point that reads a run directory (``gui`` only checks it: run_app is replaced)."""
    return {
        "evaluate": ["evaluate", run, "--tasks", "3", "--queries", "3", "--steps", "0,1"],
        "export": ["export", run, "--format", "safetensors", "--out", export_to],
        "resume": ["train", "--resume", run, "--iterations", iterations, "--quiet", "--threads", "1"],
        "gui": [run],
    }


class NoWindow:
    """Stands in for ``maml_gui.qt.app.run_app``: records that the app would have opened."""

    def __init__(self) -> None:
        self.opened: list = []

    def __call__(self, run=None, argv=None) -> int:
        self.opened.append(run)
        return 0


def assert_one_line_refusal(outcome: Outcome, match: str | None = None) -> str:
    assert outcome.status == 2, (outcome.status, outcome.err[-2000:])
    lines = outcome.err.splitlines()
    assert len(lines) == 1, outcome.err[-2000:]
    line = lines[0]
    assert line.startswith("maml-gui: error: ") and "Traceback" not in line, line
    assert "weights_only" not in line
    if match is not None:
        assert match in line, line
    return line


def assert_refused_everywhere(run: Path, match: str | None = None, skip: tuple[str, ...] = ()) -> list[str]:
    """Every entry point refuses ``run`` with one line; the run directory and export target are untouched."""
    export_to = run.parent / "exported.safetensors"
    before = tree_digest(run)
    lines = []
    for name, argv in commands(run, export_to).items():
        if name in skip:
            continue
        lines.append(assert_one_line_refusal(run_cli(argv), match))
        assert tree_digest(run) == before, f"{name} changed the run directory"
        assert not export_to.exists() and not Path(f"{export_to}.json").exists()
    return lines


def no_leftover_temp_files(folder: Path) -> bool:
    return not [name for name in os.listdir(folder) if name.endswith(".tmp")]
