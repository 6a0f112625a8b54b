"""Any ``torch.nn.Module`` driven functionally, for the whole meta-batch at once.

Parameters are a list of tensors in the module's ``named_parameters()`` order (PyTorch's own
layout). Each one is either *shared* (its natural shape: the meta-learned initialisation) or
*per task* (a leading task axis ``B``, after an inner step). :meth:`FunctionalModel.forward`
runs ``torch.func.functional_call`` under ``torch.func.vmap`` over the task axis, so layers
that look at the whole batch (batch norm) see one task's examples at a time, and shared and
per-task parameters mix freely (ANIL: shared body, per-task head).
"""

from __future__ import annotations

from typing import Sequence

import torch
from torch import Tensor, nn
from torch.func import functional_call, vmap


class FunctionalModel:
    """A module template plus the names and shapes of its parameters.

    ``head_count`` is how many of the last parameters form the head (a final ``nn.Linear``:
    weight and bias), the part ANIL adapts. The module's own parameter values are never used
    by :meth:`forward`; they only give names, shapes and (see :meth:`initial_parameters`) the
    module's default initialisation.
    """

    def __init__(self, module: nn.Module, head_count: int = 2) -> None:
        if list(module.buffers()):
            raise ValueError("functional models must not keep buffers (batch norm: use transductive statistics)")
        self.module = module
        named = list(module.named_parameters())
        self.names = [name for name, _ in named]
        self.shapes = [tuple(p.shape) for _, p in named]
        if not 0 < head_count <= len(named):
            raise ValueError(f"head_count {head_count} does not fit a module with {len(named)} parameters")
        self.head_count = head_count

    def is_per_task(self, index: int, tensor: Tensor) -> bool:
        return tensor.dim() == len(self.shapes[index]) + 1

    def initial_parameters(self, generator: torch.Generator | None = None, device="cpu") -> list[Tensor]:
        """The module's default initialisation (``reset_parameters``), seeded from ``generator``."""
        seed = int(torch.randint(0, 2 ** 62, (1,), generator=generator).item())
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            for layer in self.module.modules():
                if layer is not self.module and hasattr(layer, "reset_parameters"):
                    layer.reset_parameters()
            dtype = torch.get_default_dtype()
            return [p.detach().to(device=device, dtype=dtype, copy=True) for p in self.module.parameters()]

    def forward(self, params: Sequence[Tensor], x: Tensor) -> Tensor:
        """Outputs for ``x`` of shape ``[B, N, *input]``: ``[B, N, *output]``, one task per row."""
        dims = [0 if self.is_per_task(i, p) else None for i, p in enumerate(params)]
        names = self.names
        if x.shape[0] == 1:  # one task (the playground): the plain call, about 4x faster than vmap of one
            task_params = [p[0] if d == 0 else p for p, d in zip(params, dims)]
            return functional_call(self.module, dict(zip(names, task_params)), (x[0],)).unsqueeze(0)

        def one_task(task_params: list[Tensor], task_x: Tensor) -> Tensor:
            return functional_call(self.module, dict(zip(names, task_params)), (task_x,))

        return vmap(one_task, in_dims=(dims, 0))(list(params), x)

    def per_task(self, index: int, tensor: Tensor, tasks: int) -> Tensor:
        """``tensor`` with a task axis of size ``tasks`` (a broadcast view when it was shared)."""
        if self.is_per_task(index, tensor):
            return tensor
        return tensor.unsqueeze(0).expand(tasks, *tensor.shape)


class Conv4Model(FunctionalModel):
    """Conv-4 with the meta-batch as grouped convolutions (``conv_models.batched_forward``)
    instead of ``vmap``: the same function, faster."""

    def forward(self, params: Sequence[Tensor], x: Tensor) -> Tensor:
        from .conv_models import batched_forward

        per_task = [self.is_per_task(i, p) for i, p in enumerate(params)]
        return batched_forward(self.module.spec, params, x, per_task)
