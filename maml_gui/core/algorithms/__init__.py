"""Meta-learning algorithms: MAML, first-order MAML, Reptile, ANIL, Meta-SGD, MAML++ options."""

from __future__ import annotations

from .base import MetaLearner, StepLosses
from .baseline import PretrainedBaseline
from .classification_baseline import ClassificationPretrainedBaseline
from .gradient_based import GradientMetaLearner
from .reptile import ReptileLearner

def build_learner(spec, training, generator, device, kind: str = "regression", generic: bool = False) -> MetaLearner:
    """The learner for ``training.algorithm`` on model ``spec`` and task ``kind``; the hand-written
    fast path where one exists (MLP on regression) unless ``generic``."""
    if training.algorithm == "reptile":
        return ReptileLearner(spec, training, generator, device, kind, generic)
    return GradientMetaLearner(spec, training, generator, device, kind, generic)


__all__ = ["MetaLearner", "StepLosses", "PretrainedBaseline", "ClassificationPretrainedBaseline",
           "GradientMetaLearner", "ReptileLearner", "build_learner"]
