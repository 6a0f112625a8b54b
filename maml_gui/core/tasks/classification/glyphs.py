"""Built-in glyphs: an offline Omniglot stand-in of procedural stroke-drawn characters.

Each class is a character defined by its key (see ``glyph_shapes``); each example re-draws it
with its own jitter: every stroke anchor moves (Gaussian, 0.06 of the canvas half-width), the
pen width varies (x0.86..1.16 around the character's own boldness) and a small affine is applied
(rotation up to 14 degrees, scale x0.89..1.13, shear up to 0.2, shift up to 7.5 % of the side).
A nearest-class-mean classifier on the raw pixels gets about 75 % on 5-way 1-shot (chance 20 %),
so there is room for meta-learning to show.
Images are ``channels x image_size x image_size`` (28 x 28 grey by default, RGB repeats the grey),
values in [0, 1], ink bright (1) on a dark (0) background: the polarity of Omniglot as learn2learn
and this package's Omniglot loader deliver it (inverted).

Rendering is vectorised over every example of the meta-batch: points along each stroke's spline
are splatted bilinearly onto the pixel grid, weighted by the stroke length they stand for, then
blurred with a separable Gaussian; ink = clamp(pen * blurred line profile, 0, 1), so a heavier
pen draws a wider line.

Classes are unlimited (``class_count`` is None). Train, validation and test classes are disjoint
by construction: a class key is ``3 * glyph + split index`` (train 0, val 1, test 2; glyph < 2^30), hashed
together with ``split_seed``, which draws a different alphabet. With ``rotations`` each glyph
also comes in 4 quarter-turns, each a class of its own (Finn et al.'s augmentation).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor

from .base import ClassificationFamily, ClassificationTaskBatch, Split
from .episodes import RandomSource, assemble_episodes, check_episode_sizes, check_split, split_examples
from .glyph_shapes import catmull_rom, glyph_anchors, mix30

SPLIT_INDEX = {"train": 0, "val": 1, "test": 2}


class GlyphFamily(ClassificationFamily):
    name = "glyphs"
    description = "procedural stroke-drawn characters (offline Omniglot stand-in), unlimited classes"

    def __init__(self, image_size: int = 28, channels: int = 1, rotations: bool = False, split_seed: int = 0) -> None:
        self.image_size = int(image_size)
        self.channels = int(channels)
        self.rotations = bool(rotations)
        self.split_seed = int(split_seed)
        self.input_shape = (self.channels, self.image_size, self.image_size)

    def class_count(self, split: Split) -> int | None:
        check_split(split)
        return None

    def split_summary(self) -> dict[str, str]:
        """How the classes of each split are defined (to store with a run)."""
        turns = " in 4 quarter-turns each" if self.rotations else ""
        return {split: f"procedural glyphs with key = 3 * id + {index}{turns}, split_seed {self.split_seed}"
                for split, index in SPLIT_INDEX.items()}

    def draw_classes(self, rng: RandomSource, meta_batch: int, ways: int, split: Split) -> tuple[Tensor, Tensor]:
        """``ways`` distinct classes per task: glyph keys ``[B, N]`` and quarter-turns ``[B, N]`` (0..3)."""
        start = rng.integers(2 ** 30, meta_batch)
        ids = mix30((start[:, None] + torch.arange(ways, device=start.device)) & (2 ** 30 - 1))  # distinct
        if self.rotations:   # 2^28 glyphs x 4 quarter-turns
            glyphs, turns = ids >> 2, ids & 3
        else:
            glyphs, turns = ids, torch.zeros_like(ids)
        keys = glyphs * 3 + SPLIT_INDEX[split]   # < 2^32: the splits' keys never meet
        return keys, turns

    def render(self, keys: Tensor, turns: Tensor, examples: int, rng: RandomSource) -> Tensor:
        """``examples`` fresh drawings of each class: ``[*keys.shape, examples, C, H, W]`` float32."""
        shape = keys.shape
        keys, turns = keys.reshape(-1), turns.reshape(-1)
        count, size = keys.shape[0], self.image_size
        anchors, active, boldness = glyph_anchors(keys, self.split_seed)          # [C, S, 4, 2]
        anchors = anchors[:, None] + rng.normal(count, examples, *anchors.shape[1:], std=0.06)
        points = catmull_rom(anchors, points_per_span=math.ceil(0.6 * size))     # [C, E, S, L, 2]
        points = _transform(points, turns, rng)
        pixels = (points + 1.0) * (size / 2.0) - 0.5                              # pixel centres at integers
        pixels = torch.stack([pixels[..., 0], size - 1.0 - pixels[..., 1]], -1)   # y up -> row down
        gaps = (pixels[..., 1:, :] - pixels[..., :-1, :]).norm(dim=-1)
        weight = 0.5 * (F.pad(gaps, (1, 0)) + F.pad(gaps, (0, 1)))               # stroke length per point
        weight = weight * active[:, None, :, None]
        density = _splat(pixels.reshape(count * examples, -1, 2), weight.reshape(count * examples, -1), size)
        sigma = 0.8 * size / 28.0
        profile = _gaussian_blur(density, sigma) * (math.sqrt(2 * math.pi) * sigma)   # a line's peak -> 1
        pen = (1.6 + 1.9 * boldness)[:, None] * torch.exp(rng.uniform(count, examples, low=-0.15, high=0.15))
        ink = (profile * pen.reshape(-1, 1, 1, 1)).clamp(0.0, 1.0)
        ink = ink.reshape(*shape, examples, 1, size, size)
        return ink.expand(*shape, examples, self.channels, size, size).contiguous() if self.channels > 1 else ink

    def sample(self, meta_batch: int, ways: int, shots: int, queries: int,
               generator: torch.Generator | None = None, device="cpu",
               split: Split = "train") -> ClassificationTaskBatch:
        check_episode_sizes(meta_batch, ways, shots, queries)
        check_split(split)
        rng = RandomSource(generator, device)
        keys, turns = self.draw_classes(rng, meta_batch, ways, split)
        images = self.render(keys, turns, shots + queries, rng)
        class_ids = (keys // 3) * 4 + turns if self.rotations else keys // 3   # the 30-bit id of draw_classes
        return assemble_episodes(*split_examples(images, shots), rng.permutations(meta_batch, ways), self, class_ids)


def _transform(points: Tensor, turns: Tensor, rng: RandomSource) -> Tensor:
    """Quarter-turns per class, then a small random affine per example; ``points`` ``[C, E, ..., 2]``."""
    count, examples = points.shape[:2]
    extra = [1] * (points.dim() - 3)
    quarter = turns.to(points.dtype) * (math.pi / 2)
    angle = quarter[:, None] + rng.uniform(count, examples, low=-0.25, high=0.25)
    scale = torch.exp(rng.uniform(count, examples, low=-0.12, high=0.12))
    shear = rng.uniform(count, examples, low=-0.2, high=0.2)
    shift_x, shift_y = rng.uniform(2, count, examples, low=-0.15, high=0.15)
    cos, sin = torch.cos(angle) * scale, torch.sin(angle) * scale
    # rotation-and-scale after a horizontal shear: [[c, -s], [s, c]] @ [[1, k], [0, 1]]
    m00, m01, m10, m11, shift_x, shift_y = (v.reshape(count, examples, *extra) for v in (
        cos, cos * shear - sin, sin, sin * shear + cos, shift_x, shift_y))
    x, y = points[..., 0], points[..., 1]
    return torch.stack([m00 * x + m01 * y + shift_x, m10 * x + m11 * y + shift_y], dim=-1)


def _splat(pixels: Tensor, weight: Tensor, size: int) -> Tensor:
    """Bilinear splat of weighted points ``[I, P, 2]`` (x, y in pixels) into images ``[I, 1, size, size]``.

    The canvas has a one-pixel border that is cut off afterwards: points off the image are clamped
    onto it, so no per-corner bounds checks are needed.
    """
    images, side = pixels.shape[0], size + 2
    pixels = pixels.clamp(-1.0, size - 1e-3) + 1.0                       # border pixels at 0 and size+1
    corner = pixels.floor()
    frac = pixels - corner
    fx, fy = frac[..., 0], frac[..., 1]
    corner = corner.long()
    index = (torch.arange(images, device=pixels.device)[:, None] * (side * side)
             + corner[..., 1] * side + corner[..., 0])
    right = weight * fx
    left = weight - right
    out = torch.zeros(images * side * side, device=pixels.device, dtype=pixels.dtype)
    for offset, share in ((0, left), (1, right)):
        lower = share * fy
        out.index_add_(0, (index + offset).reshape(-1), (share - lower).reshape(-1))
        out.index_add_(0, (index + offset + side).reshape(-1), lower.reshape(-1))
    return out.reshape(images, 1, side, side)[:, :, 1:-1, 1:-1]


def _gaussian_blur(images: Tensor, sigma: float) -> Tensor:
    """Separable Gaussian blur (zero outside the image) as two matrix products: ``K @ image @ K^T``."""
    size = images.shape[-1]
    t = torch.arange(size, device=images.device, dtype=images.dtype)
    kernel = torch.exp(-(t[:, None] - t[None, :]) ** 2 / (2 * sigma ** 2))
    kernel = kernel / kernel.sum(dim=1, keepdim=True)[size // 2]   # normalised as an interior row
    return kernel @ images @ kernel.T
