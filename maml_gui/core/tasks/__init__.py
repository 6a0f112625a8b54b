"""Task distributions: families of few-shot regression tasks sampled as whole meta-batches."""

from __future__ import annotations

from .base import TaskBatch, TaskFamily
from .families import (FormulaFamily, GaussianBumpFamily, HarmonicFamily, LinearFamily, PolynomialFamily,
                       SawtoothFamily, SinusoidFamily, SquareWaveFamily)
from .limits import check_family_targets, describe_data_cause
from .mixture import MixtureFamily

FAMILY_CLASSES: dict[str, type[TaskFamily]] = {
    cls.name: cls for cls in (SinusoidFamily, LinearFamily, PolynomialFamily, SquareWaveFamily, SawtoothFamily,
                              GaussianBumpFamily, HarmonicFamily)
}


def _build_one(family: str, params, x_range, noise_std: float, degree: int, expression: str) -> TaskFamily:
    if family == "formula":
        return FormulaFamily(expression, params, x_range, noise_std)
    if family == "polynomial":
        return PolynomialFamily(params, x_range, noise_std, degree=degree)
    if family not in FAMILY_CLASSES:
        raise ValueError(f"unknown family {family!r}; allowed: {', '.join([*FAMILY_CLASSES, 'formula', 'mixture'])}")
    return FAMILY_CLASSES[family](params, x_range, noise_std)


def _build_checked(family: str, params, x_range, noise_std: float, degree: int, expression: str) -> TaskFamily:
    built = (PolynomialFamily(params, x_range, noise_std, degree=degree) if family == "polynomial"
             else _build_one(family, params, x_range, noise_std, degree, expression))
    if family != "formula":  # a formula checks itself, naming the expression
        check_family_targets(built, f"{family} targets", "narrow the parameter ranges or x_range")
    return built


def build_family(task_config) -> TaskFamily:
    """The TaskFamily described by a ``TaskConfig`` (raises ValueError with a readable message)."""
    c = task_config
    if c.family == "mixture":
        if not c.components:
            raise ValueError("mixture needs [[task.components]] entries, e.g. family = \"sinusoid\"")
        parts = [_build_checked(p.family, p.params, c.x_range, 0.0, p.degree, p.expression) for p in c.components]
        return MixtureFamily(parts, [p.weight for p in c.components], c.x_range, c.noise_std)
    return _build_checked(c.family, c.params, c.x_range, c.noise_std, c.degree, c.expression)


__all__ = ["TaskBatch", "TaskFamily", "FAMILY_CLASSES", "build_family", "describe_data_cause", "FormulaFamily", "MixtureFamily",
           "SinusoidFamily", "LinearFamily", "PolynomialFamily", "SquareWaveFamily", "SawtoothFamily",
           "GaussianBumpFamily", "HarmonicFamily"]
