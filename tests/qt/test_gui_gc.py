"""Reference cycles holding Qt objects are freed in the GUI thread, never in a worker thread.

A collection in the training thread destroyed pyqtgraph's leftover Qt objects there and hung the
suite (see :mod:`maml_gui.qt.gui_gc`)."""

from __future__ import annotations

import gc
import threading
import weakref

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QMenu

from maml_gui.qt import gui_gc


def qt_garbage() -> tuple[weakref.ref, list]:
    """A parentless menu in a cycle, as pyqtgraph leaves them; the list records the thread that frees it."""
    freed_in: list[str] = []
    menu = QMenu()
    menu.itself = menu
    ref = weakref.ref(menu, lambda _: freed_in.append(threading.current_thread().name))
    del menu
    return ref, freed_in


def allocate_in_a_thread(count: int = 50_000) -> list:
    """What a training thread does: allocate (and keep) enough containers for many collections of
    the young generation; returns them."""
    kept: list = []

    def work():
        kept.extend([i] for i in range(count))
    worker = threading.Thread(target=work, name="busy-worker")
    worker.start()
    worker.join()
    return kept


def test_a_worker_thread_that_allocates_never_frees_gui_objects(qtbot, qapp):
    assert gui_gc.installed(qapp) is not None and not gc.isenabled()
    ref, freed_in = qt_garbage()
    allocated = allocate_in_a_thread()
    assert ref() is not None and freed_in == []  # the worker did not collect it
    qtbot.waitUntil(lambda: ref() is None, timeout=10_000)  # the GUI thread's timer did
    assert freed_in == [threading.main_thread().name]
    del allocated


def test_the_same_allocations_with_automatic_collection_free_a_cycle_in_the_worker(qapp):
    """The control for the test above: automatic collection (on for a moment, with a plain Python
    cycle, not a Qt one) collects in the thread that allocates."""
    class Cycle:
        pass
    freed_in: list[str] = []
    gc.collect()
    gc.enable()
    try:
        cycle = Cycle()
        cycle.itself = cycle
        ref = weakref.ref(cycle, lambda _: freed_in.append(threading.current_thread().name))
        del cycle
        allocate_in_a_thread()
    finally:
        gc.disable()
    assert ref() is None and freed_in == ["busy-worker"]


def test_install_is_done_once_per_application(qapp):
    first = gui_gc.install(qapp)
    assert gui_gc.install(qapp) is first and qapp.findChildren(gui_gc.GuiThreadCollector) == [first]
    assert first.timer.isActive() and not gc.isenabled()


def test_collect_due_collects_like_the_interpreter_would(qapp):
    collector = gui_gc.install(qapp)
    gc.collect()
    assert collector.collect_due() == 0  # nothing is due right after a collection
    holder = QObject()
    holder.itself = holder
    ref = weakref.ref(holder)
    del holder
    kept = [[] for _ in range(gc.get_threshold()[0] + 10)]  # past the young generation's threshold
    assert collector.collect_due() >= 1 and ref() is None
    del kept
