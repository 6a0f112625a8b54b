"""Running a worker ``QObject`` in its own ``QThread``: the wiring and the hand-back, once.

The pattern (pyqtgraph, napari, Orange): a parentless worker moved to a QThread,
``started -> run``, ``finished -> quit``, ``deleteLater`` on both. One addition: the worker
hands itself back to the GUI thread as the last thing its ``run`` does
(:func:`hand_back_to_gui_thread`), so its ``deleteLater`` runs there. A Python-wrapped QObject
destroyed in the worker thread takes Qt's connection lock and then waits for the GIL, which
deadlocks against a GUI thread that holds the GIL while connecting signals (seen as a hang in
pyqtgraph's ``LegendItem.addItem``; commit 738c002).

superqt's ``GeneratorWorker`` is not used for training: it runs on the global ``QThreadPool``
(no per-worker wait with a timeout for ``closeEvent``), pauses by polling a flag every 10 ms
and aborts only between yields by dropping the generator, which loses the final report and
the final autosave that :meth:`~maml_gui.core.training.Trainer.run` makes when its
``threading.Event`` stop flag is set between iterations.
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QObject, Qt, QThread


def start_in_thread(worker: QObject, name: str) -> QThread:
    """Move ``worker`` (parentless; with a ``run`` slot and a ``finished`` signal) to a new,
    started QThread named ``name``; keep the returned thread referenced until it has finished."""
    thread = QThread()
    thread.setObjectName(name)
    worker.moveToThread(thread)
    thread.started.connect(worker.run)
    # quit() is thread-safe; a direct connection lets it land even while the GUI thread is
    # blocked in wait() during shutdown
    worker.finished.connect(thread.quit, Qt.ConnectionType.DirectConnection)
    worker.finished.connect(worker.deleteLater)
    thread.finished.connect(thread.deleteLater)
    return thread


def hand_back_to_gui_thread(worker: QObject) -> None:
    """Call at the end of the worker's ``run`` (in a ``finally``), before emitting ``finished``."""
    worker.moveToThread(QCoreApplication.instance().thread())
