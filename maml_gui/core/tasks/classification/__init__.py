"""Few-shot classification task families (2-D points, procedural glyphs, image folders)."""

from __future__ import annotations

from .base import ClassificationFamily, ClassificationSpec, ClassificationTaskBatch

__all__ = ["ClassificationFamily", "ClassificationSpec", "ClassificationTaskBatch"]
