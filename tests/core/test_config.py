"""Experiment configuration: validation messages, TOML, overrides and presets."""

from __future__ import annotations

import math

import pytest

from maml_gui.core.config import ConfigError, ExperimentConfig, from_dict, from_toml, load_config
from maml_gui.core.presets import list_presets, load_preset, preset_names
from maml_gui.core.tasks import TaskFamily, build_family


def config_error(text: str) -> str:
    with pytest.raises(ConfigError) as info:
        from_toml(text)
    message = str(info.value)
    assert "\n" not in message and message.strip() == message and message
    return message


@pytest.mark.parametrize("text, field", [
    ("[training]\ninner_lr = -0.5", "training.inner_lr"),
    ("[training]\nmeta_lr = 0", "training.meta_lr"),
    ("[task]\nshots = 0", "task.shots"),
    ("[task]\nqueries = 0", "task.queries"),
    ("[task]\nx_range = [1.0, 1.0]", "x_range"),
    ("[task]\nx_range = [2.0, -2.0]", "x_range"),
    ("[task]\nx_range = [1.0]", "task.x_range"),
    ("[training]\nalgorithm = \"protonet\"", "training.algorithm"),
    ("[training]\nmeta_optimizer = \"rmsprop\"", "training.meta_optimizer"),
    ("[model]\nactivation = \"elu\"", "model.activation"),
    ("[model]\nhidden = []", "model.hidden"),
    ("[model]\nhidden = [40, 0]", "model.hidden"),
    ("[training]\ninner_steps = 0", "training.inner_steps"),
    ("[training]\nmeta_batch = 0", "training.meta_batch"),
    ("[training]\ninner_lr = \"fast\"", "training.inner_lr"),
    ("[training]\nspeed = 3", "training.speed"),
    ("colour = \"red\"", "colour"),
    ("[optimizer]\nlr = 1", "optimizer"),
    ("format_version = 99", "format_version"),
    ("[task]\nfamily = \"spiral\"", "task.family"),
    ("[task]\nparams = { amplitude = [3.0, 1.0] }", "amplitude"),
    ("[task]\nparams = { colour = [0.0, 1.0] }", "colour"),
    ("[task]\nfamily = \"mixture\"", "components"),
    ("[task]\nfamily = \"mixture\"\ncomponents = [{ family = \"linear\", weight = -1 }]", "task.components.0.weight"),
    ("[training]\nalgorithm = \"reptile\"\nlearn_inner_lr = true", "learn_inner_lr"),
    ("[training]\nalgorithm = \"reptile\"\nmulti_step_loss = true", "multi_step_loss"),
    ("[evaluation]\ntasks = 0", "evaluation.tasks"),
])
def test_bad_values_give_one_line_naming_the_field(text, field):
    assert field in config_error(text)


def test_malformed_toml_is_one_line():
    message = config_error("[training\ninner_lr = 0.1")
    assert "malformed TOML" in message and "line 1" in message


def test_unknown_key_message_says_unknown():
    assert config_error("[training]\nspeed = 3") == "config: training.speed: unknown key"


def test_newer_format_version_is_refused():
    message = config_error("format_version = 2")
    assert "newer" in message and "format_version" in message


def test_from_dict_errors_too():
    with pytest.raises(ConfigError, match=r"^training\.inner_lr: .*greater than 0"):
        from_dict({"training": {"inner_lr": -1}})


def test_load_config_names_the_file(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text("[task]\nshots = 0\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"^bad\.toml: task\.shots"):
        load_config(path)
    with pytest.raises(ConfigError, match="cannot read config") as info:
        load_config(tmp_path / "missing.toml")
    assert "\n" not in str(info.value)


def test_toml_round_trip(tmp_path):
    config = from_toml("name = \"mix\"\n[task]\nfamily = \"mixture\"\nnoise_std = 0.1\n"
                       "components = [{ family = \"sinusoid\", weight = 2.0 }, "
                       "{ family = \"polynomial\", degree = 3, params = { coefficient = [-0.5, 0.5] } }]\n"
                       "[training]\nalgorithm = \"metasgd\"\ninner_steps = 2\n[evaluation]\nshots = 5\n")
    path = tmp_path / "config.toml"
    path.write_text(config.to_toml(), encoding="utf-8")
    again = load_config(path)
    assert again == config
    assert again.task.components[1].params == {"coefficient": (-0.5, 0.5)}
    assert from_toml(ExperimentConfig().to_toml()) == ExperimentConfig()


def test_overrides_set_values_of_every_type():
    base = ExperimentConfig()
    config = base.with_overrides(["training.inner_lr=0.02", "task.family=linear", "model.hidden=[20, 30]",
                                  "training.multi_step_loss=true", "task.x_range=[-1.0, 2.0]",
                                  "task.params.slope=[0.0, 1.0]", "name = \"quick run\""])
    assert config.training.inner_lr == 0.02
    assert config.task.family == "linear"
    assert config.model.hidden == [20, 30]
    assert config.training.multi_step_loss is True
    assert config.task.x_range == (-1.0, 2.0)
    assert config.task.params == {"slope": (0.0, 1.0)}
    assert config.name == "quick run"
    assert base == ExperimentConfig()  # the original is untouched


@pytest.mark.parametrize("assignment, fragment", [
    ("training.inner_lr=-0.02", "training.inner_lr"),
    ("training.speed=1", "training.speed"),
    ("nowhere.inner_lr=1", "nowhere"),
    ("training.inner_lr", "section.key=value"),
    ("=3", "section.key=value"),
    ("task.shots=many", "task.shots"),
])
def test_bad_overrides_raise_config_error(assignment, fragment):
    with pytest.raises(ConfigError) as info:
        ExperimentConfig().with_overrides([assignment])
    assert fragment in str(info.value) and "\n" not in str(info.value)


def test_assignment_is_validated():
    config = ExperimentConfig()
    with pytest.raises(ValueError):
        config.training.inner_lr = -1.0
    assert config.training.inner_lr == 0.01


@pytest.mark.parametrize("name", preset_names())
def test_every_preset_loads_and_builds_its_family(name):
    config = load_preset(name)
    if config.task.kind == "classification":  # tests/core/test_classification_presets.py
        assert from_toml(config.to_toml()) == config
        return
    family = build_family(config.task)
    assert isinstance(family, TaskFamily)
    batch = family.sample(2, config.task.shots, config.task.queries)
    assert batch.x_support.shape == (2, config.task.shots, 1)
    assert from_toml(config.to_toml()) == config


def test_presets_are_listed_with_descriptions():
    presets = list_presets()
    assert len(presets) >= 8 and set(presets) == set(preset_names())
    assert {"finn2017-sinusoid", "reptile-sinusoid", "mamlpp-sinusoid", "metasgd-sinusoid"} <= set(presets)
    assert all(description and "\n" not in description for description in presets.values())
    with pytest.raises(ConfigError, match="unknown preset"):
        load_preset("no-such-preset")


def test_finn2017_preset_is_the_papers_setup():
    c = load_preset("finn2017-sinusoid")
    assert c.task.family == "sinusoid"
    assert c.task.params["amplitude"] == (0.1, 5.0)
    assert c.task.params["phase"] == pytest.approx((0.0, math.pi))
    assert c.task.x_range == (-5.0, 5.0)
    assert c.task.shots == 10 and c.task.noise_std == 0.0
    assert c.model.hidden == [40, 40] and c.model.activation == "relu"
    t = c.training
    assert (t.algorithm, t.inner_steps, t.inner_lr, t.meta_batch) == ("maml", 1, 0.01, 25)
    assert (t.meta_optimizer, t.meta_lr, t.meta_lr_schedule, t.iterations) == ("adam", 1e-3, "constant", 70000)
    assert not t.learn_inner_lr and not t.multi_step_loss and t.first_order_iterations == 0
    assert c.evaluation.baseline_lr == 0.01 and c.evaluation.inner_steps == 10


def test_min_meta_lr_above_meta_lr_is_refused():
    from maml_gui.core.config import ConfigError, from_dict

    with pytest.raises(ConfigError, match="min_meta_lr"):
        from_dict({"training": {"meta_lr": 1e-3, "min_meta_lr": 1.0, "meta_lr_schedule": "cosine"}})
