"""Built-in families of 1-D regression tasks."""

from __future__ import annotations

import math
from typing import Mapping

import torch
from torch import Tensor

from .base import Range, TaskFamily


class SinusoidFamily(TaskFamily):
    """``A * sin(w * x - phase)``; defaults are Finn et al. (2017): A in [0.1, 5], phase in [0, pi]."""

    name = "sinusoid"
    description = "A·sin(ω·x − φ) (Finn et al. 2017)"
    default_ranges = {"amplitude": (0.1, 5.0), "phase": (0.0, math.pi), "frequency": (1.0, 1.0)}

    def evaluate(self, x: Tensor, p: Mapping[str, Tensor]) -> Tensor:
        return p["amplitude"] * torch.sin(p["frequency"] * x - p["phase"])


class LinearFamily(TaskFamily):
    """``slope * x + intercept``."""

    name = "linear"
    description = "a·x + b"
    default_ranges = {"slope": (-3.0, 3.0), "intercept": (-3.0, 3.0)}

    def evaluate(self, x: Tensor, p: Mapping[str, Tensor]) -> Tensor:
        return p["slope"] * x + p["intercept"]


class PolynomialFamily(TaskFamily):
    """``c0 + c1 x + ... + cn x^n`` with every coefficient drawn from one range."""

    name = "polynomial"
    description = "c0 + c1·x + … + cn·xⁿ"
    default_ranges = {"coefficient": (-1.0, 1.0)}
    MAX_DEGREE = 8

    def __init__(self, ranges: Mapping[str, Range] | None = None, x_range: Range = (-2.0, 2.0),
                 noise_std: float = 0.0, degree: int = 2) -> None:
        super().__init__(ranges, x_range, noise_std)
        if not 0 <= int(degree) <= self.MAX_DEGREE:
            raise ValueError(f"polynomial degree must be between 0 and {self.MAX_DEGREE}, got {degree}")
        self.degree = int(degree)

    def sample_parameters(self, count, generator, device) -> dict[str, Tensor]:
        low, high = self.ranges["coefficient"]
        u = torch.rand(count, self.degree + 1, generator=generator, device=device)
        values = low + u * (high - low)
        return {f"c{i}": values[:, i].reshape(count, 1, 1) for i in range(self.degree + 1)}

    def evaluate(self, x: Tensor, p: Mapping[str, Tensor]) -> Tensor:
        y = torch.zeros_like(x) + p[f"c{self.degree}"]
        for i in range(self.degree - 1, -1, -1):  # Horner
            y = y * x + p[f"c{i}"]
        return y


class _PeriodicFamily(TaskFamily):
    default_ranges = {"amplitude": (0.1, 5.0), "frequency": (0.5, 2.0), "phase": (0.0, math.pi)}

    def angle(self, x: Tensor, p: Mapping[str, Tensor]) -> Tensor:
        return p["frequency"] * x - p["phase"]


class SquareWaveFamily(_PeriodicFamily):
    """``A * sign(sin(w x - phase))``: a step function."""

    name = "square"
    description = "A·sign(sin(ω·x − φ))"

    def evaluate(self, x: Tensor, p: Mapping[str, Tensor]) -> Tensor:
        return p["amplitude"] * torch.where(torch.sin(self.angle(x, p)) >= 0, 1.0, -1.0)


class SawtoothFamily(_PeriodicFamily):
    """A sawtooth rising from -A to A once per period ``2 pi / w``."""

    name = "sawtooth"
    description = "A·(2·frac((ω·x − φ)/2π) − 1)"

    def evaluate(self, x: Tensor, p: Mapping[str, Tensor]) -> Tensor:
        t = self.angle(x, p) / (2 * math.pi)
        return p["amplitude"] * (2.0 * (t - torch.floor(t)) - 1.0)


class GaussianBumpFamily(TaskFamily):
    """``height * exp(-(x - center)^2 / (2 width^2))``."""

    name = "gaussian"
    description = "h·exp(−(x − c)² / 2w²)"
    default_ranges = {"height": (0.5, 5.0), "center": (-4.0, 4.0), "width": (0.3, 2.0)}

    def evaluate(self, x: Tensor, p: Mapping[str, Tensor]) -> Tensor:
        return p["height"] * torch.exp(-0.5 * ((x - p["center"]) / p["width"]).square())


class HarmonicFamily(TaskFamily):
    """Sum of two sinusoids with frequency ratio 2, as torchmeta's ``Harmonic``."""

    name = "harmonic"
    description = "a1·sin(ω·x + φ1) + a2·sin(2ω·x + φ2)"
    default_ranges = {
        "frequency": (0.5, 1.5),
        "amplitude1": (0.1, 2.5), "phase1": (0.0, 2 * math.pi),
        "amplitude2": (0.1, 2.5), "phase2": (0.0, 2 * math.pi),
    }

    def evaluate(self, x: Tensor, p: Mapping[str, Tensor]) -> Tensor:
        w = p["frequency"]
        return p["amplitude1"] * torch.sin(w * x + p["phase1"]) + p["amplitude2"] * torch.sin(2 * w * x + p["phase2"])


class FormulaFamily(TaskFamily):
    """A user's expression in ``x`` and named parameters, parsed (never evaluated) by ``formula``."""

    name = "formula"
    description = "your own expression"

    def __init__(self, expression: str, ranges: Mapping[str, Range], x_range: Range = (-5.0, 5.0),
                 noise_std: float = 0.0) -> None:
        from .formula import compile_formula

        self.default_ranges = {k: tuple(v) for k, v in ranges.items()}
        self.formula = compile_formula(expression, list(ranges))
        super().__init__(ranges, x_range, noise_std)
        self.expression = expression
        self.description = expression
        self._refuse_non_finite()

    def _refuse_non_finite(self) -> None:
        """Probe the ranges densely in float32 (range ends, x_range's ends and 0 included) so that
        log(x), sqrt of negatives, division by zero or overflow (of a target or its square) are
        reported when the family is defined, not as a NaN meta-loss."""
        from .limits import check_family_targets

        check_family_targets(self, f"expression {self.expression!r}", "change the expression or the ranges")

    def evaluate(self, x: Tensor, p: Mapping[str, Tensor]) -> Tensor:
        return self.formula(x, p)
