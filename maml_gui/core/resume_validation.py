"""Reading ``resume.pt`` safely and checking that it fits the trainer it is loaded into.

``torch.load(..., weights_only=True)`` already refuses to build arbitrary objects; what it
lets through (plain tensors, numbers, strings, containers) is checked here before the
trainer sees it: every tensor of the shape and dtype the trainer has, every number finite,
the optimizer state for the same parameters. torch's own refusal messages advise loading
the file unsafely; they are rewritten to name what was blocked instead.
"""

from __future__ import annotations

import math
import re
import warnings
from pathlib import Path

import torch

from .run_validation import MAX_ITERATION, RunError, number, shown, whole_number

MAX_NESTING = 32
MAX_ELAPSED_S = 1e12
MAX_WORLD_SIZE = 1 << 20
MAX_LR = 1e6  # the config allows at most 100; the schedule sets the lr again each iteration
_GLOBAL = re.compile(r"GLOBAL ([\w.]+)")
_OPERAND = re.compile(r"Unsupported operand (\d+)")


def load_resume_file(file: Path, name: str) -> dict:
    """Unpickle ``file`` with ``weights_only=True``; every failure is a :class:`RunError` naming the cause."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # e.g. "Detected pickle protocol", printed on top of our line
            state = torch.load(file, map_location="cpu", weights_only=True)
    except RecursionError:
        raise RunError(f"{name}: refused to load: it is nested too deeply") from None
    except MemoryError:
        raise RunError(f"{name}: refused to load: it does not fit in memory") from None
    except Exception as err:  # torch raises UnpicklingError, RuntimeError, EOFError, ValueError...
        raise RunError(f"{name}: {refusal_reason(err)}") from None
    if not isinstance(state, dict) or "iteration" not in state:
        raise RunError(f"{name} is not a MAML Studio resume state")
    check_plain_values(state, name)
    return state


def refusal_reason(err: BaseException) -> str:
    """What ``torch.load`` refused or could not read, without torch's advice to load unsafely."""
    text = str(err)
    found = _GLOBAL.search(text)
    if found:
        return f"refused to load: it contains a pickled object of type {found[1]} (only tensors are read)"
    found = _OPERAND.search(text)
    if found:
        return f"refused to load: it is not a file torch.save wrote (pickle instruction {found[1]} is not allowed)"
    if "zip archive" in text or "PytorchStreamReader" in text:
        return "damaged: not a readable PyTorch file (truncated, or not written by torch.save)"
    unsafe = ("weights_only", "Weights only", "file an issue", "documentation", "trust")
    lines = [line.strip() for line in text.splitlines() if line.strip() and not any(u in line for u in unsafe)]
    detail = lines[0][:200] if lines else type(err).__name__
    return f"damaged: cannot be read ({detail})"


def check_plain_values(state, name: str) -> None:
    """Every float tensor and number anywhere in ``state`` is finite; nesting is bounded."""
    pending = [(state, 0)]
    while pending:
        value, depth = pending.pop()
        if depth > MAX_NESTING:
            raise RunError(f"{name} is nested too deeply")
        if isinstance(value, dict):
            pending.extend((v, depth + 1) for v in value.values())
        elif isinstance(value, (list, tuple)):
            pending.extend((v, depth + 1) for v in value)
        elif isinstance(value, torch.Tensor):
            if value.is_floating_point() and not bool(torch.isfinite(value).all()):
                raise RunError(f"{name} holds non-finite values (NaN or infinity)")
        elif isinstance(value, float) and not math.isfinite(value):
            raise RunError(f"{name} holds non-finite values (NaN or infinity)")


def check_resume_fits(state: dict, trainer, name: str) -> None:
    """``state`` has the trainer's parameters, optimizer layout and generator: refuse it otherwise."""
    whole_number(state["iteration"], f"{name}: iteration", 0, MAX_ITERATION)
    elapsed = number(state.get("elapsed_s", 0.0), f"{name}: elapsed_s")
    if not 0 <= elapsed <= MAX_ELAPSED_S:
        raise RunError(f"{name}: elapsed_s must be between 0 and {MAX_ELAPSED_S:g}, not {elapsed}")
    if "world_size" in state:  # written by multi-process runs
        whole_number(state["world_size"], f"{name}: world_size", 1, MAX_WORLD_SIZE)
    template = trainer.state_dict()
    for key in ("meta_parameters", "optimizer", "task_generator"):
        if key not in state:
            raise RunError(f"{name} has no {key!r}")
    _check_tensors(state["meta_parameters"], template["meta_parameters"], f"{name}: meta_parameters")
    _check_optimizer(state["optimizer"], trainer.optimizer, f"{name}: optimizer")
    _check_tensor(state["task_generator"], template["task_generator"], f"{name}: task_generator")
    if trainer.baseline is not None:
        if "baseline_parameters" in state:
            _check_tensors(state["baseline_parameters"], template["baseline_parameters"],
                           f"{name}: baseline_parameters")
        if "baseline_optimizer" in state:
            _check_optimizer(state["baseline_optimizer"], trainer.baseline.optimizer, f"{name}: baseline_optimizer")


def _check_tensors(saved, expected: list, what: str) -> None:
    if not isinstance(saved, (list, tuple)) or len(saved) != len(expected):
        raise RunError(f"{what}: expected {len(expected)} tensors for this config's model")
    for i, (tensor, reference) in enumerate(zip(saved, expected)):
        _check_tensor(tensor, reference, f"{what}[{i}]")


def _check_tensor(tensor, reference: torch.Tensor, what: str) -> None:
    if not isinstance(tensor, torch.Tensor):
        raise RunError(f"{what} must be a tensor, not {type(tensor).__name__}")
    if tensor.dtype != reference.dtype:
        raise RunError(f"{what} is {tensor.dtype}, expected {reference.dtype}")
    if tuple(tensor.shape) != tuple(reference.shape):
        raise RunError(f"{what} has shape {tuple(tensor.shape)}, expected {tuple(reference.shape)} "
                       "(the config's model)")
    if tensor.layout != torch.strided:
        raise RunError(f"{what} must be a dense tensor")


def _check_optimizer(saved, optimizer: torch.optim.Optimizer, what: str) -> None:
    """Same groups over the same parameters as ``optimizer``; per-parameter state shaped like them."""
    template = optimizer.state_dict()
    if not isinstance(saved, dict) or not isinstance(saved.get("state"), dict) \
            or not isinstance(saved.get("param_groups"), list):
        raise RunError(f"{what} must hold 'state' and 'param_groups'")
    if len(saved["param_groups"]) != len(template["param_groups"]):
        raise RunError(f"{what}: {len(saved['param_groups'])} parameter groups, expected "
                       f"{len(template['param_groups'])} (the config's algorithm)")
    for group, expected in zip(saved["param_groups"], template["param_groups"]):
        _check_group(group, expected, what)
    params = [p for group in optimizer.param_groups for p in group["params"]]
    keys = _state_keys(optimizer)
    for index, entries in saved["state"].items():
        if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < len(params):
            raise RunError(f"{what}: state for an unknown parameter {shown(index)}")
        if not isinstance(entries, dict):
            raise RunError(f"{what}: state of parameter {index} must be a dict")
        if keys is not None and set(entries) != keys:
            raise RunError(f"{what}: state of parameter {index} must hold {', '.join(sorted(keys))}, "
                           f"not {shown(sorted(map(str, entries)))}")
        for key, value in entries.items():
            _check_state_entry(key, value, params[index], f"{what}: state {index} {shown(key)}")


def _state_keys(optimizer: torch.optim.Optimizer) -> set[str] | None:
    """What each parameter's state holds once the optimizer has stepped (None: not known here)."""
    if isinstance(optimizer, torch.optim.Adam):
        amsgrad = any(group.get("amsgrad") for group in optimizer.param_groups)
        return {"step", "exp_avg", "exp_avg_sq"} | ({"max_exp_avg_sq"} if amsgrad else set())
    if isinstance(optimizer, torch.optim.SGD):
        return {"momentum_buffer"}
    return None


def _check_group(group, expected: dict, what: str) -> None:
    """Same parameters and the same hyperparameters as the config gives (``lr``, which the
    schedule sets each iteration, only in range)."""
    if not isinstance(group, dict):
        raise RunError(f"{what}: a parameter group must be a dict")
    if group.get("params") != expected["params"]:
        raise RunError(f"{what}: the parameter groups hold other parameters than this config's model")
    for key, reference in expected.items():
        if key == "params":
            continue
        if key not in group:
            raise RunError(f"{what}: a parameter group has no {key!r}")
        value, where = group[key], f"{what}: {key}"
        if key == "lr":
            if not 0 <= number(value, where) <= MAX_LR:
                raise RunError(f"{where} must be between 0 and {MAX_LR:g}, not {shown(value)}")
        elif not _same(value, reference):
            raise RunError(f"{where} is {shown(value)}, but this run's config gives {shown(reference)}")


def _same(value, reference) -> bool:
    if isinstance(reference, (tuple, list)):
        return isinstance(value, (tuple, list)) and len(value) == len(reference) and all(
            _same(v, r) for v, r in zip(value, reference))
    if isinstance(reference, bool) or reference is None or isinstance(reference, str):
        return type(value) is type(reference) and value == reference
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value == reference


def _check_state_entry(key, value, param: torch.Tensor, what: str) -> None:
    if value is None and key == "momentum_buffer":  # SGD without momentum
        return
    if not isinstance(value, torch.Tensor):
        raise RunError(f"{what} must be a tensor, not {shown(value)}")
    if key == "step":
        if value.numel() != 1 or not value.is_floating_point() and value.dtype not in (torch.int32, torch.int64):
            raise RunError(f"{what} must be one number")
        step = float(value.reshape(()).item())
        if not 0 <= step <= MAX_ITERATION:
            raise RunError(f"{what} must be between 0 and {MAX_ITERATION:,}, not {step}")
        return
    if value.dtype != param.dtype or tuple(value.shape) != tuple(param.shape) or value.layout != torch.strided:
        raise RunError(f"{what} is {value.dtype} {tuple(value.shape)}, expected {param.dtype} {tuple(param.shape)} "
                       "like its parameter")
    if key.endswith("exp_avg_sq") and bool((value < 0).any()):
        raise RunError(f"{what} holds negative values")
