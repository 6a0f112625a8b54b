"""A self-contained TorchScript classifier: the meta-learned initialisation plus its inner loop.

For the MLP classifier (2-D points) and Conv-4 (pooled or strided). Once saved, the scripted
:class:`AdaptableClassifier` needs nothing but torch:

- ``forward(x) -> logits``: the initialisation; ``x`` is one task's examples ``[N, *input]``
  or several tasks ``[B, N, *input]`` (``*input`` is ``[features]`` or ``[C, H, W]``).
- ``adapt(x_support, y_support, x_query, steps, lr) -> logits``: ``steps`` gradient steps of
  the cross-entropy on the support set (labels int64 0..N-1), then the logits on ``x_query``.
  ``lr`` > 0 is a fixed step size; otherwise the trained inner rate(s) (Meta-SGD, MAML++ LSLR).
  ANIL adapts the head only. Each task is adapted on its own.

Batch norm is transductive, as in training: ``F.batch_norm(training=True)`` with no running
statistics, so each call normalises with the statistics of the batch it is given (one task's
support set, or its query set). Gradients come from ``torch.autograd.grad`` on detached copies
of the weights with gradients switched on for the loop (and switched back after), so ``adapt``
works under ``torch.no_grad()``; under ``torch.inference_mode()`` it refuses (autograd cannot run).
"""

from __future__ import annotations

from typing import List, Optional

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .conv_models import BLOCKS, Conv4Spec
from .export_torchscript import RATES_FIXED, RATES_PER_PARAMETER, RATES_PER_STEP, LinearLayer, activate
from .snapshot import ModelSnapshot


class AdaptableClassifier(nn.Module):
    """Weights as ``body`` (MLP hidden layers or the 4 convs), ``norms`` (Conv-4's batch norms) and
    ``head``; the engine's parameter order is body, norms, head."""

    def __init__(self, body: List[LinearLayer], norms: List[LinearLayer], head: LinearLayer, conv: bool,
                 strided: bool, activation: str, input_dims: int, head_only: bool, rate_mode: int,
                 inner_lr: float, per_step_lr: Tensor, algorithm: str, iteration: int) -> None:
        super().__init__()
        self.body = nn.ModuleList(body)
        self.norms = nn.ModuleList(norms)
        self.head = head
        self.conv = conv
        self.strided = strided
        self.activation = activation
        self.input_dims = input_dims
        self.head_only = head_only
        self.rate_mode = rate_mode
        self.inner_lr = inner_lr
        self.algorithm = algorithm
        self.iteration = iteration
        self.register_buffer("per_step_lr", per_step_lr.detach().clone().float())

    def _parameters(self) -> List[Tensor]:
        params: List[Tensor] = []
        for layer in self.body:
            params.append(layer.weight.detach())
            params.append(layer.bias.detach())
        for layer in self.norms:
            params.append(layer.weight.detach())
            params.append(layer.bias.detach())
        params.append(self.head.weight.detach())
        params.append(self.head.bias.detach())
        return params

    def _rates(self) -> List[Tensor]:
        rates: List[Tensor] = []
        for layer in self.body:
            rates.append(layer.weight_lr)
            rates.append(layer.bias_lr)
        for layer in self.norms:
            rates.append(layer.weight_lr)
            rates.append(layer.bias_lr)
        rates.append(self.head.weight_lr)
        rates.append(self.head.bias_lr)
        return rates

    def _run(self, params: List[Tensor], x: Tensor) -> Tensor:
        """One task's logits ``[N, ways]`` for ``x`` ``[N, *input]``."""
        h = x
        count = len(self.body)
        if self.conv:
            stride = 2 if self.strided else 1
            for b in range(count):
                h = F.conv2d(h, params[2 * b], params[2 * b + 1], [stride, stride], [1, 1])
                h = F.batch_norm(h, None, None, params[2 * count + 2 * b], params[2 * count + 2 * b + 1],
                                 True, 0.0, 1e-5)
                h = torch.relu(h)
                if not self.strided:
                    h = F.max_pool2d(h, 2)
            h = h.mean([-2, -1]) if self.strided else h.flatten(1)
        else:
            for b in range(count):
                h = activate(self.activation, F.linear(h, params[2 * b], params[2 * b + 1]))
        return F.linear(h, params[-2], params[-1])

    def _tasks(self, x: Tensor, name: str) -> List[Tensor]:
        x = x.to(torch.float32)
        if x.dim() == self.input_dims + 1:
            return [x]
        if x.dim() == self.input_dims + 2:
            return list(x.unbind(0))
        raise ValueError("adapt: " + name + " must be [N, *input] or [tasks, N, *input] with input of "
                         + str(self.input_dims) + " dimension(s)")

    def forward(self, x: Tensor) -> Tensor:
        """Logits of the initialisation: ``[N, ways]`` or ``[B, N, ways]``, like ``x``."""
        params = self._parameters()
        tasks = self._tasks(x, "x")
        if x.dim() == self.input_dims + 1:
            return self._run(params, tasks[0])
        return torch.stack([self._run(params, t) for t in tasks])

    def _rate(self, step: int, index: int, count: int, lr: float) -> Tensor:
        if lr > 0.0 or self.rate_mode == 0:
            return torch.tensor(lr if lr > 0.0 else self.inner_lr)
        if self.rate_mode == 1:
            rates = self._rates()
            return rates[len(rates) - count + index]
        row = self.per_step_lr[min(step, self.per_step_lr.size(0) - 1)]
        return row[row.size(0) - count + index]

    def _adapt_task(self, xs: Tensor, ys: Tensor, xq: Tensor, steps: int, lr: float) -> Tensor:
        params = self._parameters()
        count = len(params)
        first = count - 2 if self.head_only else 0
        if xs.size(0) > 0 and steps > 0:
            previous = torch.is_grad_enabled()
            torch.set_grad_enabled(True)
            for step in range(steps):
                inputs: List[Tensor] = []
                for j in range(first, count):
                    params[j] = params[j].detach().requires_grad_(True)
                    inputs.append(params[j])
                loss = F.cross_entropy(self._run(params, xs), ys)
                if not loss.requires_grad:  # torch.inference_mode() records no graph, whatever the grad mode
                    torch.set_grad_enabled(previous)
                    raise ValueError("adapt: needs autograd; call it outside torch.inference_mode() "
                                     "(torch.no_grad() is fine)")
                grads = torch.autograd.grad([loss], inputs)
                for k in range(len(inputs)):
                    grad: Optional[Tensor] = grads[k]
                    assert grad is not None
                    params[first + k] = (params[first + k] - self._rate(step, first + k, count, lr) * grad).detach()
            torch.set_grad_enabled(previous)
        return self._run(params, xq).detach()

    @torch.jit.export
    def adapt(self, x_support: Tensor, y_support: Tensor, x_query: Tensor, steps: int, lr: float = 0.0) -> Tensor:
        """Logits on ``x_query`` after ``steps`` inner steps on the support set (labels int64 0..N-1).

        One task: ``[N, *input]``, labels ``[N]``, result ``[Q, ways]``. Several: ``[B, N, *input]``,
        labels ``[B, N]``, result ``[B, Q, ways]`` (a single support or query set is shared)."""
        if steps < 0:
            raise ValueError("adapt: steps must be >= 0")
        support = self._tasks(x_support, "x_support")
        query = self._tasks(x_query, "x_query")
        labels = y_support.to(torch.int64)
        if labels.dim() != x_support.dim() - self.input_dims:
            raise ValueError("adapt: y_support must be [N] (one task) or [tasks, N], like x_support")
        label_sets = [labels] if labels.dim() == 1 else list(labels.unbind(0))
        if labels.numel() > 0 and (int(labels.min()) < 0 or int(labels.max()) >= self.head.weight.size(0)):
            raise ValueError("adapt: labels must be 0.." + str(self.head.weight.size(0) - 1))
        tasks = max(len(support), len(query))
        if (len(support) != tasks and len(support) != 1) or (len(query) != tasks and len(query) != 1):
            raise ValueError("adapt: support and query sets have different numbers of tasks")
        results: List[Tensor] = []
        for t in range(tasks):
            s = 0 if len(support) == 1 else t
            xs = support[s]
            ys = label_sets[s]
            if xs.size(0) != ys.size(0):
                raise ValueError("adapt: x_support and y_support hold different numbers of examples")
            results.append(self._adapt_task(xs, ys, query[0 if len(query) == 1 else t], steps, lr))
        if x_support.dim() == self.input_dims + 1 and x_query.dim() == self.input_dims + 1:
            return results[0]
        return torch.stack(results)


def build_adaptable_classifier(snapshot: ModelSnapshot) -> AdaptableClassifier:
    """An (unscripted) :class:`AdaptableClassifier` with the snapshot's weights and inner rates."""
    params = list(snapshot.params)  # PyTorch layout, in named_parameters() order
    per_parameter = snapshot.rates.per_parameter
    if per_parameter is not None and len(per_parameter) != len(params):
        per_parameter = (None,) * (len(params) - len(per_parameter)) + tuple(per_parameter)
    empty = torch.zeros(0)
    pairs = []
    for i in range(len(params) // 2):
        rates = (per_parameter[2 * i], per_parameter[2 * i + 1]) if per_parameter is not None else (None, None)
        pairs.append(LinearLayer(params[2 * i], params[2 * i + 1],
                                 rates[0] if rates[0] is not None else empty, rates[1] if rates[1] is not None else empty))
    spec = snapshot.spec
    conv = isinstance(spec, Conv4Spec)
    body, norms = (pairs[:BLOCKS], pairs[BLOCKS:2 * BLOCKS]) if conv else (pairs[:-1], [])
    if per_parameter is not None:
        mode, per_step = RATES_PER_PARAMETER, torch.zeros(0, len(params))
    elif snapshot.rates.per_step is not None:
        mode, per_step = RATES_PER_STEP, snapshot.rates.per_step
    else:
        mode, per_step = RATES_FIXED, torch.zeros(0, len(params))
    return AdaptableClassifier(body, norms, pairs[-1], conv, bool(conv and spec.strided),
                               "relu" if conv else spec.activation, 3 if conv else 1, bool(snapshot.head_only),
                               mode, float(snapshot.rates.base), per_step, snapshot.algorithm, int(snapshot.iteration))


def conv4_layer_layout(spec: Conv4Spec) -> list[dict]:
    """Conv-4 as the layers a user rebuilds with plain torch, with the ``model.*`` tensor names."""
    layout: list[dict] = []
    for b in range(BLOCKS):
        layout.append({"type": "Conv2d", "in_channels": spec.channels if b == 0 else spec.filters,
                       "out_channels": spec.filters, "kernel_size": 3, "stride": 2 if spec.strided else 1,
                       "padding": 1, "weight": f"model.convs.{b}.weight", "bias": f"model.convs.{b}.bias"})
        layout.append({"type": "BatchNorm2d", "num_features": spec.filters, "eps": 1e-5,
                       "transductive": "F.batch_norm(x, None, None, weight, bias, training=True): the statistics "
                                       "of the batch given, at test time too; no running statistics",
                       "weight": f"model.norms.{b}.weight", "bias": f"model.norms.{b}.bias"})
        layout.append({"type": "ReLU"})
        if not spec.strided:
            layout.append({"type": "MaxPool2d", "kernel_size": 2})
    layout.append({"type": "SpatialMean", "dims": [-2, -1]} if spec.strided else {"type": "Flatten", "start_dim": 1})
    layout.append({"type": "Linear", "in_features": spec.feature_size, "out_features": spec.outputs,
                   "weight": "model.head.weight", "bias": "model.head.bias"})
    return layout


def conv4_architecture(spec: Conv4Spec) -> dict:
    return {"model_kind": "conv4", "input_shape": list(spec.input_shape), "filters": spec.filters,
            "strided": spec.strided, "outputs": spec.outputs}
