"""Mouse strokes -> an image the classifier reads, preprocessed like its training images.

A drawing is a sequence of strokes; a stroke a sequence of ``(x, y)`` points on the drawing
pad, both in [0, 1] with y pointing down (screen coordinates). :func:`rasterise` turns it into
a float32 ``[channels, size, size]`` tensor in [0, 1], the layout every image family delivers:

- *scale and position*: with ``fit`` (the default) the drawing's bounding box is centred and its
  longer side scaled to :data:`GLYPH_SPAN` of the image, as the built-in glyphs are drawn
  (``glyph_shapes``: every character spans 1.5 units of the canvas [-1, 1]); a dot or a tiny
  scribble is enlarged at most :data:`MAX_ZOOM` times. Without ``fit`` the pad maps onto the
  whole image.
- *line*: the glyphs' own profile. A glyph stroke is a centre line blurred by a Gaussian of
  ``0.8 * size / 28`` pixels and multiplied by a pen weight (1.6..3.5, mean about 2.55), then
  clamped to 1. Here Pillow draws the centre line one output pixel wide on a canvas
  :data:`SUPERSAMPLE` times larger (anti-aliased by the box downsampling), blurs it with the
  same Gaussian and applies the same pen weight.
- *polarity*: ink bright (1) on a dark (0) background, as the glyphs and the (inverted)
  Omniglot loader deliver; ``ink_bright=False`` for folders of dark ink on white paper.
- *channels*: RGB models get the grey image repeated, as the glyph family does.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np
import torch
from PIL import Image, ImageDraw, ImageFilter
from torch import Tensor

Point = tuple[float, float]
Stroke = Sequence[Point]
Drawing = Sequence[Stroke]

GLYPH_SPAN = 0.75        # a glyph's longer side spans 1.5 of the canvas' 2 units
MAX_ZOOM = 4.0           # a dot is not blown up to fill the image
SUPERSAMPLE = 4
GLYPH_SIGMA_28 = 0.8     # the glyph family's line blur, in pixels of a 28-pixel image
GLYPH_MEAN_PEN = 2.55    # the glyph family's mean pen weight (1.6 + 1.9 * 0.5)


@dataclass(frozen=True)
class DrawingStyle:
    """How drawings become model inputs: the model's image size and channels, the polarity and pen."""

    image_size: int = 28
    channels: int = 1
    ink_bright: bool = True
    pen: float = GLYPH_MEAN_PEN
    fit: bool = True

    def __post_init__(self) -> None:
        if not 4 <= self.image_size <= 512:
            raise ValueError(f"image size must be 4..512, got {self.image_size}")
        if self.channels not in (1, 3):
            raise ValueError(f"channels must be 1 or 3, got {self.channels}")
        if not 0.1 <= self.pen <= 20:
            raise ValueError(f"pen weight must be 0.1..20, got {self.pen}")

    @property
    def input_shape(self) -> tuple[int, int, int]:
        return (self.channels, self.image_size, self.image_size)


def drawing_bounds(drawing: Drawing) -> tuple[float, float, float, float] | None:
    """``(x0, y0, x1, y1)`` of every point of ``drawing``; None when it has none."""
    points = [p for stroke in drawing for p in stroke]
    if not points:
        return None
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    return min(xs), min(ys), max(xs), max(ys)


def _placement(drawing: Drawing, style: DrawingStyle) -> tuple[float, float, float]:
    """``(scale, shift_x, shift_y)`` taking pad coordinates to image units [0, 1]."""
    bounds = drawing_bounds(drawing) if style.fit else None
    if bounds is None:
        return 1.0, 0.0, 0.0
    x0, y0, x1, y1 = bounds
    side = max(x1 - x0, y1 - y0)
    scale = min(GLYPH_SPAN / side, MAX_ZOOM) if side > 0 else MAX_ZOOM
    return scale, 0.5 - scale * (x0 + x1) / 2, 0.5 - scale * (y0 + y1) / 2


def rasterise(drawing: Drawing, style: DrawingStyle = DrawingStyle()) -> Tensor:
    """``drawing`` as a float32 ``[channels, size, size]`` image in [0, 1] (see the module notes)."""
    size = style.image_size
    big = size * SUPERSAMPLE
    canvas = Image.new("L", (big, big), 0)
    draw = ImageDraw.Draw(canvas)
    scale, dx, dy = _placement(drawing, style)
    width = SUPERSAMPLE  # one output pixel
    for stroke in drawing:
        xy = [((x * scale + dx) * big - 0.5, (y * scale + dy) * big - 0.5) for x, y in stroke]
        if len(xy) > 1:
            draw.line(xy, fill=255, width=width, joint="curve")
        for x, y in (xy[0], xy[-1]) if xy else ():   # round caps (and a dot for a click)
            r = width / 2
            draw.ellipse((x - r, y - r, x + r, y + r), fill=255)
    sigma = GLYPH_SIGMA_28 * size / 28.0
    blurred = canvas.filter(ImageFilter.GaussianBlur(sigma * SUPERSAMPLE))
    line = np.asarray(blurred.resize((size, size), Image.Resampling.BOX), dtype=np.float32) / 255.0
    # a centre line of density 1 blurred by sigma peaks at 1 / (sqrt(2 pi) sigma): the glyphs' "profile"
    ink = np.clip(line * (math.sqrt(2 * math.pi) * sigma * style.pen), 0.0, 1.0)
    image = torch.from_numpy(ink if style.ink_bright else 1.0 - ink)
    return image.unsqueeze(0).expand(style.channels, size, size).contiguous()


def rasterise_all(drawings: Sequence[Drawing], style: DrawingStyle = DrawingStyle()) -> Tensor:
    """Every drawing: ``[len(drawings), channels, size, size]``."""
    if not drawings:
        return torch.zeros(0, *style.input_shape)
    return torch.stack([rasterise(d, style) for d in drawings])


def style_for_images(sample: Tensor, channels: int, image_size: int) -> DrawingStyle:
    """The style matching a batch of training images ``[..., C, H, W]`` in [0, 1]: its polarity is
    read from the background (the median pixel: dark paper means bright ink)."""
    bright_ink = bool(sample.float().median() < 0.5) if sample.numel() else True
    return DrawingStyle(image_size=image_size, channels=channels, ink_bright=bright_ink)
