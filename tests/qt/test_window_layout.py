"""The window's layout at three sizes (issue 8): the playground keeps the largest share, every
dock keeps at least its minimum, nothing shrinks to a thumbnail, and View > Reset Layout
restores that after the docks were messed up, at any size."""

from __future__ import annotations

import pytest

pytest.importorskip("pytestqt")

from PySide6.QtCore import QByteArray, Qt  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from maml_gui.qt import settings as keys  # noqa: E402
from maml_gui.qt.dock_layout import LAYOUT_VERSION  # noqa: E402
from maml_gui.qt.main_window import DOCK_MINIMUM_SIZES, MainWindow  # noqa: E402

SIZES = [(1024, 640), (1280, 800), (1920, 1080)]
PLAYGROUND_PLOT_AT_LEAST = (300, 200)  # the drawing area itself, not a thumbnail
CURVE_PLOT_AT_LEAST = (200, 130)


def settle() -> None:
    for _ in range(5):
        QApplication.processEvents()


@pytest.fixture
def make_window(qtbot):
    made = []

    def make(size: tuple[int, int], settings=None) -> MainWindow:
        window = MainWindow(settings)
        window.settings.set(keys.CONFIRM_DISCARD, False)
        qtbot.addWidget(window)
        window.resize(*size)
        window.show()
        qtbot.waitUntil(lambda: window.isVisible())
        settle()
        made.append(window)
        return window

    yield make
    for window in made:
        window.close()


def area(widget) -> int:
    return widget.width() * widget.height()


def assert_good_layout(window: MainWindow) -> None:
    playground = window.playground
    docks = window.docks
    for key, dock in docks.items():
        assert dock.isVisible() and not dock.isFloating(), key
        assert area(playground) > area(dock), f"{key} ({dock.size().toTuple()}) outgrew the playground " \
                                              f"({playground.size().toTuple()}) at {window.size().toTuple()}"
        least_w, least_h = DOCK_MINIMUM_SIZES[key]
        content = dock.widget()
        assert content.width() >= least_w and content.height() >= least_h, (key, content.size().toTuple())
    plot = playground.plot
    assert plot.width() >= PLAYGROUND_PLOT_AT_LEAST[0] and plot.height() >= PLAYGROUND_PLOT_AT_LEAST[1], \
        plot.size().toTuple()
    for curves in (window.loss_plot, window.adaptation_plot):
        assert curves.width() >= CURVE_PLOT_AT_LEAST[0] and curves.height() >= CURVE_PLOT_AT_LEAST[1], \
            (curves.objectName(), curves.size().toTuple())
    assert playground.hint.height() < 4 * playground.hint.fontMetrics().height()  # no word-per-line hint


def mess_up(window: MainWindow) -> None:
    """What a user might leave behind: a hidden dock, a floating one, one moved, one squeezed."""
    docks = window.docks
    docks["meta_loss"].setFloating(True)
    docks["training"].hide()
    window.removeDockWidget(docks["experiment"])
    window.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, docks["experiment"])
    window.resizeDocks([docks["experiment"]], [window.width() // 2], Qt.Orientation.Horizontal)
    window.resizeDocks([docks["adaptation"]], [window.height() // 2], Qt.Orientation.Vertical)
    settle()


@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
def test_first_start_gives_the_playground_the_largest_share(make_window, size):
    window = make_window(size)
    assert window.size().toTuple() == size
    assert_good_layout(window)


@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
def test_reset_layout_after_messing_up_the_docks_restores_a_good_layout(make_window, size):
    window = make_window(size)
    mess_up(window)
    with pytest.raises(AssertionError):
        assert_good_layout(window)  # the mess is a real one
    window.window_actions.reset_layout.trigger()
    settle()
    assert_good_layout(window)
    loss, adaptation = window.loss_plot.width(), window.adaptation_plot.width()
    assert abs(loss - adaptation) <= 0.1 * max(loss, adaptation)  # the curves share the bottom evenly


def test_reset_layout_fits_the_window_it_is_in_after_a_resize(make_window):
    window = make_window((1920, 1080))
    window.resize(1024, 640)
    settle()
    window.window_actions.reset_layout.trigger()
    settle()
    assert_good_layout(window)
    big_left = window.docks["experiment"].width()
    window.resize(1920, 1080)
    settle()
    window.window_actions.reset_layout.trigger()
    settle()
    assert window.docks["experiment"].width() > big_left  # proportions of the current size
    assert_good_layout(window)


def test_a_layout_saved_by_an_older_version_is_not_restored(make_window):
    window = make_window((1280, 800))
    old_state = window.saveState(LAYOUT_VERSION - 1)
    assert not window.dock_layout.restore(QByteArray(), old_state, (1280, 800))
    assert window.dock_layout.restore(QByteArray(), window.dock_layout.save_state(), (1280, 800))


def test_the_layout_comes_back_after_a_restart(make_window):
    first = make_window((1280, 800))
    first.shutdown()
    second = make_window((1280, 800), first.settings)
    assert_good_layout(second)
    for key, dock in first.docks.items():
        assert abs(second.docks[key].width() - dock.width()) <= 4, key
        assert abs(second.docks[key].height() - dock.height()) <= 4, key


def test_resizing_the_window_keeps_each_dock_area_share(make_window):
    window = make_window((1280, 800))
    share = window.docks["experiment"].width() / window.width()
    window.resize(1920, 1080)
    settle()
    assert window.docks["experiment"].width() / window.width() == pytest.approx(share, abs=0.02)
    assert_good_layout(window)
    window.resize(1024, 640)  # no Reset Layout: the docks shrink with the window, not the playground alone
    settle()
    assert_good_layout(window)
