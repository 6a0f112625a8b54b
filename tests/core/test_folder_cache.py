"""A decoded dataset folder is kept for the next identical build, and decoded again when anything changed."""

from __future__ import annotations

import os

from PIL import Image

from maml_gui.core.tasks.classification import ClassificationSpec, build_classification_family
from maml_gui.core.tasks.classification import folder_cache


def make_folder(root, classes=12, per_class=3):
    for c in range(classes):
        (root / f"c{c}").mkdir(parents=True)
        for i in range(per_class):
            Image.new("L", (10, 10), color=(c * 40 + i) % 256).save(root / f"c{c}" / f"{i}.png")
    return root


def spec(root, **changes):
    return ClassificationSpec(**{"family": "folder", "ways": 2, "shots": 1, "queries": 1, "image_size": 8,
                                 "root": str(root), **changes})


def test_the_same_folder_and_settings_are_decoded_once(tmp_path):
    folder_cache.forget()
    root = make_folder(tmp_path / "data")
    calls = []
    first = build_classification_family(spec(root), progress=lambda done, total: calls.append((done, total)))
    assert folder_cache.is_decoded(spec(root)) and calls[-1] == (36, 36)
    calls.clear()
    again = build_classification_family(spec(root), progress=lambda done, total: calls.append((done, total)))
    assert again is first and calls == [(36, 36)]  # nothing decoded, progress says it is all there
    assert build_classification_family(spec(root, shots=2)) is first  # episode sizes do not change the images


def test_other_settings_or_a_changed_file_decode_again(tmp_path):
    folder_cache.forget()
    root = make_folder(tmp_path / "data")
    first = build_classification_family(spec(root))
    bigger = build_classification_family(spec(root, image_size=9))
    assert bigger is not first and bigger.images.shape[-1] == 9
    assert not folder_cache.is_decoded(spec(root))  # only the most recent is kept
    image = root / "c0" / "0.png"
    Image.new("L", (10, 10), color=255).save(image)
    stat = image.stat()
    os.utime(image, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10_000_000))
    changed = build_classification_family(spec(root, image_size=9))
    assert changed is not bigger and changed.images[0].float().mean() > bigger.images[0].float().mean()
    folder_cache.forget()
    assert not folder_cache.is_decoded(spec(root, image_size=9))
