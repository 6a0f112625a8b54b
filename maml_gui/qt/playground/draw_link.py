"""The image playground's drawn task in the experiment's files: saved with the run, shown when opened.

The session asks :meth:`DrawnTaskLink.drawn_task` when it writes a run (``drawing.json``) and
emits ``drawing_loaded`` after opening one. The window's
:class:`~maml_gui.qt.playground.by_kind.PlaygroundHost` makes the image playground only when an
image experiment is first shown, so a drawing that arrives before it waits here and is handed over
then. This module does not import the playground (the window imports it; the playground is
imported only when shown).
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Slot

from maml_gui.core.drawn_task import DrawnTask

from .by_kind import IMAGES


class DrawnTaskLink(QObject):
    def __init__(self, session, host, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.host = host
        self.pending: DrawnTask | None = None
        session.drawing_provider = self.drawn_task
        session.drawing_loaded.connect(self.show_drawn_task)

    def playground(self):
        """The image playground if the host has made it (given any drawing waiting for it), else None."""
        widget = self.host.widgets.get(IMAGES)
        if widget is None or not hasattr(widget, "set_drawn_task"):
            return None
        if self.pending is not None:
            widget.set_drawn_task(self.pending)
            self.pending = None
        return widget

    def drawn_task(self) -> DrawnTask | None:
        widget = self.playground()
        return widget.drawn_task() if widget is not None else self.pending

    @Slot(object)
    def show_drawn_task(self, task: DrawnTask | None) -> None:
        widget = self.playground()
        if widget is not None:
            widget.set_drawn_task(task)
        else:
            self.pending = task
