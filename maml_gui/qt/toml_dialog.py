"""Edit the whole experiment config as TOML text, validated before it is accepted."""

from __future__ import annotations

from PySide6.QtCore import Slot
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QPlainTextEdit, QVBoxLayout, QWidget

from maml_gui.core.config import ConfigError, ExperimentConfig, from_toml

ERROR_STYLE = "color: #c0392b;"


class ConfigTomlDialog(QDialog):
    """OK is refused, with the validator's one-line message, until the text is a valid config."""

    def __init__(self, config: ExperimentConfig, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Experiment config (TOML)")
        self.resize(640, 560)
        self.editor = QPlainTextEdit(self)
        self.editor.setObjectName("toml_editor")
        self.editor.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.editor.setPlainText(config.to_toml())
        self.error_label = QLabel(self)
        self.error_label.setObjectName("toml_error")
        self.error_label.setWordWrap(True)
        self.error_label.setStyleSheet(ERROR_STYLE)
        self.error_label.hide()
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel,
                                        self)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.editor)
        layout.addWidget(self.error_label)
        layout.addWidget(self.buttons)
        self.config: ExperimentConfig | None = None

    def parse(self) -> ExperimentConfig:
        return from_toml(self.editor.toPlainText(), source="config")

    @Slot()
    def accept(self) -> None:
        try:
            self.config = self.parse()
        except ConfigError as err:
            self.error_label.setText(str(err))
            self.error_label.show()
            return
        super().accept()
