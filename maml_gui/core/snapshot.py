"""Frozen copies of trained weights (detached CPU tensors) and adaptation from them.

A snapshot is what crosses threads and goes to disk: the GUI's playground, evaluation and
export all start from one, never from the live training weights.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import torch
from torch import Tensor

from .adaptation import InnerRates
from .model_backends import ModelBackend, ModelSpec, backend_for


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
    """The meta-learned initialisation and how it adapts, at one training iteration.

    ``params`` are in the layout of the model's backend (see ``model_backends``): the MLP on
    regression keeps weights ``[in, out]``, every other model PyTorch's own layout.
    Classification baselines keep a zero head and fine-tune only it (``baseline_head_only``).
    """

    spec: ModelSpec
    params: tuple[Tensor, ...]
    algorithm: str
    rates: InnerRates
    head_only: bool = False
    iteration: int = 0
    baseline_params: tuple[Tensor, ...] | None = None
    baseline_lr: float = 0.01
    train_inner_steps: int = 1
    task_kind: str = "regression"
    baseline_head_only: bool = False

    def backend(self) -> ModelBackend:
        return backend_for(self.spec, self.task_kind)

    def _inputs(self, x: Tensor) -> Tensor:
        if self.task_kind == "regression":
            return _as_batch(x)
        x = torch.as_tensor(x, dtype=torch.float32)  # classification: [N, *input] or [B, N, *input]
        return x.unsqueeze(0) if x.dim() == len(self.input_shape) + 1 else x

    @property
    def input_shape(self) -> tuple[int, ...]:
        spec = self.spec
        return getattr(spec, "input_shape", None) or (spec.inputs,)

    def predict(self, x: Tensor) -> Tensor:
        """Predictions (logits for classification) of the initialisation, shaped like the batched input."""
        with torch.no_grad():
            return self.backend().forward(self.params, self._inputs(x))

    def adapt(self, x_support: Tensor, y_support: Tensor, x_query: Tensor, steps: int,
              lr: float | None = None) -> Tensor:
        """Predictions on ``x_query`` after 0..steps inner steps: ``[steps + 1, B, Q, outputs]``
        (for classification: logits; labels ``y_support`` are 0..N-1).

        ``lr`` None (or <= 0) uses the learned rates where the algorithm has them.
        """
        params, rates, head_only = self.adaptation_start(lr)
        if self.task_kind != "regression":
            return self._adapt_classifier(params, rates, x_support, y_support, x_query, steps, head_only)
        return adapt_predictions(self.spec, params, rates, x_support, y_support, x_query, steps, head_only=head_only)

    def adaptation_start(self, lr: float | None = None, baseline: bool = False,
                         random_seed: int | None = None) -> tuple[tuple[Tensor, ...], InnerRates, bool]:
        """Where adaptation starts: (parameters, rates, head_only) of the meta-learned model, or
        with ``baseline`` of the pretrained baseline (a fresh network for ``random_seed`` or when
        none was trained). ``lr`` > 0 replaces the learned or configured rates."""
        if not baseline:
            return self.params, self.rates if lr is None or lr <= 0 else InnerRates(float(lr)), self.head_only
        if random_seed is not None or self.baseline_params is None:
            generator = torch.Generator().manual_seed(random_seed or 0)
            params, head_only = tuple(self.backend().initial_parameters(generator)), False
        else:
            params, head_only = self.baseline_params, self.baseline_head_only and self.task_kind != "regression"
        return params, InnerRates(float(lr) if lr and lr > 0 else self.baseline_lr), head_only

    def _classifier_inner_loop(self, params, rates, x_support, y_support, steps, head_only, **query):
        xs = self._inputs(x_support)
        ys = torch.as_tensor(y_support, dtype=torch.int64)
        ys = ys.unsqueeze(0) if ys.dim() == 1 else ys
        with torch.no_grad():
            return self.backend().inner_loop(params, xs, ys, steps, rates, first_order=True, head_only=head_only,
                                             **query)

    def _adapt_classifier(self, params, rates, x_support, y_support, x_query, steps, head_only) -> Tensor:
        result = self._classifier_inner_loop(params, rates, x_support, y_support, steps, head_only,
                                             x_query=self._inputs(x_query), query_steps=range(steps + 1))
        return torch.stack([result.query_predictions[s] for s in range(steps + 1)])

    def adapted_parameters(self, x_support: Tensor, y_support: Tensor, steps: int, lr: float | None = None,
                           baseline: bool = False, random_seed: int | None = None) -> list[list[Tensor]]:
        """Classification: the parameters after 0..steps inner steps on one task's support set
        (``[K, *input]``, labels ``[K]``), each list in the backend's layout with a task axis of
        one where adapted (the same inner loop as :meth:`adapt`; ``baseline`` as :meth:`adapt_baseline`)."""
        if self.task_kind == "regression":
            raise ValueError("adapted_parameters is for classifiers; regression uses adapt")
        params, rates, head_only = self.adaptation_start(lr, baseline, random_seed)
        result = self._classifier_inner_loop(params, rates, x_support, y_support, steps, head_only,
                                             keep_params=True)
        return result.step_params

    def adapt_baseline(self, x_support: Tensor, y_support: Tensor, x_query: Tensor, steps: int,
                       lr: float | None = None, random_seed: int | None = None) -> Tensor:
        """Same as :meth:`adapt` for the pretrained baseline, or (``random_seed`` given, or no
        baseline trained) for a freshly initialised network."""
        params, rates, head_only = self.adaptation_start(lr, True, random_seed)
        if self.task_kind != "regression":
            return self._adapt_classifier(params, rates, x_support, y_support, x_query, steps, head_only)
        return adapt_predictions(self.spec, params, rates, x_support, y_support, x_query, steps)


def adapt_predictions(spec: ModelSpec, params: Sequence[Tensor], rates: InnerRates, x_support: Tensor,
                      y_support: Tensor, x_query: Tensor, steps: int, head_only: bool = False) -> Tensor:
    """Regression: predictions on ``x_query`` after 0..steps inner steps, ``[steps + 1, B, Q, 1]``."""
    backend = backend_for(spec, "regression")
    xs, ys, xq = _as_batch(x_support), _as_batch(y_support), _as_batch(x_query)
    if xs.shape[1] == 0:
        with torch.no_grad():
            return backend.forward(params, xq).unsqueeze(0).expand(steps + 1, -1, -1, -1)
    with torch.no_grad():
        result = backend.inner_loop(params, xs, ys, steps, rates, first_order=True, head_only=head_only,
                                    x_query=xq, query_steps=range(steps + 1))
    return torch.stack([result.query_predictions[s] for s in range(steps + 1)])
