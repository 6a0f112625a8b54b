"""Classification task families: the sampler contract every family keeps (shapes, labels, seeds, errors)."""

from __future__ import annotations

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from maml_gui.core.tasks.classification import (CLASSIFICATION_DESCRIPTIONS, CLASSIFICATION_FAMILIES,
                                                ClassificationSpec, build_classification_family)

torch.set_num_threads(1)

FOLDER_FAMILIES = ("omniglot", "folder", "miniimagenet")
PROCEDURAL = [name for name in CLASSIFICATION_FAMILIES if name not in FOLDER_FAMILIES]


def family(name: str, **spec):
    return build_classification_family(ClassificationSpec(family=name, image_size=12, **spec))


def sample(fam, meta_batch=4, ways=3, shots=2, queries=3, seed=0, split="train"):
    return fam.sample(meta_batch, ways, shots, queries, torch.Generator().manual_seed(seed), "cpu", split)


def test_every_family_has_a_one_line_description():
    assert {"blobs", "halfplanes", "rings", "spirals", "moons"} <= set(CLASSIFICATION_FAMILIES)
    for name in CLASSIFICATION_FAMILIES:
        text = CLASSIFICATION_DESCRIPTIONS[name]
        assert text and "\n" not in text and len(text) < 100


@pytest.mark.parametrize("name", PROCEDURAL)
def test_shapes_dtypes_and_labels(name, float64):
    fam = family(name)
    batch = sample(fam, meta_batch=5, ways=4, shots=2, queries=3)
    shape = fam.input_shape
    assert batch.x_support.shape == (5, 8, *shape) and batch.x_query.shape == (5, 12, *shape)
    assert batch.y_support.shape == (5, 8) and batch.y_query.shape == (5, 12)
    assert batch.x_support.dtype == batch.x_query.dtype == torch.float32  # even under a float64 default
    assert batch.y_support.dtype == batch.y_query.dtype == torch.int64
    assert batch.ways == 4 and batch.size == 5 and batch.family is fam
    for y, per_class in ((batch.y_support, 2), (batch.y_query, 3)):
        counts = torch.stack([(y == label).sum(1) for label in range(4)], 1)
        assert (counts == per_class).all()   # every label 0..N-1, K (or Q) times in every task
    assert torch.isfinite(batch.x_support).all() and torch.isfinite(batch.x_query).all()
    assert fam.class_count("train") is None
    assert set(fam.split_summary()) == {"train", "val", "test"}   # JSON-ready, for the run to store


@pytest.mark.parametrize("name", PROCEDURAL)
def test_labels_are_permuted_per_task(name):
    batch = sample(family(name), meta_batch=24, ways=4, shots=1, queries=1)
    first_slot = batch.y_support[:, 0]   # support is laid out class slot by class slot
    assert len(set(first_slot.tolist())) > 1
    # the same class slot keeps its label in support and query
    assert torch.equal(batch.y_support, batch.y_query)


@pytest.mark.parametrize("name", PROCEDURAL)
def test_a_seed_gives_the_same_episodes(name):
    fam = family(name)
    a, b, c = sample(fam, seed=3), sample(fam, seed=3), sample(fam, seed=4)
    assert torch.equal(a.x_support, b.x_support) and torch.equal(a.y_query, b.y_query)
    assert not torch.equal(a.x_support, c.x_support)


@settings(max_examples=15, deadline=None)
@given(name=st.sampled_from(PROCEDURAL), meta_batch=st.integers(1, 3), ways=st.integers(2, 6),
       shots=st.integers(1, 3), queries=st.integers(0, 3), seed=st.integers(0, 2**31))
def test_any_episode_sizes(name, meta_batch, ways, shots, queries, seed):
    fam = family(name)
    batch = sample(fam, meta_batch, ways, shots, queries, seed)
    assert batch.x_support.shape[:2] == (meta_batch, ways * shots)
    assert batch.x_query.shape[:2] == (meta_batch, ways * queries)
    support = batch.y_support.reshape(meta_batch, ways, shots)
    assert (support == support[:, :, :1]).all()                          # one label per class slot
    assert (support[:, :, 0].sort(1).values == torch.arange(ways)).all()  # N distinct labels 0..N-1
    # K + Q distinct examples per class
    features = torch.Size(fam.input_shape).numel()
    examples = torch.cat([batch.x_support.reshape(meta_batch, ways, shots, features),
                          batch.x_query.reshape(meta_batch, ways, queries, features)], 2)
    for task in examples:
        for per_class in task:
            assert torch.unique(per_class, dim=0).shape[0] == shots + queries
    assert torch.equal(batch.x_query, sample(fam, meta_batch, ways, shots, queries, seed).x_query)


@pytest.mark.parametrize("field, value, message", [
    ("family", "nope", "unknown classification family 'nope'; allowed: blobs"),
    ("ways", 1, "task.ways must be an integer >= 2, got 1"),
    ("shots", 0, "task.shots must be an integer >= 1, got 0"),
    ("queries", -1, "task.queries must be an integer >= 0, got -1"),
    ("image_size", 4, "task.image_size must be an integer from 8 to 256, got 4"),
    ("channels", 2, "task.channels must be 1 (grey) or 3 (RGB), got 2"),
])
def test_bad_specs_are_one_line_errors(field, value, message):
    spec = dict(family="glyphs")
    spec[field] = value
    with pytest.raises(ValueError) as error:
        build_classification_family(ClassificationSpec(**spec))
    assert str(error.value).startswith(message) and "\n" not in str(error.value)


@pytest.mark.parametrize("call, message", [
    (dict(ways=1), "ways must be an integer >= 2, got 1"),
    (dict(shots=0), "shots must be an integer >= 1, got 0"),
    (dict(meta_batch=0), "meta_batch must be an integer >= 1, got 0"),
    (dict(split="validation"), "unknown split 'validation'; allowed: train, val, test"),
])
def test_bad_sample_calls_are_one_line_errors(call, message):
    with pytest.raises(ValueError, match=message):
        sample(family("blobs"), **call)
