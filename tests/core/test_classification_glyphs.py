"""Built-in glyphs: images in [0, 1], classes that look alike within and differ between, disjoint splits."""

from __future__ import annotations

import pytest
import torch

from maml_gui.core.tasks.classification import ClassificationSpec, build_classification_family
from maml_gui.core.tasks.classification.episodes import RandomSource
from maml_gui.core.tasks.classification.glyph_shapes import mix30

torch.set_num_threads(1)


def glyphs(**spec):
    return build_classification_family(ClassificationSpec(family="glyphs", **spec))


def sample(fam, meta_batch=8, ways=5, shots=1, queries=5, seed=0, split="train"):
    return fam.sample(meta_batch, ways, shots, queries, torch.Generator().manual_seed(seed), "cpu", split)


def nearest_mean_accuracy(batch) -> float:
    support, query = batch.x_support.flatten(2), batch.x_query.flatten(2)
    one_hot = torch.nn.functional.one_hot(batch.y_support, batch.ways).float()
    means = one_hot.transpose(1, 2) @ support / one_hot.sum(1)[..., None]
    return (torch.cdist(query, means).argmin(-1) == batch.y_query).float().mean().item()


def test_images_are_28_by_28_grey_ink_bright_on_dark():
    batch = sample(glyphs())
    assert batch.x_support.shape == (8, 5, 1, 28, 28)
    images = batch.x_query
    assert images.min() >= 0.0 and images.max() <= 1.0 and images.max() == 1.0
    ink = images.flatten(2).mean(-1)
    assert (ink > 0.03).all() and (ink < 0.4).all()          # every image has strokes, mostly background
    assert (images[..., 0, :] + images[..., -1, :]).mean() < images.mean()   # drawn in the middle


def test_rgb_repeats_grey_and_size_follows_the_spec():
    batch = sample(glyphs(channels=3, image_size=20), meta_batch=2, ways=2)
    assert batch.x_support.shape == (2, 2, 3, 20, 20)
    assert torch.equal(batch.x_support[:, :, 0], batch.x_support[:, :, 2])


@pytest.mark.parametrize("rotations", [False, True])
def test_a_nearest_mean_classifier_tells_the_classes_apart(rotations):
    batch = sample(glyphs(rotations=rotations), meta_batch=16, shots=1, queries=5)
    assert nearest_mean_accuracy(batch) > 0.6       # chance is 0.2


def test_examples_of_a_class_differ_from_each_other():
    fam = glyphs()
    rng = RandomSource(torch.Generator().manual_seed(1), "cpu")
    keys, turns = fam.draw_classes(rng, 1, 3, "train")
    images = fam.render(keys[0], turns[0], 4, rng)                          # [3 classes, 4 drawings, 1, 28, 28]
    within = (images[:, 0] - images[:, 1]).abs().mean()
    between = (images[0] - images[1]).abs().mean()
    assert 0 < within < between


def test_a_class_key_always_draws_the_same_character():
    fam = glyphs()
    a = fam.render(torch.tensor([12]), torch.tensor([0]), 1, RandomSource(torch.Generator().manual_seed(0), "cpu"))
    b = fam.render(torch.tensor([12]), torch.tensor([0]), 1, RandomSource(torch.Generator().manual_seed(0), "cpu"))
    other_seed = glyphs(split_seed=5).render(torch.tensor([12]), torch.tensor([0]), 1,
                                             RandomSource(torch.Generator().manual_seed(0), "cpu"))
    assert torch.equal(a, b) and not torch.equal(a, other_seed)


def test_train_val_and_test_classes_are_disjoint():
    fam = glyphs(rotations=True)
    rng = RandomSource(torch.Generator().manual_seed(0), "cpu")
    keys = {split: fam.draw_classes(rng, 200, 20, split)[0] for split in ("train", "val", "test")}
    for index, split in enumerate(("train", "val", "test")):
        assert (keys[split] % 3 == index).all()
    assert not set(keys["train"].flatten().tolist()) & set(keys["val"].flatten().tolist())
    assert set(fam.split_summary()) == {"train", "val", "test"}


def test_every_task_has_distinct_classes():
    fam = glyphs(rotations=True)
    keys, turns = fam.draw_classes(RandomSource(torch.Generator().manual_seed(0), "cpu"), 50, 40, "train")
    classes = keys * 4 + turns
    assert all(len(set(row.tolist())) == 40 for row in classes)
    assert turns.unique().tolist() == [0, 1, 2, 3]


def test_the_id_scramble_is_a_bijection():
    ids = torch.arange(2 ** 16) * 16411          # spread over the 30-bit range
    assert torch.unique(mix30(ids)).numel() == ids.numel()
    assert mix30(ids).max() < 2 ** 30


@pytest.mark.parametrize("rotations", [False, True])
def test_batches_give_each_label_a_stable_class_id(rotations):
    fam = glyphs(rotations=rotations)
    batch = sample(fam, meta_batch=50, ways=5)
    assert batch.classes.shape == (50, 5) and (batch.classes >= 0).all()
    assert all(len(set(row.tolist())) == 5 for row in batch.classes)
    assert len(set((batch.classes % 1024).flatten().tolist())) > 200          # low bits spread (hashed heads)
    # the id names the character: the same seed draws the same ids and images, label by label
    again = sample(fam, meta_batch=50, ways=5)
    assert torch.equal(batch.classes, again.classes)
    rng = RandomSource(torch.Generator().manual_seed(0), "cpu")
    keys, turns = fam.draw_classes(rng, 50, 5, "train")
    ids = keys // 3 * 4 + turns if rotations else keys // 3
    assert torch.equal(batch.classes.sort(1).values, ids.sort(1).values)
