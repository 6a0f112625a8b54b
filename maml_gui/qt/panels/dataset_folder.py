"""The dataset folder chooser: pick a folder, see at once what it holds and what is missing.

The folder is checked off the UI thread (:func:`maml_gui.core.tasks.classification.inspect_dataset_folder`
lists it and reads a few image headers): the layout it recognises (Omniglot, mini-ImageNet, one
subfolder per class), the classes per split, the images, their typical size. :meth:`DatasetFolderField.problem`
says in one line what keeps the folder from giving the asked N-way K-shot + Q episodes; the
form shows it at this field like any other field's error.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import QFileDialog, QHBoxLayout, QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget

from maml_gui.core.tasks.classification import DatasetFolderInfo, inspect_dataset_folder
from maml_gui.core.tasks.classification.dataset_folders import SPLITS
from maml_gui.qt.background_job import LatestJob

CAPTION_STYLE = "color: palette(placeholder-text);"
CHOOSE = ("choose the dataset folder: Omniglot (images_background/), mini-ImageNet (images/ + train.csv, "
          "val.csv, test.csv) or one subfolder of images per class")
LAYOUT_NAMES = {"omniglot": "Omniglot", "miniimagenet": "mini-ImageNet", "folder": "one subfolder per class"}


def _plural(count: int, word: str, plural: str) -> str:
    return f"{count} {word if count == 1 else plural}"


def episode_problem(info: DatasetFolderInfo, ways: int, shots: int, queries: int, rotations: bool) -> str:
    """What keeps the folder ``info`` from giving ``ways``-way ``shots``-shot episodes with ``queries``, or ''."""
    if info.layout is None:
        return info.problems[0] if info.problems else f"{info.root} is not a dataset folder"
    unreadable = next((p for p in info.problems if p.startswith("cannot read image")), None)
    if unreadable:
        return unreadable
    turns = 4 if rotations else 1
    for split in SPLITS:
        have = (info.split_counts or {}).get(split, 0) * turns
        if have < ways:
            return (f"the {split} split has {_plural(have, 'class', 'classes')} of {info.class_count}; {ways}-way "
                    f"needs {ways}" + ("" if rotations else " (rotations make 4 classes of each)"))
    if info.smallest_class < shots + queries:
        return (f"the smallest class has {_plural(info.smallest_class, 'image', 'images')}; {shots} "
                f"shot{'s' if shots != 1 else ''} + {queries} quer{'ies' if queries != 1 else 'y'} need "
                f"{shots + queries}")
    return ""


class DatasetFolderField(QWidget):
    """A path box, a Choose… button and a caption with what the folder holds.

    ``edited`` when the user commits another path (typed or chosen); ``checked`` when the
    folder's inspection arrived (``info``). Tests replace :meth:`ask_folder`.
    """

    edited = Signal()
    checked = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.path = QLineEdit(self)
        self.path.setObjectName("root")
        self.path.setPlaceholderText("dataset folder")
        self.path.setToolTip(CHOOSE)
        self.choose = QPushButton("Choose…", self)
        self.choose.setObjectName("choose_root")
        self.caption = QLabel(self)
        self.caption.setObjectName("root_caption")
        self.caption.setWordWrap(True)
        self.caption.setStyleSheet(CAPTION_STYLE)
        self.caption.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.path, stretch=1)
        row.addWidget(self.choose)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(row)
        layout.addWidget(self.caption)
        self.info: DatasetFolderInfo | None = None
        self.job = LatestJob("maml-dataset-check", self)
        self.job.finished.connect(self._on_checked)
        self._checked_root: str | None = None
        self.path.editingFinished.connect(self._on_path_committed)
        self.choose.clicked.connect(self._on_choose)

    # -- dialog (replaced in tests) ------------------------------------------------------------
    def ask_folder(self) -> str:
        return QFileDialog.getExistingDirectory(self, "Choose the dataset folder", self.root() or "")

    # -- state -----------------------------------------------------------------------------------
    def root(self) -> str:
        return self.path.text().strip()

    @property
    def checking(self) -> bool:
        return self.job.busy

    def set_root(self, root: str) -> None:
        """Show ``root`` (a loaded config) and check it; emits nothing now (``checked`` follows)."""
        self.path.setText(root)
        self._check()

    def problem(self, ways: int, shots: int, queries: int, rotations: bool) -> str:
        """One line saying what is wrong with the folder for these episodes; '' while it is fine or being checked."""
        if not self.root():
            return CHOOSE
        if self.info is None or self.info.root != self._checked_root or self.checking:
            return ""
        return episode_problem(self.info, ways, shots, queries, rotations)

    def detected_layout(self) -> str | None:
        return self.info.layout if self.info is not None and not self.checking else None

    def shutdown(self) -> None:
        self.job.shutdown()

    # -- events ----------------------------------------------------------------------------------
    @Slot()
    def _on_choose(self) -> None:
        chosen = self.ask_folder()
        if chosen:
            self.path.setText(chosen)
            self._on_path_committed()

    @Slot()
    def _on_path_committed(self) -> None:
        if self.root() == self._checked_root and self.info is not None:
            return
        self._check()
        self.edited.emit()

    def _check(self) -> None:
        root = self.root()
        self._checked_root = root
        self.info = None
        if not root:
            self.job.cancel()
            self.caption.setText("")
            return
        self.caption.setText(f"checking {root}…")
        self.job.submit(root, inspect_dataset_folder, root)

    @Slot(object, object, object)
    def _on_checked(self, root: str, info: DatasetFolderInfo | None, error) -> None:
        if root != self._checked_root:
            return
        if error is not None:  # inspect_dataset_folder reports bad folders itself; this is the unexpected
            info = DatasetFolderInfo(root, None, problems=(f"cannot check {root}: {error}",))
        self.info = info
        self.caption.setText(self._describe(info))
        self.checked.emit()

    @staticmethod
    def _describe(info: DatasetFolderInfo) -> str:
        if info.layout is None:
            return ""
        split = "/".join(str((info.split_counts or {}).get(s, 0)) for s in SPLITS)
        size = f", typically {info.typical_size[0]}×{info.typical_size[1]}" if info.typical_size else ""
        lines = [f"{LAYOUT_NAMES.get(info.layout, info.layout)} layout: {info.class_count:,} classes ({split} "
                 f"train/val/test), {info.image_count:,} images, at least {info.smallest_class} per class{size}"]
        lines += [f"skipped: {p}" for p in info.problems[:2] if not p.startswith("cannot read image")]
        if len(info.problems) > 2:
            lines.append(f"… and {len(info.problems) - 2} more")
        return "\n".join(lines)
