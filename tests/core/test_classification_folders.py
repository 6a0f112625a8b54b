"""Image-folder families on tiny folders generated with Pillow: layouts, splits, cache, progress, errors."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from maml_gui.core.tasks.classification import (ClassificationSpec, build_classification_family,
                                                inspect_dataset_folder)
from maml_gui.core.tasks.classification import image_folders

torch.set_num_threads(1)


def write_image(path: Path, value: int, size=(8, 8), mode="L") -> None:
    """A uniform image of grey ``value`` with one bright corner pixel (so rotations are visible)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    pixels = np.full((size[1], size[0]), value, dtype=np.uint8)
    pixels[0, 0] = 255 if value < 128 else 0
    image = Image.fromarray(pixels)
    image.convert("RGB" if mode == "RGB" else "L").save(path)


def value_of(cls: int, index: int) -> int:
    return 5 + 5 * (cls * 5 + index)         # distinct for 10 classes x 5 images, all < 255


def make_flat(root: Path, classes=10, images=5, suffix=".png") -> Path:
    for c in range(classes):
        for i in range(images):
            write_image(root / f"class{c:02d}" / f"{i}{suffix}", value_of(c, i))
    return root


def make_omniglot(root: Path, per_set=5, images=5) -> Path:
    for s, (set_name, alphabet) in enumerate((("images_background", "Alpha"), ("images_evaluation", "Beta"))):
        for c in range(per_set):
            for i in range(images):
                write_image(root / set_name / alphabet / f"character{c + 1:02d}" / f"{c}_{i}.png",
                            value_of(s * per_set + c, i))
    return root


def make_miniimagenet(root: Path, images=5) -> Path:
    labels = {"train": ["n01", "n02", "n03"], "val": ["n04", "n05"], "test": ["n06", "n07"]}
    for split, names in labels.items():
        rows = ["filename,label"]
        for c, label in enumerate(names):
            for i in range(images):
                name = f"{label}{i:04d}.jpg"
                write_image(root / "images" / name, 40 * c + 10, size=(10, 12), mode="RGB")
                rows.append(f"{name},{label}")
        (root / f"{split}.csv").write_text("\n".join(rows) + "\n")
    return root


def build(root, family="folder", progress=None, **spec):
    values = dict(family=family, root=str(root), image_size=8, ways=2, shots=1, queries=2)
    values.update(spec)
    return build_classification_family(ClassificationSpec(**values), progress)


def sample(fam, meta_batch=6, ways=2, shots=1, queries=2, seed=0, split="train"):
    return fam.sample(meta_batch, ways, shots, queries, torch.Generator().manual_seed(seed), "cpu", split)


def identities(images: torch.Tensor) -> torch.Tensor:
    """(class * 5 + index) of each uniform test image ``[..., C, 8, 8]`` from its grey value."""
    return ((images[..., 0, 4, 4] * 255).round().long() - 5) // 5


def test_flat_folder_episodes_come_from_the_split_with_distinct_images(tmp_path):
    fam = build(make_flat(tmp_path))
    assert fam.input_shape == (1, 8, 8) and fam.images.dtype == torch.uint8 and fam.images.shape == (50, 1, 8, 8)
    assert [fam.class_count(s) for s in ("train", "val", "test")] == [6, 2, 2]    # 64 / 16 / 20 %
    for split in ("train", "val", "test"):
        batch = sample(fam, meta_batch=8, shots=2, queries=3, split=split)
        assert batch.x_support.shape == (8, 4, 1, 8, 8) and batch.x_query.dtype == torch.float32
        ids = torch.cat([identities(batch.x_support).reshape(8, 2, 2), identities(batch.x_query).reshape(8, 2, 3)], 2)
        classes = ids // 5
        assert (classes == classes[:, :, :1]).all()                               # one class per slot
        assert (classes[:, 0] != classes[:, 1]).all()                             # N distinct classes
        assert all(len(set(row.tolist())) == 5 for row in ids.reshape(16, 5))    # K + Q distinct images
        names = {f"class{c:02d}" for c in classes.flatten().tolist()}
        assert names <= set(fam.split_summary()[split])


def test_the_split_is_seeded_disjoint_and_complete(tmp_path):
    root = make_flat(tmp_path)
    a, b, c = build(root, split_seed=1).split_summary(), build(root, split_seed=1).split_summary(), \
        build(root, split_seed=2).split_summary()
    assert a == b and a != c
    every = a["train"] + a["val"] + a["test"]
    assert sorted(every) == [f"class{i:02d}" for i in range(10)]


def test_omniglot_merges_both_sets_inverts_and_reports_progress(tmp_path, monkeypatch):
    monkeypatch.setattr(image_folders, "DECODE_CHUNK", 7)
    calls = []
    fam = build(make_omniglot(tmp_path), "omniglot", progress=lambda done, total: calls.append((done, total)))
    names = sum(fam.split_summary().values(), [])
    assert "images_background/Alpha/character01" in names and "images_evaluation/Beta/character05" in names
    assert calls == [(done, 50) for done in (0, 7, 14, 21, 28, 35, 42, 49, 50)]
    image = fam.images[0, 0]
    assert image[0, 0] == 0 and image[4, 4] == 255 - value_of(0, 0)        # inverted: dark ink becomes bright


def test_miniimagenet_uses_the_csv_split_and_resizes_rgb(tmp_path):
    fam = build(make_miniimagenet(tmp_path), "miniimagenet", channels=3)
    assert fam.split_summary() == {"train": ["n01", "n02", "n03"], "val": ["n04", "n05"], "test": ["n06", "n07"]}
    batch = sample(fam, split="val")
    assert batch.x_support.shape == (6, 2, 3, 8, 8)
    assert batch.x_support.min() >= 0 and batch.x_support.max() <= 1


def test_rotations_make_four_classes_of_each(tmp_path):
    fam = build(make_flat(tmp_path), rotations=True)
    assert fam.class_count("train") == 24 and len(fam.class_names("train")) == 24
    batch = sample(fam, meta_batch=30, ways=4, shots=1, queries=1)
    corners = batch.x_support[:, :, 0][:, :, [0, 0, -1, -1], [0, -1, 0, -1]].argmax(-1)   # the bright corner
    assert set(corners.flatten().tolist()) == {0, 1, 2, 3}
    assert torch.equal(corners, batch.x_query[:, :, 0][:, :, [0, 0, -1, -1], [0, -1, 0, -1]].argmax(-1))


def test_the_cache_is_reused_and_a_seed_repeats(tmp_path):
    fam = build(make_flat(tmp_path))
    assert torch.equal(sample(fam, seed=3).x_query, sample(fam, seed=3).x_query)
    assert not torch.equal(sample(fam, seed=3).x_query, sample(fam, seed=4).x_query)


def one_line_error(**kwargs) -> str:
    with pytest.raises(ValueError) as error:
        build(**kwargs)
    text = str(error.value)
    assert "\n" not in text and "Traceback" not in text
    return text


def test_errors_for_missing_empty_and_wrong_folders(tmp_path):
    assert one_line_error(root=tmp_path / "nope") == f"dataset folder {tmp_path / 'nope'} does not exist"
    assert "needs a dataset folder: set task.root" in one_line_error(root="", family="omniglot")
    make_flat(tmp_path / "flat", classes=3)
    assert one_line_error(root=tmp_path / "flat", family="omniglot").startswith(
        f"{tmp_path / 'flat'} is not a omniglot folder: expected images_background/")


def test_errors_for_too_few_classes_or_images(tmp_path):
    root = make_flat(tmp_path, classes=10, images=5)
    assert one_line_error(root=root, ways=3) == "split 'val' has 2 classes; 3-way needs 3"
    assert re.fullmatch(r"class 'class\d\d' has 5 images; 1 shot \+ 15 queries needs 16",
                        one_line_error(root=root, shots=1, queries=15))
    assert re.fullmatch(r"class 'class\d\d' has 5 images; 4 shots \+ 2 queries needs 6",
                        one_line_error(root=root, shots=4, queries=2))
    fam = build(root)
    with pytest.raises(ValueError, match="split 'test' has 2 classes; 5-way needs 5"):
        sample(fam, ways=5, split="test")


def test_an_unreadable_image_is_named(tmp_path):
    root = make_flat(tmp_path)
    (root / "class03" / "broken.png").write_bytes(b"not an image")
    text = one_line_error(root=root)
    assert text.startswith(f"cannot read image {root / 'class03' / 'broken.png'}: ")


def test_an_image_too_large_to_be_safe_is_named_in_one_line(tmp_path):
    """Pillow's DecompressionBombWarning becomes the one-line error (in a fresh process: pytest
    manages warning filters itself)."""
    root = make_flat(tmp_path)
    code = ("import sys; from PIL import Image; Image.MAX_IMAGE_PIXELS = 40\n"  # 8x8 images exceed it
            "from maml_gui.core.tasks.classification import ClassificationSpec, build_classification_family\n"
            "try:\n"
            f"    build_classification_family(ClassificationSpec('folder', ways=2, shots=1, queries=2, root={str(root)!r}, image_size=8))\n"
            "except ValueError as error:\n"
            "    print(error)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.stdout.startswith("cannot read image ") and "exceeds limit" in done.stdout
    assert "Warning" not in done.stderr, done.stderr


def test_miniimagenet_errors(tmp_path):
    root = make_miniimagenet(tmp_path / "a")
    (root / "images" / "n010000.jpg").unlink()
    assert one_line_error(root=root, family="miniimagenet") == \
        f"image n010000.jpg listed in train.csv is missing from {root / 'images'}"
    root = make_miniimagenet(tmp_path / "b")
    (root / "test.csv").unlink()
    assert "has no test.csv" in one_line_error(root=root, family="miniimagenet")
    (root / "test.csv").write_text("filename,label\nn010000.jpg,n01\n")
    assert "class 'n01' is listed in both train.csv and test.csv" == one_line_error(root=root, family="miniimagenet")
    (root / "val.csv").write_text("file,class\n")
    assert "val.csv must start with the header 'filename,label'" in one_line_error(root=root, family="miniimagenet")


def test_inspect_recognises_each_layout(tmp_path):
    info = inspect_dataset_folder(make_omniglot(tmp_path / "o"))
    assert (info.layout, info.class_count, info.image_count, info.typical_size) == ("omniglot", 10, 50, (8, 8))
    info = inspect_dataset_folder(make_miniimagenet(tmp_path / "m"))
    assert (info.layout, info.class_count, info.typical_size, info.smallest_class) == ("miniimagenet", 7, (10, 12), 5)
    info = inspect_dataset_folder(make_flat(tmp_path / "f", classes=3))
    assert (info.layout, info.class_count, info.problems) == ("folder", 3, ())
    assert info.split_counts == {"train": 1, "val": 1, "test": 1}
    assert info.summary().startswith("folder layout: 3 classes (1/1/1 train/val/test), 15 images")
    assert inspect_dataset_folder(tmp_path / "m").split_counts == {"train": 3, "val": 2, "test": 2}


def test_inspect_reports_problems_without_raising(tmp_path):
    assert inspect_dataset_folder(tmp_path / "missing").layout is None
    (tmp_path / "empty").mkdir()
    info = inspect_dataset_folder(tmp_path / "empty")
    assert info.layout is None and "not a recognised dataset folder" in info.summary()
    root = make_flat(tmp_path / "f", classes=2, images=1)
    (root / "class00" / "0.png").write_bytes(b"garbage")
    (root / "nothing").mkdir()
    problems = inspect_dataset_folder(root).problems
    assert any("cannot read image" in p and "0.png" in p for p in problems)
    assert "nothing/ has no .png/.jpg/.jpeg/.bmp images" in problems


@pytest.fixture(scope="module")
def flat_family(tmp_path_factory):
    return build(make_flat(tmp_path_factory.mktemp("flat")))


@settings(max_examples=20, deadline=None)
@given(meta_batch=st.integers(1, 4), ways=st.integers(2, 6), shots=st.integers(1, 3), queries=st.integers(0, 2),
       seed=st.integers(0, 2**31))
def test_any_episode_from_a_folder_has_distinct_classes_and_images(flat_family, meta_batch, ways, shots, queries,
                                                                   seed):
    batch = sample(flat_family, meta_batch, ways, shots, queries, seed)
    ids = torch.cat([identities(batch.x_support).reshape(meta_batch, ways, shots),
                     identities(batch.x_query).reshape(meta_batch, ways, queries)], 2)
    labels = torch.cat([batch.y_support.reshape(meta_batch, ways, shots),
                        batch.y_query.reshape(meta_batch, ways, queries)], 2)
    for task_ids, task_labels in zip(ids, labels):
        assert sorted(task_labels[:, 0].tolist()) == list(range(ways))               # labels 0..N-1
        assert (task_labels == task_labels[:, :1]).all()
        assert len({row[0] // 5 for row in task_ids.tolist()}) == ways               # N distinct classes
        assert all(len(set(row)) == shots + queries for row in task_ids.tolist())   # K + Q distinct images
        assert all(len({i // 5 for i in row}) == 1 for row in task_ids.tolist())    # one class per slot
    assert torch.equal(batch.x_support, sample(flat_family, meta_batch, ways, shots, queries, seed).x_support)


def test_batches_name_each_labels_class_in_the_split_pool(flat_family):
    batch = sample(flat_family, meta_batch=10, ways=3, shots=2, queries=1, split="train")
    assert batch.classes.shape == (10, 3) and batch.classes.dtype == torch.int64
    names = flat_family.class_names("train")
    actual = identities(batch.x_support) // 5                                  # [B, N*K] class numbers
    named = batch.classes.gather(1, batch.y_support)                           # pool index of each label
    assert [[f"class{c:02d}" for c in row] for row in actual.tolist()] == \
        [[names[i] for i in row] for row in named.tolist()]


@pytest.mark.parametrize("count, expected", [(10, (6, 2, 2)), (100, (64, 16, 20)), (1623, (1100, 100, 423))])
def test_split_sizes(count, expected):
    from maml_gui.core.tasks.classification.dataset_folders import DatasetListing, ImageClass, split_classes
    listing = DatasetListing("omniglot", Path("."), tuple(ImageClass(f"c{i}", ()) for i in range(count)))
    split = split_classes(listing, 7)
    assert tuple(len(split[s]) for s in ("train", "val", "test")) == expected
    assert sorted(sum(split.values(), ())) == list(range(count))
