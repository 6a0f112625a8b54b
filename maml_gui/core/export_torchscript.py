"""A self-contained TorchScript module: the meta-learned initialisation plus its inner loop.

The scripted :class:`AdaptableMLP` needs nothing but torch once saved. ``forward(x)`` is the
meta-learned initialisation; ``adapt(x_support, y_support, x_query, steps, lr)`` runs the
same first-order inner loop as :func:`maml_gui.core.adaptation.inner_loop` (plain gradient
descent on each task's mean squared error over its support points) and returns the
predictions on ``x_query`` after ``steps`` steps. The gradient of the MSE is written out by
hand, as in :func:`maml_gui.core.models.loss_and_grads`, so ``adapt`` also works under
``torch.no_grad()`` / ``torch.inference_mode()`` and needs no autograd at all.

Weights are parameters in PyTorch's ``nn.Linear`` layout (``layers.i.weight`` is
``[out, in]``); learned inner rates are buffers (``layers.i.weight_lr`` for Meta-SGD,
``per_step_lr`` ``[steps, tensors]`` for MAML++ LSLR).
"""

from __future__ import annotations

from typing import List

import torch
from torch import Tensor, nn

from .snapshot import ModelSnapshot

RATES_FIXED, RATES_PER_PARAMETER, RATES_PER_STEP = 0, 1, 2  # AdaptableMLP.rate_mode (literals in script)


def activate(name: str, z: Tensor) -> Tensor:
    """The hidden activation ``name`` (relu, tanh, gelu, silu), compiled into every exported module."""
    if name == "relu":
        return torch.relu(z)
    if name == "tanh":
        return torch.tanh(z)
    if name == "gelu":
        return torch.nn.functional.gelu(z)
    return torch.nn.functional.silu(z)


class LinearLayer(nn.Module):
    """One layer's weight ``[out, in]`` and bias, with Meta-SGD rates of the same shapes (or empty)."""

    def __init__(self, weight: Tensor, bias: Tensor, weight_lr: Tensor, bias_lr: Tensor) -> None:
        super().__init__()
        self.weight = nn.Parameter(weight.detach().clone().float())
        self.bias = nn.Parameter(bias.detach().clone().float())
        self.register_buffer("weight_lr", weight_lr.detach().clone().float())
        self.register_buffer("bias_lr", bias_lr.detach().clone().float())


class AdaptableMLP(nn.Module):
    """MLP regressor with ``forward`` (the initialisation) and ``adapt`` (the inner loop)."""

    def __init__(self, layers: List[LinearLayer], activation: str, head_only: bool, rate_mode: int,
                 inner_lr: float, per_step_lr: Tensor, algorithm: str, iteration: int) -> None:
        super().__init__()
        self.layers = nn.ModuleList(layers)
        self.layer_count = len(layers)
        self.activation = activation
        self.head_only = head_only
        self.rate_mode = rate_mode
        self.inner_lr = inner_lr
        self.algorithm = algorithm
        self.iteration = iteration
        self.register_buffer("per_step_lr", per_step_lr.detach().clone().float())

    # -- activations --------------------------------------------------------------------
    def _act_grad(self, z: Tensor, h: Tensor) -> Tensor:
        if self.activation == "relu":
            return (z > 0).to(z.dtype)
        if self.activation == "tanh":
            return 1.0 - h * h
        if self.activation == "gelu":
            cdf = 0.5 * (1.0 + torch.erf(z * 0.7071067811865476))  # 1/sqrt(2)
            return cdf + z * torch.exp(-0.5 * z * z) * 0.3989422804014327  # 1/sqrt(2 pi)
        s = torch.sigmoid(z)
        return s * (1.0 + z * (1.0 - s))

    # -- the initialisation ---------------------------------------------------------------
    def forward(self, x: Tensor) -> Tensor:
        """Predictions of the meta-learned initialisation; ``x`` is ``[N, 1]``, ``[B, N, 1]`` or ``[N]``."""
        flat = x.dim() == 1
        h = x.to(torch.float32)
        if flat:
            h = h.unsqueeze(-1)
        index = 0
        for layer in self.layers:
            h = torch.nn.functional.linear(h, layer.weight, layer.bias)
            if index < self.layer_count - 1:
                h = activate(self.activation, h)
            index += 1
        if flat:
            h = h.squeeze(-1)
        return h

    # -- the inner loop -------------------------------------------------------------------
    def _as_batch(self, x: Tensor, name: str) -> Tensor:
        x = x.to(torch.float32)
        if x.dim() == 1:
            return x.reshape(1, -1, 1)
        if x.dim() == 2:
            return x.unsqueeze(0)
        if x.dim() == 3:
            return x
        raise ValueError("adapt: " + name + " must be [N], [N, features] or [tasks, N, features]")

    def _initial_parameters(self) -> List[Tensor]:
        """Detached weights in the engine's internal layout: ``[W0 [in, out], b0, W1, b1, ...]``."""
        params: List[Tensor] = []
        for layer in self.layers:
            params.append(layer.weight.detach().t())
            params.append(layer.bias.detach())
        return params

    def _per_parameter_rates(self) -> List[Tensor]:
        rates: List[Tensor] = []
        for layer in self.layers:
            rates.append(layer.weight_lr.t())
            rates.append(layer.bias_lr)
        return rates

    def _forward_batched(self, params: List[Tensor], x: Tensor) -> Tensor:
        """Per-task parameters (``[B, in, out]``, ``[B, 1, out]``) applied to ``x`` ``[B, N, in]``."""
        h = x
        count = len(params) // 2
        for i in range(count):
            h = torch.baddbmm(params[2 * i + 1], h, params[2 * i])
            if i < count - 1:
                h = activate(self.activation, h)
        return h

    def _mse_gradients(self, params: List[Tensor], x: Tensor, y: Tensor) -> List[Tensor]:
        """Gradient of each task's mean squared error, per task (as models.loss_and_grads)."""
        count = len(params) // 2
        hs: List[Tensor] = [x]
        zs: List[Tensor] = []
        h = x
        for i in range(count):
            z = torch.baddbmm(params[2 * i + 1], h, params[2 * i])
            if i < count - 1:
                zs.append(z)
                h = activate(self.activation, z)
                hs.append(h)
            else:
                h = z
        residual = h - y
        delta = residual * (2.0 / float(residual.size(1) * residual.size(2)))
        grads: List[Tensor] = [delta for _ in range(len(params))]
        for i in range(count - 1, -1, -1):
            grads[2 * i] = torch.bmm(hs[i].transpose(1, 2), delta)
            grads[2 * i + 1] = delta.sum(1, keepdim=True)
            if i > 0:
                delta = torch.bmm(delta, params[2 * i].transpose(1, 2)) * self._act_grad(zs[i - 1], hs[i])
        return grads

    def _step(self, params: List[Tensor], grads: List[Tensor], step: int, lr: float) -> List[Tensor]:
        count = len(params)
        updated: List[Tensor] = []
        if lr > 0.0 or self.rate_mode == 0:
            rate = lr if lr > 0.0 else self.inner_lr
            for j in range(count):
                updated.append(params[j] - rate * grads[j])
        elif self.rate_mode == 1:
            rates = self._per_parameter_rates()
            offset = len(rates) - count
            for j in range(count):
                updated.append(params[j] - rates[offset + j] * grads[j])
        else:
            row = self.per_step_lr[min(step, self.per_step_lr.size(0) - 1)]
            offset = row.size(0) - count
            for j in range(count):
                updated.append(params[j] - row[offset + j] * grads[j])
        return updated

    @torch.jit.export
    def adapt(self, x_support: Tensor, y_support: Tensor, x_query: Tensor, steps: int, lr: float = 0.0) -> Tensor:
        """Predictions on ``x_query`` after ``steps`` inner steps on the support points.

        ``lr`` > 0 is a fixed step size; otherwise the learned rates (Meta-SGD, MAML++ LSLR)
        or the training inner learning rate. Inputs ``[N]``, ``[N, 1]`` or ``[B, N, 1]``; the
        result has the query's shape (``[B, Q, 1]`` when several tasks are adapted at once).
        """
        if steps < 0:
            raise ValueError("adapt: steps must be >= 0")
        query_dim = x_query.dim()
        xs = self._as_batch(x_support, "x_support")
        ys = self._as_batch(y_support, "y_support")
        xq = self._as_batch(x_query, "x_query")
        if xs.size(0) != ys.size(0) or xs.size(1) != ys.size(1):
            raise ValueError("adapt: x_support and y_support hold different numbers of points")
        tasks = max(xs.size(0), xq.size(0))
        if (xs.size(0) != tasks and xs.size(0) != 1) or (xq.size(0) != tasks and xq.size(0) != 1):
            raise ValueError("adapt: support and query sets have different numbers of tasks")
        xs = xs.expand(tasks, -1, -1)
        ys = ys.expand(tasks, -1, -1)
        xq = xq.expand(tasks, -1, -1)
        params = self._initial_parameters()
        trainable = params
        if self.head_only:  # ANIL: the body is frozen, only the last layer adapts
            body = params[:-2]
            trainable = params[-2:]
            for i in range(len(body) // 2):
                xs = activate(self.activation, torch.matmul(xs, body[2 * i]) + body[2 * i + 1])
                xq = activate(self.activation, torch.matmul(xq, body[2 * i]) + body[2 * i + 1])
        batched: List[Tensor] = []
        for p in trainable:
            if p.dim() == 2:
                batched.append(p.unsqueeze(0).expand(tasks, p.size(0), p.size(1)))
            else:
                batched.append(p.reshape(1, 1, -1).expand(tasks, 1, p.size(0)))
        if xs.size(1) > 0:
            for step in range(steps):
                grads = self._mse_gradients(batched, xs, ys)
                batched = self._step(batched, grads, step, lr)
        prediction = self._forward_batched(batched, xq)
        if tasks == 1 and query_dim == 2:
            return prediction[0]
        if tasks == 1 and query_dim == 1:
            return prediction.reshape(-1)
        return prediction


def build_adaptable_module(snapshot: ModelSnapshot) -> AdaptableMLP:
    """An (unscripted) :class:`AdaptableMLP` holding the snapshot's weights and inner rates."""
    params = list(snapshot.params)
    per_parameter = snapshot.rates.per_parameter
    empty = torch.zeros(0)
    layers = []
    for i in range(len(params) // 2):
        weight_lr = per_parameter[2 * i].t() if per_parameter is not None else empty
        bias_lr = per_parameter[2 * i + 1] if per_parameter is not None else empty
        layers.append(LinearLayer(params[2 * i].t(), params[2 * i + 1], weight_lr, bias_lr))
    if per_parameter is not None:
        mode, per_step = RATES_PER_PARAMETER, torch.zeros(0, len(params))
    elif snapshot.rates.per_step is not None:
        mode, per_step = RATES_PER_STEP, snapshot.rates.per_step
    else:
        mode, per_step = RATES_FIXED, torch.zeros(0, len(params))
    return AdaptableMLP(layers, snapshot.spec.activation, bool(snapshot.head_only), mode,
                        float(snapshot.rates.base), per_step, snapshot.algorithm, int(snapshot.iteration))


def script_snapshot(snapshot: ModelSnapshot) -> torch.jit.ScriptModule:
    """The snapshot as a scripted module (``torch.jit.script``), ready for ``torch.jit.save``."""
    module = build_adaptable_module(snapshot)
    module.eval()
    return torch.jit.script(module)
