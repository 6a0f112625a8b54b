"""Tiny private classification families for engine tests (the real ones live in core/tasks/classification).

``PointBlobsStandIn``: each class a Gaussian blob around a random centre in 2-D.
``MeanImagesStandIn``: each class a random prototype image plus noise. Both draw a finite pool
of ``pool`` classes per split and report each way's class index in ``batch.classes``.
"""

from __future__ import annotations

import torch

from maml_gui.core.tasks.classification import ClassificationFamily, ClassificationTaskBatch


class _StandIn(ClassificationFamily):
    pool = 20

    def class_count(self, split):
        return self.pool

    def prototypes(self, classes: torch.Tensor, split: str) -> torch.Tensor:
        offset = {"train": 0, "val": 1000, "test": 2000}[split]
        rows = [torch.rand(self.input_shape, generator=torch.Generator().manual_seed(offset + int(c))) for c in
                classes.flatten()]
        return torch.stack(rows).reshape(*classes.shape, *self.input_shape)

    def sample(self, meta_batch, ways, shots, queries, generator=None, device="cpu", split="train"):
        if ways > self.pool:
            raise ValueError(f"{self.name}: {ways} ways need more than {self.pool} classes")
        classes = torch.stack([torch.randperm(self.pool, generator=generator)[:ways] for _ in range(meta_batch)])
        centres = self.prototypes(classes, split) * self.scale          # [B, N, *shape]
        per_class = shots + queries
        noise = torch.randn(meta_batch, ways, per_class, *self.input_shape, generator=generator) * self.noise
        x = (centres.unsqueeze(2) + noise).to(torch.get_default_dtype())
        labels = torch.arange(ways).reshape(1, ways, 1).expand(meta_batch, ways, per_class)
        flat = lambda t, k: t.reshape(meta_batch, ways * k, *t.shape[3:])  # noqa: E731
        xs, xq = flat(x[:, :, :shots], shots), flat(x[:, :, shots:], queries)
        ys, yq = flat(labels[:, :, :shots], shots), flat(labels[:, :, shots:], queries)
        return ClassificationTaskBatch(xs.to(device), ys.to(device), xq.to(device), yq.to(device), ways, self,
                                       classes.to(device))


class PointBlobsStandIn(_StandIn):
    name = "blobs-standin"
    input_shape = (2,)
    scale, noise = 6.0, 0.3


class MeanImagesStandIn(_StandIn):
    name = "images-standin"
    scale, noise = 1.0, 0.3

    def __init__(self, side: int = 16, channels: int = 1) -> None:
        self.input_shape = (channels, side, side)
