"""Autosaves written from a writer thread: what is saved is the state at the call, errors come back."""

from __future__ import annotations

import pytest
import torch

from maml_gui.core.background_save import BackgroundRunWriter
from maml_gui.core.checkpoint import load_resume_state, load_run
from maml_gui.core.config import from_dict
from maml_gui.core.training import Trainer


def small_trainer() -> Trainer:
    config = from_dict({"task": {"shots": 5, "queries": 5}, "model": {"hidden": [8, 8]},
                        "training": {"meta_batch": 4, "iterations": 20, "val_interval": 1000, "val_tasks": 5,
                                     "log_every": 1, "device": "cpu"},
                        "evaluation": {"inner_steps": 2, "queries": 5}})
    return Trainer(config, threads=1)


def test_a_background_save_holds_the_state_of_its_call(tmp_path):
    trainer = small_trainer()
    for _ in range(3):
        trainer.train_iteration()
        trainer.history.add_row(trainer.iteration, 1.0, 1.0, 1e-3, 0.0)
    at_call = [p.detach().clone() for p in trainer.learner.params]
    optimizer_at_call = {k: v.clone() for k, v in trainer.optimizer.state[trainer.learner.params[0]].items()}
    writer = BackgroundRunWriter(tmp_path / "run")
    writer(trainer)
    for _ in range(5):  # training goes on, changing the live tensors in place, while the files are written
        trainer.train_iteration()
    writer.wait()
    run = load_run(tmp_path / "run")
    assert run.iteration == 3 and [r[0] for r in run.history.rows] == [1, 2, 3]
    assert all(torch.equal(a, b) for a, b in zip(run.snapshot.params, at_call))
    saved = load_resume_state(tmp_path / "run")
    assert saved["iteration"] == 3
    saved_state = saved["optimizer"]["state"][0]
    assert all(torch.equal(saved_state[k], v) for k, v in optimizer_at_call.items())


def test_a_failed_background_write_is_raised_in_the_training_thread(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    writer = BackgroundRunWriter(blocker / "run")
    trainer = small_trainer()
    writer(trainer)
    with pytest.raises(OSError):
        writer.wait()
    writer.wait()  # reported once
    writer(trainer)
    with pytest.raises(OSError):
        writer(trainer)  # the next save reports the previous one's failure
