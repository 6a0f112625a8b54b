"""The few-shot classification task interface: N-way K-shot episodes sampled as whole meta-batches.

A family draws ``meta_batch`` episodes at once. In each episode ``ways`` classes are drawn
from the family's class pool for the asked ``split`` ("train", "val" or "test": disjoint
class sets where the family has a finite pool), their labels are permuted per task, and
``shots`` support plus ``queries`` query examples are drawn per class. Everything is seeded
by the ``torch.Generator`` passed in; examples are float32 on ``device``.

Shapes (``B`` tasks, ``N`` ways, ``K`` shots, ``Q`` queries per class):
  x_support ``[B, N*K, *input_shape]``   y_support ``[B, N*K]`` int64 in ``0..N-1``
  x_query   ``[B, N*Q, *input_shape]``   y_query   ``[B, N*Q]`` int64
``input_shape`` is ``(2,)`` for 2-D points and ``(C, H, W)`` (values in [0, 1]) for images.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Callable, Literal

import torch
from torch import Tensor

Split = Literal["train", "val", "test"]
ProgressCallback = Callable[[int, int], None]  # (done, total), e.g. images decoded


@dataclass(frozen=True)
class ClassificationSpec:
    """What a config says about a classification task distribution (plain values, no pydantic)."""

    family: str                 # "blobs", "halfplanes", "rings", "spirals", "moons", "glyphs",
                                # "omniglot", "folder", "miniimagenet"
    ways: int = 5
    shots: int = 1
    queries: int = 15
    image_size: int = 28        # images: side length after resizing
    channels: int = 1           # images: 1 (grey) or 3 (RGB)
    root: str = ""              # image folders: the dataset folder
    rotations: bool = False     # images: 90/180/270 degree rotations as new classes (Finn et al.)
    split_seed: int = 0         # seeds the train / val / test class split


@dataclass(frozen=True)
class ClassificationTaskBatch:
    """A meta-batch of N-way classification episodes; every tensor has a leading task axis ``B``."""

    x_support: Tensor
    y_support: Tensor
    x_query: Tensor
    y_query: Tensor
    ways: int
    family: "ClassificationFamily" = field(repr=False)
    # Optional: ``[B, N]`` int64, the index of each way's class in the split's class pool (way n of
    # task b is class ``classes[b, n]``), for baselines trained with one head over all classes.
    # Families with an unlimited pool may give any stable non-negative id. None: not provided.
    classes: Tensor | None = None

    @property
    def size(self) -> int:
        return self.x_support.shape[0]

    def to(self, device) -> "ClassificationTaskBatch":
        return ClassificationTaskBatch(self.x_support.to(device), self.y_support.to(device),
                                       self.x_query.to(device), self.y_query.to(device), self.ways, self.family,
                                       self.classes.to(device) if self.classes is not None else None)


class ClassificationFamily(ABC):
    """A distribution over N-way classification tasks."""

    name: str = ""
    description: str = ""
    input_shape: tuple[int, ...] = ()

    @abstractmethod
    def class_count(self, split: Split) -> int | None:
        """Classes available in ``split``; None where the pool is unlimited (procedural families)."""

    @abstractmethod
    def sample(self, meta_batch: int, ways: int, shots: int, queries: int,
               generator: torch.Generator | None = None, device="cpu",
               split: Split = "train") -> ClassificationTaskBatch:
        """Draw ``meta_batch`` episodes; raise ValueError (one line) when the split cannot supply them."""
