"""Fuzzing configs through the CLI: random TOML files and ``--set`` overrides.

Every refused input must exit 2 with exactly one line and no traceback; every accepted one must
train (tiny sizes: counts the config accepts are shrunk before the run) to a finite loss, or stop
with one line that names its cause (the task data, or a learning rate when the data is fine).
"""

from __future__ import annotations

import math
import string

import pytest
import tomli_w
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from maml_gui.cli import main
from maml_gui.core.checkpoint import load_run
from maml_gui.core.config import ExperimentConfig

FIELDS = {section: list(model.model_fields) for section, model in (
    ("task", type(ExperimentConfig().task)), ("model", type(ExperimentConfig().model)),
    ("training", type(ExperimentConfig().training)), ("evaluation", type(ExperimentConfig().evaluation)))}
# counts an accepted config may hold; larger accepted values are shrunk to these so each run stays fast
SMALL = {("training", "iterations"): 2, ("training", "meta_batch"): 3, ("training", "val_tasks"): 3,
         ("training", "inner_steps"): 3, ("evaluation", "inner_steps"): 3, ("evaluation", "queries"): 8,
         ("evaluation", "tasks"): 8, ("task", "queries"): 8, ("task", "shots"): 8, ("task", "ways"): 3,
         ("task", "image_size"): 8, ("model", "filters"): 4, ("training", "threads"): 1}
BASE = {"task": {"shots": 3, "queries": 4}, "model": {"hidden": [4]},
        "training": {"iterations": 2, "meta_batch": 2, "val_tasks": 2, "val_interval": 1, "threads": 1},
        "evaluation": {"queries": 4, "inner_steps": 2, "tasks": 4}}

odd_text = st.text(alphabet=st.sampled_from(list("ax_. =\"'[]{}#\\") + ["\u202e", "\u200b", "\x1b", "\n", "é", "中",
                                                                      "\ud7ff", "\x00", "\u2028"]), max_size=12)
floats = st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.sampled_from(
    [0.0, -0.0, 1e-300, 1e-50, 5e-324, 1e39, 1e300, 3.5e38, 1e6, 1e8, 100.0, 100.0000001, 0.01]))
ints = st.one_of(st.integers(-10, 200), st.sampled_from([0, 1, 2**31, 2**32, 2**32 + 1, 2**63 - 1, -(2**63)]))
scalars = st.one_of(floats, ints, st.booleans(), odd_text,
                    st.sampled_from(["maml", "reptile", "formula", "mixture", "classification", "cuda", "auto",
                                     "exp(a*x)", "x**-8", "1e6**6", "log(x)", "a*sin(x)", "5(x)", "tanh"]))
pairs = st.lists(floats, min_size=0, max_size=3)
values = st.recursive(st.one_of(scalars, pairs), lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(st.sampled_from(["a", "amplitude", "family", "weight", "x"]),
                                                   inner, max_size=3)), max_leaves=8)
DEFAULTS = ExperimentConfig().model_dump(mode="json")
CHOICES = {"family": ["sinusoid", "linear", "polynomial", "formula", "mixture", "gaussian", "points"],
           "algorithm": ["maml", "fomaml", "reptile", "anil", "metasgd"], "device": ["auto", "cpu", "cuda"],
           "expression": ["exp(a*x)", "x**-8", "1e6**6", "log(x)", "a*sin(x)", "5(x)", "x/a", "sqrt(x)", "x**16"],
           "activation": ["relu", "tanh", "elu"], "meta_optimizer": ["adam", "sgd"], "kind": ["regression", "mlp"]}


def typed_value(section: str, key: str):
    """Mostly values of the field's own type (so that many configs are accepted), some of any type."""
    default = DEFAULTS[section].get(key)
    if isinstance(default, bool):
        own = st.booleans()
    elif isinstance(default, int):
        own = ints
    elif isinstance(default, float) or default is None:
        own = floats
    elif isinstance(default, str):
        own = st.one_of(st.sampled_from(CHOICES.get(key, ["x"])), odd_text)
    elif key == "hidden":
        own = st.lists(ints, min_size=0, max_size=3)
    elif key in ("x_range",):
        own = st.lists(floats, min_size=2, max_size=2)
    elif key == "params":
        own = st.dictionaries(st.sampled_from(["a", "amplitude", "phase", "slope", "coefficient"]),
                              st.lists(floats, min_size=2, max_size=2), max_size=3)
    elif key == "components":
        own = st.lists(st.fixed_dictionaries({"family": st.sampled_from(["linear", "sinusoid", "formula"])},
                                             optional={"weight": floats, "expression": st.sampled_from(
                                                 CHOICES["expression"])}), max_size=3)
    else:
        own = values
    return st.one_of(own, own, own, values)


known_key = st.sampled_from([(s, k) for s, keys in FIELDS.items() for k in keys])
typed_edit = known_key.flatmap(lambda sk: st.tuples(st.just(sk), typed_value(*sk)))
odd_edit = st.tuples(st.tuples(st.sampled_from([*FIELDS, "extra"]), odd_text), values)
edits = st.lists(st.one_of(typed_edit, typed_edit, typed_edit, typed_edit, odd_edit), max_size=3)


def shrink(section: str, key: str, value):
    cap = SMALL.get((section, key))
    if cap is not None and type(value) is int and value > cap:
        return cap
    if (section, key) == ("model", "hidden") and isinstance(value, list):
        return [min(v, 8) if type(v) is int else v for v in value[:3]]
    return value


def build(edit_list) -> dict:
    data = {s: dict(v) for s, v in BASE.items()}
    for (section, key), value in edit_list:
        data.setdefault(section, {})[key] = shrink(section, key, value)
    return data


def run_cli(argv, capsys) -> tuple[int, str]:
    previous = torch.get_num_threads()
    try:
        code = main(argv)
    except SystemExit as stop:
        code = stop.code
    finally:
        torch.set_num_threads(previous)
    captured = capsys.readouterr()
    return code, captured.err


def check_outcome(code: int, err: str, out) -> None:
    assert "Traceback" not in err, err
    if code == 2:
        lines = err.splitlines()
        assert len(lines) == 1 and lines[0].startswith("maml-gui") and all(c.isprintable() for c in lines[0]), err
        return
    if code == 1:
        stops = [line for line in err.splitlines() if line.startswith("maml-gui: training stopped:")]
        assert len(stops) == 1, err
        assert any(cause in stops[0] for cause in ("task data", "learning rate")), stops[0]
        return
    assert code == 0, err
    run = load_run(out)
    assert run.iteration >= 1
    assert all(math.isfinite(v) for row in run.history.rows for v in row[1:3]), run.history.rows


FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)


@FUZZ
@given(edits)
def test_fuzzed_toml_configs_are_refused_in_one_line_or_train(tmp_path_factory, capsys, edit_list):
    folder = tmp_path_factory.mktemp("fuzz")
    try:
        text = tomli_w.dumps(build(edit_list))
    except (TypeError, ValueError):  # not representable in TOML (e.g. None); write it raw instead
        text = repr(build(edit_list))
    (folder / "c.toml").write_text(text, encoding="utf-8", errors="surrogatepass")
    code, err = run_cli(["train", str(folder / "c.toml"), "--out", str(folder / "out"), "--quiet"], capsys)
    check_outcome(code, err, folder / "out")


def literal(value) -> str:
    try:
        return tomli_w.dumps({"v": value})[4:].strip()
    except (TypeError, ValueError):
        return str(value)


@FUZZ
@given(edits, st.booleans())
def test_fuzzed_set_overrides_are_refused_in_one_line_or_train(tmp_path_factory, capsys, edit_list, raw):
    folder = tmp_path_factory.mktemp("fuzz")
    argv = ["train", "--out", str(folder / "out"), "--quiet"]
    for section, values in BASE.items():
        argv += [arg for key, value in values.items() for arg in ("--set", f"{section}.{key}={literal(value)}")]
    for (section, key), value in edit_list:
        value = shrink(section, key, value)
        argv += ["--set", f"{section}.{key}={value if raw and isinstance(value, str) else literal(value)}"]
    code, err = run_cli(argv, capsys)
    check_outcome(code, err, folder / "out")


@settings(max_examples=80, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
@given(st.one_of(st.text(max_size=60), st.text(alphabet=string.printable + "[]{}=\"'\u202e", max_size=80),
                 st.integers(1, 3000).map(lambda n: "a = " + "[" * n + "]" * n),
                 st.integers(4300, 6000).map(lambda n: "format_version = " + "9" * n)))
def test_fuzzed_toml_text_never_ends_in_a_traceback(tmp_path_factory, capsys, text):
    folder = tmp_path_factory.mktemp("fuzz")
    (folder / "c.toml").write_text(text, encoding="utf-8", errors="surrogatepass")
    code, err = run_cli(["train", str(folder / "c.toml"), "--out", str(folder / "out"), "--quiet",
                         "--iterations", "1"], capsys)
    check_outcome(code, err, folder / "out")  # an empty or comment-only file is the default config: it trains

