"""The classification playgrounds' drawn work in the experiment's files: saved with the run, shown when opened.

The session asks each link for its playground's work when it writes a run (Save, and each
autosave through :meth:`~maml_gui.qt.session.ExperimentSession.drawn_work`) and emits what it read
after opening one:

- :class:`DrawnTaskLink`: the image playground's drawn task, ``drawing.json``
  (``session.drawing_provider``, ``session.drawing_loaded``);
- :class:`ClassPointsLink`: the 2-D classification playground's labelled points, ``class_points.json``
  (``session.class_points_provider``, ``session.class_points_loaded``).

The window's :class:`~maml_gui.qt.playground.by_kind.PlaygroundHost` makes a classification
playground only when an experiment of its kind is first shown, so what arrives before waits here
and is handed over then. This module does not import the playgrounds (the window imports it; a
playground is imported only when shown).
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Slot

from maml_gui.core.drawn_task import DrawnTask

from .by_kind import IMAGES, POINTS


class PlaygroundLink(QObject):
    """The work of the host's ``key`` playground: read from it once it exists, else what waits for it."""

    key = ""

    def __init__(self, session, host, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.host = host
        self.pending = None  # what was read from a run before the playground was made

    def playground(self):
        """The playground if the host has made it (given anything waiting for it), else None."""
        widget = self.host.widgets.get(self.key)
        if widget is None or not self.fits(widget):
            return None
        if self.pending is not None:
            pending, self.pending = self.pending, None
            self.show_in(widget, pending)
        return widget

    def work(self):
        widget = self.playground()
        return self.read_from(widget) if widget is not None else self.pending

    @Slot(object)
    def show(self, work) -> None:
        widget = self.playground()
        if widget is not None:
            self.show_in(widget, work)
        else:
            self.pending = work

    # -- per kind ----------------------------------------------------------------------------------
    def fits(self, widget) -> bool:
        raise NotImplementedError

    def read_from(self, widget):
        raise NotImplementedError

    def show_in(self, widget, work) -> None:
        raise NotImplementedError


class DrawnTaskLink(PlaygroundLink):
    key = IMAGES

    def __init__(self, session, host, parent: QObject | None = None) -> None:
        super().__init__(session, host, parent)
        session.drawing_provider = self.drawn_task
        session.drawing_loaded.connect(self.show)

    def drawn_task(self) -> DrawnTask | None:
        return self.work()

    def show_drawn_task(self, task: DrawnTask | None) -> None:
        self.show(task)

    def fits(self, widget) -> bool:
        return hasattr(widget, "set_drawn_task")

    def read_from(self, widget) -> DrawnTask:
        return widget.drawn_task()

    def show_in(self, widget, work) -> None:
        widget.set_drawn_task(work)


class ClassPointsLink(PlaygroundLink):
    key = POINTS

    def __init__(self, session, host, parent: QObject | None = None) -> None:
        super().__init__(session, host, parent)
        session.class_points_provider = self.class_points
        session.class_points_loaded.connect(self.show)

    def class_points(self) -> list[tuple[float, float, int]] | None:
        """The 2-D playground's points; None while it has neither been shown nor been given a run's."""
        points = self.work()
        return None if points is None else list(points)

    def fits(self, widget) -> bool:
        return hasattr(widget, "set_points") and hasattr(widget, "current_class")

    def read_from(self, widget) -> list[tuple[float, float, int]]:
        return widget.points()

    def show_in(self, widget, work) -> None:
        try:
            widget.set_points(work)
        except ValueError as err:  # checked on reading already; a widget with other limits says so here
            self.session.message.emit(f"the run's 2-D points were not shown: {err}")
