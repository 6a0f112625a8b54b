"""How the engine runs a model: the generic functional path, or the hand-written MLP/MSE fast path.

Every algorithm talks to a :class:`ModelBackend`: initialise parameters, predict, run the
inner loop, name tensors for files. :func:`backend_for` picks one from a model spec and a
task kind:

- an :class:`~maml_gui.core.models.MLPSpec` on regression gets :class:`FastMLPRegression`,
  whose inner-loop gradient of the MSE is written out by hand (``models.loss_and_grads``);
- everything else (Conv-4, any classifier) gets :class:`FunctionalBackend`: the model as a
  ``torch.nn.Module`` driven by ``torch.func`` (``functional_call`` under ``vmap``) with
  autograd gradients. ``generic=True`` forces it for the MLP too (tests check the two agree).

Parameters are kept in the backend's own layout (the fast path stores MLP weights ``[in, out]``,
the functional path PyTorch's ``[out, in]``); :meth:`ModelBackend.to_named` gives PyTorch's
named layout for files, the same for both.
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from functools import lru_cache
from typing import Sequence, Union

import torch
from torch import Tensor, nn

from . import models
from .adaptation import InnerLoopResult, InnerRates, inner_loop
from .conv_models import Conv4, Conv4Spec
from .functional_adaptation import functional_inner_loop
from .functional_model import Conv4Model, FunctionalModel
from .task_kinds import REGRESSION, TaskKind, task_kind

ModelSpec = Union[models.MLPSpec, Conv4Spec]
ACTIVATION_BUDGET = 6e7  # floats of one layer's activations in evaluation (about 240 MB in float32)
CPU_TRAINING_BUDGET = 2e6  # floats of the first block's activations per meta-gradient chunk on a CPU (8 MB)


class ModelBackend(ABC):
    """A model spec plus a task kind, with everything the algorithms need from them."""

    head_count = 2  # the last layer's weight and bias: what ANIL adapts

    def __init__(self, spec: ModelSpec, kind: TaskKind) -> None:
        self.spec = spec
        self.kind = kind

    @abstractmethod
    def initial_parameters(self, generator: torch.Generator | None = None, device="cpu") -> list[Tensor]:
        """Freshly initialised, shared parameters drawn from ``generator``."""

    @abstractmethod
    def forward(self, params: Sequence[Tensor], x: Tensor) -> Tensor:
        """Outputs ``[B, N, ...]`` for inputs ``[B, N, *input]``; params shared or per task."""

    @abstractmethod
    def inner_loop(self, params: Sequence[Tensor], x_support: Tensor, y_support: Tensor, steps: int,
                   rates: InnerRates, *, first_order: bool = True, head_only: bool = False,
                   x_query: Tensor | None = None, query_steps: Sequence[int] = (),
                   keep_params: bool = False) -> InnerLoopResult:
        """Adapt to every task's support set at once (see ``adaptation.inner_loop``)."""

    @abstractmethod
    def parameter_names(self) -> list[str]:
        """PyTorch-layout names of the parameters, in order."""

    @abstractmethod
    def to_named(self, params: Sequence[Tensor]) -> dict[str, Tensor]:
        """Shared parameters (or tensors shaped like them) as PyTorch-layout named tensors."""

    @abstractmethod
    def from_named(self, named: dict[str, Tensor]) -> list[Tensor]:
        """Inverse of :meth:`to_named`; ValueError on a missing name or a wrong shape."""

    def evaluation_chunk(self, batch) -> int:
        """Tasks adapted at once in evaluation: bounds the memory of the activations."""
        return 512

    def meta_batch_chunk(self, batch) -> int:
        """Tasks whose meta-gradient is computed at once in training (the rest follow in further
        chunks of this size, their gradients summed): the whole meta-batch unless that is slow."""
        return batch.size

    def task_loss(self, outputs: Tensor, targets: Tensor) -> Tensor:
        return self.kind.task_loss(outputs, targets)

    def task_metric(self, outputs: Tensor, targets: Tensor) -> Tensor:
        return self.kind.task_metric(outputs, targets)


class FastMLPRegression(ModelBackend):
    """The MLP with the hand-written MSE gradient: the regression fast path."""

    def evaluation_chunk(self, batch) -> int:
        """About 10k points (support + query) at once: the activations stay in the CPU's caches
        (200 validation tasks x 110 points ran in 2 chunks in about half the time of 1, measured)."""
        points = batch.x_support.shape[1] + batch.x_query.shape[1]
        return max(1, min(4096, 10_000 // points))

    def initial_parameters(self, generator=None, device="cpu") -> list[Tensor]:
        return models.init_parameters(self.spec, generator, device)

    def forward(self, params, x) -> Tensor:
        return models.forward(self.spec, params, x)

    def inner_loop(self, params, x_support, y_support, steps, rates, *, first_order=True, head_only=False,
                   x_query=None, query_steps=(), keep_params=False) -> InnerLoopResult:
        return inner_loop(self.spec, params, x_support, y_support, steps, rates, first_order=first_order,
                          head_only=head_only, x_query=x_query, query_steps=query_steps, keep_params=keep_params)

    def parameter_names(self) -> list[str]:
        return self.spec.parameter_names()

    def to_named(self, params) -> dict[str, Tensor]:
        return models.to_torch_layout(self.spec, params)

    def from_named(self, named) -> list[Tensor]:
        return models.from_torch_layout(self.spec, named)


class MLPModule(nn.Module):
    """The MLP as a module whose parameter names match ``MLPSpec.parameter_names()``."""

    def __init__(self, spec: models.MLPSpec) -> None:
        super().__init__()
        self.layers = models.build_torch_module(spec)

    def forward(self, x: Tensor) -> Tensor:
        return self.layers(x)


def build_module(spec: ModelSpec) -> nn.Module:
    """A plain ``nn.Module`` for ``spec`` (default-initialised)."""
    if isinstance(spec, models.MLPSpec):
        return MLPModule(spec)
    if isinstance(spec, Conv4Spec):
        return Conv4(spec)
    raise TypeError(f"no module for {type(spec).__name__}")


class FunctionalBackend(ModelBackend):
    """Any model as an ``nn.Module`` driven by ``torch.func``; any task kind.

    Conv-4 runs the meta-batch as grouped convolutions (``Conv4Model``) unless ``vmapped``,
    which keeps the plain ``functional_call`` under ``vmap`` (tests check they agree)."""

    def __init__(self, spec: ModelSpec, kind: TaskKind, vmapped: bool = False) -> None:
        super().__init__(spec, kind)
        model_class = Conv4Model if isinstance(spec, Conv4Spec) and not vmapped else FunctionalModel
        self.model = model_class(build_module(spec), head_count=self.head_count)

    def evaluation_chunk(self, batch) -> int:
        if not isinstance(self.spec, Conv4Spec):
            return 512
        if batch.x_support.device.type == "cpu":  # no graph is kept: twice the training chunk
            return self._tasks_within(batch, 2 * CPU_TRAINING_BUDGET)
        images = batch.x_support.shape[1] + batch.x_query.shape[1]  # first block: filters x side^2 floats each
        return max(1, int(ACTIVATION_BUDGET // (images * self.spec.filters * self.spec.image_size ** 2)))

    def meta_batch_chunk(self, batch) -> int:
        """Conv-4 on a CPU: chunks of about 8 MB of first-block activations. oneDNN's plain
        convolutions beat its grouped ones, and a whole meta-batch's activations leave the caches,
        so a chunk of one task of glyphs-5way-1shot (64 filters) and the whole meta-batch of a
        small Conv-4 are each the fastest there (benchmarks/conv_meta_train_speed.py --chunk;
        README, Speed). A GPU takes the whole meta-batch at once."""
        if not isinstance(self.spec, Conv4Spec) or batch.x_support.device.type != "cpu":
            return batch.size
        return self._tasks_within(batch, CPU_TRAINING_BUDGET)

    def _tasks_within(self, batch, floats: float) -> int:
        """Tasks whose first-block activations (images x filters x side^2) fit in ``floats``."""
        images = batch.x_support.shape[1] + batch.x_query.shape[1]
        side = -(-self.spec.image_size // 2) if self.spec.strided else self.spec.image_size
        return max(1, min(batch.size, int(floats // (images * self.spec.filters * side * side))))

    def initial_parameters(self, generator=None, device="cpu") -> list[Tensor]:
        if isinstance(self.spec, models.MLPSpec):  # the same draws as the fast path
            return self.from_named(models.to_torch_layout(self.spec, models.init_parameters(self.spec, generator)))
        return self.model.initial_parameters(generator, device)

    def forward(self, params, x) -> Tensor:
        return self.model.forward(params, x)

    def inner_loop(self, params, x_support, y_support, steps, rates, *, first_order=True, head_only=False,
                   x_query=None, query_steps=(), keep_params=False) -> InnerLoopResult:
        return functional_inner_loop(self.model, params, x_support, y_support, steps, rates, self.task_loss,
                                     first_order=first_order, head_only=head_only, x_query=x_query,
                                     query_steps=query_steps, keep_params=keep_params)

    def parameter_names(self) -> list[str]:
        return list(self.model.names)

    def to_named(self, params) -> dict[str, Tensor]:
        return {name: p.contiguous() for name, p in zip(self.model.names, params)}

    def from_named(self, named) -> list[Tensor]:
        params = []
        for name, shape in zip(self.model.names, self.model.shapes):
            if name not in named:
                raise ValueError(f"missing tensor {name!r}")
            if tuple(named[name].shape) != shape:
                raise ValueError(f"tensor {name!r} has shape {tuple(named[name].shape)}, expected {shape}")
            params.append(named[name].contiguous())
        return params


def uses_fast_path(spec: ModelSpec, kind: TaskKind | str) -> bool:
    """The hand-written path serves the MLP on regression; everything else is generic."""
    name = kind if isinstance(kind, str) else kind.name
    return isinstance(spec, models.MLPSpec) and name == REGRESSION.name


@lru_cache(maxsize=32)
def _backend(spec: ModelSpec, kind_name: str, generic: bool, thread: int) -> ModelBackend:
    kind = task_kind(kind_name)
    if not generic and uses_fast_path(spec, kind):
        return FastMLPRegression(spec, kind)
    return FunctionalBackend(spec, kind, vmapped=generic)


def backend_for(spec: ModelSpec, kind: TaskKind | str = "regression", *, generic: bool = False) -> ModelBackend:
    """The backend for ``spec`` on ``kind``: the fast path where one exists (the hand-written MLP/MSE
    gradient; Conv-4 as grouped convolutions), unless ``generic`` (``functional_call`` under ``vmap``).

    Each thread gets its own: ``functional_call`` swaps the parameters into the module for the
    call, so two threads on one module (training and the playground) would use each other's."""
    return _backend(spec, kind if isinstance(kind, str) else kind.name, generic, threading.get_ident())
