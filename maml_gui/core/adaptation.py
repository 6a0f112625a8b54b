"""The inner loop, written once for every algorithm, batched over tasks.

``params`` may be unbatched (the meta-learned initialisation, shared by all tasks) or carry a
leading task axis; after the first step they always carry one. Learning rates come from
:class:`InnerRates`: one fixed step size, learned per-parameter rates (Meta-SGD) or learned
per-step, per-tensor rates (MAML++ LSLR).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import torch
from torch import Tensor

from .models import MLPSpec, Params, activation, forward, loss_and_grads


@dataclass(frozen=True)
class InnerRates:
    """Step sizes of the inner loop; learned tensors take precedence over ``base``."""

    base: float
    per_parameter: tuple[Tensor, ...] | None = None
    per_step: Tensor | None = None  # [steps, tensors]

    def for_step(self, step: int, count: int) -> list:
        if self.per_parameter is not None:
            return list(self.per_parameter[-count:])
        if self.per_step is not None:
            row = self.per_step[min(step, self.per_step.shape[0] - 1)]
            return [row[j] for j in range(row.shape[0] - count, row.shape[0])]
        return [self.base] * count

    def detached(self) -> "InnerRates":
        return InnerRates(
            self.base,
            tuple(t.detach().cpu().clone() for t in self.per_parameter) if self.per_parameter is not None else None,
            self.per_step.detach().cpu().clone() if self.per_step is not None else None,
        )

    def to(self, device) -> "InnerRates":
        return InnerRates(
            self.base,
            tuple(t.to(device) for t in self.per_parameter) if self.per_parameter is not None else None,
            self.per_step.to(device) if self.per_step is not None else None,
        )


def body_features(spec: MLPSpec, body: Sequence[Tensor], x: Tensor) -> Tensor:
    """The last hidden layer's activations (everything but the head)."""
    hidden = MLPSpec(hidden=spec.hidden[:-1], activation=spec.activation, inputs=spec.inputs, outputs=spec.hidden[-1])
    return activation(spec.activation)(forward(hidden, body, x))


@dataclass
class InnerLoopResult:
    params: Params                   # adapted parameters, with a task axis
    support_loss: Tensor             # [B] loss of the initial parameters on the support set
    query_predictions: dict[int, Tensor]  # step -> [B, Q, out], for the steps asked for
    step_params: list[Params] | None = None  # with keep_params: the parameters after 0..steps steps


def inner_loop(spec: MLPSpec, params: Sequence[Tensor], x_support: Tensor, y_support: Tensor, steps: int,
               rates: InnerRates, *, first_order: bool = True, head_only: bool = False,
               x_query: Tensor | None = None, query_steps: Sequence[int] = (),
               keep_params: bool = False) -> InnerLoopResult:
    """Run ``steps`` gradient steps of per-task MSE on the support set, all tasks at once.

    With ``first_order=False`` the graph through the gradients is kept, so the result can
    be differentiated for second-order MAML. ``head_only`` adapts only the last layer (ANIL).
    ``keep_params`` also returns the parameters after 0..steps steps (``step_params``).
    """
    params = list(params)
    model_spec, trainable = spec, params
    xs, xq = x_support, x_query
    if head_only:
        model_spec = spec.head()
        trainable = params[-2:]
        xs = body_features(spec, params[:-2], x_support)
        xq = body_features(spec, params[:-2], x_query) if x_query is not None else None
    wanted = set(query_steps)
    predictions: dict[int, Tensor] = {}
    support_loss = None
    kept: list[Params] = []
    for step in range(steps + 1):
        if keep_params:
            kept.append((params[:-2] + trainable) if head_only else list(trainable))
        if step in wanted and xq is not None:
            predictions[step] = forward(model_spec, trainable, xq)
        if step == steps:
            break
        loss, grads = loss_and_grads(model_spec, trainable, xs, y_support)
        if support_loss is None:
            support_loss = loss
        if first_order:
            grads = [g.detach() for g in grads]
        lrs = rates.for_step(step, len(trainable))
        trainable = [p - lr * g for p, g, lr in zip(trainable, grads, lrs)]
    if support_loss is None:  # zero steps
        support_loss = loss_and_grads(model_spec, trainable, xs, y_support)[0].detach()
    adapted = (params[:-2] + trainable) if head_only else trainable
    return InnerLoopResult(adapted, support_loss, predictions, kept if keep_params else None)
