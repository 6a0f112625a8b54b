"""2-D point classification families: blobs, half-planes / wedges, rings, spirals, moons.

Each family first draws its N classes in a canonical frame (roughly the unit disk), then every
task gets its own placement: a random aspect ratio (x0.74..1.35), rotation (0..360 degrees),
scale (x2..3.5) and offset, so a task's points lie around a random centre inside the plane
``[-5, 5]^2``. Points are clamped to that square: the app can draw decision regions over
``POINT_RANGE`` and see every example. Class counts are unlimited and every split is valid (the
family is procedural: splits differ only through the generator the caller passes).
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

from .base import ClassificationFamily, ClassificationTaskBatch, Split
from .episodes import RandomSource, assemble_episodes, check_episode_sizes, check_split, split_examples

POINT_RANGE = (-5.0, 5.0)  # every coordinate of every point lies in this interval
TWO_PI = 2.0 * math.pi


class PointFamily(ClassificationFamily):
    """A family of N-way tasks on 2-D points; subclasses draw the classes in a canonical frame."""

    input_shape = (2,)

    def class_count(self, split: Split) -> int | None:
        check_split(split)
        return None

    def split_summary(self) -> dict[str, str]:
        """No class split: every task draws its classes afresh (so batches name no classes)."""
        return {split: "every task draws new classes (no class pool)" for split in ("train", "val", "test")}

    def canonical_points(self, rng: RandomSource, meta_batch: int, ways: int, per_class: int) -> Tensor:
        """``[B, N, M, 2]`` points of class slot j in row j, roughly inside the unit disk."""
        raise NotImplementedError

    def sample(self, meta_batch: int, ways: int, shots: int, queries: int,
               generator: torch.Generator | None = None, device="cpu",
               split: Split = "train") -> ClassificationTaskBatch:
        check_episode_sizes(meta_batch, ways, shots, queries)
        check_split(split)
        rng = RandomSource(generator, device)
        points = self.canonical_points(rng, meta_batch, ways, shots + queries)
        points = place_in_plane(points, rng)
        labels = rng.permutations(meta_batch, ways)
        return assemble_episodes(*split_examples(points, shots), labels, self)


def place_in_plane(points: Tensor, rng: RandomSource) -> Tensor:
    """Per task: aspect ratio, rotation, scale and offset; clamp into ``POINT_RANGE``."""
    meta_batch = points.shape[0]
    aspect = torch.exp(rng.uniform(meta_batch, low=-0.3, high=0.3)).sqrt()
    angle = rng.uniform(meta_batch, high=TWO_PI)
    scale = rng.uniform(meta_batch, low=2.0, high=3.5)
    cos, sin = torch.cos(angle), torch.sin(angle)
    x = points[..., 0] * aspect[:, None, None]
    y = points[..., 1] / aspect[:, None, None]
    c, s = cos[:, None, None], sin[:, None, None]
    rotated = torch.stack([c * x - s * y, s * x + c * y], dim=-1)
    room = (POINT_RANGE[1] - 0.5 - 1.16 * scale).clamp(min=0.0)  # keeps a shape of radius ~1.16 inside
    offset = rng.uniform(meta_batch, 2, low=-1.0, high=1.0) * room[:, None]
    placed = rotated * scale[:, None, None, None] + offset[:, None, None, :]
    return placed.clamp(*POINT_RANGE)


def _random_partition(rng: RandomSource, meta_batch: int, ways: int, low: float, high: float) -> tuple[Tensor, Tensor]:
    """Cut ``[low, high]`` into ``ways`` consecutive intervals of random widths (0.5..1.5 relative)."""
    widths = rng.uniform(meta_batch, ways, low=0.5, high=1.5)
    edges = torch.cumsum(widths, dim=1) / widths.sum(dim=1, keepdim=True)
    upper = low + (high - low) * edges
    lower = torch.cat([torch.full_like(upper[:, :1], low), upper[:, :-1]], dim=1)
    return lower, upper


def _polar(radius: Tensor, angle: Tensor) -> Tensor:
    return torch.stack([radius * torch.cos(angle), radius * torch.sin(angle)], dim=-1)


class BlobsFamily(PointFamily):
    name = "blobs"
    description = "N Gaussian blobs at well-spread random centres, each its own width"

    def canonical_points(self, rng, meta_batch, ways, per_class):
        # farthest-point selection among random candidates in the unit disk spreads the centres
        candidates = _polar(0.75 * rng.uniform(meta_batch, 8 * ways + 8).sqrt(),
                            rng.uniform(meta_batch, 8 * ways + 8, high=TWO_PI))
        centres = [candidates[:, 0]]
        nearest = (candidates - centres[0][:, None]).norm(dim=-1)
        for _ in range(ways - 1):
            pick = nearest.argmax(dim=1)
            centre = candidates[torch.arange(meta_batch, device=pick.device), pick]
            centres.append(centre)
            nearest = torch.minimum(nearest, (candidates - centre[:, None]).norm(dim=-1))
        centres = torch.stack(centres, dim=1)                                   # [B, N, 2]
        gaps = torch.cdist(centres, centres) + torch.eye(ways, device=centres.device, dtype=centres.dtype) * 1e9
        spacing = gaps.amin(dim=(1, 2))                                          # [B]
        sigma = spacing[:, None] * rng.uniform(meta_batch, ways, low=0.1, high=0.2)
        noise = rng.normal(meta_batch, ways, per_class, 2)
        return centres[:, :, None] + sigma[:, :, None, None] * noise


class HalfPlanesFamily(PointFamily):
    name = "halfplanes"
    description = "N bands between N-1 parallel cuts, or N wedges between rays from one point"

    def canonical_points(self, rng, meta_batch, ways, per_class):
        shape = (meta_batch, ways, per_class)
        # parallel cuts: class j fills the band lower_j <= x < upper_j of the square [-0.8, 0.8]^2
        lower, upper = _random_partition(rng, meta_batch, ways, -0.8, 0.8)
        x = lower[..., None] + (upper - lower)[..., None] * rng.uniform(*shape)
        bands = torch.stack([x, rng.uniform(*shape, low=-0.8, high=0.8)], dim=-1)
        # radial cuts: class j fills the wedge between two rays of the unit disk
        start, end = _random_partition(rng, meta_batch, ways, 0.0, TWO_PI)
        angle = start[..., None] + (end - start)[..., None] * rng.uniform(*shape)
        wedges = _polar(rng.uniform(*shape, low=0.03, high=1.0).sqrt(), angle)
        radial = rng.uniform(meta_batch) < 0.5
        return torch.where(radial[:, None, None, None], wedges, bands)


class RingsFamily(PointFamily):
    name = "rings"
    description = "N concentric rings of random radii (the innermost may be a small disk)"

    def canonical_points(self, rng, meta_batch, ways, per_class):
        inner, outer = _random_partition(rng, meta_batch, ways, 0.0, 1.0)
        margin = 0.2 * (outer - inner)
        radius = (inner + margin)[..., None] + (outer - inner - 2 * margin)[..., None] * rng.uniform(
            meta_batch, ways, per_class)
        return _polar(radius, rng.uniform(meta_batch, ways, per_class, high=TWO_PI))


class SpiralsFamily(PointFamily):
    name = "spirals"
    description = "N interleaved spiral arms (0.6..1.3 turns, either direction)"

    def canonical_points(self, rng, meta_batch, ways, per_class):
        turns = rng.uniform(meta_batch, low=0.6, high=1.3)
        direction = torch.sign(rng.uniform(meta_batch) - 0.5)
        t = rng.uniform(meta_batch, ways, per_class)
        radius = 0.15 + 0.85 * t
        arm = torch.arange(ways, device=t.device, dtype=t.dtype)[None, :, None] * (TWO_PI / ways)
        angle = arm + (direction * turns * TWO_PI)[:, None, None] * t
        gap = 0.85 / (ways * turns.clamp(min=1.0))                     # radial distance between arms
        noise = rng.normal(meta_batch, ways, per_class, 2) * (0.2 * gap)[:, None, None, None]
        return _polar(radius, angle) + noise


class MoonsFamily(PointFamily):
    name = "moons"
    description = "two-moons generalised: a chain of N interlocking half-circle arcs"

    def canonical_points(self, rng, meta_batch, ways, per_class):
        k = torch.arange(ways, device=rng.device, dtype=torch.float32)[None, :, None]
        lower = (k % 2)                                          # odd arcs open upwards, shifted up
        t = rng.uniform(meta_batch, ways, per_class, high=math.pi) + math.pi * lower
        x = 1.2 * k + torch.cos(t)
        y = 0.5 * lower + torch.sin(t)
        sigma = rng.uniform(meta_batch, ways, low=0.05, high=0.1)[..., None]
        x = x + sigma * rng.normal(meta_batch, ways, per_class)
        y = y + sigma * rng.normal(meta_batch, ways, per_class)
        half_width = 0.6 * (ways - 1) + 1.0
        return torch.stack([(x - 0.6 * (ways - 1)) / half_width, (y - 0.25) / half_width], dim=-1)


POINT_FAMILIES: tuple[type[PointFamily], ...] = (BlobsFamily, HalfPlanesFamily, RingsFamily, SpiralsFamily,
                                                 MoonsFamily)
