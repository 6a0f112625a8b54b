"""Hostile resume states: other shapes, dtypes and hyperparameters, impossible iterations, and
pickles that would run code. `train --resume` answers one line and exit 2 and changes nothing;
the weights, which are fine, still evaluate."""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import pytest
import torch

from maml_gui.core.checkpoint import RESUME

from .hostile_runs import assert_one_line_refusal, run_cli, tree_digest

DTYPES = [torch.float64, torch.float16, torch.bfloat16, torch.int64, torch.bool]


def resume_state(run: Path) -> dict:
    return torch.load(run / RESUME, weights_only=True)


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
def test_a_resume_state_of_another_dtype(run, dtype):
    state = resume_state(run)
    state["meta_parameters"][1] = state["meta_parameters"][1].to(dtype)
    state["optimizer"]["state"][0]["exp_avg"] = state["optimizer"]["state"][0]["exp_avg"].to(dtype)
    torch.save(state, run / RESUME)
    assert_one_line_refusal(run_cli(["train", "--resume", run, "--quiet"]), f"is {dtype}, expected torch.float32")


# -- resume states ------------------------------------------------------------------------------------
RESUME_CASES = {
    "iteration inf": (["iteration"], float("inf"), "non-finite"),
    "iteration nan": (["iteration"], float("nan"), "non-finite"),
    "iteration huge": (["iteration"], 10**30, "iteration must be between"),
    "iteration negative": (["iteration"], -1, "iteration must be between"),
    "iteration text": (["iteration"], "7", "iteration must be a whole number"),
    "elapsed inf": (["elapsed_s"], float("inf"), "non-finite"),
    "weights of another shape": (["meta_parameters", 0], torch.zeros(1, 5), "has shape (1, 5), expected (1, 4)"),
    "one tensor missing": (["meta_parameters"], [torch.zeros(1, 4)], "expected 4 tensors"),
    "nan weight": (["meta_parameters", 3], torch.tensor([float("nan")]), "non-finite"),
    "adam state of another shape": (["optimizer", "state", 0, "exp_avg"], torch.zeros(7), "expected torch.float32 (1, 4)"),
    "adam step inf": (["optimizer", "state", 0, "step"], torch.tensor(float("inf")), "non-finite"),
    "adam step huge": (["optimizer", "state", 0, "step"], torch.tensor(1e30), "must be between 0"),
    "adam step vector": (["optimizer", "state", 0, "step"], torch.zeros(3), "must be one number"),
    "negative second moment": (["optimizer", "state", 1, "exp_avg_sq"], -torch.ones(4), "negative"),
    "state of an unknown parameter": (["optimizer", "state", 99], {"step": torch.tensor(1.0)}, "unknown parameter"),
    "lr nan": (["optimizer", "param_groups", 0, "lr"], float("nan"), "non-finite"),
    "betas too few": (["optimizer", "param_groups", 0, "betas"], (0.9,), "betas is (0.9,), but this run's config gives"),
    "eps too large for torch": (["optimizer", "param_groups", 0, "eps"], 10**30, "eps is 1000000000000000000000000000000"),
    "lr huge": (["optimizer", "param_groups", 0, "lr"], 1e30, "lr must be between 0 and 1e+06"),
    "amsgrad switched on": (["baseline_optimizer", "param_groups", 0, "amsgrad"], True, "amsgrad is True"),
    "other params": (["optimizer", "param_groups", 0, "params"], [0, 1], "other parameters"),
    "generator of another size": (["task_generator"], torch.zeros(7, dtype=torch.uint8), "task_generator has shape"),
    "generator of floats": (["task_generator"], torch.zeros(5056), "task_generator is torch.float32"),
    "baseline of another shape": (["baseline_parameters", 2], torch.zeros(2, 2), "baseline_parameters[2] has shape"),
    "not a dict": ([], None, None),
}


@pytest.mark.parametrize("case", RESUME_CASES)
def test_resume_states_that_do_not_fit(run, case):
    path, value, match = RESUME_CASES[case]
    state = resume_state(run)
    if path:
        target = state
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value
    else:
        state = [1, 2, 3]
        match = "is not a MAML Studio resume state"
    torch.save(state, run / RESUME)
    before = tree_digest(run)
    assert_one_line_refusal(run_cli(["train", "--resume", run, "--iterations", "5", "--quiet"]), match)
    assert tree_digest(run) == before
    assert run_cli(["evaluate", run, "--tasks", "3", "--queries", "3"]).status == 0  # the weights are fine


# -- pickles ------------------------------------------------------------------------------------------
class RunsAShellCommand:
    def __init__(self, command: str) -> None:
        self.command = command

    def __reduce__(self):
        return (os.system, (self.command,))


class CallsEval:
    def __init__(self, code: str) -> None:
        self.code = code

    def __reduce__(self):
        return (eval, (self.code,))


class PlainObject:
    pass


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("payload, writer, match", [
    ("system", "torch.save", "contains a pickled object of type posix.system"),
    ("system", "pickle", "pickle instruction"),
    ("eval", "torch.save", "contains a pickled object of type eval"),
    ("object", "torch.save", "contains a pickled object of type tests.cli.test_hostile_resume_states.PlainObject"),
])
def test_pickles_that_would_run_code_are_refused_by_name(run, tmp_path, payload, writer, match):
    marker = tmp_path / "code-ran"
    evil = {"system": RunsAShellCommand(f"touch {marker}"),
            "eval": CallsEval(f"open({str(marker)!r}, 'w')"), "object": PlainObject()}[payload]
    state = {**resume_state(run), "extra": evil}
    if writer == "torch.save":
        torch.save(state, run / RESUME)
    else:
        (run / RESUME).write_bytes(pickle.dumps(state))
    before = tree_digest(run)
    line = assert_one_line_refusal(run_cli(["train", "--resume", run, "--quiet"]), "resume.pt: refused to load: ")
    assert match in line and "weights_only" not in line
    assert not marker.exists() and tree_digest(run) == before
