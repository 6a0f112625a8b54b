"""Few-shot classification task families (2-D points, procedural glyphs, image folders).

``build_classification_family(spec)`` turns a :class:`ClassificationSpec` into a family;
``CLASSIFICATION_FAMILIES`` names them and ``CLASSIFICATION_DESCRIPTIONS`` says what each is in
one line (for the app and ``maml-gui presets``).
"""

from __future__ import annotations

from .base import ClassificationFamily, ClassificationSpec, ClassificationTaskBatch, ProgressCallback
from .points import POINT_FAMILIES, POINT_RANGE

_POINT_CLASSES = {cls.name: cls for cls in POINT_FAMILIES}

CLASSIFICATION_DESCRIPTIONS: dict[str, str] = {cls.name: cls.description for cls in POINT_FAMILIES}
CLASSIFICATION_FAMILIES: tuple[str, ...] = tuple(CLASSIFICATION_DESCRIPTIONS)


def check_spec(spec: ClassificationSpec) -> None:
    """Raise ValueError (one line) for sizes no family can use."""
    for name, least in (("ways", 2), ("shots", 1), ("queries", 0)):
        value = getattr(spec, name)
        if not isinstance(value, int) or isinstance(value, bool) or value < least:
            raise ValueError(f"task.{name} must be an integer >= {least}, got {value!r}")


def build_classification_family(spec: ClassificationSpec,
                                progress: ProgressCallback | None = None) -> ClassificationFamily:
    """The family ``spec`` describes; raises ValueError with one readable line for anything wrong.

    ``progress(done, total)`` is called while an image folder is decoded (never for procedural families).
    """
    if spec.family not in CLASSIFICATION_DESCRIPTIONS:
        raise ValueError(f"unknown classification family {spec.family!r}; "
                         f"allowed: {', '.join(CLASSIFICATION_FAMILIES)}")
    check_spec(spec)
    return _POINT_CLASSES[spec.family]()


__all__ = ["ClassificationFamily", "ClassificationSpec", "ClassificationTaskBatch", "ProgressCallback",
           "CLASSIFICATION_FAMILIES", "CLASSIFICATION_DESCRIPTIONS", "POINT_RANGE",
           "build_classification_family"]
