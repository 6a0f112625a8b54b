"""A folder dialog for saving: a typed folder that does not exist yet is created.

Qt's own directory dialog refuses a typed name that does not exist ("Directory not found")
and disables its button for it. :class:`SaveFolderDialog` (Qt's dialog, not the platform's,
so that it behaves the same everywhere) enables the button for a new name in an existing
folder and creates that folder when accepted.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Slot
from PySide6.QtWidgets import QDialogButtonBox, QFileDialog, QLineEdit, QMessageBox, QWidget


class SaveFolderDialog(QFileDialog):
    def __init__(self, parent: QWidget | None, title: str, start: str) -> None:
        super().__init__(parent, title, start)
        self.setOption(QFileDialog.Option.DontUseNativeDialog, True)
        self.setOption(QFileDialog.Option.ShowDirsOnly, True)
        self.setFileMode(QFileDialog.FileMode.Directory)
        self.setLabelText(QFileDialog.DialogLabel.Accept, "Save")
        self.setLabelText(QFileDialog.DialogLabel.FileName, "Folder:")
        self.name_edit = self.findChild(QLineEdit, "fileNameEdit")
        buttons = self.findChild(QDialogButtonBox, "buttonBox")
        self.save_button = buttons.button(QDialogButtonBox.StandardButton.Open) if buttons is not None else None
        if self.name_edit is not None:
            self.name_edit.textChanged.connect(self._enable_new_folder_name)  # after Qt's own check

    def new_folder(self) -> Path | None:
        """The typed folder when it does not exist yet but its parent does."""
        files = self.selectedFiles()
        if not files or not self.name_edit or not self.name_edit.text().strip():
            return None
        target = Path(files[0])
        return target if not target.exists() and target.parent.is_dir() else None

    @Slot(str)
    def _enable_new_folder_name(self, _text: str) -> None:
        if self.save_button is not None and self.new_folder() is not None:
            self.save_button.setEnabled(True)

    def accept(self) -> None:
        target = self.new_folder()
        if target is not None:
            try:
                target.mkdir()
            except OSError as err:
                QMessageBox.warning(self, self.windowTitle(), f"cannot create {target}: {err}")
                return
        super().accept()


def ask_save_folder(parent: QWidget | None, title: str, start: str) -> str:
    """A folder chosen or typed (and then created) by the user; '' when cancelled."""
    dialog = SaveFolderDialog(parent, title, start)
    try:
        if dialog.exec() != QFileDialog.DialogCode.Accepted or not dialog.selectedFiles():
            return ""
        return dialog.selectedFiles()[0]
    finally:
        dialog.deleteLater()
