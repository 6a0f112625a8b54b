"""Nothing drawn is lost: the 2-D classification points and the drawing pad's task are saved with the
run (by Save and by every autosave) and shown again when it is opened; a damaged points file is
refused in one line; Edit > Clear Points clears the playground shown, undoably."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

pytest.importorskip("pytestqt")

from PySide6.QtCore import Qt  # noqa: E402

from maml_gui.core.checkpoint import DRAWING, POINTS, load_run  # noqa: E402
from maml_gui.core.drawn_task import DrawnTask  # noqa: E402
from maml_gui.core.drawn_work import CLASS_POINTS  # noqa: E402
from maml_gui.core.presets import load_preset  # noqa: E402
from maml_gui.qt import settings as keys  # noqa: E402
from maml_gui.qt.main_window import MainWindow  # noqa: E402
from maml_gui.qt.playground.by_kind import PlaygroundHost  # noqa: E402
from maml_gui.qt.playground.classify_points import ClassifyPointsWidget  # noqa: E402
from maml_gui.qt.playground.draw_link import ClassPointsLink  # noqa: E402
from maml_gui.qt.playground.draw_playground import DrawPlaygroundWidget  # noqa: E402
from maml_gui.qt.playground.widget import PlaygroundWidget  # noqa: E402
from maml_gui.qt.session import ExperimentSession, TrainingState  # noqa: E402
from tests.qt.helpers import tiny_config  # noqa: E402
from tests.qt.test_classification_app import points_config  # noqa: E402
from tests.qt.test_classify_points import add  # noqa: E402
from tests.qt.test_draw_playground import draw_task, glyph_run  # noqa: E402,F401 - glyph_run: a fixture
from tests.qt.test_main_window import warnings  # noqa: E402,F401 - the dialog-recording fixture

KEYS = (Qt.Key.Key_1, Qt.Key.Key_2, Qt.Key.Key_3)


def make_window(qtbot, config=None) -> MainWindow:
    window = MainWindow()
    window.settings.set(keys.CONFIRM_DISCARD, False)
    qtbot.addWidget(window)
    if config is not None:
        window.session.new_experiment(config)
    window.resize(1300, 850)
    window.show()
    qtbot.waitExposed(window)
    return window


@pytest.fixture
def window(qtbot, warnings):
    """The main window on a tiny 3-way 2-D points experiment."""
    made = make_window(qtbot, points_config())
    yield made
    made.close()


def place(qtbot, playground: ClassifyPointsWidget, *points) -> None:
    """Click each (x, y, class) into the plot, choosing the class with its key first, as a user does."""
    playground.plot.setFocus()
    for x, y, label in points:
        add(qtbot, playground, x, y, KEYS[label])


def edit_action(window, name: str):
    edit = next(a.menu() for a in window.menuBar().actions() if a.text() == "&Edit")
    return next(a for a in edit.actions() if a.objectName() == name)


def train_to_the_end(qtbot, window, iterations: int) -> None:
    qtbot.waitUntil(lambda: window.session.state is TrainingState.IDLE and window.session.iteration == iterations
                    and not window.session.preparation.busy, timeout=60_000)


# -- the 2-D points ----------------------------------------------------------------------------------------
def test_2d_points_saved_and_shown_again_when_the_run_is_opened(qtbot, window, tmp_path):
    playground = window.playground_host.current()
    assert isinstance(playground, ClassifyPointsWidget)
    place(qtbot, playground, (-2.0, 1.0, 0), (2.0, -1.0, 1), (0.5, 3.0, 2))
    placed = playground.points()
    assert [label for _, _, label in placed] == [0, 1, 2]
    assert window.session.save_run(tmp_path / "run")
    assert load_run(tmp_path / "run").class_points == placed

    again = make_window(qtbot)                           # File > Open Run in a fresh window
    again.files.ask_directory = lambda title: str(tmp_path / "run")
    again.window_actions.open_run.trigger()
    shown = again.playground_host.current()
    assert isinstance(shown, ClassifyPointsWidget) and shown.points() == placed
    assert not shown.undo_stack.canUndo()                # opening is not an edit
    assert again.window_actions.clear_points.isEnabled()
    again.window_actions.new_experiment.trigger()        # File > New: no points of the old experiment
    assert shown.points() == [] and again.session.drawn_work().class_points == ()
    again.files.open_run(tmp_path / "run")
    assert again.playground_host.current().points() == placed
    again.close()


def test_points_read_before_the_playground_exists_wait_for_it(qtbot):
    session = ExperimentSession()
    host = PlaygroundHost(PlaygroundWidget())
    qtbot.addWidget(host)
    try:
        link = ClassPointsLink(session, host)
        assert session.class_points_provider() is None  # nothing shown, nothing read: the file is left alone
        session.class_points_loaded.emit([(1.0, 2.0, 1)])
        assert "points" not in host.widgets and session.class_points_provider() == [(1.0, 2.0, 1)]
        playground = host.show_experiment(points_config())
        assert link.class_points() == [(1.0, 2.0, 1)] and playground.points() == [(1.0, 2.0, 1)]
        assert session.drawn_work().class_points == ((1.0, 2.0, 1),)
    finally:
        host.shutdown()
        host.regression.shutdown()


def test_autosave_writes_the_2d_points_placed_since_the_last_save(qtbot, window, tmp_path):
    run = tmp_path / "run"
    playground = window.playground_host.current()
    place(qtbot, playground, (-2.0, 1.0, 0), (2.0, -1.0, 1))
    assert window.session.save_run(run)                  # a config and the points: training autosaves here
    place(qtbot, playground, (0.0, 2.5, 2))
    window.window_actions.start.trigger()
    train_to_the_end(qtbot, window, 20)
    saved = load_run(run)
    assert saved.snapshot is not None and saved.snapshot.iteration == 20
    assert saved.class_points == playground.points() and len(saved.class_points) == 3
    assert not window.session.unsaved


def test_a_damaged_points_file_is_said_in_one_line_and_left_as_it_is(qtbot, window, tmp_path, warnings):
    """The run opens without its 2-D points; Save and autosaves leave the file for the user to mend,
    until points placed anew replace it."""
    playground = window.playground_host.current()
    place(qtbot, playground, (1.0, 1.0, 1))
    assert window.session.save_run(tmp_path / "good")
    for i, text in enumerate(['{"format": "maml-gui-class-points", "points": [[0, 0, 42]]}', "{not json",
                              '{"format": "maml-gui-class-points", "points": [[0, 0]]}']):
        run = Path(shutil.copytree(tmp_path / "good", tmp_path / f"bad{i}"))
        (run / CLASS_POINTS).write_text(text)
        window.files.ask_directory = lambda title, run=run: str(run)
        window.window_actions.open_run.trigger()
        said = window.statusBar().currentMessage()
        assert window.session.run_path == run and playground.points() == [] and warnings == []
        assert f"not loaded: {CLASS_POINTS}" in said and "\n" not in said and "left as it is" in said
    assert window.session.save_run()                     # into the opened run: the damaged file stays
    window.session.set_config(window.session.config.with_overrides(["training.iterations=30"]))
    window.window_actions.start.trigger()                # a new model: it autosaves into the same folder
    train_to_the_end(qtbot, window, 30)
    assert (run / CLASS_POINTS).read_text() == text and load_run(run).snapshot.iteration == 30
    place(qtbot, playground, (-1.0, 2.0, 2))             # points of the user's own replace it
    assert window.session.save_run()
    assert load_run(run).class_points == playground.points() and load_run(run).unread == {}


def test_points_changed_since_the_save_are_asked_about_before_they_are_replaced(qtbot, window, tmp_path):
    from PySide6.QtWidgets import QMessageBox

    window.settings.set(keys.CONFIRM_DISCARD, True)
    playground = window.playground_host.current()
    place(qtbot, playground, (1.0, 1.0, 1))
    assert not window.session.drawn_unsaved                # an experiment in no folder: a sandbox
    assert window.session.save_run(tmp_path / "run")
    assert not window.session.drawn_unsaved and not window.isWindowModified()
    place(qtbot, playground, (-1.0, 2.0, 2))
    assert window.session.drawn_unsaved and window.isWindowModified()
    edit_action(window, "undo").trigger()                 # back as saved
    assert not window.session.drawn_unsaved and not window.isWindowModified()
    edit_action(window, "redo").trigger()
    assert window.session.drawn_unsaved
    asked = []
    window.ask_unsaved = lambda doing: asked.append(doing) or QMessageBox.StandardButton.Cancel
    assert window.commands.confirm_discard("training a new model")   # the points stay then: not asked
    window.window_actions.new_experiment.trigger()
    window.files.ask_directory = lambda title: str(tmp_path / "run")
    window.window_actions.open_run.trigger()
    assert asked == ["starting a new experiment", "opening another run"] and len(playground.points()) == 2
    window.ask_save_before_closing = lambda: QMessageBox.StandardButton.Save
    window.close()                                        # Save, then close
    assert load_run(tmp_path / "run").class_points == playground.points() and not window.isVisible()


# -- the drawing pad ----------------------------------------------------------------------------------------
def test_autosave_writes_the_drawing_and_it_is_shown_when_the_run_is_opened(qtbot, glyph_run, warnings):
    window = make_window(qtbot)
    assert window.files.open_run(glyph_run) and not (glyph_run / DRAWING).exists()
    playground = window.playground_host.current()
    assert isinstance(playground, DrawPlaygroundWidget)
    draw_task(qtbot, playground, tests=(2,))
    drawn = playground.drawn_task()
    window.session.set_config(window.session.config.with_overrides(["training.iterations=4"]))
    window.window_actions.continue_.trigger()           # no Save: only the autosaves write the run
    train_to_the_end(qtbot, window, 4)
    assert warnings == []
    assert load_run(glyph_run).iteration == 4 and load_run(glyph_run).drawing == drawn
    window.close()

    again = make_window(qtbot)
    assert again.files.open_run(glyph_run)
    assert again.playground_host.current().drawn_task() == drawn
    again.close()


def test_a_damaged_drawing_is_said_and_left_until_new_drawings_replace_it(qtbot, glyph_run, warnings):
    damaged = '{"format": "maml-gui-drawing", "ways": 5, "shots": 1, "support": [], "tests": []}'
    (glyph_run / DRAWING).write_text(damaged)
    window = make_window(qtbot)
    assert window.files.open_run(glyph_run) and warnings == []          # the model opens all the same
    said = window.statusBar().currentMessage()
    assert f"not loaded: {DRAWING}: support must be a list of 5 classes" in said and "\n" not in said
    pad = window.playground_host.current()
    assert window.session.snapshot is not None and pad.drawn_task().is_empty()
    window.session.set_config(window.session.config.with_overrides(["training.iterations=3"]))
    window.window_actions.continue_.trigger()                          # autosaves into the run
    train_to_the_end(qtbot, window, 3)
    assert window.session.save_run() and (glyph_run / DRAWING).read_text() == damaged
    draw_task(qtbot, pad, tests=(1,))                                  # drawings of the user's own replace it
    assert window.session.save_run()
    assert load_run(glyph_run).drawing == pad.drawn_task() and load_run(glyph_run).unread == {}
    window.close()


def test_the_session_autosaves_what_is_drawn_while_it_trains(qtbot, tmp_path):
    """Edits made during training reach the next autosave (the playgrounds are read on the GUI thread)."""
    drawn = {"points": [(0.5, 1.0)], "class": [(1.0, 2.0, 0)], "drawing": DrawnTask.empty(2, 1)}
    session = ExperimentSession(tiny_config(iterations=1_000_000, val_interval=1_000_000, autosave_interval=50))
    session.points_provider = lambda: drawn["points"]
    session.class_points_provider = lambda: drawn["class"]
    session.drawing_provider = lambda: drawn["drawing"]
    session.training.report_interval_s = 0.02
    run = tmp_path / "run"
    assert session.save_run(run) and not (run / DRAWING).exists()
    assert session.start_training()
    try:
        qtbot.waitUntil(lambda: session.iteration > 0, timeout=10_000)
        drawing = drawn["drawing"].with_example(("support", 1, 0), (((0.1, 0.1), (0.9, 0.9)),))
        drawn.update({"points": [(0.5, 1.0), (2.0, -1.0)], "class": [(1.0, 2.0, 0), (-1.0, 0.5, 1)],
                      "drawing": drawing})           # the user draws on while it trains

        def written() -> bool:
            try:
                return (json.loads((run / DRAWING).read_text()) == drawing.to_json()
                        and json.loads((run / CLASS_POINTS).read_text())["points"] == [[1.0, 2.0, 0], [-1.0, 0.5, 1]]
                        and json.loads((run / POINTS).read_text())["points"] == [[0.5, 1.0], [2.0, -1.0]])
            except (OSError, ValueError):
                return False

        qtbot.waitUntil(written, timeout=20_000)
        assert session.state is TrainingState.RUNNING       # written by an autosave, not by a Save
        qtbot.waitUntil(lambda: not session.drawn_unsaved, timeout=10_000)  # the autosave said what it wrote
    finally:
        assert session.stop_and_wait()


# -- Edit > Clear Points ------------------------------------------------------------------------------------
def test_clear_points_acts_on_the_playground_shown_and_is_undoable(qtbot, window):
    clear, undo = window.window_actions.clear_points, edit_action(window, "undo")
    regression = window.playground
    regression.set_points([(0.0, 1.0), (1.0, 0.5)])      # hidden: the 2-D playground is shown
    points = window.playground_host.current()
    assert not clear.isEnabled()                         # the 2-D playground is empty
    place(qtbot, points, (-1.0, 1.0, 0), (1.0, -1.0, 2))
    assert clear.isEnabled() and clear.text() == "Clear &Points"
    placed = points.points()
    clear.trigger()
    assert points.points() == [] and not clear.isEnabled()
    assert regression.points() == [(0.0, 1.0), (1.0, 0.5)]   # the hidden one is left alone
    undo.trigger()
    assert points.points() == placed and clear.isEnabled()

    window.session.new_experiment(tiny_config())         # regression shown
    assert window.playground_host.current() is regression and clear.isEnabled()
    clear.trigger()
    assert regression.points() == [] and points.points() == placed
    undo.trigger()
    assert regression.points() == [(0.0, 1.0), (1.0, 0.5)]

    config = load_preset("glyphs-5way-1shot")
    window.session.new_experiment(config)                # the drawing pad shown
    pad = window.playground_host.current()
    assert isinstance(pad, DrawPlaygroundWidget) and not clear.isEnabled()
    draw_task(qtbot, pad, tests=(1,))
    drawn = pad.drawn_task()
    assert clear.isEnabled() and clear.text() == "Clear &Drawings"
    clear.trigger()
    assert pad.drawn_task().is_empty() and not clear.isEnabled()
    assert regression.points() == [(0.0, 1.0), (1.0, 0.5)] and points.points() == placed
    undo.trigger()                                       # Edit > Undo acts on the pad shown
    assert pad.drawn_task() == drawn and clear.isEnabled()
    edit_action(window, "redo").trigger()
    assert pad.drawn_task().is_empty()
    window.activateWindow()
    pad.draw.pad.setFocus()
    qtbot.keyClick(pad.draw.pad, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)  # one owner of Ctrl+Z
    assert pad.drawn_task() == drawn
    qtbot.mouseClick(pad.draw.undo_button, Qt.MouseButton.LeftButton)   # the pad's own Undo: the last stroke
    assert pad.drawn_task() != drawn and not pad.drawn_task().is_empty()
