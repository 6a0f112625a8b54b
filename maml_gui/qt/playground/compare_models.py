"""Training > Compare Models…: opens the :class:`~.compare_window.CompareModelsWindow` on the
main playground's points and keeps it following them, the current model and its settings.

The window (and its adaptation thread) is made the first time it is opened.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from PySide6.QtCore import QObject, Slot
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QWidget

from .compare_window import CompareModelsWindow, PlaygroundInputs
from .widget import PlaygroundWidget


def playground_inputs(playground: PlaygroundWidget) -> PlaygroundInputs:
    return PlaygroundInputs(tuple(playground.points()), playground.controls.steps(), playground.controls.lr(),
                            playground.x_range(), playground.true_task)


class CompareModels(QObject):
    def __init__(self, playground: PlaygroundWidget, snapshot_changed, current_snapshot: Callable[[], object],
                 parent: QWidget) -> None:
        super().__init__(parent)
        self._playground, self._current_snapshot, self._parent = playground, current_snapshot, parent
        self._visible_runs: Callable[[], list[tuple[str, Path]]] | None = None
        self.window: CompareModelsWindow | None = None
        self.action = QAction("Compare &Models…", parent, objectName="compare_models")
        self.action.setShortcut("Ctrl+Shift+M")
        self.action.setStatusTip("the playground's points adapted by two or more runs, side by side or overlaid, "
                                 "with the MSE after each inner step")
        self.action.triggered.connect(self.open)
        playground.model.changed.connect(self._on_inputs_changed)
        playground.controls.settingsChanged.connect(self._on_inputs_changed)
        snapshot_changed.connect(self._on_snapshot_changed)

    @Slot()
    def open(self, paths=()) -> CompareModelsWindow:
        """Show the window (made on first use) with these run folders added."""
        if self.window is None:
            self.window = CompareModelsWindow(self._inputs, self._parent)
            self.window.set_visible_runs_source(self._visible_runs)
        self.window.set_current_snapshot(self._current_snapshot())
        self.window.add_runs(paths or ())
        self.window.show()
        self.window.raise_()
        return self.window

    def set_visible_runs_source(self, source: Callable[[], list[tuple[str, Path]]] | None) -> None:
        self._visible_runs = source
        if self.window is not None:
            self.window.set_visible_runs_source(source)

    def shutdown(self) -> None:
        if self.window is not None:
            self.window.shutdown()

    def _inputs(self) -> PlaygroundInputs:
        return playground_inputs(self._playground)

    @Slot()
    def _on_inputs_changed(self) -> None:
        if self.window is not None and self.window.isVisible():
            self.window.refresh()

    @Slot(object)
    def _on_snapshot_changed(self, snapshot) -> None:
        if self.window is not None and self.window.isVisible():
            self.window.set_current_snapshot(snapshot)
