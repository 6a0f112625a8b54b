"""Slow per-task reference meta-gradients for any ``nn.Module`` and any per-task loss, for tests.

One task at a time: ``functional_call`` on a dict of named tensors, inner gradients from
``torch.autograd.grad`` (``create_graph`` for second order). Batch norm in the module sees one
task's support (or query) set, exactly the batch the engine's ``vmap`` gives it.
"""

from __future__ import annotations

from typing import Callable, Sequence

import torch
from torch import Tensor
from torch.func import functional_call

Rate = Callable[[int, int], "Tensor | float"]  # (step, parameter index) -> step size
Loss = Callable[[Tensor, Tensor], Tensor]      # one task: (outputs [N, ...], targets [N, ...]) -> scalar


def cross_entropy(logits: Tensor, labels: Tensor) -> Tensor:
    return torch.nn.functional.cross_entropy(logits, labels)


def mse(prediction: Tensor, target: Tensor) -> Tensor:
    return (prediction - target).pow(2).mean()


def adapt(module, names, params, x, y, steps, rate: Rate, loss: Loss, first_order: bool, head_only: bool,
          head_count: int = 2) -> list[list[Tensor]]:
    fast = list(params)
    adapted = list(range(len(params) - head_count, len(params))) if head_only else list(range(len(params)))
    history = [fast]
    for step in range(steps):
        value = loss(functional_call(module, dict(zip(names, fast)), (x,)), y)
        grads = torch.autograd.grad(value, [fast[i] for i in adapted], create_graph=not first_order)
        fast = list(fast)
        for i, g in zip(adapted, grads):
            fast[i] = fast[i] - rate(step, i) * g
        history.append(fast)
    return history


def meta_loss(module, params: Sequence[Tensor], batch, steps: int, rate: Rate, loss: Loss, *,
              first_order=False, head_only=False, step_weights=None) -> Tensor:
    names = [n for n, _ in module.named_parameters()]
    weights = list(step_weights) if step_weights is not None else [0.0] * (steps - 1) + [1.0]
    total = 0.0
    for b in range(batch.x_support.shape[0]):
        history = adapt(module, names, params, batch.x_support[b], batch.y_support[b], steps, rate, loss,
                        first_order, head_only)
        query = [loss(functional_call(module, dict(zip(names, fast)), (batch.x_query[b],)), batch.y_query[b])
                 for fast in history[1:]]
        total = total + sum(w * q for w, q in zip(weights, query))
    return total / batch.x_support.shape[0]


def meta_gradient(module, leaves: Sequence[Tensor], n_weights: int, batch, steps: int, rate: Rate, loss: Loss,
                  **options) -> list[Tensor]:
    value = meta_loss(module, leaves[:n_weights], batch, steps, rate, loss, **options)
    return list(torch.autograd.grad(value, list(leaves)))


def reptile_direction(module, params, batch, steps, lr, loss: Loss) -> list[Tensor]:
    names = [n for n, _ in module.named_parameters()]
    theta = [p.detach().clone().requires_grad_() for p in params]
    total = [torch.zeros_like(p) for p in theta]
    for b in range(batch.x_support.shape[0]):
        last = adapt(module, names, theta, batch.x_support[b], batch.y_support[b], steps, lambda s, i: lr, loss,
                     True, False)[-1]
        for t, phi in zip(total, last):
            t += phi.detach()
    return [t.detach() - s / batch.x_support.shape[0] for t, s in zip(theta, total)]
