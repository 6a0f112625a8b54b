"""Few-shot classification task families (2-D points, procedural glyphs, image folders).

``build_classification_family(spec)`` turns a :class:`ClassificationSpec` into a family;
``CLASSIFICATION_FAMILIES`` names them and ``CLASSIFICATION_DESCRIPTIONS`` says what each is in
one line (for the app and ``maml-gui presets``).
"""

from __future__ import annotations

from .base import ClassificationFamily, ClassificationSpec, ClassificationTaskBatch, ProgressCallback
from .dataset_folders import DatasetFolderInfo, inspect_dataset_folder
from .folder_cache import folder_family
from .glyphs import GlyphFamily
from .image_folders import SPLITS, ImageFolderFamily
from .points import POINT_FAMILIES, POINT_RANGE

_POINT_CLASSES = {cls.name: cls for cls in POINT_FAMILIES}
IMAGE_SIZE_RANGE = (8, 256)

CLASSIFICATION_DESCRIPTIONS: dict[str, str] = {
    **{cls.name: cls.description for cls in POINT_FAMILIES},
    GlyphFamily.name: GlyphFamily.description,
    **ImageFolderFamily.descriptions,
}
FOLDER_FAMILIES: tuple[str, ...] = tuple(ImageFolderFamily.descriptions)
CLASSIFICATION_FAMILIES: tuple[str, ...] = tuple(CLASSIFICATION_DESCRIPTIONS)


def check_spec(spec: ClassificationSpec) -> None:
    """Raise ValueError (one line) for sizes no family can use."""
    for name, least in (("ways", 2), ("shots", 1), ("queries", 0)):
        value = getattr(spec, name)
        if not isinstance(value, int) or isinstance(value, bool) or value < least:
            raise ValueError(f"task.{name} must be an integer >= {least}, got {value!r}")
    if spec.family in _POINT_CLASSES:
        return
    low, high = IMAGE_SIZE_RANGE
    if not isinstance(spec.image_size, int) or not low <= spec.image_size <= high:
        raise ValueError(f"task.image_size must be an integer from {low} to {high}, got {spec.image_size!r}")
    if spec.channels not in (1, 3):
        raise ValueError(f"task.channels must be 1 (grey) or 3 (RGB), got {spec.channels!r}")


def build_classification_family(spec: ClassificationSpec,
                                progress: ProgressCallback | None = None) -> ClassificationFamily:
    """The family ``spec`` describes; raises ValueError with one readable line for anything wrong.

    ``progress(done, total)`` is called while an image folder is decoded (never for procedural families).
    """
    if spec.family not in CLASSIFICATION_DESCRIPTIONS:
        raise ValueError(f"unknown classification family {spec.family!r}; "
                         f"allowed: {', '.join(CLASSIFICATION_FAMILIES)}")
    check_spec(spec)
    if spec.family in _POINT_CLASSES:
        return _POINT_CLASSES[spec.family]()
    if spec.family == GlyphFamily.name:
        return GlyphFamily(spec.image_size, spec.channels, spec.rotations, spec.split_seed)
    family = folder_family(spec, progress)   # the last decoded folder is kept for the next identical build
    for split in SPLITS:   # refuse now, not at the first validation, a folder too small for the episodes
        family.check_episode(spec.ways, spec.shots, spec.queries, split)
    return family


__all__ = ["ClassificationFamily", "ClassificationSpec", "ClassificationTaskBatch", "ProgressCallback",
           "CLASSIFICATION_FAMILIES", "CLASSIFICATION_DESCRIPTIONS", "POINT_RANGE",
           "FOLDER_FAMILIES", "DatasetFolderInfo", "GlyphFamily", "ImageFolderFamily", "build_classification_family",
           "inspect_dataset_folder"]
