"""One colour per class label, shared by every view of classification tasks (the form's preview,
the playgrounds): the 2-D playground's decision-region palette (tab10 without its grey), cycled
past 9 classes.
"""

from __future__ import annotations

from maml_gui.core.decision_regions import CLASS_COLOURS


def class_color(label: int) -> tuple[int, int, int]:
    """The colour of class ``label`` (0-based)."""
    return CLASS_COLOURS[int(label) % len(CLASS_COLOURS)]
