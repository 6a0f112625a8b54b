"""TensorBoard's debiased moving average, against hand computations (no Qt)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from maml_gui.qt.plots.smoothing import EmaState, debiased_ema


def plain_loop(values, weight):
    last, count, out = 0.0, 0, []
    for value in values:
        if not math.isfinite(value):
            out.append(value)
            continue
        last = last * weight + (1 - weight) * value
        count += 1
        out.append(last / (1 - weight ** count))
    return np.array(out)


def test_hand_computed_values_with_debiasing():
    smoothed, state = debiased_ema([1.0, 2.0, 3.0], 0.5)
    # last: 0.5, 1.25, 2.125; divided by 1 - 0.5**n: 0.5, 0.75, 0.875
    np.testing.assert_allclose(smoothed, [1.0, 1.25 / 0.75, 2.125 / 0.875])
    assert state == EmaState(2.125, 3)


def test_non_finite_values_pass_through_and_are_skipped():
    smoothed, state = debiased_ema([1.0, math.nan, 3.0, math.inf], 0.5)
    assert smoothed[0] == 1.0 and math.isnan(smoothed[1]) and smoothed[3] == math.inf
    assert smoothed[2] == pytest.approx((0.25 + 1.5) / 0.75)  # n = 2: the NaN did not count
    assert state.count == 2


def test_weight_zero_is_the_raw_curve_and_out_of_range_is_refused():
    values = np.array([3.0, 1.0, 2.0])
    np.testing.assert_array_equal(debiased_ema(values, 0.0)[0], values)
    for weight in (-0.1, 1.0):
        with pytest.raises(ValueError, match="smoothing weight"):
            debiased_ema(values, weight)


@pytest.mark.parametrize("weight", [0.001, 0.6, 0.95, 0.999])
def test_long_curves_match_a_plain_loop_also_in_pieces(weight):
    values = np.random.default_rng(0).random(5000) * np.exp(-np.linspace(0, 6, 5000))
    values[[7, 4000]] = [math.nan, math.inf]
    expected = plain_loop(values, weight)
    whole, _ = debiased_ema(values, weight)
    first, state = debiased_ema(values[:1234], weight)
    rest, _ = debiased_ema(values[1234:], weight, state)
    finite = np.isfinite(expected)
    np.testing.assert_allclose(whole[finite], expected[finite], rtol=1e-12)
    np.testing.assert_allclose(np.concatenate([first, rest])[finite], expected[finite], rtol=1e-12)


def test_a_constant_curve_stays_constant():
    np.testing.assert_allclose(debiased_ema(np.full(300, 2.5), 0.99)[0], 2.5, rtol=1e-12)
