"""Will a config fit in memory? An estimate made before anything is allocated.

Second-order MAML keeps every inner step's graph: per task, per step, the adapted weights
and their gradients, and every layer's activations on the support and query points. The
estimate counts those (meta-batch × points × widths × inner steps, and meta-batch ×
parameters × inner steps), the fixed validation batch and its adaptation curve, and for
evaluation the whole test-task batch plus one chunk of adapted weights per inner step.
The factors are upper bounds checked with ``benchmarks/memory_estimate.py``: on five configs
from the paper model to 1-512-512-1 x 50 tasks x 3 steps and 200 tasks x 10 steps, the estimate
was 1.95x to 4.0x the measured peak (103-924 MiB measured). A config is refused when its estimate exceeds
:data:`USABLE_FRACTION` of the memory available now, with one line naming what to lower.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from .config import ConfigError

FLOAT_BYTES = 4
ACTIVATION_COPIES = 2  # per layer and point: pre-activation and activation (the graph keeps both)
WEIGHT_COPIES = 3  # per task and step: adapted weights, their gradient, the graph's saved operand
RUNTIME_BYTES = 160 * 2**20  # torch's own allocations at the first iteration (measured: 118 MiB, paper model)
USABLE_FRACTION = 0.75  # of MemAvailable (CPU) or of the free device memory (CUDA)
EVALUATION_CHUNK = 4096  # tasks adapted at once by core.evaluation (its CHUNK)


class ResourceError(ConfigError):
    """A config that cannot fit in memory here; ``str()`` is one line (a ConfigError, so every entry
    point that reports config errors reports it)."""


@dataclass(frozen=True)
class ModelShape:
    widths: tuple[int, ...]  # hidden sizes
    inputs: int = 1
    outputs: int = 1

    @property
    def sizes(self) -> tuple[int, ...]:
        return (self.inputs, *self.widths, self.outputs)

    @property
    def parameters(self) -> int:
        return sum((a + 1) * b for a, b in zip(self.sizes, self.sizes[1:]))

    @property
    def units(self) -> int:
        return sum(self.sizes[1:])


def adaptation_bytes(shape: ModelShape, tasks: int, points: int, steps: int, keep_graph: bool) -> int:
    """Bytes of ``tasks`` tasks adapted for ``steps`` steps on ``points`` points each."""
    per_step = tasks * (points * shape.units * ACTIVATION_COPIES + shape.parameters * WEIGHT_COPIES)
    held_steps = steps + 1 if keep_graph else 2
    return FLOAT_BYTES * per_step * held_steps


def model_shape(config) -> ModelShape:
    """The MLP of ``config``: 1 -> hidden -> 1 for regression; for classification, flattened images
    (or 2-D points, counted as images: an upper bound) -> hidden -> ways."""
    task = config.task
    if getattr(task, "kind", "regression") == "classification":
        return ModelShape(tuple(config.model.hidden), task.channels * task.image_size ** 2, task.ways)
    return ModelShape(tuple(config.model.hidden))


def points_per_task(task, shots: int, queries: int) -> int:
    return shots + queries if getattr(task, "kind", "regression") != "classification" else task.ways * (shots + queries)


def estimated(config) -> bool:
    """Conv-4 chunks its tasks by an activation budget itself; the estimate covers MLPs."""
    return getattr(config.model, "kind", "mlp") == "mlp"


def training_bytes(config) -> int:
    """Estimated peak bytes of meta-training ``config`` (an ExperimentConfig)."""
    t, task, shape = config.training, config.task, model_shape(config)
    points = points_per_task(task, task.shots, task.queries)
    keep_graph = t.algorithm in ("maml", "anil", "metasgd")
    train = adaptation_bytes(shape, t.meta_batch, points, t.inner_steps, keep_graph)
    if t.baseline:
        train += adaptation_bytes(shape, t.meta_batch, points, 0, False)
    return RUNTIME_BYTES + train + validation_bytes(config)


def validation_bytes(config) -> int:
    """The fixed validation batch and one adaptation curve of it (all steps, meta-model and baseline)."""
    t, task = config.training, config.task
    steps = max(config.evaluation.inner_steps, t.inner_steps)
    queries = config.evaluation.queries if getattr(task, "kind", "regression") != "classification" else task.queries
    points = points_per_task(task, task.shots, queries)
    return evaluation_bytes(model_shape(config), t.val_tasks, task.shots, points - task.shots, steps)


def evaluation_bytes(shape: ModelShape, tasks: int, shots: int, queries: int, steps: int) -> int:
    """Estimated peak bytes of evaluating ``tasks`` tasks after up to ``steps`` inner steps."""
    points = shots + queries
    batch = FLOAT_BYTES * tasks * points * 2 * 2  # x and y, sampled and kept
    curves = FLOAT_BYTES * tasks * queries * (steps + 1) * 2  # predictions per step, meta-model and baseline
    chunk = adaptation_bytes(shape, min(tasks, EVALUATION_CHUNK), points, steps, keep_graph=False)
    return batch + curves + chunk


def available_bytes(device=None) -> int | None:
    """Memory available now: free CUDA memory on a CUDA device, else MemAvailable (None if unknown)."""
    if device is not None and getattr(device, "type", str(device)) == "cuda":
        import torch

        try:
            return int(torch.cuda.mem_get_info(device)[0])
        except (RuntimeError, AssertionError):
            return None
    if getattr(device, "type", str(device)) == "mps":
        return None
    try:
        with open("/proc/meminfo", encoding="ascii") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def _size(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if n < 1024 or unit == "PiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} PiB"


def check_fits(needed: int, what: str, lower: str, device=None, available: int | None = None) -> None:
    """Raise ResourceError when ``needed`` bytes exceed the usable share of available memory."""
    available = available_bytes(device) if available is None else available
    if available is None:
        return
    usable = int(available * USABLE_FRACTION)
    if needed > usable:
        where = "GPU memory" if getattr(device, "type", "") == "cuda" else "memory"
        raise ResourceError(f"{what} needs about {_size(needed)} but only {_size(usable)} of {where} can be "
                            f"used here ({USABLE_FRACTION:.0%} of {_size(available)} available); lower {lower}")


def check_training_fits(config, device=None, available: int | None = None) -> None:
    lower = ("training.meta_batch, training.inner_steps, model.hidden, task.shots/queries "
             "or training.val_tasks/evaluation.queries")
    if estimated(config):
        check_fits(training_bytes(config), "meta-training this config", lower, device, available)


def check_evaluation_fits(config, tasks: int, shots: int, queries: int, steps: int, device=None,
                          available: int | None = None) -> None:
    if not estimated(config):
        return
    points = points_per_task(config.task, shots, queries)
    check_fits(evaluation_bytes(model_shape(config), tasks, shots, points - shots, steps),
               f"evaluating {tasks:,} tasks x {shots + queries:,} points over {steps} inner steps",
               "--tasks, --queries or --steps", device, available)
