"""Helpers every classification family shares: seeded draws, episode checks, label permutation, assembly.

Random numbers are drawn on the generator's device (CPU for a CPU generator) and then moved to
the target device, so a seed gives the same episodes whichever device the examples end up on.
"""

from __future__ import annotations

import torch
from torch import Tensor

from .base import ClassificationFamily, ClassificationTaskBatch


class RandomSource:
    """Seeded float32 / int64 draws from one ``torch.Generator``, returned on ``device``."""

    def __init__(self, generator: torch.Generator | None, device) -> None:
        self.generator = generator
        self.device = torch.device(device)
        self.draw_device = generator.device if generator is not None else self.device

    def uniform(self, *shape: int, low: float = 0.0, high: float = 1.0) -> Tensor:
        u = torch.rand(shape, generator=self.generator, device=self.draw_device, dtype=torch.float32)
        u = u.to(self.device)
        return low + (high - low) * u

    def normal(self, *shape: int, std: float = 1.0) -> Tensor:
        z = torch.randn(shape, generator=self.generator, device=self.draw_device, dtype=torch.float32)
        return std * z.to(self.device)

    def integers(self, high: int, *shape: int) -> Tensor:
        """int64 uniform in ``0..high-1``."""
        return torch.randint(0, high, shape, generator=self.generator, device=self.draw_device).to(self.device)

    def permutations(self, count: int, length: int) -> Tensor:
        """``count`` independent random permutations of ``0..length-1``: ``[count, length]`` int64."""
        return self.uniform(count, length).argsort(dim=1)

    def distinct(self, count: int, choose: int, pool: int) -> Tensor:
        """``count`` rows of ``choose`` distinct integers from ``0..pool-1`` (``[count, choose]``)."""
        return self.uniform(count, pool).topk(choose, dim=1).indices


def check_episode_sizes(meta_batch: int, ways: int, shots: int, queries: int) -> None:
    """Raise ValueError (one line) unless the episode sizes are usable."""
    for name, value, least in (("meta_batch", meta_batch, 1), ("ways", ways, 2), ("shots", shots, 1),
                               ("queries", queries, 0)):
        if not isinstance(value, int) or isinstance(value, bool) or value < least:
            raise ValueError(f"{name} must be an integer >= {least}, got {value!r}")


def check_split(split: str) -> None:
    if split not in ("train", "val", "test"):
        raise ValueError(f"unknown split {split!r}; allowed: train, val, test")


def assemble_episodes(support: Tensor, query: Tensor, labels: Tensor, family: ClassificationFamily,
                      slot_classes: Tensor | None = None) -> ClassificationTaskBatch:
    """Lay out per-class examples as support and query sets, class slot by class slot.

    ``support`` is ``[B, N, K, *input_shape]`` and ``query`` ``[B, N, Q, *input_shape]`` (class slot j
    of task b in row ``[b, j]``); ``labels`` ``[B, N]`` is the label each class slot gets (a
    permutation of ``0..N-1`` per task). Gives ``x_support`` ``[B, N*K, ...]``, ``x_query``
    ``[B, N*Q, ...]`` as float32 (no copy where the parts are already contiguous float32).
    ``slot_classes`` ``[B, N]`` (the class each slot was drawn from) becomes ``batch.classes``,
    reordered by label: ``classes[b, n]`` is the class labelled n in task b.
    """
    meta_batch, ways, shots = support.shape[:3]
    queries = query.shape[2]
    shape = support.shape[3:]
    return ClassificationTaskBatch(
        x_support=support.reshape(meta_batch, ways * shots, *shape).to(torch.float32).contiguous(),
        y_support=labels[:, :, None].expand(meta_batch, ways, shots).reshape(meta_batch, ways * shots),
        x_query=query.reshape(meta_batch, ways * queries, *shape).to(torch.float32).contiguous(),
        y_query=labels[:, :, None].expand(meta_batch, ways, queries).reshape(meta_batch, ways * queries),
        ways=ways, family=family,
        classes=None if slot_classes is None else torch.empty_like(slot_classes).scatter_(1, labels, slot_classes))


def split_examples(examples: Tensor, shots: int) -> tuple[Tensor, Tensor]:
    """``[B, N, K+Q, ...]`` -> support ``[B, N, K, ...]`` and query ``[B, N, Q, ...]``."""
    return examples[:, :, :shots], examples[:, :, shots:]
