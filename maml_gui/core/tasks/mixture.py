"""A weighted mixture of task families, e.g. sinusoids and lines (PLATIPUS, Finn et al. 2018)."""

from __future__ import annotations

import math
from typing import Mapping, Sequence

import torch
from torch import Tensor

from .base import TaskFamily

COMPONENT = "component"


class MixtureFamily(TaskFamily):
    """Each task comes from component ``i`` with probability ``weights[i] / sum(weights)``.

    Parameters are namespaced ``"<index>.<name>"`` plus ``"component"`` (the chosen index);
    every component is evaluated for the whole batch and the chosen one selected, so no
    Python loop runs over tasks.
    """

    name = "mixture"
    description = "a weighted mixture of families"

    def __init__(self, components: Sequence[TaskFamily], weights: Sequence[float] | None = None,
                 x_range=(-5.0, 5.0), noise_std: float = 0.0) -> None:
        if len(components) < 1:
            raise ValueError("a mixture needs at least one component")
        weights = list(weights) if weights is not None else [1.0] * len(components)
        if (len(weights) != len(components) or any(not 0 <= w < math.inf for w in weights)
                or not 0 < sum(weights) < math.inf):
            raise ValueError("mixture weights must be finite and non-negative, one per component, not all zero")
        self.default_ranges = {}
        super().__init__({}, x_range, noise_std)
        self.components = list(components)
        total = math.fsum(weights)  # normalised in float64: 1e-50 or 1e39 are not representable in float32
        self.weights = torch.tensor([w / total for w in weights], dtype=torch.float64).to(torch.float32)
        self.description = " + ".join(c.name for c in self.components)

    def sample_parameters(self, count, generator, device) -> dict[str, Tensor]:
        choice = torch.multinomial(self.weights.to(device), count, replacement=True, generator=generator)
        params: dict[str, Tensor] = {COMPONENT: choice.to(torch.float32).reshape(count, 1, 1)}
        for i, component in enumerate(self.components):
            for key, value in component.sample_parameters(count, generator, device).items():
                params[f"{i}.{key}"] = value
        return params

    def component_params(self, index: int, params: Mapping[str, Tensor]) -> dict[str, Tensor]:
        prefix = f"{index}."
        return {k[len(prefix):]: v for k, v in params.items() if k.startswith(prefix)}

    def evaluate(self, x: Tensor, params: Mapping[str, Tensor]) -> Tensor:
        choice = params[COMPONENT]
        y = torch.zeros_like(x)
        for i, component in enumerate(self.components):
            y = torch.where(choice == i, component.evaluate(x, self.component_params(i, params)), y)
        return y
