"""Hand-made hostile run directories: every entry point answers one line and exit 2, changes nothing.

Categories (issue 7): numbers that overflow, nesting tens of thousands deep, huge sparse files,
tensors of another dtype, metadata that disagrees with the config, curves of unequal lengths,
non-finite values, text that would break the one line, files that are not regular files.
Resume states and pickles: test_hostile_resume_states.py; generated cases: test_fuzz_run_files.py.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from safetensors.torch import load as load_safetensors_bytes
from safetensors.torch import save as save_safetensors_bytes

from maml_gui.core.checkpoint import WEIGHTS, load_run

from .hostile_runs import assert_refused_everywhere, make_tiny_run, run_cli

DEEP = 50_000
GIANT = 8 << 30  # bytes, as a sparse file

pytestmark = pytest.mark.usefixtures("no_window")


def edit_json(path: Path, change) -> None:
    data = json.loads(path.read_text())
    change(data)
    path.write_text(json.dumps(data))


def weights(run: Path) -> tuple[dict, dict]:
    data = (run / WEIGHTS).read_bytes()
    header = json.loads(data[8:8 + int.from_bytes(data[:8], "little")])
    return load_safetensors_bytes(data), header["__metadata__"]


def test_the_intact_tiny_run_passes_every_entry_point(run, no_window, tmp_path):
    for argv, expected in ((["evaluate", run, "--tasks", "3", "--queries", "3"], "meta-learned"),
                           (["export", run, "--format", "safetensors", "--out", tmp_path / "m.st"], ""),
                           (["train", "--resume", run, "--iterations", "4", "--quiet", "--threads", "1"], ""),
                           ([run], "")):
        outcome = run_cli(argv)
        assert outcome.status == 0, outcome.err
        assert expected in outcome.out
    assert load_run(run).iteration == 4
    assert no_window is None or no_window.opened == [str(run)]


# -- numbers that overflow ------------------------------------------------------------------------
@pytest.mark.parametrize("file, old, new, match", [
    ("run.json", '"format_version": 1', '"format_version": 1e400', "format_version must be a whole number"),
    ("run.json", '"iteration": 3', '"iteration": 1e400', "iteration must be a whole number"),
    ("run.json", '"iteration": 3', '"iteration": ' + "9" * 5000, "not valid JSON"),
    ("validation.jsonl", '{"iteration": 0,', '{"iteration": 1e400,', "iteration must be a whole number"),
    ("validation.jsonl", '"loss_before": ', '"loss_before": "x", "_": ', "loss_before must be a number"),
    ("metrics.csv", "\n1,", "\n1e400,", "iteration must be a whole number"),
    ("metrics.csv", "\n1,", "\n-1,", "iteration must be between 0"),
    ("points.json", "[[0.5,", "[[1e400,", "must be finite"),
    ("config.toml", "meta_lr = 0.001", "meta_lr = 1e400", "config.toml"),
], ids=lambda v: v if len(str(v)) < 20 else None)
def test_numbers_that_overflow(run, file, old, new, match):
    text = (run / file).read_text()
    assert old in text
    (run / file).write_text(text.replace(old, new, 1))
    skip = ("evaluate", "export") if file in ("metrics.csv", "validation.jsonl") else ()  # they skip the metrics
    assert_refused_everywhere(run, match, skip)


def test_weights_metadata_with_huge_or_malformed_numbers(run):
    tensors, meta = weights(run)
    for key, value, match in (("iteration", "9" * 400, "metadata 'iteration' must be"),
                              ("format_version", "1e400", "metadata 'format_version' must be a whole number"),
                              ("inner_lr", "inf", "metadata 'inner_lr' must be a finite number"),
                              ("baseline_lr", "nan", "metadata 'baseline_lr' must be a finite number"),
                              ("hidden", "[1e400]", "a hidden width must be"),
                              ("train_inner_steps", "-3", "metadata 'train_inner_steps' must be between"),
                              ("head_only", '"yes"', "metadata 'head_only' must be a bool")):
        (run / WEIGHTS).write_bytes(save_safetensors_bytes(tensors, metadata={**meta, key: value}))
        assert_refused_everywhere(run, match)


# -- nesting ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("file", ["run.json", "points.json", "validation.jsonl", "config.toml"])
def test_nesting_tens_of_thousands_deep(run, file):
    if file == "config.toml":
        text = (run / file).read_text().replace("[model]", "deep = " + "[" * DEEP + "]" * DEEP + "\n[model]", 1)
    elif file == "validation.jsonl":
        text = (run / file).read_text() + '{"iteration": ' + "[" * DEEP + "]" * DEEP + "}\n"
    else:
        text = "[" * DEEP + "]" * DEEP
    (run / file).write_text(text)
    skip = ("evaluate", "export") if file == "validation.jsonl" else ()
    assert_refused_everywhere(run, None, skip)


def test_a_weights_header_nested_deeply(run):
    header = ('{"__metadata__": {}, "x": ' + "[" * DEEP + "]" * DEEP + "}").encode()
    (run / WEIGHTS).write_bytes(len(header).to_bytes(8, "little") + header)
    assert_refused_everywhere(run, "model.safetensors")


# -- sizes -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("file", ["run.json", "config.toml", "metrics.csv", "validation.jsonl", "points.json",
                                  "model.safetensors", "resume.pt"])
def test_huge_sparse_files_are_refused_before_reading(run, file):
    with open(run / file, "r+b") as handle:
        handle.truncate(GIANT)
    skip = {"metrics.csv": ("evaluate", "export"), "validation.jsonl": ("evaluate", "export"),
            "resume.pt": ("evaluate", "export", "gui")}.get(file, ())
    assert_refused_everywhere(run, "too large", skip)


def test_a_weights_header_that_claims_to_be_huge(run):
    data = bytearray((run / WEIGHTS).read_bytes())
    data[:8] = (1 << 40).to_bytes(8, "little")
    (run / WEIGHTS).write_bytes(bytes(data))
    assert_refused_everywhere(run, "a header of")


# -- dtypes ------------------------------------------------------------------------------------------
DTYPES = [torch.float64, torch.float16, torch.bfloat16, torch.int64, torch.bool]


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
def test_weights_of_another_dtype(run, dtype):
    tensors, meta = weights(run)
    tensors["model.layers.0.weight"] = tensors["model.layers.0.weight"].to(dtype)
    (run / WEIGHTS).write_bytes(save_safetensors_bytes(tensors, metadata=meta))
    assert_refused_everywhere(run, "tensor 'model.layers.0.weight' is")


# -- metadata that disagrees with the config ----------------------------------------------------------
def test_weights_that_disagree_with_the_config(run, tmp_path):
    tensors, meta = weights(run)
    cases = [({"activation": "tanh"}, "but the config describes"),
             ({"algorithm": "reptile"}, "was trained with 'reptile', but the config says 'maml'"),
             ({"head_only": "true"}, "'head_only' disagrees"),
             ({"inputs": "2"}, "has shape")]
    for change, match in cases:
        (run / WEIGHTS).write_bytes(save_safetensors_bytes(tensors, metadata={**meta, **change}))
        assert_refused_everywhere(run, match)
    wider = make_tiny_run(tmp_path / "wider", seed=1)
    text = (wider / "config.toml").read_text().replace("hidden = [\n    4,\n]", "hidden = [\n    5,\n]")
    (wider / "config.toml").write_text(text)
    assert_refused_everywhere(wider, "holds a model of layers [1, 4, 1] (relu), but the config describes [1, 5, 1]")
    tensors["inner_lr.per_step"] = torch.full((3, 4), 0.01)  # learned per-step rates on a plain MAML run
    (run / WEIGHTS).write_bytes(save_safetensors_bytes(tensors, metadata=meta))
    assert_refused_everywhere(run, "inner_lr.per_step has shape (3, 4), expected (1, 4)")


# -- curves and values ----------------------------------------------------------------------------------
@pytest.mark.parametrize("change, match", [
    (lambda row: row["mse"].pop(), "'mse' has 2 values for 3 steps"),
    (lambda row: row.update(baseline_ci95=[1.0]), "'baseline_ci95' has 1 values for 3 steps"),
    (lambda row: row.update(steps=[0, -1, 2]), "a step must be between 0"),
    (lambda row: row.update(steps=[]), "'steps' must be a list"),
    (lambda row: row.pop("ci95"), "no 'ci95'"),
    (lambda row: row.update(diverged=[0.5, 0, 0]), "diverged must be a whole number"),
])
def test_validation_rows_that_do_not_add_up(run, change, match):
    lines = (run / "validation.jsonl").read_text().splitlines()
    row = json.loads(lines[0])
    change(row)
    (run / "validation.jsonl").write_text("\n".join([json.dumps(row), *lines[1:]]) + "\n")
    assert_refused_everywhere(run, match, skip=("evaluate", "export"))


@pytest.mark.parametrize("tensor, value", [("model.layers.0.weight", float("nan")),
                                           ("model.layers.2.bias", float("inf")),
                                           ("baseline.layers.0.bias", float("-inf"))])
def test_non_finite_weights(run, tensor, value):
    tensors, meta = weights(run)
    tensors[tensor] = tensors[tensor].clone()
    tensors[tensor].view(-1)[0] = value
    (run / WEIGHTS).write_bytes(save_safetensors_bytes(tensors, metadata=meta))
    assert_refused_everywhere(run, f"tensor '{tensor}' holds non-finite values")


# -- one line, whatever the file says -------------------------------------------------------------------
def test_names_with_line_breaks_and_control_characters_stay_on_one_line(run, tmp_path):
    tensors, meta = weights(run)
    tensors["model.evil\nline two:\x1b[2J\u202e"] = torch.zeros(1, dtype=torch.bool)
    (run / WEIGHTS).write_bytes(save_safetensors_bytes(tensors, metadata=meta))
    assert_refused_everywhere(run, "tensor 'model.evil\\nline two:\\x1b[2J\\u202e' is 'BOOL'")
    odd = Path(shutil.copytree(run, tmp_path / "odd\nname\u202e"))
    (odd / "run.json").write_text("{")
    assert_refused_everywhere(odd, "odd\\nname\\u202e")


# -- in a real process ------------------------------------------------------------------------------------
def test_a_bad_run_in_a_real_process_never_aborts(run):
    """`maml-gui RUN` used to abort (QThread destroyed while running, SIGABRT) on a run that failed to load."""
    (run / "run.json").write_text((run / "run.json").read_text().replace('"format_version": 1', '"format_version": 1e400'))
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    for argv in ([str(run)], ["evaluate", str(run)]):
        done = subprocess.run([sys.executable, "-m", "maml_gui", *argv], capture_output=True, text=True, env=env,
                              timeout=120)
        assert done.returncode == 2, done.stderr
        assert done.stderr.splitlines() == [f"maml-gui: error: {run}: run.json: format_version must be a whole "
                                            "number, not inf"]


# -- not regular files ----------------------------------------------------------------------------------
@pytest.mark.parametrize("file, kind", [
    *[("model.safetensors", kind) for kind in ("/dev/zero", "fifo", "loop", "dangling", "folder")],
    ("resume.pt", "/dev/zero"), ("resume.pt", "fifo"), ("resume.pt", "loop"),
    ("points.json", "fifo"), ("metrics.csv", "/dev/zero"),
])
def test_run_files_that_are_not_regular_files(run, file, kind):
    (run / file).unlink()
    if kind == "/dev/zero":
        (run / file).symlink_to("/dev/zero")
    elif kind == "fifo":
        os.mkfifo(run / file)
    elif kind == "loop":
        (run / file).symlink_to(run / file)
    elif kind == "dangling":
        (run / file).symlink_to(run / "nothing-here")
    else:
        (run / file).mkdir()
    skip = {"metrics.csv": ("evaluate", "export"), "resume.pt": ("evaluate", "export", "gui")}.get(file, ())
    assert_refused_everywhere(run, file, skip)


def test_too_many_points_are_refused(run):
    (run / "points.json").write_text(json.dumps({"points": [[0.0, 0.0]] * 10_001}))
    assert_refused_everywhere(run, "points.json holds 10,001 points; at most 10,000 are read")


def test_a_run_path_with_a_name_too_long(tmp_path):
    too_long = tmp_path / ("r" * 300)
    for argv in (["evaluate", too_long], ["export", too_long, "--format", "safetensors", "--out", tmp_path / "m.st"],
                 ["train", "--resume", too_long, "--out", tmp_path / "out", "--quiet"]):
        outcome = run_cli(argv)
        assert outcome.status == 2 and len(outcome.err.splitlines()) == 1, outcome.err[-1000:]
        assert "Traceback" not in outcome.err
