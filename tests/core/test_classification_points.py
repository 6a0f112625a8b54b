"""2-D point families: inside the documented square, classes separable, placement random per task."""

from __future__ import annotations

import pytest
import torch

from maml_gui.core.tasks.classification import POINT_RANGE, ClassificationSpec, build_classification_family

torch.set_num_threads(1)

POINT_NAMES = ["blobs", "halfplanes", "rings", "spirals", "moons"]


def sample(name, meta_batch=32, ways=3, shots=20, queries=20, seed=0):
    fam = build_classification_family(ClassificationSpec(family=name))
    return fam.sample(meta_batch, ways, shots, queries, torch.Generator().manual_seed(seed))


@pytest.mark.parametrize("name", POINT_NAMES)
def test_points_lie_in_the_documented_square_and_use_it(name):
    batch = sample(name, ways=5)
    points = torch.cat([batch.x_support, batch.x_query], 1)
    assert points.min() >= POINT_RANGE[0] and points.max() <= POINT_RANGE[1]
    assert (points.abs() >= POINT_RANGE[1] - 1e-6).float().mean() < 0.001   # hardly anything clamped
    extent = points.amax(1) - points.amin(1)                              # [B, 2] per task
    assert extent.max(1).values.min() > 2.0                                # each task spreads over the plane


@pytest.mark.parametrize("name, least", [("blobs", 0.97), ("halfplanes", 0.85), ("rings", 0.9),
                                         ("spirals", 0.8), ("moons", 0.95)])
def test_classes_are_separable_by_nearest_neighbour(name, least):
    batch = sample(name)
    nearest = torch.cdist(batch.x_query, batch.x_support).argmin(-1)
    accuracy = (batch.y_support.gather(1, nearest) == batch.y_query).float().mean()
    assert accuracy > least


def test_blobs_are_separable_by_class_means():
    batch = sample("blobs", ways=5, shots=5)
    one_hot = torch.nn.functional.one_hot(batch.y_support, 5).float()          # [B, NK, N]
    means = one_hot.transpose(1, 2) @ batch.x_support / one_hot.sum(1)[..., None]
    predicted = torch.cdist(batch.x_query, means).argmin(-1)
    assert (predicted == batch.y_query).float().mean() > 0.97


@pytest.mark.parametrize("name", POINT_NAMES)
def test_every_task_is_placed_and_turned_differently(name):
    batch = sample(name, meta_batch=16)
    centres = torch.cat([batch.x_support, batch.x_query], 1).mean(1)
    assert torch.cdist(centres, centres).max() > 0.5
    # the direction of class 0's mean from the task's centre varies: a random rotation per task
    class0 = (batch.x_query * (batch.y_query == 0)[..., None]).sum(1) / (batch.y_query == 0).sum(1, keepdim=True)
    direction = torch.nn.functional.normalize(class0 - centres, dim=1)
    assert direction.std(0).sum() > 0.5


def test_point_families_accept_every_split():
    fam = build_classification_family(ClassificationSpec(family="rings"))
    for split in ("train", "val", "test"):
        assert fam.class_count(split) is None
        assert fam.sample(2, 7, 1, 1, torch.Generator().manual_seed(0), split=split).x_query.shape == (2, 7, 2)


def test_point_tasks_name_no_lasting_classes():
    assert sample("moons", meta_batch=2).classes is None      # every task draws its classes afresh
