"""Checks on ``model.safetensors`` before and after parsing: header, dtypes, metadata, values.

The safetensors library checks offsets and sizes; this module checks what it does not: the
header's size and nesting, that every tensor is float32 (what MAML Studio writes), that the
metadata strings hold numbers and lists in range, that every value is finite, and that the
architecture and algorithm agree with the run's config.
"""

from __future__ import annotations

import math
import re

import torch

from .run_validation import MAX_ITERATION, RunError, parse_json, shown, whole_number

MAX_HEADER_BYTES = 1 << 20
MAX_LAYER_WIDTH = 1 << 20
MAX_LAYERS = 256
_INTEGER = re.compile(r"-?\d{1,30}")


def expected_weights_bytes(parameter_count: int, inner_steps: int) -> int:
    """Upper bound on a weights file: the model, learned rates as large as it, a baseline, the header."""
    return 8 + MAX_HEADER_BYTES + 4 * (3 * parameter_count + inner_steps * 2 * MAX_LAYERS)


def check_header(data: bytes, name: str) -> dict[str, str]:
    """The safetensors header, checked; returns the metadata strings."""
    if len(data) < 8:
        raise RunError(f"{name} is not a valid safetensors file (truncated or damaged): shorter than its header")
    header_len = int.from_bytes(data[:8], "little")
    if header_len > MAX_HEADER_BYTES or header_len > len(data) - 8:
        raise RunError(f"{name} is not a valid safetensors file (truncated or damaged): a header of "
                       f"{header_len:,} bytes")
    try:
        text = data[8:8 + header_len].decode("utf-8")
    except UnicodeDecodeError:
        raise RunError(f"{name} is not a valid safetensors file (truncated or damaged): its header is not text") from None
    header = parse_json(text, f"{name} (header)")
    if not isinstance(header, dict):
        raise RunError(f"{name} is not a valid safetensors file (truncated or damaged): its header is not an object")
    meta = header.pop("__metadata__", {})
    if not isinstance(meta, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in meta.items()):
        raise RunError(f"{name}: its metadata must map names to strings")
    for key, entry in header.items():
        dtype = entry.get("dtype") if isinstance(entry, dict) else None
        if dtype != "F32":
            raise RunError(f"{name}: tensor {shown(key)} is {shown(dtype)}; MAML Studio writes float32 (F32)")
    return meta


def check_values(tensors: dict[str, torch.Tensor], name: str) -> None:
    for key, tensor in tensors.items():
        if tensor.dtype != torch.float32:  # check_header refused these; the library is the second line
            raise RunError(f"{name}: tensor {shown(key)} is {tensor.dtype}; expected float32")
        if not bool(torch.isfinite(tensor).all()):
            raise RunError(f"{name}: tensor {shown(key)} holds non-finite values (NaN or infinity)")


def meta_int(meta: dict, key: str, name: str, low: int, high: int, default: str | None = None) -> int:
    text = meta.get(key, default)
    if text is None:
        raise RunError(f"{name}: its metadata has no {key!r}")
    if not isinstance(text, str) or not _INTEGER.fullmatch(text):
        raise RunError(f"{name}: metadata {key!r} must be a whole number, not {shown(text)}")
    return whole_number(int(text), f"{name}: metadata {key!r}", low, high)


def meta_float(meta: dict, key: str, name: str) -> float:
    text = meta.get(key)
    if text is None:
        raise RunError(f"{name}: its metadata has no {key!r}")
    try:
        value = float(text)
    except ValueError:
        raise RunError(f"{name}: metadata {key!r} must be a number, not {shown(text)}") from None
    if not math.isfinite(value) or value < 0:
        raise RunError(f"{name}: metadata {key!r} must be a finite number >= 0, not {shown(text)}")
    return value


def meta_json(meta: dict, key: str, name: str, kind: type):
    if key not in meta:
        raise RunError(f"{name}: its metadata has no {key!r}")
    value = parse_json(meta[key], f"{name}: metadata {key!r}")
    if not isinstance(value, kind):
        raise RunError(f"{name}: metadata {key!r} must be a {kind.__name__}, not {shown(meta[key])}")
    return value


def meta_hidden(meta: dict, name: str) -> tuple[int, ...]:
    hidden = meta_json(meta, "hidden", name, list)
    if not 1 <= len(hidden) <= MAX_LAYERS:
        raise RunError(f"{name}: metadata 'hidden' must list 1 to {MAX_LAYERS} layer widths")
    return tuple(whole_number(h, f"{name}: a hidden width", 1, MAX_LAYER_WIDTH) for h in hidden)


def meta_iteration(meta: dict, name: str) -> int:
    return meta_int(meta, "iteration", name, 0, MAX_ITERATION)


def _describe(spec) -> str:
    if hasattr(spec, "describe"):
        return spec.describe()
    return f"model of layers {list(spec.sizes)} ({spec.activation})"


def check_fits_config(snapshot, config, name: str) -> None:
    """The weights were trained with this config: same architecture, algorithm and learned rates."""
    from .training import model_spec

    expected = model_spec(config)
    if snapshot.spec != expected:
        if hasattr(snapshot.spec, "sizes") and hasattr(expected, "sizes"):
            raise RunError(f"{name} holds a model of layers {list(snapshot.spec.sizes)} ({snapshot.spec.activation}), "
                           f"but the config describes {list(expected.sizes)} ({expected.activation})")
        raise RunError(f"{name} holds a {_describe(snapshot.spec)}, but the config describes {_describe(expected)}")
    algorithm = config.training.algorithm
    if snapshot.algorithm != algorithm:
        raise RunError(f"{name} was trained with {shown(snapshot.algorithm)}, but the config says {algorithm!r}")
    if snapshot.head_only != (algorithm == "anil"):
        raise RunError(f"{name}: metadata 'head_only' disagrees with the algorithm {algorithm!r}")
    rates = snapshot.rates
    if (rates.per_parameter is not None) != (algorithm == "metasgd"):
        raise RunError(f"{name}: learned per-weight inner rates (inner_lr.*) go with metasgd only")
    if rates.per_step is not None:
        steps = (config.training.inner_steps, len(snapshot.params))
        if tuple(rates.per_step.shape) != steps:
            raise RunError(f"{name}: inner_lr.per_step has shape {tuple(rates.per_step.shape)}, expected {steps}")
    if snapshot.baseline_params is not None and len(snapshot.baseline_params) != len(snapshot.params):
        raise RunError(f"{name}: the baseline's tensors do not match the model's")
