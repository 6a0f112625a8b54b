"""The task form for classification: kind switch, network fitted to the input, dataset folders, previews."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("pytestqt")

from PIL import Image  # noqa: E402

from maml_gui.core.config import ExperimentConfig  # noqa: E402
from maml_gui.core.presets import load_preset  # noqa: E402
from maml_gui.qt.panels.classification_fields import DATASET_FOLDER  # noqa: E402
from maml_gui.qt.panels.config_panel import ConfigPanel  # noqa: E402
from maml_gui.qt.panels.fields import set_choice  # noqa: E402


@pytest.fixture
def panel(qtbot):
    widget = ConfigPanel()
    qtbot.addWidget(widget)
    widget.set_config(ExperimentConfig())  # as the window does at start
    widget.show()
    yield widget
    widget.shutdown()


def visible(panel, widget) -> bool:
    return widget.isVisibleTo(panel)


def images(folder: Path, count: int, size=(12, 12), suffix=".png") -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for index in range(count):
        Image.new("L", size, color=(index * 37) % 256).save(folder / f"{index:03d}{suffix}")


def omniglot_folder(root: Path, characters: int = 12, per_class: int = 4) -> Path:
    for index in range(characters):
        images(root / "images_background" / f"Alphabet_{index % 2}" / f"character{index:02d}", per_class)
    return root


def flat_folder(root: Path, classes: int = 12, per_class: int = 4) -> Path:
    for index in range(classes):
        images(root / f"class_{index:02d}", per_class, size=(20, 16))
    return root


def miniimagenet_folder(root: Path, per_class: int = 4) -> Path:
    (root / "images").mkdir(parents=True)
    for split, labels in (("train", ["n01", "n02", "n03"]), ("val", ["n04", "n05"]), ("test", ["n06", "n07"])):
        rows = ["filename,label"]
        for label in labels:
            for index in range(per_class):
                name = f"{label}_{index}.jpg"
                Image.new("RGB", (16, 16), color=(index * 40, 90, 200)).save(root / "images" / name)
                rows.append(f"{name},{label}")
        (root / f"{split}.csv").write_text("\n".join(rows) + "\n")
    return root


def folder_config(root: Path, ways: int = 2, shots: int = 1, queries: int = 1) -> ExperimentConfig:
    return load_preset("omniglot-5way-1shot").with_overrides(
        [f"task.root='{root}'", f"task.ways={ways}", f"task.shots={shots}", f"task.queries={queries}",
         "task.family='folder'", "task.rotations=false"])


def wait_checked(qtbot, panel) -> None:
    field = panel.task.classification.folder
    qtbot.waitUntil(lambda: field.info is not None and not field.checking, timeout=10_000)


# -- the kind switch ---------------------------------------------------------------------------------
def test_the_kind_switch_shows_the_fields_of_the_kind(panel):
    task, network = panel.task, panel.training.network
    assert visible(panel, task.family) and visible(panel, task.ranges) and not visible(panel, task.classification.ways)
    assert not visible(panel, network.kind)  # regression trains the MLP: no choice to offer
    set_choice(task.kind, "classification")
    fields = task.classification
    assert visible(panel, fields.family) and visible(panel, fields.ways) and visible(panel, network.kind)
    assert not visible(panel, task.family) and not visible(panel, task.ranges) and not visible(panel, task.noise)
    assert not visible(panel, fields.image_size) and not visible(panel, fields.folder)  # blobs are points
    assert task.form.labelForField(task.shots).text().startswith("K shots")
    assert panel.is_valid() and panel.config.task.kind == "classification" and panel.config.task.family == "blobs"
    set_choice(fields.family, "glyphs")
    assert visible(panel, fields.image_size) and visible(panel, fields.channels) and visible(panel, fields.rotations)
    assert panel.config.model.kind == "conv4" and panel.config.model.strided  # chosen to fit 28x28 glyphs
    assert visible(panel, network.filters) and not visible(panel, panel.training.hidden)
    set_choice(fields.family, DATASET_FOLDER)
    assert visible(panel, fields.folder) and not panel.is_valid()
    assert "choose the dataset folder" in panel.field_error
    set_choice(task.kind, "regression")
    assert panel.is_valid() and panel.config.task.kind == "regression" and panel.config.model.kind == "mlp"
    assert task.shots.value() == 10 and visible(panel, task.ranges)


def test_the_user_may_change_the_network_and_a_misfit_is_marked_at_it(panel):
    set_choice(panel.task.kind, "classification")
    set_choice(panel.training.network.kind, "conv4")  # on 2-D points
    assert not panel.is_valid() and "conv4 needs an image family" in panel.field_error
    set_choice(panel.training.network.kind, "mlp")
    assert panel.is_valid()


def test_larger_images_get_the_pooled_conv4(panel):
    set_choice(panel.task.kind, "classification")
    panel.task.classification.image_size.setValue(84)
    set_choice(panel.task.classification.family, "glyphs")
    assert panel.config.model.kind == "conv4" and not panel.config.model.strided and panel.config.model.filters == 32


# -- dataset folders ---------------------------------------------------------------------------------
@pytest.mark.parametrize("make, layout, family", [(omniglot_folder, "Omniglot", "omniglot"),
                                                  (flat_folder, "one subfolder per class", "folder"),
                                                  (miniimagenet_folder, "mini-ImageNet", "miniimagenet")])
def test_each_dataset_layout_is_recognised_as_it_is_chosen(qtbot, panel, tmp_path, make, layout, family):
    root = make(tmp_path / "data")
    panel.set_config(folder_config(tmp_path / "elsewhere"))
    field = panel.task.classification.folder
    field.ask_folder = lambda: str(root)
    field.choose.click()
    wait_checked(qtbot, panel)
    caption = field.caption.text()
    assert caption.startswith(f"{layout} layout:") and "images" in caption
    assert panel.is_valid(), panel.error
    assert panel.config.task.family == family and panel.config.task.root == str(root)


@pytest.mark.parametrize("make, ways, shots, expected", [
    (lambda root: root.mkdir() or root, 2, 1, "not a recognised dataset folder"),
    (lambda root: flat_folder(root, classes=3), 2, 1, "the train split has 1 class of 3; 2-way needs 2"),
    (lambda root: flat_folder(root, per_class=2), 2, 2, "the smallest class has 2 images; 2 shots + 1 query need 3"),
    (lambda root: (miniimagenet_folder(root), (root / "val.csv").unlink(), root)[2], 2, 1, "has no val.csv"),
    (lambda root: (flat_folder(root), (root / "class_03" / "000.png").write_bytes(b"not an image"), root)[2], 2, 1,
     "cannot read image"),
])
def test_a_broken_folder_is_one_line_at_the_field(qtbot, panel, tmp_path, make, ways, shots, expected):
    root = make(tmp_path / "data")
    panel.set_config(folder_config(root, ways=ways, shots=shots))
    wait_checked(qtbot, panel)  # the folder's verdict arrives off the UI thread and re-validates the form
    assert not panel.is_valid()
    assert expected in panel.field_error and "\n" not in panel.field_error and "<br>" not in panel.field_error
    assert panel.task.marker.label.isVisibleTo(panel) and panel.error_label.text() == ""


def test_a_missing_folder_typed_in_is_refused_at_the_field(qtbot, panel, tmp_path):
    panel.set_config(folder_config(flat_folder(tmp_path / "data")))
    wait_checked(qtbot, panel)
    assert panel.is_valid()
    field = panel.task.classification.folder
    field.path.setText(str(tmp_path / "nowhere"))
    field.path.editingFinished.emit()
    wait_checked(qtbot, panel)
    assert not panel.is_valid() and "is not an existing folder" in panel.field_error


# -- previews ----------------------------------------------------------------------------------------
def test_a_points_preview_draws_every_class(qtbot, panel):
    set_choice(panel.task.kind, "classification")
    panel.task.classification.ways.setValue(4)
    preview = panel.task.class_preview
    qtbot.waitUntil(lambda: preview.shown_task is not None and preview.shown_task.ways == 4
                    and preview.preview is not None and preview.preview.ways == 4, timeout=10_000)
    assert panel.task.previews.currentWidget() is preview
    assert preview.drawn_classes() == 4
    assert len(preview.support.data) == 4 * panel.config.task.shots
    assert len(preview.query.data) == 4 * panel.config.task.queries


def test_an_image_preview_is_an_n_by_k_grid_of_support_images(qtbot, panel):
    config = load_preset("glyphs-5way-1shot").with_overrides(["task.shots=3", "task.ways=4"])
    panel.set_config(config)
    preview = panel.task.class_preview
    qtbot.waitUntil(lambda: preview.preview is not None and preview.shown_task == config.task, timeout=10_000)
    assert preview.preview.shape == (4, 3) and preview.drawn_classes() == 4
    image = preview.image.image
    assert image.shape == (4 * 28 + 3 * 2, 3 * 28 + 2 * 2)  # rows of classes, a column per shot, 2-pixel gaps
    assert image.max() > 200 and image.min() < 50  # strokes on a dark background


def test_a_folder_preview_reads_only_the_drawn_images(qtbot, panel, tmp_path):
    root = flat_folder(tmp_path / "data", classes=12, per_class=5)
    panel.set_config(folder_config(root, ways=3, shots=2))
    preview = panel.task.class_preview
    qtbot.waitUntil(lambda: preview.preview is not None and preview.shown_task.root == str(root), timeout=10_000)
    assert preview.preview.shape == (3, 2) and len(preview.preview.names) == 3
