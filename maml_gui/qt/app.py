"""Starting the desktop app: ``maml-gui [RUN_DIR]`` ends up in :func:`run_app`."""

from __future__ import annotations

import gc
import logging
import signal
import sys
import traceback
from pathlib import Path

import pyqtgraph as pg
import shiboken6
import torch
from PySide6.QtCore import QCoreApplication, QTimer
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QMessageBox

from maml_gui import __version__
from maml_gui.core.config import ConfigError, from_toml
from maml_gui.core.threads import choose_threads
from maml_gui.core.presets import preset_names
from maml_gui.qt import gui_gc, settings as keys
from maml_gui.qt.bundled_model import offer_bundled_model
from maml_gui.qt.main_window import APP_NAME, MainWindow
from maml_gui.qt.resources import app_icon_path

log = logging.getLogger(__name__)


def configure_application(app: QCoreApplication) -> None:
    """Names, settings format, plot defaults, torch threads and garbage collection in the GUI
    thread only (:mod:`maml_gui.qt.gui_gc`); call once, before any window."""
    QCoreApplication.setOrganizationName(keys.ORGANIZATION)
    QCoreApplication.setApplicationName(keys.APPLICATION)
    QCoreApplication.setApplicationVersion(__version__)
    keys.configure_settings_format()
    pg.setConfigOptions(antialias=False, useOpenGL=False, background="w", foreground="k")
    torch.set_num_threads(choose_threads(leave_free=1).count)  # training sets it again in its own thread
    gui_gc.install(app)
    icon = app_icon_path()
    if icon is not None and isinstance(app, QApplication):
        app.setWindowIcon(QIcon(str(icon)))


def _report_uncaught(kind, value, tb) -> None:
    """Slots run inside Qt's event loop, where an exception would only be printed: show it."""
    log.error("uncaught exception:\n%s", "".join(traceback.format_exception(kind, value, tb)))
    app = QApplication.instance()
    if app is not None and app.activeWindow() is not None:
        QMessageBox.critical(app.activeWindow(), APP_NAME, f"Unexpected error: {kind.__name__}: {value}\n"
                             "Details were written to the log (run from a terminal to see them).")


def warm_up_torch() -> None:
    """Pay torch's one-time lazy imports (about 0.8 s for the first optimizer) just after the
    window shows, rather than when the user first presses Start."""
    torch.optim.Adam([torch.zeros(1, requires_grad=True)])


def create_window(run: str | None = None) -> MainWindow:
    """The main window with ``run`` opened, else the config edited last time, else the last preset used.

    Without a run, the bundled trained model is shown when it fits the experiment."""
    window = MainWindow()
    try:
        return _open_start_state(window, run)
    except BaseException:
        # the window's threads (playground adaptation) must end before it is destroyed, or Qt aborts
        window.session.stop_and_wait(discard=True)
        window.playground.shutdown()
        # Destroy it now, while its Python side is whole: left to the garbage collector, the
        # collector first empties the Python objects of its cycle, then the dying C++ window sends
        # events to their overrides (dock layout, wheel guard) and the process segfaults later.
        shiboken6.delete(window)
        raise


def _open_start_state(window: MainWindow, run: str | None) -> MainWindow:
    if run is not None:
        window.files.open_run(Path(run))
        return window
    _start_experiment(window)
    offer_bundled_model(window.session, window.playground, window.statusBar().showMessage)
    return window


def _start_experiment(window: MainWindow) -> None:
    text = window.settings.get(keys.LAST_CONFIG)
    if text:
        try:
            window.session.new_experiment(from_toml(text, "the last session's config"))
            return
        except ConfigError as err:  # e.g. written by another version: fall back to a preset
            log.warning("%s; starting from a preset", err)
    name = window.settings.get(keys.LAST_PRESET)
    window.load_preset(name if name in preset_names() else keys.LAST_PRESET.default)


def quit_on_interrupt(app: QApplication) -> QTimer:
    """Ctrl-C in the terminal quits cleanly (threads stopped through ``aboutToQuit``).

    Python runs signal handlers only between bytecodes, so a slow timer gives it some."""
    signal.signal(signal.SIGINT, lambda *_: app.quit())
    ticker = QTimer(app)
    ticker.timeout.connect(_let_python_run)
    ticker.start(250)
    return ticker


def _let_python_run() -> None:
    """Empty on purpose: entering Python lets it run a pending signal handler."""


def end_quickly() -> None:
    """Let the process end as soon as the window is gone.

    At exit the interpreter's last garbage collections walk every object that torch, pyqtgraph
    and Qt created: the closed window's process lingered 2.5-3.7 s on a loaded 2-core machine
    (``benchmarks/app_exit.py``). Nothing allocated so far needs collecting any more, so all of
    it moves to the permanent generation, which those walks skip (0.7 s on the same machine)."""
    gc.freeze()


def run_app(run: str | None = None, argv: list[str] | None = None, follow: str | None = None) -> int:
    """Open the app (on ``run``, a run directory, if given; following ``follow``, a run directory
    another process writes, if given) and return its exit code."""
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    app = QApplication.instance() or QApplication(argv if argv is not None else sys.argv[:1])
    configure_application(app)
    previous_hook, sys.excepthook = sys.excepthook, _report_uncaught
    try:
        window = create_window(run)
        if follow is not None:
            window.follower.follow(follow)
        app.aboutToQuit.connect(window.shutdown)  # quitting without closing the window
        quit_on_interrupt(app)
        window.show()
        QTimer.singleShot(300, warm_up_torch)
        code = app.exec()
        end_quickly()
        return code
    finally:
        sys.excepthook = previous_hook
