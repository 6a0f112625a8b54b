"""The inner loop for any :class:`~maml_gui.core.functional_model.FunctionalModel` and any loss.

The same contract as :func:`maml_gui.core.adaptation.inner_loop` (the hand-written MLP/MSE
fast path): all tasks at once, parameters shared at first and per task after the first step,
rates from :class:`~maml_gui.core.adaptation.InnerRates`. Gradients come from autograd: the
per-task losses are summed and differentiated with respect to the per-task copies of the
parameters, which gives every task its own gradient (the tasks do not interact). With
``first_order=False`` and gradients enabled the graph is kept (``create_graph``), so the
result can be differentiated again: exact second-order MAML.
"""

from __future__ import annotations

from typing import Callable, Sequence

import torch
from torch import Tensor

from .adaptation import InnerLoopResult, InnerRates
from .functional_model import FunctionalModel

TaskLoss = Callable[[Tensor, Tensor], Tensor]  # (outputs [B, N, ...], targets [B, N, ...]) -> [B]


def functional_inner_loop(model: FunctionalModel, params: Sequence[Tensor], x_support: Tensor, y_support: Tensor,
                          steps: int, rates: InnerRates, task_loss: TaskLoss, *, first_order: bool = True,
                          head_only: bool = False, x_query: Tensor | None = None,
                          query_steps: Sequence[int] = (), keep_params: bool = False) -> InnerLoopResult:
    """Run ``steps`` gradient steps of ``task_loss`` on the support set, all tasks at once.

    ``head_only`` adapts only the last ``model.head_count`` parameters (ANIL). Works under
    ``torch.no_grad()`` too (evaluation, Reptile): the inner gradients are then taken on
    detached copies. ``keep_params`` also returns the parameters after 0..steps steps.
    """
    params = list(params)
    count = len(params)
    trainable = list(range(count - model.head_count, count)) if head_only else list(range(count))
    tasks = x_support.shape[0]
    keep_graph = not first_order and torch.is_grad_enabled()
    wanted = set(query_steps)
    predictions: dict[int, Tensor] = {}
    support_loss = None
    kept: list[list[Tensor]] = []
    for step in range(steps + 1):
        if keep_params:
            kept.append(list(params))
        if step in wanted and x_query is not None:
            predictions[step] = model.forward(params, x_query)
        if step == steps:
            break
        with torch.enable_grad():
            if keep_graph:
                current = list(params)
                inputs = [model.per_task(i, params[i], tasks) for i in trainable]
            else:
                current = [p.detach() for p in params]
                inputs = [model.per_task(i, current[i], tasks).detach().requires_grad_() for i in trainable]
            for i, tensor in zip(trainable, inputs):
                current[i] = tensor
            loss = task_loss(model.forward(current, x_support), y_support)
            grads = torch.autograd.grad(loss.sum(), inputs, create_graph=keep_graph)
        if support_loss is None:
            support_loss = loss.detach()
        lrs = rates.for_step(step, len(trainable))
        for i, g, lr in zip(trainable, grads, lrs):
            params[i] = model.per_task(i, params[i], tasks) - lr * g
    if support_loss is None:  # zero steps
        with torch.no_grad():
            support_loss = task_loss(model.forward(params, x_support), y_support)
    return InnerLoopResult(params, support_loss, predictions, kept if keep_params else None)
