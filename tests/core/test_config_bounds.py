"""Config values that validate must train: every field bounded by what the float32 engine can do."""

from __future__ import annotations

import math

import pytest
import torch

from maml_gui.core.config import ConfigError, ExperimentConfig, from_dict, from_toml
from maml_gui.core.tasks import FormulaFamily, build_family, describe_data_cause
from maml_gui.core.tasks.limits import TARGET_LIMIT


def refused(text: str) -> str:
    with pytest.raises(ConfigError) as info:
        from_toml(text)
    message = str(info.value)
    assert "\n" not in message and message.strip() == message
    return message


@pytest.mark.parametrize("text, field", [
    ("[training]\nbaseline_lr = 1e300", "training.baseline_lr"),
    ("[evaluation]\nbaseline_lr = 1e300", "evaluation.baseline_lr"),
    ("[training]\nmin_meta_lr = 1e300", "training.min_meta_lr"),
    ("[training]\ninner_lr = nan", "training.inner_lr"),
    ("[training]\nmeta_lr = inf", "training.meta_lr"),
    ("[task]\nnoise_std = nan", "task.noise_std"),
    ("[training]\nval_interval = 100000000000000000000", "training.val_interval"),
    ("[training]\nlog_every = 9223372036854775807", "training.log_every"),
    ("[training]\nmulti_step_loss_iterations = 9223372036854775807", "multi_step_loss_iterations"),
    ("[training]\nfirst_order_iterations = 9223372036854775807", "first_order_iterations"),
    ("[training]\nautosave_interval = 9223372036854775807", "autosave_interval"),
    ("[evaluation]\nseed = 9223372036854775807", "evaluation.seed"),
    ("[task]\nx_range = [-1e39, 1e39]", "x_range"),
    ("[task]\nx_range = [0.0, 1e300]", "x_range"),
    ("[task]\nparams = { amplitude = [1.0, 1e39] }", "amplitude"),
    ("format_version = \"999\"", "format_version"),
    ("format_version = 1.0", "format_version"),
    ("format_version = 0", "format_version"),
    ("[task]\nexpression = \"" + "x+" * 200 + "x\"", "task.expression"),
])
def test_out_of_engine_values_are_refused_naming_the_field(text, field):
    assert field in refused(text)


@pytest.mark.parametrize("weight", ["1e-50", "1e39", "inf", "nan", "-1"])
def test_mixture_weights_outside_what_float32_holds_are_refused(weight):
    text = ("[task]\nfamily = \"mixture\"\ncomponents = [{ family = \"linear\", weight = %s }, "
            "{ family = \"sinusoid\" }]" % weight)
    assert "task.components.0" in refused(text)


def test_mixture_with_a_zero_and_a_large_weight_normalises_in_float64():
    config = from_dict({"task": {"family": "mixture", "components": [
        {"family": "linear", "weight": 0.0}, {"family": "sinusoid", "weight": 1e6}, {"family": "square", "weight": 1e-6}]}})
    weights = build_family(config.task).weights
    assert torch.isfinite(weights).all() and weights[0] == 0 and abs(float(weights.sum()) - 1) < 1e-6


def test_more_than_32_formula_parameters_are_refused():
    params = {f"p{i}": [0.0, 1.0] for i in range(129)}
    with pytest.raises(ConfigError, match="task.params"):
        from_dict({"task": {"family": "formula", "expression": "p0 * x", "params": params}})


def test_a_formula_family_with_many_parameters_is_probed_without_crashing():
    names = [f"p{i}" for i in range(40)]
    family = FormulaFamily(" + ".join(names[:10]) + " + x", {n: (0.0, 1.0) for n in names})
    assert family.parameter_names == tuple(names)


@pytest.mark.parametrize("expression, params, x_range", [
    ("exp(a * x)", {"a": [0.0, 17.0]}, [-5.0, 5.0]),  # exp(85) overflows float32
    ("x ** -8", {}, [-5.0, 5.0]),  # 0 is in range: division by zero
    ("x ** -8", {}, [0.001, 5.0]),  # 1e24: finite but beyond the target limit
    ("1e6 ** 6", {}, [-5.0, 5.0]),
    ("a * x", {"a": [1e5, 1e6]}, [-1e6, 1e6]),  # 1e12 fits float64 and float32, not training
    ("log(x)", {}, [-1.0, 1.0]),  # x = 0 exactly (the probe includes it)
    ("1 / (x - a)", {"a": [0.0, 1.0]}, [-1.0, 1.0]),  # both ends of a's range lie on the x grid
])
def test_formulas_whose_targets_or_squares_overflow_float32_are_refused(expression, params, x_range):
    with pytest.raises(ConfigError, match=r"^task: expression .*(not finite|reaches)"):
        from_dict({"task": {"family": "formula", "expression": expression, "params": params, "x_range": x_range}})


def test_built_in_families_are_checked_too_and_blame_the_ranges():
    message = ""
    with pytest.raises(ConfigError) as info:
        from_dict({"task": {"family": "polynomial", "degree": 8, "x_range": [-1000.0, 1000.0],
                            "params": {"coefficient": [-1.0, 1.0]}}})
    message = str(info.value)
    assert message.startswith("task: polynomial targets") and "parameter ranges" in message


def test_targets_up_to_the_limit_are_accepted():
    config = from_dict({"task": {"family": "formula", "expression": "a * 100 * sin(x)",
                                 "params": {"a": [0.0, TARGET_LIMIT / 200]}}})
    assert config.task.family == "formula"


def test_default_and_preset_configs_still_validate():
    from maml_gui.core.presets import load_preset, preset_names

    assert ExperimentConfig().task.family == "sinusoid"
    for name in preset_names():
        assert load_preset(name).name


def batch_with(y_value: float, x_scale: float = 1.0):
    family = build_family(ExperimentConfig().task)
    batch = family.sample(4, 5, 5, torch.Generator().manual_seed(0))
    y = torch.full_like(batch.y_support, y_value)
    return type(batch)(batch.x_support * x_scale, y, batch.x_query * x_scale, batch.y_query, batch.params, family)


def test_describe_data_cause_names_non_finite_and_large_data():
    assert describe_data_cause(batch_with(1.0)) is None
    assert "not finite" in describe_data_cause(batch_with(math.inf))
    assert "not finite" in describe_data_cause(batch_with(1e20))  # its square overflows float32
    assert "large" in describe_data_cause(batch_with(5e3))
    assert "large" in describe_data_cause(batch_with(1.0, x_scale=1e4))


def test_training_stop_on_non_finite_data_blames_the_data(monkeypatch):
    from maml_gui.core.training import Trainer, TrainingError

    torch.set_num_threads(1)
    config = from_dict({"training": {"meta_batch": 2, "val_tasks": 2, "iterations": 2, "baseline": False}})
    trainer = Trainer(config, threads=1)
    monkeypatch.setattr(trainer.family, "sample", lambda *a, **k: batch_with(math.nan))
    with pytest.raises(TrainingError, match="task data is not finite") as info:
        trainer.train_iteration()
    assert "learning rate" not in str(info.value)
