"""One colour per class label, shared by every view of classification tasks (preview, playgrounds).

The palette lives in :mod:`maml_gui.core.decision_regions` (the decision-region images need it
without Qt): Matplotlib's ``tab10`` without its grey, which would read as "unsure" (white-ish) in
the regions; labels past 9 cycle through it.
"""

from __future__ import annotations

from maml_gui.core.decision_regions import CLASS_COLOURS, class_colour

CLASS_COLORS: tuple[tuple[int, int, int], ...] = CLASS_COLOURS


def class_color(label: int) -> tuple[int, int, int]:
    """The colour of class ``label`` (0-based)."""
    return class_colour(int(label))
