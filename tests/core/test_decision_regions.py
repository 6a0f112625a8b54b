"""Decision regions of 2-D classifiers: per-step parameters from the engine's inner loop, images
that equal the model's predictions, and the single-task forward that the playground relies on."""

from __future__ import annotations

import threading

import numpy as np
import pytest
import torch

from maml_gui.core.adaptation import InnerRates
from maml_gui.core.decision_regions import (CLASS_COLOURS, REGION_STRENGTH, RegionGrid, accuracy, adapt_steps,
                                            region_colours, region_image)
from maml_gui.core.model_backends import backend_for
from maml_gui.core.models import MLPSpec
from maml_gui.core.snapshot import ModelSnapshot

SPEC = MLPSpec(hidden=(12, 12), activation="relu", inputs=2, outputs=3)


def classifier(seed: int = 0, head_only: bool = False, baseline: bool = True) -> ModelSnapshot:
    backend = backend_for(SPEC, "classification")
    params = tuple(backend.initial_parameters(torch.Generator().manual_seed(seed)))
    base = tuple(backend.initial_parameters(torch.Generator().manual_seed(seed + 1))) if baseline else None
    return ModelSnapshot(spec=SPEC, params=params, algorithm="maml", rates=InnerRates(0.5), head_only=head_only,
                         task_kind="classification", baseline_params=base, baseline_lr=0.3, baseline_head_only=True)


def support():
    x = torch.tensor([[-3.0, -3.0], [-2.5, -3.5], [3.0, 3.0], [2.0, 3.5], [0.0, 4.0], [0.5, -4.0]])
    return x, torch.tensor([0, 0, 1, 1, 2, 2])


@pytest.mark.parametrize("head_only", [False, True])
def test_regions_equal_the_snapshot_predictions_at_the_pixel_centres(head_only):
    snapshot = classifier(head_only=head_only)
    x, y = support()
    grid = RegionGrid(-5, 5, -4, 6, size=24)
    adapted = adapt_steps(snapshot, x, y, 4)
    expected = snapshot.adapt(x, y, grid.pixels(), 4)[:, 0]  # [S + 1, P, ways]: the engine's own path
    for step in range(5):
        assert torch.allclose(adapted.logits(step, grid.pixels()), expected[step], atol=1e-5)
        image = region_image(adapted, step, grid)
        assert image.shape == (24, 24, 3) and image.dtype == np.uint8
        assert np.array_equal(image.reshape(-1, 3), region_colours(expected[step]))
    assert not np.array_equal(region_image(adapted, 0, grid), region_image(adapted, 4, grid))
    assert np.array_equal(adapted.predicted_labels(x), expected_labels(snapshot, x, y, x, 4))


def expected_labels(snapshot, x, y, points, steps):
    return snapshot.adapt(x, y, points, steps)[:, 0].argmax(-1).numpy()


def test_pixel_centres_run_row_by_row_from_the_bottom_left():
    grid = RegionGrid(0.0, 4.0, 10.0, 12.0, size=4)
    pixels = grid.pixels().reshape(4, 4, 2)
    assert pixels[0, 0].tolist() == pytest.approx([0.5, 10.25])
    assert pixels[0, 3].tolist() == pytest.approx([3.5, 10.25])   # along a row: x grows
    assert pixels[3, 0].tolist() == pytest.approx([0.5, 11.75])   # row 3 is the top
    assert grid.aspect == pytest.approx(2.0)
    with pytest.raises(ValueError, match="x1 > x0"):
        RegionGrid(1.0, 1.0, 0.0, 1.0)


def test_colours_tint_by_class_and_fade_to_white_when_unsure():
    sure = torch.tensor([[20.0, 0.0, 0.0], [0.0, 0.0, 20.0]])
    colours = region_colours(sure)
    for row, label in ((0, 0), (1, 2)):
        tint = 255 + REGION_STRENGTH * (np.array(CLASS_COLOURS[label]) - 255)
        assert colours[row] == pytest.approx(tint, abs=1)
    assert region_colours(torch.zeros(1, 3)).tolist() == [[255, 255, 255]]
    halfway = region_colours(torch.tensor([[1.0, 0.0, 0.0]]))[0]
    assert (halfway > colours[0]).all() and (halfway < 255).any(), "less confident: lighter, not white"


def test_baseline_and_random_init_start_where_the_snapshot_says():
    snapshot = classifier()
    x, y = support()
    pixels = RegionGrid(size=10).pixels()
    base = adapt_steps(snapshot, x, y, 3, baseline=True)
    expected = snapshot.adapt_baseline(x, y, pixels, 3)[:, 0]
    assert torch.allclose(base.logits(3, pixels), expected[3], atol=1e-5)
    assert torch.allclose(base.logits(0, pixels), expected[0], atol=1e-5)
    assert not torch.allclose(base.logits(0, pixels), snapshot.predict(pixels)[0], atol=1e-3), "not the meta-model"
    fresh = adapt_steps(snapshot, x, y, 3, baseline=True, random_seed=0)
    assert torch.allclose(fresh.logits(3, pixels), snapshot.adapt_baseline(x, y, pixels, 3, random_seed=0)[3, 0],
                          atol=1e-5)


def test_no_points_keeps_the_initialisation_and_a_missing_class_is_one_line():
    snapshot = classifier()
    pixels = RegionGrid(size=8).pixels()
    adapted = adapt_steps(snapshot, torch.zeros(0, 2), torch.zeros(0, dtype=torch.int64), 3)
    assert adapted.steps == 3
    assert torch.allclose(adapted.logits(3, pixels), snapshot.predict(pixels)[0])
    with pytest.raises(ValueError, match="3 classes apart") as err:
        adapt_steps(snapshot, torch.zeros(1, 2), torch.tensor([5]), 2)
    assert "\n" not in str(err.value)


def test_accuracy_per_step():
    predicted = np.array([[0, 0, 0, 0], [0, 1, 2, 2]])
    assert accuracy(predicted, [0, 1, 2, 0]).tolist() == pytest.approx([0.5, 0.75])
    assert np.isnan(accuracy(np.zeros((2, 0), dtype=np.int64), [])).all()


@pytest.mark.parametrize("kind", ["classification", "regression"])
def test_kept_step_parameters_end_at_the_adapted_ones(kind):
    spec = SPEC if kind == "classification" else MLPSpec(hidden=(8,), activation="relu")
    backend = backend_for(spec, kind)
    params = backend.initial_parameters(torch.Generator().manual_seed(3))
    if kind == "classification":
        x, y = support()
        x, y = x[None], y[None]
    else:
        x, y = torch.randn(1, 5, 1), torch.randn(1, 5, 1)
    with torch.no_grad():
        result = backend.inner_loop(params, x, y, 3, InnerRates(0.1), keep_params=True, x_query=x,
                                    query_steps=range(4))
    assert len(result.step_params) == 4
    assert all(torch.equal(a, b) for a, b in zip(result.step_params[0], params))
    assert all(torch.allclose(a, b) for a, b in zip(result.step_params[-1], result.params))
    for step, kept in enumerate(result.step_params):
        assert torch.allclose(backend.forward(kept, x), result.query_predictions[step], atol=1e-6)
    assert backend.inner_loop(params, x, y, 1, InnerRates(0.1)).step_params is None


def test_one_task_forward_equals_the_vmapped_one():
    backend = backend_for(SPEC, "classification")
    params = backend.initial_parameters(torch.Generator().manual_seed(4))
    per_task = [p.unsqueeze(0) + 0.01 for p in params]
    mixed = per_task[:2] + list(params[2:])   # per-task first layer, shared rest (as after an ANIL-like split)
    x = torch.randn(1, 7, 2)
    for chosen in (params, per_task, mixed):
        one = backend.forward(chosen, x)
        two = backend.forward([torch.cat([p, p]) if p.dim() > len(s) else p
                               for p, s in zip(chosen, backend.model.shapes)], torch.cat([x, x]))  # vmap path
        assert one.shape == (1, 7, 3)
        assert torch.allclose(one[0], two[0], atol=1e-6)


def test_each_thread_gets_its_own_module():
    """functional_call swaps parameters into the module: training and the playground's worker
    (two threads) must not share one, or one's forward runs on the other's tensors."""
    here = backend_for(SPEC, "classification")
    assert backend_for(SPEC, "classification") is here
    there = []
    thread = threading.Thread(target=lambda: there.append(backend_for(SPEC, "classification")))
    thread.start()
    thread.join()
    assert there[0] is not here and there[0].model.module is not here.model.module
