"""Temporary files left by a killed write go at the next open or save; nothing else ever does."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from maml_gui.core.checkpoint import load_run, remove_leftover_temp_files, save_run
from maml_gui.core.config import ExperimentConfig

OURS = [".config.toml.abcd1234.tmp", ".resume.pt.x_y_z_12.tmp", ".model.safetensors.0a1b2c3d.tmp",
        "..write-test.qwertyui.tmp"]
NOT_OURS = [".notes.abcd1234.tmp", "config.toml.tmp", ".config.toml.tmp", ".config.toml.ABCDEFGH.tmp",
            ".config.toml.abc.tmp", ".model.safetensors.abcd1234.tmp.keep", "notes.txt", "run.json.bak"]


def fill(folder: Path) -> None:
    for name in OURS + NOT_OURS:
        (folder / name).write_text("x")
    (folder / ".points.json.somedir_.tmp").mkdir(exist_ok=True)  # our pattern, but a folder: not ours to delete


@pytest.mark.skipif(os.name != "posix", reason="advisory locks")
def test_only_our_abandoned_temporary_files_are_removed(tmp_path):
    import fcntl

    fill(tmp_path)
    busy = tmp_path / ".metrics.csv.inflight.tmp"
    with open(busy, "wb") as writer:  # a live writer holds its lock until the rename
        fcntl.flock(writer.fileno(), fcntl.LOCK_EX)
        removed = remove_leftover_temp_files(tmp_path)
        assert busy.exists()
    assert sorted(p.name for p in removed) == sorted(OURS)
    assert sorted(os.listdir(tmp_path)) == sorted([*NOT_OURS, busy.name, ".points.json.somedir_.tmp"])
    assert remove_leftover_temp_files(tmp_path) == [busy]  # abandoned now


def test_opening_and_saving_a_run_remove_the_leftovers(tmp_path):
    run = save_run(tmp_path / "run", ExperimentConfig())
    fill(run)
    load_run(run)
    assert not [name for name in OURS if (run / name).exists()]
    assert all((run / name).exists() for name in NOT_OURS)
    fill(run)
    save_run(run, ExperimentConfig())
    assert not [name for name in OURS if (run / name).exists()]
    assert all((run / name).exists() for name in NOT_OURS)
