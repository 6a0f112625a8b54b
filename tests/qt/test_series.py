"""Growing buffers and the moving average behind the live loss curves (no Qt)."""

from __future__ import annotations

import numpy as np
import pytest

from maml_gui.qt.plots.series import GrowingSeries, SmoothedSeries


def test_growing_series_keeps_every_point_in_order_across_regrowth():
    series = GrowingSeries(capacity=4)
    for start in range(0, 100, 7):
        xs = np.arange(start, min(start + 7, 100))
        series.extend(xs, xs * 2.0)
    assert len(series) == 100
    np.testing.assert_array_equal(series.x, np.arange(100))
    np.testing.assert_array_equal(series.y, np.arange(100) * 2.0)


def test_growing_series_clear_and_mismatched_lengths():
    series = GrowingSeries()
    series.extend([1, 2], [3, 4])
    series.clear()
    assert len(series) == 0 and series.x.size == 0
    with pytest.raises(ValueError, match="differ in length"):
        series.extend([1, 2, 3], [1, 2])


def test_smoothed_series_is_bias_corrected_and_follows_a_step():
    series = SmoothedSeries(weight=0.8)
    series.extend([1], [5.0])
    assert series.y[0] == pytest.approx(5.0)  # not pulled towards zero
    series.extend(np.arange(2, 200), np.full(198, 5.0))
    np.testing.assert_allclose(series.y, 5.0)
    series.extend(np.arange(200, 400), np.full(200, 1.0))
    assert series.y[-1] == pytest.approx(1.0, abs=1e-6)
    assert 1.0 < series.y[200] < 5.0


def test_smoothed_series_matches_a_direct_exponential_average():
    values = np.random.default_rng(0).random(50)
    series = SmoothedSeries(weight=0.6)
    series.extend(np.arange(25), values[:25])  # two reports give the same as one
    series.extend(np.arange(25, 50), values[25:])
    last, expected = 0.0, []
    for n, v in enumerate(values, start=1):
        last = 0.6 * last + 0.4 * v
        expected.append(last / (1 - 0.6 ** n))
    np.testing.assert_allclose(series.y, expected)


def test_smoothed_series_skips_non_finite_losses():
    series = SmoothedSeries(weight=0.5)
    series.extend([1, 2, 3, 4], [1.0, np.nan, np.inf, 3.0])
    np.testing.assert_array_equal(series.x, [1, 4])
    assert np.isfinite(series.y).all()


def test_resmoothing_with_a_new_weight_redoes_every_point():
    series = SmoothedSeries(weight=0.9)
    x, y = np.arange(10), np.arange(10, dtype=float)
    series.extend(x, y)
    series.resmooth(0.0, x, y)
    np.testing.assert_array_equal(series.y, y)
    with pytest.raises(ValueError):
        series.resmooth(1.5, x, y)
    np.testing.assert_array_equal(series.y, y)  # a refused weight leaves the curve as it was
