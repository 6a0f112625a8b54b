"""Strokes -> model input: shape, range, where the ink is, polarity, and the glyphs' look."""

from __future__ import annotations

import pytest
import torch

from maml_gui.core.stroke_raster import DrawingStyle, drawing_bounds, rasterise, rasterise_all, style_for_images
from maml_gui.core.tasks.classification.glyph_shapes import catmull_rom, glyph_anchors
from maml_gui.core.tasks.classification.glyphs import GlyphFamily

TOP_LINE = [((0.1, 0.2), (0.9, 0.2))]  # a horizontal stroke in the upper part of the pad


def ink_rows(image: torch.Tensor, threshold: float = 0.3) -> torch.Tensor:
    return (image[0] > threshold).any(dim=1).nonzero().flatten()


def test_shape_range_and_ink_where_drawn_without_fit():
    image = rasterise(TOP_LINE, DrawingStyle(fit=False))
    assert image.shape == (1, 28, 28) and image.dtype == torch.float32
    assert 0.0 <= image.min() and image.max() <= 1.0 and image.max() > 0.9
    rows = ink_rows(image)
    assert rows.min() >= 3 and rows.max() <= 7            # y = 0.2 of 28 pixels: about row 5
    columns = (image[0] > 0.3).any(dim=0).nonzero().flatten()
    assert columns.min() <= 3 and columns.max() >= 24     # from x = 0.1 to 0.9
    assert image[0, 14:].max() == 0                        # nothing in the lower half


def test_fit_centres_and_scales_like_a_glyph():
    small = [((0.05, 0.05), (0.2, 0.05)), ((0.05, 0.05), (0.05, 0.15))]  # a small corner top-left
    image = rasterise(small, DrawingStyle())
    ys, xs = (image[0] > 0.3).nonzero(as_tuple=True)
    assert abs(xs.float().mean() - 13.5) < 5 and abs(ys.float().mean() - 13.5) < 5
    assert xs.max() - xs.min() >= 0.7 * 28 - 3                 # the longer side spans 3/4 of the image


def test_polarity_channels_and_empty_drawing():
    dark_on_light = rasterise(TOP_LINE, DrawingStyle(ink_bright=False, fit=False))
    assert dark_on_light[0, 27, 27] == 1.0 and dark_on_light.min() < 0.1
    rgb = rasterise(TOP_LINE, DrawingStyle(channels=3, image_size=32))
    assert rgb.shape == (3, 32, 32) and torch.equal(rgb[0], rgb[2])
    assert rasterise([], DrawingStyle()).max() == 0
    assert rasterise_all([TOP_LINE, [((0.5, 0.5),)]]).shape == (2, 1, 28, 28)
    assert rasterise([((0.5, 0.5),)]).max() > 0.5            # a click is a dot
    assert drawing_bounds([]) is None


def test_style_reads_the_polarity_of_training_images():
    bright_ink = torch.zeros(4, 1, 28, 28)
    bright_ink[..., 10:12, :] = 1
    assert style_for_images(bright_ink, 1, 28).ink_bright
    assert not style_for_images(1 - bright_ink, 1, 28).ink_bright
    with pytest.raises(ValueError):
        DrawingStyle(channels=2)


def test_glyph_strokes_rasterised_look_like_the_glyph_family():
    """The same characters through the pad's rasteriser and through the family: similar ink and size."""
    family = GlyphFamily()
    rendered = family.sample(8, 5, 1, 0, generator=torch.Generator().manual_seed(0)).x_support
    keys = torch.arange(40) * 3
    anchors, active, boldness = glyph_anchors(keys, 0)
    points = catmull_rom(anchors, points_per_span=17)
    drawings = [[[((x + 1) / 2, (1 - y) / 2) for x, y in points[c, s].tolist()]
                 for s in range(points.shape[1]) if active[c, s]] for c in range(40)]
    drawn = rasterise_all(drawings)
    assert drawn.mean().item() == pytest.approx(rendered.mean().item(), rel=0.2)
    assert (drawn > 0.5).float().mean().item() == pytest.approx((rendered > 0.5).float().mean().item(), rel=0.2)

    def extent(images):
        ink = images.reshape(-1, 28, 28) > 0.3
        return ink.any(1).float().sum(1).mean().item()

    assert extent(drawn) == pytest.approx(extent(rendered), rel=0.15)
