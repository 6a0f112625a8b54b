"""One colour per class label, shared by every view of classification tasks (preview, playgrounds).

Matplotlib's ``tab10`` (distinct on screen and in print); labels past 9 cycle through it.
"""

from __future__ import annotations

CLASS_COLORS: tuple[tuple[int, int, int], ...] = (
    (31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40), (148, 103, 189),
    (140, 86, 75), (227, 119, 194), (127, 127, 127), (188, 189, 34), (23, 190, 207),
)


def class_color(label: int) -> tuple[int, int, int]:
    """The colour of class ``label`` (0-based)."""
    return CLASS_COLORS[int(label) % len(CLASS_COLORS)]
