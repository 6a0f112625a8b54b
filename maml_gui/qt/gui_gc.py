"""Python's cycle collector runs in the GUI thread only.

CPython collects reference cycles in whichever thread allocates past its threshold; while a
model trains, that is usually the training thread, which allocates the most. A collection frees
every unreachable cycle, and pyqtgraph leaves Python-owned Qt objects in cycles all the time
(each plot's context menus, items taken off a plot, a closed window's leftovers: about 20 per
main window). Freed in the training thread, they deadlock against the GUI thread (native
stacks of the suite's hang, reproduced outside pytest):

- training thread: ``gc_collect`` -> shiboken dealloc (GIL released around the C++ destructor)
  -> ``QObject::~QObject``, holding one of Qt's signal-slot mutexes -> a virtual call into a
  Python override -> ``Shiboken::GilState::acquire``: waits for the GIL;
- GUI thread: holds the GIL; at the next bytecode boundary (the first line of a pytest-qt timer
  slot in the hung suite) runs shiboken's pending ``runDeletionInMainThread`` for the widgets
  the collection handed over -> ``QMenu::~QMenu`` -> ``QAction::~QAction`` ->
  ``QObject::~QObject`` -> ``QBasicMutex::lockInternal``: waits for that mutex.

Objects destroyed half in one thread and half in the other also crashed
("QMutex: destroying locked mutex").

:func:`install` switches automatic collection off and lets a timer in the GUI thread collect,
generation by generation, with the interpreter's own thresholds: the same work as before, in
the one thread where freeing a Qt object is safe (pyqtgraph's ``util.garbage_collector`` and
the PyQt/PySide threading advice do the same). Explicit ``gc.collect()`` calls still collect
wherever they are made.
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QCoreApplication, QObject, QThread, QTimer

INTERVAL_MS = 500  # a collection of the young generation takes well under a millisecond


class GuiThreadCollector(QObject):
    """Collects what the interpreter would have, on a timer in the GUI thread."""

    def __init__(self, app: QCoreApplication, interval_ms: int = INTERVAL_MS) -> None:
        super().__init__(app)  # lives as long as the application
        self.setObjectName("gui_thread_collector")
        self.thresholds = gc.get_threshold()
        self.timer = QTimer(self)
        self.timer.timeout.connect(self.collect_due)
        self.timer.start(interval_ms)

    def collect_due(self) -> int:
        """Collect the generations past their threshold, as automatic collection would; returns
        the number of objects found unreachable. Call it in the GUI thread only."""
        if QThread.currentThread() != self.thread():
            return 0
        young, middle, old = gc.get_count()
        found = 0
        if young > self.thresholds[0]:
            generation = 0
            if middle > self.thresholds[1]:
                generation = 2 if old > self.thresholds[2] else 1
            found = gc.collect(generation)
        return found


def install(app: QCoreApplication | None = None) -> GuiThreadCollector:
    """From now on only the GUI thread collects cycles (idempotent; call in the GUI thread)."""
    app = app or QCoreApplication.instance()
    if app is None:
        raise RuntimeError("create the QApplication first")
    collector = installed(app)
    if collector is None:
        collector = GuiThreadCollector(app)
    gc.disable()
    return collector


def installed(app: QCoreApplication | None = None) -> GuiThreadCollector | None:
    """The collector installed on ``app`` (default: the running application), if any."""
    app = app or QCoreApplication.instance()
    if app is None:
        return None
    return app.findChild(GuiThreadCollector, "gui_thread_collector")
