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


def assemble_episodes(examples: Tensor, labels: Tensor, shots: int, ways: int,
                      family: ClassificationFamily) -> ClassificationTaskBatch:
    """Split per-class examples into support and query sets.

    ``examples`` is ``[B, N, K+Q, *input_shape]`` (class slot j of task b in row ``[b, j]``),
    ``labels`` is ``[B, N]``: the label each class slot gets (a permutation of ``0..N-1`` per task).
    Support and query sets are laid out class by class: ``[B, N*K, ...]`` and ``[B, N*Q, ...]``.
    """
    meta_batch, _, per_class = examples.shape[:3]
    shape = examples.shape[3:]
    y = labels[:, :, None].expand(meta_batch, ways, per_class)
    queries = per_class - shots
    return ClassificationTaskBatch(
        x_support=examples[:, :, :shots].reshape(meta_batch, ways * shots, *shape).contiguous(),
        y_support=y[:, :, :shots].reshape(meta_batch, ways * shots).contiguous(),
        x_query=examples[:, :, shots:].reshape(meta_batch, ways * queries, *shape).contiguous(),
        y_query=y[:, :, shots:].reshape(meta_batch, ways * queries).contiguous(),
        ways=ways, family=family)
