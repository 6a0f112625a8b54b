"""What the experiment form previews of a classification task distribution (no Qt).

- 2-D points: one sampled task's support and query points with their labels;
- images: the support images of one sampled N-way K-shot task as an ``[N, K, H, W, C]`` uint8
  grid (a row per class). A dataset folder is *not* decoded as a whole for this: only the N x K
  files drawn are read (the training decodes the folder once, with progress shown).

Every draw uses a fixed seed, so an edit changes the picture only as much as the task changed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from .config import POINT_FAMILIES, TaskConfig
from .experiment_setup import FOLDER_FAMILIES, classification_spec
from .tasks.classification import build_classification_family
from .tasks.classification.dataset_folders import list_dataset, split_classes
from .tasks.classification.image_folders import decode_image

PREVIEW_SEED = 2017
MAX_ROWS = 20      # classes shown in an image grid
MAX_COLUMNS = 10   # shots shown per class


@dataclass(frozen=True)
class PointsPreview:
    """One task of 2-D points: ``support`` ``[N*K, 2]`` with ``support_labels``, the same for queries."""

    ways: int
    support: np.ndarray
    support_labels: np.ndarray
    query: np.ndarray
    query_labels: np.ndarray


@dataclass(frozen=True)
class ImagesPreview:
    """Support images of one task: ``grid`` uint8 ``[rows, columns, H, W, C]``, a row per class
    (``rows = min(N, MAX_ROWS)``, ``columns = min(K, MAX_COLUMNS)``); ``names`` the classes where known."""

    ways: int
    shots: int
    grid: np.ndarray
    names: tuple[str, ...] = ()

    @property
    def shape(self) -> tuple[int, int]:
        return self.grid.shape[0], self.grid.shape[1]


def preview_classification(task: TaskConfig, seed: int = PREVIEW_SEED) -> PointsPreview | ImagesPreview:
    """A sampled task of ``task`` (a classification ``TaskConfig``); ValueError (one line) when it cannot be drawn."""
    if task.kind != "classification":
        raise ValueError("not a classification task")
    generator = torch.Generator().manual_seed(seed)
    if task.family in FOLDER_FAMILIES:
        return _folder_preview(task, generator)
    family = build_classification_family(classification_spec(task))
    if task.family in POINT_FAMILIES:
        with torch.no_grad():
            batch = family.sample(1, task.ways, task.shots, task.queries, generator=generator)
        return PointsPreview(task.ways, batch.x_support[0].double().numpy(), batch.y_support[0].numpy(),
                             batch.x_query[0].double().numpy(), batch.y_query[0].numpy())
    ways, shots = min(task.ways, MAX_ROWS), min(task.shots, MAX_COLUMNS)
    with torch.no_grad():
        batch = family.sample(1, ways, shots, 0, generator=generator)
    order = torch.argsort(batch.y_support[0], stable=True)     # label 0's shots first, then label 1's ...
    images = batch.x_support[0][order].reshape(ways, shots, *family.input_shape)
    grid = (images.clamp(0, 1) * 255).round().to(torch.uint8).permute(0, 1, 3, 4, 2).numpy()
    return ImagesPreview(task.ways, task.shots, grid)


def _folder_preview(task: TaskConfig, generator: torch.Generator) -> ImagesPreview:
    listing = list_dataset(task.root, task.family)
    members = split_classes(listing, task.split_seed)["train"] or tuple(range(len(listing.classes)))
    rows = min(task.ways, MAX_ROWS, len(members))
    chosen = torch.randperm(len(members), generator=generator)[:rows].tolist()
    columns = min(task.shots, MAX_COLUMNS, min(len(listing.classes[members[c]].files) for c in chosen))
    size, channels = task.image_size, task.channels
    grid = np.zeros((rows, columns, size, size, channels), dtype=np.uint8)
    names = []
    for row, pick in enumerate(chosen):
        image_class = listing.classes[members[pick]]
        names.append(image_class.name)
        files = torch.randperm(len(image_class.files), generator=generator)[:columns].tolist()
        for column, index in enumerate(files):
            image = decode_image(image_class.files[index], size, channels)
            grid[row, column] = 255 - image if listing.layout == "omniglot" else image
    return ImagesPreview(task.ways, task.shots, grid, tuple(names))
