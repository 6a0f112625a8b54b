"""Grouping runs: Student's t quantiles, mean and 95% band over seeds, curves on different x grids."""

from __future__ import annotations

import math

import numpy as np
import pytest

from maml_gui.core.run_groups import (curves_mean_band, group_label, group_runs, mean_band, steps_mean_band,
                                      t_quantile_975)


def t_coverage(q: float, df: int) -> float:
    """P(|T| <= q) for Student's t with ``df`` degrees of freedom, by numerical integration."""
    x = np.linspace(-q, q, 400_001)
    pdf = math.gamma((df + 1) / 2) / (math.sqrt(df * math.pi) * math.gamma(df / 2)) * (1 + x**2 / df) ** (-(df + 1) / 2)
    return float(np.sum((pdf[1:] + pdf[:-1]) / 2 * np.diff(x)))


@pytest.mark.parametrize("df", [1, 2, 3, 5, 10, 29, 30, 31, 45, 120])
def test_t_quantiles_cover_95_percent(df):
    assert t_coverage(t_quantile_975(df), df) == pytest.approx(0.95, abs=5e-5)


def test_the_quantile_refuses_no_degrees_of_freedom():
    with pytest.raises(ValueError):
        t_quantile_975(0)


def test_mean_band_of_three_seeds_uses_t_with_two_degrees_of_freedom():
    values = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 9.0]])
    mean, half = mean_band(values)
    assert mean == pytest.approx([3.0, 5.0])
    std = values.std(axis=0, ddof=1)
    assert half == pytest.approx(t_quantile_975(2) * std / math.sqrt(3))


def test_mean_band_skips_non_finite_values_and_gives_no_band_to_a_single_value():
    values = np.array([[1.0, math.nan], [3.0, 5.0]])
    mean, half = mean_band(values)
    assert mean == pytest.approx([2.0, 5.0])
    assert half[1] == 0.0 and half[0] == pytest.approx(t_quantile_975(1) * math.sqrt(2) / math.sqrt(2))


def test_curves_on_different_x_are_interpolated_onto_the_longest_within_the_common_range():
    a = (np.array([0.0, 1.0, 2.0, 3.0, 4.0]), np.array([0.0, 1.0, 2.0, 3.0, 4.0]))
    b = (np.array([0.5, 2.5]), np.array([10.0, 30.0]))  # y = 10 x + 5
    band = curves_mean_band([a, b])
    assert band.x == pytest.approx([1.0, 2.0])
    assert band.mean == pytest.approx([(1.0 + 15.0) / 2, (2.0 + 25.0) / 2])
    assert band.count == 2 and np.all(band.upper > band.mean)


def test_curves_without_a_common_range_or_points_give_nothing():
    assert curves_mean_band([]) is None
    assert curves_mean_band([(np.array([0.0, 1.0]), np.array([1.0, 1.0])),
                             (np.array([2.0, 3.0]), np.array([1.0, 1.0]))]) is None
    assert curves_mean_band([(np.array([0.0]), np.array([math.nan]))]) is None


def test_adaptation_curves_are_averaged_at_the_steps_they_share():
    band = steps_mean_band([((0, 1, 5), (3.0, 2.0, 1.0)), ((0, 1, 2, 5), (5.0, 4.0, 3.5, 2.0))])
    assert band.x == pytest.approx([0, 1, 5])
    assert band.mean == pytest.approx([4.0, 3.0, 1.5])
    assert steps_mean_band([((0,), (1.0,)), ((1,), (1.0,))]) is None


def test_runs_are_grouped_by_their_values_in_order_of_first_appearance():
    runs = [{"training.algorithm": "maml", "training.inner_lr": 0.1}, {"training.algorithm": "anil", "training.inner_lr": 0.1},
            {"training.algorithm": "maml", "training.inner_lr": 0.01}]
    groups = group_runs(runs, ["training.algorithm"], lambda run: run)
    assert [g.label for g in groups] == ["algorithm=maml", "algorithm=anil"]
    assert [len(g.members) for g in groups] == [2, 1]
    both = group_runs(runs, ["training.algorithm", "training.inner_lr"], lambda run: run)
    assert len(both) == 3 and both[0].label == "algorithm=maml, inner_lr=0.1"
    assert group_runs(runs, [], lambda run: run)[0].label == "all runs"
    assert group_label(["model.hidden"], [[40, 40]]) == "hidden=[40,40]"
