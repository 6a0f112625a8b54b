"""Task families: ranges, shapes, noise, determinism and mixtures."""

from __future__ import annotations

import math

import pytest
import torch

from maml_gui.core.config import ComponentConfig, TaskConfig
from maml_gui.core.tasks import FAMILY_CLASSES, MixtureFamily, build_family
from maml_gui.core.tasks.mixture import COMPONENT

X_RANGE = (-2.0, 3.0)

# Narrow, non-default ranges, so "respected" is a real check and not the defaults by luck.
FAMILY_CONFIGS = {
    "sinusoid": dict(params={"amplitude": (1.0, 2.0), "phase": (0.5, 1.0), "frequency": (0.8, 1.2)}),
    "linear": dict(params={"slope": (0.5, 1.5), "intercept": (-1.0, -0.5)}),
    "polynomial": dict(params={"coefficient": (0.2, 0.4)}, degree=3),
    "square": dict(params={"amplitude": (1.0, 3.0), "frequency": (1.0, 1.5), "phase": (0.0, 1.0)}),
    "sawtooth": dict(params={"amplitude": (1.0, 3.0), "frequency": (1.0, 1.5), "phase": (0.0, 1.0)}),
    "gaussian": dict(params={"height": (1.0, 2.0), "center": (-1.0, 1.0), "width": (0.5, 0.7)}),
    "harmonic": dict(params={"frequency": (0.6, 0.9), "amplitude1": (0.5, 1.0), "phase1": (0.0, 1.0),
                             "amplitude2": (0.2, 0.4), "phase2": (1.0, 2.0)}),
    "formula": dict(expression="a * sin(b * x + c)", params={"a": (0.5, 1.5), "b": (2.0, 3.0), "c": (-1.0, 0.0)}),
    "mixture": dict(components=[ComponentConfig(family="sinusoid", weight=1.0),
                                ComponentConfig(family="linear", weight=1.0, params={"slope": (2.0, 3.0)})]),
}
FAMILIES = list(FAMILY_CONFIGS)


def make_family(name: str, noise_std: float = 0.0):
    return build_family(TaskConfig(family=name, x_range=X_RANGE, noise_std=noise_std, **FAMILY_CONFIGS[name]))


def sample(family, meta_batch=16, shots=7, queries=9, seed=0):
    return family.sample(meta_batch, shots, queries, torch.Generator().manual_seed(seed), "cpu")


def test_every_builtin_family_is_covered():
    assert set(FAMILY_CLASSES) | {"formula", "mixture"} == set(FAMILIES)


@pytest.mark.parametrize("name", FAMILIES)
def test_shapes_and_inputs_inside_x_range(name):
    batch = sample(make_family(name), meta_batch=16, shots=7, queries=9)
    assert batch.x_support.shape == batch.y_support.shape == (16, 7, 1)
    assert batch.x_query.shape == batch.y_query.shape == (16, 9, 1)
    assert batch.size == 16
    for value in batch.params.values():
        assert value.shape == (16, 1, 1)
    for x in (batch.x_support, batch.x_query):
        assert x.min() >= X_RANGE[0] and x.max() <= X_RANGE[1]
    # the inputs really spread over the range, not a corner of it
    every_x = torch.cat([batch.x_support, batch.x_query], 1)
    assert every_x.min() < X_RANGE[0] + 0.5 and every_x.max() > X_RANGE[1] - 0.5
    assert torch.isfinite(batch.y_support).all() and torch.isfinite(batch.y_query).all()


@pytest.mark.parametrize("name", [n for n in FAMILIES if n != "mixture"])
def test_parameters_inside_their_ranges(name):
    family = make_family(name)
    batch = sample(family, meta_batch=200)
    ranges = dict(FAMILY_CONFIGS[name]["params"])
    if name == "polynomial":
        low, high = ranges.pop("coefficient")
        ranges = {f"c{i}": (low, high) for i in range(FAMILY_CONFIGS[name]["degree"] + 1)}
    assert set(batch.params) == set(ranges)
    for key, (low, high) in ranges.items():
        values = batch.params[key]
        assert values.min() >= low and values.max() <= high, key
        # uniform over the range: 200 draws come near both ends
        assert values.min() < low + 0.1 * (high - low) and values.max() > high - 0.1 * (high - low), key


def test_mixture_component_parameters_inside_ranges():
    batch = sample(make_family("mixture"), meta_batch=200)
    slopes = batch.params["1.slope"]
    assert slopes.min() >= 2.0 and slopes.max() <= 3.0
    amplitudes = batch.params["0.amplitude"]  # default Finn et al. range
    assert amplitudes.min() >= 0.1 and amplitudes.max() <= 5.0
    assert set(batch.params[COMPONENT].unique().tolist()) == {0.0, 1.0}


def test_point_range_fixes_a_parameter():
    family = build_family(TaskConfig(family="sinusoid", params={"amplitude": (2.5, 2.5)}))
    assert torch.all(sample(family).params["amplitude"] == 2.5)


@pytest.mark.parametrize("name", FAMILIES)
def test_true_function_matches_noise_free_targets(name):
    batch = sample(make_family(name))
    torch.testing.assert_close(batch.true_function(batch.x_support), batch.y_support, rtol=0, atol=1e-6)
    torch.testing.assert_close(batch.true_function(batch.x_query), batch.y_query, rtol=0, atol=1e-6)
    grid = torch.linspace(*X_RANGE, 50)
    curves = batch.true_function(grid)
    assert curves.shape == (16, 50, 1)
    assert torch.equal(batch.true_function(grid.reshape(-1, 1)), curves)
    # the tasks differ from each other
    assert (curves.std(0) > 1e-3).any()


@pytest.mark.parametrize("name", FAMILIES)
def test_noise_has_the_configured_std(name):
    noise_std = 0.3
    batch = sample(make_family(name, noise_std=noise_std), meta_batch=64, shots=20, queries=20)
    residual = torch.cat([batch.y_support - batch.true_function(batch.x_support),
                          batch.y_query - batch.true_function(batch.x_query)], 1)
    assert residual.abs().max() > 0
    assert residual.std().item() == pytest.approx(noise_std, rel=0.1)  # 2560 draws: se ~1.4%
    assert abs(residual.mean().item()) < 0.05


@pytest.mark.parametrize("name", FAMILIES)
def test_same_seed_same_batch_and_other_seed_other_batch(name):
    family = make_family(name, noise_std=0.1)
    a, b, c = sample(family, seed=7), sample(family, seed=7), sample(family, seed=8)
    for field in ("x_support", "y_support", "x_query", "y_query"):
        assert torch.equal(getattr(a, field), getattr(b, field))
        assert not torch.equal(getattr(a, field), getattr(c, field))
    assert all(torch.equal(a.params[k], b.params[k]) for k in a.params)


@pytest.mark.parametrize("name", FAMILIES)
def test_meta_batch_of_one(name):
    batch = make_family(name).sample(1, 3, 4, torch.Generator().manual_seed(0), "cpu")
    assert batch.x_support.shape == (1, 3, 1) and batch.y_query.shape == (1, 4, 1)
    assert batch.true_function(torch.zeros(5)).shape == (1, 5, 1)
    params = batch.task_parameters(0)
    assert params and all(isinstance(v, float) and math.isfinite(v) for v in params.values())


def test_mixture_picks_components_in_proportion_to_weights():
    config = TaskConfig(family="mixture", components=[ComponentConfig(family="sinusoid", weight=3.0),
                                                      ComponentConfig(family="linear", weight=1.0)])
    family = build_family(config)
    batch = family.sample(4000, 2, 1, torch.Generator().manual_seed(3), "cpu")
    share = (batch.params[COMPONENT] == 0).double().mean().item()
    assert share == pytest.approx(0.75, abs=0.03)  # binomial sd ~0.007


def test_mixture_zero_weight_component_never_chosen():
    family = MixtureFamily([FAMILY_CLASSES["sinusoid"](), FAMILY_CLASSES["linear"]()], [1.0, 0.0])
    batch = family.sample(300, 2, 1, torch.Generator().manual_seed(0), "cpu")
    assert torch.all(batch.params[COMPONENT] == 0)


def test_mixture_targets_come_from_the_chosen_component():
    batch = sample(make_family("mixture"), meta_batch=64)
    chosen = batch.params[COMPONENT].reshape(-1)
    p = batch.params
    line = p["1.slope"] * batch.x_support + p["1.intercept"]
    sine = p["0.amplitude"] * torch.sin(p["0.frequency"] * batch.x_support - p["0.phase"])
    assert (chosen == 0).any() and (chosen == 1).any()
    torch.testing.assert_close(batch.y_support[chosen == 1], line[chosen == 1])
    torch.testing.assert_close(batch.y_support[chosen == 0], sine[chosen == 0])


def test_family_formulas():
    """Each built-in family computes the function its description names, at one task."""
    x = torch.linspace(-2, 3, 11).reshape(1, -1, 1)
    checks = {
        "sinusoid": lambda p: p["amplitude"] * torch.sin(p["frequency"] * x - p["phase"]),
        "linear": lambda p: p["slope"] * x + p["intercept"],
        "polynomial": lambda p: p["c0"] + p["c1"] * x + p["c2"] * x ** 2 + p["c3"] * x ** 3,
        "gaussian": lambda p: p["height"] * torch.exp(-(x - p["center"]) ** 2 / (2 * p["width"] ** 2)),
        "harmonic": lambda p: (p["amplitude1"] * torch.sin(p["frequency"] * x + p["phase1"])
                               + p["amplitude2"] * torch.sin(2 * p["frequency"] * x + p["phase2"])),
        "formula": lambda p: p["a"] * torch.sin(p["b"] * x + p["c"]),
    }
    for name, expected in checks.items():
        batch = sample(make_family(name), meta_batch=1)
        params = {k: v[:1] for k, v in batch.params.items()}
        torch.testing.assert_close(batch.family.evaluate(x, params), expected(params), msg=name)


def test_square_and_sawtooth_shapes():
    for name in ("square", "sawtooth"):
        batch = sample(make_family(name), meta_batch=8, shots=200)
        amplitude = batch.params["amplitude"]
        ratio = batch.y_support / amplitude
        if name == "square":
            assert torch.all(ratio.abs() == 1.0)
        else:
            assert ratio.min() >= -1.0 and ratio.max() <= 1.0
            assert ratio.min() < -0.8 and ratio.max() > 0.8


@pytest.mark.parametrize("bad, fragment", [
    (dict(family="sinusoid", params={"colour": (0, 1)}), "colour"),
    (dict(family="sinusoid", params={"amplitude": (2, 1)}), "amplitude"),
    (dict(family="sinusoid", x_range=(1, 1)), "x_range"),
    (dict(family="mixture"), "components"),
])
def test_bad_family_settings_raise_readable_value_errors(bad, fragment):
    config = TaskConfig.model_construct(**{**TaskConfig().model_dump(), **bad})
    with pytest.raises(ValueError, match=fragment):
        build_family(config)


@pytest.mark.parametrize("expression, params, culprit", [
    ("log(x)", {}, "x="),
    ("x ** (a * 100)", {"a": [0.0, 2.0]}, "a=2"),
    ("sqrt(x - a)", {"a": [0.0, 1.0]}, "x="),
])
def test_formula_that_is_not_finite_on_its_ranges_is_refused_when_defined(expression, params, culprit):
    from maml_gui.core.config import ConfigError, from_dict

    with pytest.raises(ConfigError, match="not finite everywhere") as info:
        from_dict({"task": {"family": "formula", "expression": expression, "params": params}})
    assert culprit in str(info.value) and "\n" not in str(info.value)


def test_constant_exponents_are_folded_before_the_size_check():
    from maml_gui.core.tasks.formula import FormulaError, compile_formula

    for text in ("x ** (4*4*4)", "sin(x)**16**16", "x ** (2 ** 5)"):
        with pytest.raises(FormulaError, match="too large"):
            compile_formula(text, [])
    compile_formula("x ** (2*3)", [])
    compile_formula("x ** (1/2)", [])
