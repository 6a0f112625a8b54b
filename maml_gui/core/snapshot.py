"""Frozen copies of trained weights (detached CPU tensors) and adaptation from them.

A snapshot is what crosses threads and goes to disk: the GUI's playground, evaluation and
export all start from one, never from the live training weights.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import torch
from torch import Tensor

from .adaptation import InnerRates, inner_loop
from .models import MLPSpec, forward, init_parameters


def _as_batch(x: Tensor) -> Tensor:
    """Accept ``[N]``, ``[N, 1]`` or ``[B, N, 1]`` inputs; return ``[B, N, 1]`` float32."""
    x = torch.as_tensor(x, dtype=torch.float32)
    if x.dim() == 1:
        x = x.reshape(1, -1, 1)
    elif x.dim() == 2:
        x = x.unsqueeze(0)
    return x


@dataclass(frozen=True)
class ModelSnapshot:
    """The meta-learned initialisation and how it adapts, at one training iteration."""

    spec: MLPSpec
    params: tuple[Tensor, ...]
    algorithm: str
    rates: InnerRates
    head_only: bool = False
    iteration: int = 0
    baseline_params: tuple[Tensor, ...] | None = None
    baseline_lr: float = 0.01
    train_inner_steps: int = 1

    def predict(self, x: Tensor) -> Tensor:
        """Predictions of the initialisation (no adaptation), shaped like the batched input."""
        with torch.no_grad():
            return forward(self.spec, self.params, _as_batch(x))

    def adapt(self, x_support: Tensor, y_support: Tensor, x_query: Tensor, steps: int,
              lr: float | None = None) -> Tensor:
        """Predictions on ``x_query`` after 0..steps inner steps: ``[steps + 1, B, Q, 1]``.

        ``lr`` None (or <= 0) uses the learned rates where the algorithm has them.
        """
        rates = self.rates if lr is None or lr <= 0 else InnerRates(float(lr))
        return adapt_predictions(self.spec, self.params, rates, x_support, y_support, x_query, steps,
                                 head_only=self.head_only)

    def adapt_baseline(self, x_support: Tensor, y_support: Tensor, x_query: Tensor, steps: int,
                       lr: float | None = None, random_seed: int | None = None) -> Tensor:
        """Same as :meth:`adapt` for the pretrained baseline, or (``random_seed`` given, or no
        baseline trained) for a freshly initialised network."""
        if random_seed is not None or self.baseline_params is None:
            generator = torch.Generator().manual_seed(random_seed or 0)
            params = tuple(init_parameters(self.spec, generator))
        else:
            params = self.baseline_params
        rates = InnerRates(float(lr) if lr and lr > 0 else self.baseline_lr)
        return adapt_predictions(self.spec, params, rates, x_support, y_support, x_query, steps)


def adapt_predictions(spec: MLPSpec, params: Sequence[Tensor], rates: InnerRates, x_support: Tensor,
                      y_support: Tensor, x_query: Tensor, steps: int, head_only: bool = False) -> Tensor:
    xs, ys, xq = _as_batch(x_support), _as_batch(y_support), _as_batch(x_query)
    if xs.shape[1] == 0:
        with torch.no_grad():
            return forward(spec, params, xq).unsqueeze(0).expand(steps + 1, -1, -1, -1)
    with torch.no_grad():
        result = inner_loop(spec, params, xs, ys, steps, rates, first_order=True, head_only=head_only,
                            x_query=xq, query_steps=range(steps + 1))
    return torch.stack([result.query_predictions[s] for s in range(steps + 1)])
