"""A functional MLP regressor whose parameters may carry a leading task axis.

Parameters are a flat list ``[W0, b0, W1, b1, ...]`` with weights stored as ``[in, out]``
(so a layer is ``h @ W + b``). Unbatched weights are ``[in, out]`` and biases ``[out]``;
batched (one copy per task) weights are ``[B, in, out]`` and biases ``[B, 1, out]``.
The gradient of the per-task MSE is written out by hand (:func:`loss_and_grads`) with
ordinary differentiable tensor ops, so differentiating through it gives exact
second-order MAML, in a few large batched matmuls instead of a double-backward graph.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Sequence

import torch
from torch import Tensor

from .choices import ACTIVATION_MODULES, ACTIVATIONS


Params = list[Tensor]


@dataclass(frozen=True)
class MLPSpec:
    """Architecture of the regressor: input size, hidden sizes, output size, activation."""

    hidden: tuple[int, ...] = (40, 40)
    activation: str = "relu"
    inputs: int = 1
    outputs: int = 1

    def __post_init__(self) -> None:
        if self.activation not in ACTIVATIONS:
            raise ValueError(f"unknown activation {self.activation!r}; allowed: {', '.join(ACTIVATIONS)}")

    @property
    def sizes(self) -> tuple[int, ...]:
        return (self.inputs, *self.hidden, self.outputs)

    @property
    def layer_count(self) -> int:
        return len(self.sizes) - 1

    def parameter_names(self) -> list[str]:
        """Names in PyTorch's ``nn.Sequential`` of Linear layers (activations in between)."""
        names = []
        for i in range(self.layer_count):
            names += [f"layers.{2 * i}.weight", f"layers.{2 * i}.bias"]
        return names

    def parameter_count(self) -> int:
        return sum((a + 1) * b for a, b in zip(self.sizes[:-1], self.sizes[1:]))

    def head(self) -> "MLPSpec":
        """The last layer alone, as a model on the body's features (used by ANIL)."""
        return MLPSpec(hidden=(), activation=self.activation, inputs=self.sizes[-2], outputs=self.outputs)


def init_parameters(spec: MLPSpec, generator: torch.Generator | None = None, device="cpu") -> Params:
    """PyTorch's default ``nn.Linear`` initialisation, drawn from ``generator``."""
    params: Params = []
    for fan_in, fan_out in zip(spec.sizes[:-1], spec.sizes[1:]):
        bound = 1.0 / math.sqrt(fan_in)
        for shape in ((fan_in, fan_out), (fan_out,)):
            u = torch.rand(shape, generator=generator, device=device)
            params.append((u * 2.0 - 1.0) * bound)
    return params


def _activation(name: str) -> tuple[Callable[[Tensor], Tensor], Callable[[Tensor, Tensor], Tensor]]:
    """(function, derivative(z, h)) where h = function(z). Derivatives stay differentiable."""
    if name == "relu":
        return torch.relu, lambda z, h: (z > 0).to(z.dtype)
    if name == "tanh":
        return torch.tanh, lambda z, h: 1.0 - h * h
    if name == "silu":
        def silu_grad(z: Tensor, h: Tensor) -> Tensor:
            s = torch.sigmoid(z)
            return s * (1.0 + z * (1.0 - s))
        return torch.nn.functional.silu, silu_grad
    if name == "gelu":
        inv_sqrt2 = 1.0 / math.sqrt(2.0)
        inv_sqrt2pi = 1.0 / math.sqrt(2.0 * math.pi)

        def gelu_grad(z: Tensor, h: Tensor) -> Tensor:
            cdf = 0.5 * (1.0 + torch.erf(z * inv_sqrt2))
            return cdf + z * torch.exp(-0.5 * z * z) * inv_sqrt2pi
        return torch.nn.functional.gelu, gelu_grad
    raise ValueError(f"unknown activation {name!r}")


def activation(name: str) -> Callable[[Tensor], Tensor]:
    """The activation function called ``name``."""
    return _activation(name)[0]


def _linear(h: Tensor, weight: Tensor, bias: Tensor) -> Tensor:
    if weight.dim() == 2:
        return torch.matmul(h, weight) + bias
    return torch.baddbmm(bias, h, weight)


def _transpose(weight: Tensor) -> Tensor:
    return weight.t() if weight.dim() == 2 else weight.transpose(1, 2)


def forward(spec: MLPSpec, params: Sequence[Tensor], x: Tensor) -> Tensor:
    """Predictions for ``x`` of shape ``[B, N, inputs]`` (or ``[N, inputs]`` with unbatched params)."""
    act, _ = _activation(spec.activation)
    h = x
    last = spec.layer_count - 1
    for i in range(spec.layer_count):
        h = _linear(h, params[2 * i], params[2 * i + 1])
        if i < last:
            h = act(h)
    return h


def task_mse(prediction: Tensor, target: Tensor) -> Tensor:
    """Mean squared error per task: ``[B, N, D] -> [B]``."""
    return (prediction - target).square().flatten(1).mean(1)


def loss_and_grads(spec: MLPSpec, params: Sequence[Tensor], x: Tensor, y: Tensor) -> tuple[Tensor, Params]:
    """Per-task MSE ``[B]`` and its gradient with respect to every parameter, per task.

    Gradients come back batched (``[B, in, out]`` and ``[B, 1, out]``) whatever the
    parameters' layout. They are built from differentiable ops, so autograd through them
    gives second-order terms; detach them for first-order methods.
    """
    act, act_grad = _activation(spec.activation)
    hs = [x]
    zs = []
    h = x
    last = spec.layer_count - 1
    for i in range(spec.layer_count):
        z = _linear(h, params[2 * i], params[2 * i + 1])
        if i < last:
            zs.append(z)
            h = act(z)
            hs.append(h)
        else:
            h = z
    residual = h - y
    loss = residual.square().flatten(1).mean(1)
    delta = residual * (2.0 / (residual.shape[1] * residual.shape[2]))
    grads: Params = [None] * len(params)  # type: ignore[list-item]
    for i in range(last, -1, -1):
        grads[2 * i] = torch.bmm(hs[i].transpose(1, 2), delta)
        grads[2 * i + 1] = delta.sum(1, keepdim=True)
        if i > 0:
            delta = torch.matmul(delta, _transpose(params[2 * i])) * act_grad(zs[i - 1], hs[i])
    return loss, grads


def to_torch_layout(spec: MLPSpec, params: Sequence[Tensor]) -> dict[str, Tensor]:
    """Unbatched parameters as an ``nn.Sequential`` state dict (weights ``[out, in]``)."""
    out = {}
    for name, p in zip(spec.parameter_names(), params):
        out[name] = p.t().contiguous() if p.dim() == 2 else p.contiguous()
    return out


def from_torch_layout(spec: MLPSpec, state: dict[str, Tensor]) -> Params:
    """Inverse of :func:`to_torch_layout`; checks names and shapes."""
    params: Params = []
    sizes = spec.sizes
    for i, name in enumerate(spec.parameter_names()):
        if name not in state:
            raise ValueError(f"missing tensor {name!r}")
        layer = i // 2
        fan_in, fan_out = sizes[layer], sizes[layer + 1]
        expected = (fan_out, fan_in) if i % 2 == 0 else (fan_out,)
        tensor = state[name]
        if tuple(tensor.shape) != expected:
            raise ValueError(f"tensor {name!r} has shape {tuple(tensor.shape)}, expected {expected}")
        params.append(tensor.t().contiguous() if i % 2 == 0 else tensor.contiguous())
    return params


def build_torch_module(spec: MLPSpec, params: Sequence[Tensor] | None = None) -> torch.nn.Sequential:
    """A plain ``nn.Sequential`` with the given (unbatched) parameters."""
    act_cls = getattr(torch.nn, ACTIVATION_MODULES[spec.activation])
    layers: list[torch.nn.Module] = []
    for i, (a, b) in enumerate(zip(spec.sizes[:-1], spec.sizes[1:])):
        layers.append(torch.nn.Linear(a, b))
        if i < spec.layer_count - 1:
            layers.append(act_cls())
    module = torch.nn.Sequential(*layers)
    if params is not None:
        state = {k.removeprefix("layers."): v for k, v in to_torch_layout(spec, params).items()}
        module.load_state_dict(state)
    return module
