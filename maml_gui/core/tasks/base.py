"""The task-distribution interface: families of 1-D functions with parameter ranges."""

from __future__ import annotations

import dataclasses
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Mapping

import torch
from torch import Tensor

Range = tuple[float, float]
VALUE_LIMIT = 1e6  # range ends: exact enough in float32, and their squares are finite


@dataclass(frozen=True)
class TaskBatch:
    """A meta-batch of tasks; every tensor has a leading task axis ``B``.

    ``x_support``/``y_support`` are ``[B, K, 1]``, ``x_query``/``y_query`` are ``[B, Q, 1]``;
    ``params`` maps each task parameter to a ``[B, 1, 1]`` tensor.
    """

    x_support: Tensor
    y_support: Tensor
    x_query: Tensor
    y_query: Tensor
    params: Mapping[str, Tensor]
    family: "TaskFamily" = field(repr=False)

    @property
    def size(self) -> int:
        return self.x_support.shape[0]

    def true_function(self, x: Tensor) -> Tensor:
        """Noise-free targets of every task at ``x`` (``[G]``, ``[G, 1]`` or ``[B, G, 1]``) -> ``[B, G, 1]``."""
        if x.dim() < 3:
            x = x.reshape(1, -1, 1).expand(self.size, -1, 1)
        return self.family.evaluate(x.to(self.x_support), self.params)

    def task_parameters(self, index: int) -> dict[str, float]:
        """The parameters of task ``index`` as plain floats."""
        return {name: float(value[index].reshape(-1)[0]) for name, value in self.params.items()}

    def to(self, device) -> "TaskBatch":
        return TaskBatch(
            self.x_support.to(device), self.y_support.to(device), self.x_query.to(device),
            self.y_query.to(device), {k: v.to(device) for k, v in self.params.items()}, self.family,
        )


def slice_tasks(batch, start: int, stop: int):
    """The tasks ``[start, stop)`` of a meta-batch (any task kind's batch dataclass)."""
    changes = {}
    for f in dataclasses.fields(batch):
        value = getattr(batch, f.name)
        if isinstance(value, Tensor):
            changes[f.name] = value[start:stop]
        elif isinstance(value, Mapping):
            changes[f.name] = {k: v[start:stop] for k, v in value.items()}
    return dataclasses.replace(batch, **changes)


class TaskFamily(ABC):
    """A distribution over functions ``y = f(x; params)`` with uniform parameter ranges."""

    name: str = ""
    description: str = ""
    default_ranges: Mapping[str, Range] = {}

    def __init__(self, ranges: Mapping[str, Range] | None = None, x_range: Range = (-5.0, 5.0),
                 noise_std: float = 0.0) -> None:
        ranges = dict(ranges or {})
        unknown = sorted(set(ranges) - set(self.default_ranges))
        if unknown:
            allowed = ", ".join(self.default_ranges) or "none"
            raise ValueError(f"{self.name}: unknown parameter {unknown[0]!r}; allowed: {allowed}")
        self.ranges: dict[str, Range] = {k: tuple(map(float, ranges.get(k, v))) for k, v in self.default_ranges.items()}
        for key, (low, high) in self.ranges.items():
            check_range(f"{self.name} parameter {key!r}", (low, high), allow_point=True)
        check_range("x_range", x_range)
        if not noise_std >= 0:
            raise ValueError(f"noise_std must be >= 0, got {noise_std}")
        self.x_range = (float(x_range[0]), float(x_range[1]))
        self.noise_std = float(noise_std)

    @property
    def parameter_names(self) -> tuple[str, ...]:
        return tuple(self.ranges)

    @abstractmethod
    def evaluate(self, x: Tensor, params: Mapping[str, Tensor]) -> Tensor:
        """Noise-free function values; ``x`` is ``[B, N, 1]``, each param ``[B, 1, 1]``."""

    def sample_parameters(self, count: int, generator: torch.Generator | None, device) -> dict[str, Tensor]:
        names = self.parameter_names
        if not names:
            return {}
        lows = torch.tensor([self.ranges[n][0] for n in names], device=device)
        highs = torch.tensor([self.ranges[n][1] for n in names], device=device)
        u = torch.rand(count, len(names), generator=generator, device=device)
        values = lows + u * (highs - lows)
        return {n: values[:, i].reshape(count, 1, 1) for i, n in enumerate(names)}

    def sample_inputs(self, count: int, points: int, generator: torch.Generator | None, device) -> Tensor:
        low, high = self.x_range
        return low + torch.rand(count, points, 1, generator=generator, device=device) * (high - low)

    def sample(self, meta_batch: int, shots: int, queries: int, generator: torch.Generator | None = None,
               device="cpu") -> TaskBatch:
        """Draw ``meta_batch`` tasks with ``shots`` support and ``queries`` query points each."""
        if meta_batch < 1 or shots < 1 or queries < 0:
            raise ValueError("meta_batch and shots must be >= 1 and queries >= 0")
        params = self.sample_parameters(meta_batch, generator, device)
        x = self.sample_inputs(meta_batch, shots + queries, generator, device)
        y = self.evaluate(x, params)
        if self.noise_std > 0:
            y = y + self.noise_std * torch.randn(y.shape, generator=generator, device=device)
        return TaskBatch(x[:, :shots], y[:, :shots], x[:, shots:], y[:, shots:], params, self)


def check_range(what: str, value, allow_point: bool = False) -> None:
    """Raise ValueError unless ``value`` is a finite (low, high) pair with low < high (or <= if allowed)."""
    try:
        low, high = (float(v) for v in value)
    except (TypeError, ValueError):
        raise ValueError(f"{what} must be a pair [low, high], got {value!r}") from None
    if not (abs(low) < float("inf") and abs(high) < float("inf")):
        raise ValueError(f"{what} must be finite, got [{low}, {high}]")
    if not (abs(low) <= VALUE_LIMIT and abs(high) <= VALUE_LIMIT):
        raise ValueError(f"{what} must lie within ±{VALUE_LIMIT:g} (float32 training), got [{low:g}, {high:g}]")
    if high < low or (high == low and not allow_point):
        raise ValueError(f"{what} is empty: [{low}, {high}] needs low < high")
