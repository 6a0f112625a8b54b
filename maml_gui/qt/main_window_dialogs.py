"""The main window's dialogs: the unsaved-work prompts (``ask_*``, replaced in tests), errors and About.

:class:`WindowDialogs` is mixed into :class:`~maml_gui.qt.main_window.MainWindow` and uses its
``session``, ``settings`` and ``files``.
"""

from __future__ import annotations

from PySide6.QtCore import Slot
from PySide6.QtWidgets import QMessageBox

from maml_gui.qt import settings as keys
from maml_gui.qt.about import about_html

APP_NAME = "MAML Studio"
# what replaces the playgrounds' points and drawings (confirm_discard asks about them only then)
DISCARDS_DRAWINGS = ("closing", "starting a new experiment", "opening another run", "following another run")
Button = QMessageBox.StandardButton


class WindowDialogs:
    """The dialogs of :class:`~maml_gui.qt.main_window.MainWindow`."""

    def ask_unsaved(self, doing: str) -> QMessageBox.StandardButton:
        what = (f"The model trained to iteration {self.session.iteration} is not saved. Save it" if self.session.unsaved
                else "The points or drawings changed since the run was saved are not saved. Save them")
        return QMessageBox.question(self, APP_NAME, f"{what} before {doing}?",
                                    Button.Save | Button.Discard | Button.Cancel, Button.Save)

    def ask_save_before_closing(self) -> QMessageBox.StandardButton:
        return self.ask_unsaved("closing")

    def confirm_discard(self, doing: str) -> bool:
        """True when nothing unsaved would be lost by ``doing`` (asks, and saves if told to)."""
        drawings = doing in DISCARDS_DRAWINGS and self.session.drawn_unsaved
        if not ((self.session.unsaved or drawings) and self.settings.get(keys.CONFIRM_DISCARD)):
            return True
        answer = self.ask_save_before_closing() if doing == "closing" else self.ask_unsaved(doing)
        if answer == Button.Cancel:
            return False
        return answer != Button.Save or self.files.save_run()

    @Slot(str)
    def show_error(self, message: str) -> None:
        self._show_message(message)
        QMessageBox.warning(self, APP_NAME, message)

    @Slot()
    def show_about(self) -> None:
        QMessageBox.about(self, f"About {APP_NAME}", about_html(APP_NAME))
