"""Shared test setup.

Every test trains on one torch thread, and so does every process a test starts: on a shared
2-core machine two threads per training run about 9x slower as soon as anything else runs
(measured), which made the suite take 23 minutes under load. ``OMP_NUM_THREADS`` and
``MKL_NUM_THREADS`` are set before torch is imported (children inherit them) and an autouse
fixture pins torch's intra-op threads again before each test (a Trainer sets them when it runs).

Qt runs headless (``QT_QPA_PLATFORM=offscreen``, set before anything imports Qt), every test
gets its own empty QSettings store in a temporary directory, a Qt test fails when it leaves a
QThread running (a dangling thread crashes later tests at interpreter exit), the widgets
pytest-qt closed are deleted at the end of their own test (not in the middle of a later one),
and, as in the app, reference cycles are collected in the GUI thread only (see
:mod:`maml_gui.qt.gui_gc`: a collection in a training thread hung the suite).
"""

from __future__ import annotations

import functools
import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
for _variable in ("OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_variable] = "1"

import pytest  # noqa: E402
import torch  # noqa: E402

try:  # core tests must still run where PySide6 is not installed
    from PySide6.QtCore import QCoreApplication, QEvent, QSettings, QThread

    from maml_gui.qt import gui_gc
except ImportError:  # pragma: no cover - exercised only in a Qt-free environment
    QSettings = None


@pytest.fixture(autouse=True)
def _one_torch_thread():
    """Each test starts on one intra-op thread (a test that sets more gets them back to 1 after)."""
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(1)


@pytest.fixture(autouse=True)
def _collect_in_the_gui_thread(request):
    """Once a test has a QApplication, cycles are collected by the GUI thread's timer as in the app
    (not by whichever thread allocates), and after every test, in the main thread."""
    if QSettings is not None and "qapp" in request.fixturenames:
        gui_gc.install(request.getfixturevalue("qapp"))
    yield
    collector = gui_gc.installed() if QSettings is not None else None
    if collector is not None:
        collector.collect_due()


@pytest.fixture(autouse=True)
def _temporary_qsettings(tmp_path_factory):
    """Point INI-format user and system settings at a fresh directory for each test."""
    if QSettings is None:
        yield None
        return
    folder = tmp_path_factory.mktemp("qsettings")
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    for scope in (QSettings.Scope.UserScope, QSettings.Scope.SystemScope):
        QSettings.setPath(QSettings.Format.IniFormat, scope, str(folder))
    QCoreApplication.setOrganizationName("maml-gui-tests")
    QCoreApplication.setApplicationName("maml-gui-tests")
    yield folder


@pytest.fixture(autouse=True)
def _no_dangling_qthreads(request):
    """Fail a test that starts a QThread and leaves it running."""
    if QSettings is None or "qtbot" not in request.fixturenames:
        yield
        return
    started: list[QThread] = []
    original_start = QThread.start

    def tracking_start(self, *args, **kwargs):
        started.append(self)
        return original_start(self, *args, **kwargs)

    QThread.start = tracking_start
    try:
        yield
    finally:
        QThread.start = original_start
    running = []
    for thread in started:
        try:
            if thread.isRunning() and not thread.wait(5000):
                running.append(thread)
        except RuntimeError:  # the C++ object was already deleted: it finished
            pass
    if running:
        pytest.fail(f"{len(running)} QThread(s) still running after the test; stop and wait for them")


@pytest.fixture
def qtbot(qtbot, request):
    """pytest-qt's ``qtbot``, whose ``addWidget`` also keeps the widget alive until the end of the test.

    pytest-qt holds the widgets it is to close by weak reference only, so a window that a test
    keeps in a local variable is garbage once the test function returns, before pytest-qt closes
    and deletes it. A collection in between destroyed it the garbage collector's way: first the
    Python objects of its cycles are emptied, then the dying C++ window sends events to their
    overrides (``'DockLayout' object has no attribute 'window'``) and pyqtgraph's items (a
    segfault in ``LabelItem``): the suite's intermittent native crash. The references are dropped
    by ``_delete_closed_widgets``, once the widgets have been deleted."""
    kept = request.node.__dict__.setdefault("_widgets_kept_alive", {})
    add_widget = qtbot.addWidget

    def add_and_keep(widget, **kwargs):
        kept[id(widget)] = widget  # until its C++ object is destroyed (by the test or at the end)
        widget.destroyed.connect(functools.partial(kept.pop, id(widget), None))
        add_widget(widget, **kwargs)
    qtbot.addWidget = qtbot.add_widget = add_and_keep
    return qtbot


@pytest.fixture(autouse=True)
def _delete_closed_widgets(request):
    """Run the ``deleteLater`` that pytest-qt queues for each widget it closes, now.

    ``processEvents`` leaves deferred deletions queued; a window deleted later, in the middle of
    another test's event handling, tears its plots down in an order pyqtgraph's legends do not
    survive (a segfault in ``GraphicsWidgetAnchor``)."""
    yield
    if QSettings is not None and "qtbot" in request.fixturenames:
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
        request.node.__dict__.pop("_widgets_kept_alive", None)
