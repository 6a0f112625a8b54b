"""The dataset-folder presets (Omniglot, mini-ImageNet): refused in one line without task.root, and
the Omniglot one trains on a small generated folder in the Omniglot layout."""

from __future__ import annotations

import json

import pytest
import torch

from maml_gui.core.config import ConfigError
from maml_gui.core.presets import load_preset
from maml_gui.core.training import Trainer

from ..core.test_classification_folders import make_omniglot
from .hostile_runs import run_cli


@pytest.fixture(autouse=True)
def one_thread():
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


@pytest.mark.parametrize("name", ["omniglot-5way-1shot", "mini-imagenet-5way-1shot"])
def test_folder_preset_without_root_is_refused_in_one_line(name, tmp_path):
    outcome = run_cli(["train", "--preset", name, "--out", tmp_path / "run", "--quiet", "--threads", "1"])
    assert outcome.status == 2
    lines = outcome.err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in outcome.err
    assert f"task.root: the {name} preset needs the dataset folder: --set task.root=DIR" in lines[0]
    assert not (tmp_path / "run" / "model.safetensors").exists()


def test_engine_refuses_a_folder_family_without_root_in_one_line():
    with pytest.raises(ConfigError, match=r"^task\.root: the omniglot family needs the dataset folder"):
        Trainer(load_preset("omniglot-5way-1shot"), threads=1)


def test_presets_carry_finns_settings():
    omniglot, mini = load_preset("omniglot-5way-1shot"), load_preset("mini-imagenet-5way-1shot")
    assert (omniglot.task.image_size, omniglot.task.channels, omniglot.task.rotations) == (28, 1, True)
    assert (omniglot.training.inner_steps, omniglot.training.inner_lr, omniglot.training.meta_batch) == (1, 0.4, 32)
    assert omniglot.evaluation.inner_steps == 3
    assert (mini.task.image_size, mini.task.channels, mini.model.filters, mini.task.queries) == (84, 3, 32, 15)
    assert (mini.training.inner_steps, mini.training.inner_lr, mini.training.meta_batch) == (5, 0.01, 4)
    assert mini.evaluation.inner_steps == 10
    twenty = load_preset("glyphs-20way-1shot")
    assert (twenty.task.ways, twenty.training.inner_steps, twenty.training.inner_lr,
            twenty.training.meta_batch, twenty.evaluation.inner_steps) == (20, 5, 0.1, 16, 5)


def test_omniglot_preset_trains_on_a_generated_omniglot_folder(tmp_path):
    root = make_omniglot(tmp_path / "omniglot", per_set=5, images=4)
    out = tmp_path / "run"
    outcome = run_cli(["train", "--preset", "omniglot-5way-1shot", "--out", out, "--quiet", "--threads", "1",
                       "--iterations", "3", "--set", f'task.root="{root}"', "--set", "task.image_size=8",
                       "--set", "model.filters=4", "--set", "task.ways=2", "--set", "task.queries=2",
                       "--set", "training.meta_batch=2", "--set", "training.val_interval=3",
                       "--set", "training.val_tasks=2", "--set", "evaluation.queries=2"])
    assert outcome.status == 0, outcome.err
    assert (out / "model.safetensors").exists()
    run = json.loads((out / "run.json").read_text())
    assert run["iteration"] == 3
    config = (out / "config.toml").read_text()
    assert 'family = "omniglot"' in config and "rotations = true" in config
