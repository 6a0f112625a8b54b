"""What task data the engine can learn from, checked when a family is defined.

Training runs in float32. A target whose square overflows float32 makes every MSE infinite,
and far below that the inner steps already overshoot: measured with ``a * sin(x)`` on a
1-8-8-1 model (second-order MAML, 1 inner step of lr 0.01, the friendliest setting), targets
up to 1e8 trained and 1e9 stopped with a non-finite meta-loss in the first iterations.
So every family is probed densely in float32 over its ranges (both ends of each range,
x_range's ends and 0 included) and refused when a target is not finite or exceeds
:data:`TARGET_LIMIT`; :func:`describe_data_cause` tells training when the data is to blame.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

from .base import VALUE_LIMIT  # noqa: F401  (|ends| of x_range and parameter ranges)

TARGET_LIMIT = 1e8  # |targets|: 1e9 already overflows the paper's setting (see above)
LARGE_DATA = 100.0  # beyond this, a non-finite meta-loss is more likely the data's scale than the lr
PROBE_RANDOM_TASKS = 128
PROBE_GRID_POINTS = 513
PROBE_RANDOM_POINTS = 64


def probe_inputs(x_range: tuple[float, float], generator: torch.Generator) -> Tensor:
    """A dense float32 grid over x_range with both ends, 0 (when inside) and random points: ``[N]``."""
    low, high = x_range
    grid = torch.linspace(low, high, PROBE_GRID_POINTS, dtype=torch.float32)
    extra = low + torch.rand(PROBE_RANDOM_POINTS, generator=generator, dtype=torch.float32) * (high - low)
    points = [grid, extra, torch.tensor([low, high], dtype=torch.float32)]
    if low <= 0.0 <= high:
        points.append(torch.zeros(1))
    return torch.cat(points)


def probe_parameters(family, generator: torch.Generator) -> dict[str, Tensor]:
    """Random parameters plus the corners that matter: every parameter at its low end, at its
    high end, and each one alone at either end (others random). ``{key: [B, 1, 1]}``."""
    names = list(family.parameter_names)
    tasks = PROBE_RANDOM_TASKS + 2 + 2 * len(names)
    params = {k: v.to(torch.float32).clone() for k, v in family.sample_parameters(tasks, generator, "cpu").items()}
    for key, value in params.items():
        name = key if key in family.ranges else (names[0] if len(names) == 1 else None)
        if name is None:
            continue
        low, high = family.ranges[name]
        value[0], value[1] = low, high
        if name in names:
            i = names.index(name)
            value[2 + 2 * i], value[3 + 2 * i] = low, high
    return params


def check_family_targets(family, what: str, hint: str) -> None:
    """Raise ValueError unless ``family``'s targets are finite and within TARGET_LIMIT in float32
    wherever its ranges allow; the message names ``what`` and a place where it fails."""
    generator = torch.Generator().manual_seed(0)
    params = probe_parameters(family, generator)
    x_line = probe_inputs(family.x_range, generator)
    tasks = next(iter(params.values())).shape[0] if params else 1
    x = x_line.reshape(1, -1, 1).expand(tasks, -1, 1).contiguous()
    with torch.no_grad():
        y = family.evaluate(x, params).to(torch.float32)
        bad = ~torch.isfinite(y) | (y.abs() > TARGET_LIMIT) | ~torch.isfinite(y * y)
    if not bool(bad.any()):
        return
    task, point = (int(v) for v in bad.nonzero()[0][:2])
    value = float(y[task, point].reshape(-1)[0])
    where = ", ".join([f"x={float(x[task, point, 0]):.4g}"] +
                      [f"{k}={float(v[task].reshape(-1)[0]):.4g}" for k, v in params.items()][:6])
    if not math.isfinite(value) or not math.isfinite(value * value):
        raise ValueError(f"{what} is not finite everywhere on x_range and the parameter ranges "
                         f"(e.g. at {where}, in float32); {hint}")
    raise ValueError(f"{what} reaches {value:.3g} at {where}: targets beyond ±{TARGET_LIMIT:g} make float32 "
                     f"training overflow; {hint}")


def describe_data_cause(batch) -> str | None:
    """Why a meta-batch's data could have made training non-finite, or None when it looks fine.

    Training calls this when the meta-loss or a gradient is not finite, so the message blames
    the data (not the learning rate) when the data is the cause."""
    if not (hasattr(batch, "y_support") and batch.y_support.is_floating_point()):
        return None  # classification: labels, not regression targets
    tensors = {"inputs": (batch.x_support, batch.x_query), "targets": (batch.y_support, batch.y_query)}
    largest = {}
    for name, parts in tensors.items():
        values = torch.cat([p.detach().reshape(-1).to("cpu", torch.float32) for p in parts])
        finite = torch.isfinite(values) & torch.isfinite(values * values)
        if not bool(finite.all()):
            return (f"the task data is not finite: {int((~finite).sum())} {name} are inf/NaN or overflow when "
                    "squared in float32; change the expression or narrow the parameter ranges and x_range")
        largest[name] = float(values.abs().max()) if values.numel() else 0.0
    if max(largest.values()) > LARGE_DATA:
        return (f"the task data is large (targets up to {largest['targets']:.3g}, inputs up to "
                f"{largest['inputs']:.3g}), so the inner steps overshoot: rescale the task (narrower parameter "
                "ranges or x_range) or lower the learning rates")
    return None
