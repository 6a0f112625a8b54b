"""The shipped classification presets on the real task families: they load, build, and a short
run of each learns far above chance (the full-length figures are in README)."""

from __future__ import annotations

import pytest
import torch

from maml_gui.core.config import ConfigError
from maml_gui.core.presets import load_preset, preset_names
from maml_gui.core.training import Trainer

CLASSIFICATION_PRESETS = [n for n in preset_names() if load_preset(n).task.kind == "classification"]


@pytest.fixture(autouse=True)
def one_thread():
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


def test_there_are_classification_presets():
    assert "points-3way-5shot" in CLASSIFICATION_PRESETS


@pytest.mark.parametrize("name", CLASSIFICATION_PRESETS)
def test_classification_preset_builds_its_family_and_model(name):
    config = load_preset(name)
    if config.task.family in ("omniglot", "folder", "miniimagenet"):
        with pytest.raises(ConfigError) as err:  # needs --set task.root=DIR
            Trainer(config, threads=1)
        assert "\n" not in str(err.value)
        return
    trainer = Trainer(config.with_overrides(["training.val_tasks=4", "training.meta_batch=2"]), threads=1)
    batch = trainer.sampler.train(2, torch.Generator().manual_seed(0))
    assert batch.x_support.shape[1] == config.task.ways * config.task.shots
    assert trainer.learner.backend.forward(trainer.learner.params, batch.x_query).shape[-1] == config.task.ways


def test_points_preset_learns_far_above_chance_in_a_short_run():
    config = load_preset("points-3way-5shot").with_overrides(
        ["training.iterations=150", "training.val_interval=150", "training.val_tasks=100", "training.meta_batch=8"])
    trainer = Trainer(config, threads=1)
    list(trainer.run())
    record = trainer.history.validations[-1]
    assert record.curve.metric == "accuracy"
    assert record.curve.values[config.training.inner_steps] > 0.6  # 3-way: chance is 1/3
