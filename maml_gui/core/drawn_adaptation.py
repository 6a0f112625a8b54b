"""What the image playground shows, computed from one frozen request (no Qt; runs on a worker).

Both views adapt through the engine's own inner loop (:meth:`ModelSnapshot.adapt`, the same
``functional_inner_loop`` that meta-training runs) and report class probabilities after
0..S steps:

- :func:`adapt_drawn_task`: a hand-drawn task (support drawings per class, test drawings);
- :func:`adapt_sampled_task`: a task sampled from the training family (support and query images
  with their true labels), adding accuracy per step.

The test or query images form one batch, as the query sets did in meta-training: Conv-4's
batch norm is transductive, so it normalises them together.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor

from .drawn_task import DrawnTask
from .snapshot import ModelSnapshot
from .stroke_raster import DrawingStyle


@dataclass(frozen=True)
class DrawnRequest:
    """Adapt ``snapshot`` to ``task`` (rendered with ``style``) for ``steps`` steps at ``lr``
    (None: the snapshot's own rates)."""

    request_id: int
    snapshot: ModelSnapshot | None
    task: DrawnTask
    style: DrawingStyle
    steps: int
    lr: float | None = None


SampledBatch = tuple  # (x_support [N*K, C, H, W], y_support [N*K], x_query [M, C, H, W], y_query [M])


@dataclass(frozen=True)
class SampledRequest:
    """Adapt ``snapshot`` to one task of unseen classes: ``batch``, or (``batch`` None) a new one
    sampled here, off the UI thread, from ``task_config``'s family (test split; a folder family is
    decoded on first use) with ``queries`` per class, seeded by ``seed``."""

    request_id: int
    snapshot: ModelSnapshot | None
    steps: int
    lr: float | None = None
    batch: SampledBatch | None = None
    task_config: object = None   # a TaskConfig
    queries: int = 2
    seed: int = 0


@dataclass(frozen=True)
class ClassProbabilities:
    """``probabilities[s, t, n]``: after s inner steps, test image t is class n (rows sum to 1).

    ``tests`` are the indices (test slots or query images) the rows belong to; ``accuracy[s]``
    is filled when the true labels are known. ``error`` is one line when nothing could be shown.
    """

    request_id: int
    probabilities: np.ndarray | None = None
    tests: tuple[int, ...] = ()
    accuracy: np.ndarray | None = None
    error: str = ""
    compute_s: float = 0.0
    batch: SampledBatch | None = None   # the sampled task (SampledRequest)

    def predictions(self) -> np.ndarray | None:
        """``[S + 1, T]`` predicted class per step and test image."""
        return None if self.probabilities is None else self.probabilities.argmax(-1)


def check_model_fits(snapshot: ModelSnapshot | None, style: DrawingStyle, ways: int) -> str:
    """Why ``snapshot`` cannot classify ``ways`` classes of images drawn in ``style`` ("" when it can)."""
    if snapshot is None:
        return "Train or open an image classifier to see it adapt to your drawings."
    if snapshot.task_kind != "classification" or len(snapshot.input_shape) != 3:
        return "The current model is not an image classifier; draw once a Conv-4 classifier is trained or opened."
    if tuple(snapshot.input_shape) != style.input_shape:
        return f"the model reads images of {snapshot.input_shape}, the pad renders {style.input_shape}"
    outputs = snapshot.spec.outputs
    if ways > outputs:
        return f"the model has {outputs} outputs; draw at most {outputs} classes"
    return ""


def class_probabilities(snapshot: ModelSnapshot, x_support: Tensor, y_support: Tensor, x_query: Tensor,
                        steps: int, lr: float | None, ways: int) -> np.ndarray:
    """``[S + 1, Q, ways]`` softmax over the first ``ways`` logits after 0..S inner steps."""
    logits = snapshot.adapt(x_support, y_support, x_query, steps, lr)[:, 0]  # [S + 1, Q, outputs]
    return torch.softmax(logits[..., :ways].double(), dim=-1).numpy()


def adapt_drawn_task(request: DrawnRequest) -> ClassProbabilities:
    started = time.perf_counter()
    task = request.task
    problem = check_model_fits(request.snapshot, request.style, task.ways)
    if not problem and task.missing():
        n, k = task.missing()[0]
        problem = f"Draw every example first: class {n + 1}, example {k + 1} is still empty."
    if not problem and not task.drawn_tests():
        problem = "Now draw a test character to see how the model classifies it."
    if problem:
        return ClassProbabilities(request.request_id, error=problem)
    x_support, y_support, x_query = task.tensors(request.style)
    try:
        probabilities = class_probabilities(request.snapshot, x_support, y_support, x_query, request.steps,
                                            request.lr, task.ways)
    except (RuntimeError, ValueError) as err:  # e.g. out of memory
        return ClassProbabilities(request.request_id, error=f"adaptation failed: {str(err).splitlines()[0]}")
    return ClassProbabilities(request.request_id, probabilities, tuple(task.drawn_tests()),
                              compute_s=time.perf_counter() - started)


def sample_task(task_config, queries: int, seed: int) -> SampledBatch:
    """One task of the test classes of ``task_config``'s family; ValueError (one line) when it cannot."""
    from .tasks.classification import ClassificationSpec, build_classification_family

    c = task_config
    spec = ClassificationSpec(c.family, c.ways, c.shots, queries, c.image_size, c.channels, c.root, c.rotations,
                              c.split_seed)
    family = build_classification_family(spec)   # a decoded folder is kept for the next build
    batch = family.sample(1, c.ways, c.shots, queries, generator=torch.Generator().manual_seed(seed), split="test")
    return batch.x_support[0], batch.y_support[0], batch.x_query[0], batch.y_query[0]


def adapt_sampled_task(request: SampledRequest) -> ClassProbabilities:
    started = time.perf_counter()
    batch = request.batch
    if batch is None:
        try:
            batch = sample_task(request.task_config, request.queries, request.seed)
        except (ValueError, OSError) as err:
            return ClassProbabilities(request.request_id, error=f"cannot sample a task: {str(err).splitlines()[0]}")
    x_support, y_support, x_query, y_query = batch
    ways = int(y_support.max()) + 1 if y_support.numel() else 0
    style = DrawingStyle(image_size=x_support.shape[-1], channels=x_support.shape[-3])
    problem = check_model_fits(request.snapshot, style, ways)
    if problem:
        return ClassProbabilities(request.request_id, error=problem, batch=batch)
    try:
        probabilities = class_probabilities(request.snapshot, x_support, y_support, x_query, request.steps,
                                            request.lr, ways)
    except (RuntimeError, ValueError) as err:
        return ClassProbabilities(request.request_id, error=f"adaptation failed: {str(err).splitlines()[0]}",
                                  batch=batch)
    correct = probabilities.argmax(-1) == y_query.numpy()[None, :]
    return ClassProbabilities(request.request_id, probabilities, tuple(range(x_query.shape[0])),
                              correct.mean(axis=1), compute_s=time.perf_counter() - started, batch=batch)


def compute(request: DrawnRequest | SampledRequest) -> ClassProbabilities:
    """Either request (the worker's single entry point)."""
    if isinstance(request, SampledRequest):
        return adapt_sampled_task(request)
    return adapt_drawn_task(request)
