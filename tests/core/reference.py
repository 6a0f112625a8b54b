"""Slow, obviously-correct reference implementations of the meta-gradients, for tests.

Everything here loops over tasks one at a time and runs a plain ``nn.Sequential`` (from
``models.build_torch_module``) through ``torch.func.functional_call``; inner-loop gradients
come from ``torch.autograd.grad`` (``create_graph`` for second order). The engine's batched,
hand-differentiated code must agree with these on a fixed batch.

Parameters are passed in the engine's internal layout (weights ``[in, out]``) and turned
into PyTorch's layout (``[out, in]``) inside the graph, so gradients come back in the
engine's layout and can be compared with ``p.grad`` directly.
"""

from __future__ import annotations

from typing import Callable, Sequence

import torch
from torch import Tensor
from torch.func import functional_call

from maml_gui.core.models import MLPSpec, build_torch_module

Rate = Callable[[int, int], "Tensor | float"]  # (step, parameter index) -> step size


def constant_rate(lr: float) -> Rate:
    return lambda step, index: lr


def per_parameter_rate(rates: Sequence[Tensor]) -> Rate:
    """Meta-SGD: one learned rate per weight entry, shaped like the parameter."""
    return lambda step, index: rates[index]


def per_step_rate(table: Tensor) -> Rate:
    """MAML++ LSLR: ``table[step, tensor]``; steps past the last row reuse the last row."""
    return lambda step, index: table[min(step, table.shape[0] - 1), index]


def torch_layout(spec: MLPSpec, params: Sequence[Tensor]) -> dict[str, Tensor]:
    """Internal ``[in, out]`` weights as the ``nn.Sequential``'s named ``[out, in]`` tensors."""
    names = [name.removeprefix("layers.") for name in spec.parameter_names()]
    return {name: (p.t() if p.dim() == 2 else p) for name, p in zip(names, params)}


def predict(module: torch.nn.Module, spec: MLPSpec, params: Sequence[Tensor], x: Tensor) -> Tensor:
    return functional_call(module, torch_layout(spec, params), (x,))


def mse(prediction: Tensor, target: Tensor) -> Tensor:
    return (prediction - target).pow(2).mean()


def reference_module(spec: MLPSpec) -> torch.nn.Module:
    return build_torch_module(spec).to(torch.get_default_dtype())


def adapt_one_task(module, spec: MLPSpec, params: Sequence[Tensor], x: Tensor, y: Tensor, steps: int, rate: Rate,
                   first_order: bool, head_only: bool = False) -> list[list[Tensor]]:
    """Fast weights after 0..steps SGD steps on one task's support set (a list per step)."""
    fast = list(params)
    adapted = list(range(len(params) - 2, len(params))) if head_only else list(range(len(params)))
    history = [fast]
    for step in range(steps):
        loss = mse(predict(module, spec, fast, x), y)
        grads = torch.autograd.grad(loss, [fast[i] for i in adapted], create_graph=not first_order)
        fast = list(fast)
        for i, g in zip(adapted, grads):
            fast[i] = fast[i] - rate(step, i) * g
        history.append(fast)
    return history


def gradient_meta_loss(spec: MLPSpec, params: Sequence[Tensor], batch, steps: int, rate: Rate, *,
                       first_order: bool = False, head_only: bool = False,
                       step_weights: Sequence[float] | None = None) -> tuple[Tensor, Tensor, Tensor]:
    """(meta-loss, mean support loss before adaptation, mean query loss after the last step).

    The meta-loss is the mean over tasks of ``sum_s step_weights[s] * query_loss(step s + 1)``
    (default: the last step only), the objective of MAML, FOMAML, ANIL, Meta-SGD and MAML++.
    """
    module = reference_module(spec)
    weights = list(step_weights) if step_weights is not None else [0.0] * (steps - 1) + [1.0]
    meta, before, after = 0.0, 0.0, 0.0
    for b in range(batch.size):
        xs, ys, xq, yq = batch.x_support[b], batch.y_support[b], batch.x_query[b], batch.y_query[b]
        history = adapt_one_task(module, spec, params, xs, ys, steps, rate, first_order, head_only)
        query_losses = [mse(predict(module, spec, fast, xq), yq) for fast in history[1:]]
        meta = meta + sum(w * loss for w, loss in zip(weights, query_losses))
        before = before + mse(predict(module, spec, params, xs), ys).detach()
        after = after + query_losses[-1].detach()
    return meta / batch.size, before / batch.size, after / batch.size


def reference_meta_gradient(spec: MLPSpec, leaves: Sequence[Tensor], batch, steps: int, rate: Rate,
                            **options) -> list[Tensor]:
    """Gradient of :func:`gradient_meta_loss` w.r.t. ``leaves`` (weights first, then any rates).

    ``leaves[:len(weights)]`` are the weights; the rate callable should close over the rest.
    """
    n_weights = 2 * spec.layer_count
    meta, _, _ = gradient_meta_loss(spec, leaves[:n_weights], batch, steps, rate, **options)
    return list(torch.autograd.grad(meta, list(leaves), allow_unused=False))


def reptile_meta_gradient(spec: MLPSpec, params: Sequence[Tensor], batch, steps: int, lr: float) -> list[Tensor]:
    """Reptile's update direction ``theta - mean_tasks(phi_task)`` after ``steps`` SGD steps."""
    module = reference_module(spec)
    theta = [p.detach().clone().requires_grad_() for p in params]
    adapted_sum = [torch.zeros_like(p) for p in theta]
    for b in range(batch.size):
        history = adapt_one_task(module, spec, theta, batch.x_support[b], batch.y_support[b], steps,
                                 constant_rate(lr), first_order=True)
        for total, phi in zip(adapted_sum, history[-1]):
            total += phi.detach()
    return [t.detach() - s / batch.size for t, s in zip(theta, adapted_sum)]
