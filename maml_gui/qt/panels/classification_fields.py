"""The classification rows of the task form: family, N ways, image size and colour, rotations, dataset folder.

K shots and Q queries per class are the task form's own Support / Query rows, relabelled. The
family list shows "dataset folder" once for the three folder families (``omniglot``,
``folder``, ``miniimagenet``): the layout the chosen folder has decides which one the config gets.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt, Signal, Slot
from PySide6.QtWidgets import QCheckBox, QFormLayout, QLabel, QWidget

from maml_gui.core.config import POINT_FAMILIES, TaskConfig
from maml_gui.core.experiment_setup import FOLDER_FAMILIES
from maml_gui.core.tasks.classification import CLASSIFICATION_DESCRIPTIONS
from maml_gui.qt.panels.dataset_folder import DatasetFolderField
from maml_gui.qt.panels.field_errors import FieldErrorMarker, FieldSpot
from maml_gui.qt.panels.fields import choice_field, int_field, set_choice

DATASET_FOLDER = "dataset folder"
FORM_FAMILIES = (*POINT_FAMILIES, "glyphs", DATASET_FOLDER)
FAMILY_LABELS = {"halfplanes": "half-planes"}  # short: never cut in a narrow form; tooltips say more
DESCRIPTIONS = {**CLASSIFICATION_DESCRIPTIONS,
                DATASET_FOLDER: "your images: Omniglot, mini-ImageNet or one subfolder per class"}
CHANNELS = {1: "grey", 3: "RGB"}


def input_kind(family: str) -> str:
    """``"points"`` for the 2-D point families, ``"images"`` for the others."""
    return "points" if family in POINT_FAMILIES else "images"


class ClassificationFields(QObject):
    """Widgets and form rows for a classification task; ``edited`` after a committed change,
    ``input_changed`` (before that ``edited``) when the family switched between points and images."""

    edited = Signal()
    input_changed = Signal()

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.family = choice_field(FORM_FAMILIES, "classification_family", parent,
                                   "the distribution the N-way tasks are drawn from")
        for index, name in enumerate(FORM_FAMILIES):
            self.family.setItemText(index, FAMILY_LABELS.get(name, name))
            self.family.setItemData(index, DESCRIPTIONS.get(name, ""), Qt.ItemDataRole.ToolTipRole)
        self.caption = QLabel(parent)
        self.caption.setObjectName("classification_caption")
        self.caption.setWordWrap(True)
        self.caption.setStyleSheet("color: palette(placeholder-text);")
        self.ways = int_field(TaskConfig, "ways", parent)
        self.image_size = int_field(TaskConfig, "image_size", parent, "images are resized to this side (pixels)")
        self.channels = choice_field(tuple(CHANNELS), "channels", parent, "grey (1 channel) or colour (RGB)")
        for index, count in enumerate(CHANNELS):
            self.channels.setItemText(index, CHANNELS[count])
        self.rotations = QCheckBox("90° rotations as new classes", parent)
        self.rotations.setObjectName("rotations")
        self.rotations.setToolTip("each class also comes turned by 90, 180 and 270 degrees, each a class of its "
                                  "own (Finn et al.'s augmentation)")
        self.folder = DatasetFolderField(parent)
        self._folder_family = "folder"  # the folder family of the loaded config until a folder is checked
        self.family.currentIndexChanged.connect(self._on_family_changed)
        for box in (self.ways, self.image_size):
            box.valueChanged.connect(self.edited)
        self.channels.currentIndexChanged.connect(self.edited)
        self.rotations.toggled.connect(self.edited)
        self.folder.edited.connect(self.edited)
        self.folder.checked.connect(self._on_folder_checked)

    def add_rows(self, form: QFormLayout, family_row: int) -> None:
        """Insert the family rows at ``family_row`` and append the others to ``form``."""
        form.insertRow(family_row, "Family", self.family)
        form.insertRow(family_row + 1, "", self.caption)
        form.insertRow(family_row + 2, "Dataset folder", self.folder)
        form.insertRow(family_row + 3, "N ways (classes)", self.ways)
        form.insertRow(family_row + 4, "Image size", self.image_size)
        form.insertRow(family_row + 5, "Colour", self.channels)
        form.insertRow(family_row + 6, "", self.rotations)
        self.form = form

    def spots(self, marker: FieldErrorMarker) -> dict[str, FieldSpot]:
        return {"task.ways": marker.spot(self.ways), "task.image_size": marker.spot(self.image_size),
                "task.channels": marker.spot(self.channels), "task.rotations": marker.spot(self.rotations),
                "task.root": marker.spot(self.folder, self.folder.path)}

    def widgets(self) -> tuple[QWidget, ...]:
        return (self.family, self.caption, self.folder, self.ways, self.image_size, self.channels, self.rotations)

    # -- config <-> widgets ----------------------------------------------------------------------
    def load(self, task: TaskConfig) -> None:
        blocked = (self.family, self.ways, self.image_size, self.channels, self.rotations)
        for widget in blocked:
            widget.blockSignals(True)
        try:
            folder = task.family in FOLDER_FAMILIES
            set_choice(self.family, DATASET_FOLDER if folder else task.family if task.kind == "classification"
                       else POINT_FAMILIES[0])
            if folder:
                self._folder_family = task.family
            self.ways.setValue(task.ways)
            self.image_size.setValue(task.image_size)
            set_choice(self.channels, task.channels)
            self.rotations.setChecked(task.rotations)
        finally:
            for widget in blocked:
                widget.blockSignals(False)
        if self.folder.root() != task.root or (task.root and self.folder.info is None and not self.folder.checking):
            self.folder.set_root(task.root)

    def config_family(self) -> str:
        chosen = self.family.currentData()
        if chosen != DATASET_FOLDER:
            return chosen
        return self.folder.detected_layout() or self._folder_family

    def values(self) -> dict:
        return {"family": self.config_family(), "ways": self.ways.value(), "image_size": self.image_size.value(),
                "channels": self.channels.currentData(), "rotations": self.rotations.isChecked(),
                "root": self.folder.root()}

    def folder_problem(self, shots: int, queries: int) -> str:
        """The dataset folder's problem for these episodes ('' when no folder family is chosen or it is fine)."""
        if self.family.currentData() != DATASET_FOLDER:
            return ""
        return self.folder.problem(self.ways.value(), shots, queries, self.rotations.isChecked())

    def input_kind(self) -> str:
        return input_kind(self.config_family())

    # -- showing -----------------------------------------------------------------------------------
    def show_rows(self, shown: bool) -> None:
        family = self.family.currentData()
        images = shown and family not in POINT_FAMILIES
        self.caption.setText(DESCRIPTIONS.get(family, ""))
        visible = {self.family: shown, self.caption: shown, self.ways: shown, self.folder: shown and family == DATASET_FOLDER,
                   self.image_size: images, self.channels: images, self.rotations: images}
        for widget, show in visible.items():
            self.form.setRowVisible(widget, show)

    @Slot(int)
    def _on_family_changed(self, _index: int) -> None:
        self.show_rows(True)
        self.input_changed.emit()
        self.edited.emit()

    @Slot()
    def _on_folder_checked(self) -> None:
        layout = self.folder.detected_layout()
        if layout is not None:
            self._folder_family = layout
        self.edited.emit()  # the folder's verdict (and maybe its layout) changes the form's validity
