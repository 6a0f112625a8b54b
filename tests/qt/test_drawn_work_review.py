"""Drawn work found lost or wrong in review: a damaged points file replaced by an autosave no longer
keeps points the user cleared afterwards; a followed run shows (and Save As copies) its own drawing."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

pytest.importorskip("pytestqt")

from maml_gui.core.checkpoint import load_run  # noqa: E402
from maml_gui.core.drawn_work import CLASS_POINTS  # noqa: E402
from maml_gui.qt.playground.by_kind import PlaygroundHost  # noqa: E402
from maml_gui.qt.playground.draw_link import DrawnTaskLink  # noqa: E402
from maml_gui.qt.playground.draw_playground import DrawPlaygroundWidget  # noqa: E402
from maml_gui.qt.playground.widget import PlaygroundWidget  # noqa: E402
from maml_gui.qt.session import ExperimentSession, TrainingState  # noqa: E402
from tests.qt.helpers import tiny_config  # noqa: E402
from tests.qt.test_draw_playground import draw_task, glyph_run  # noqa: E402,F401 - glyph_run: a fixture
from tests.qt.test_drawn_work_saved import place, train_to_the_end, window  # noqa: E402,F401
from tests.qt.test_main_window import warnings  # noqa: E402,F401 - the dialog-recording fixture


def test_points_cleared_after_an_autosave_replaced_a_damaged_file_stay_cleared(qtbot, window, tmp_path):
    playground = window.playground_host.current()
    place(qtbot, playground, (1.0, 1.0, 1))
    run = tmp_path / "run"
    assert window.session.save_run(run)
    (run / CLASS_POINTS).write_text("{not json")
    assert window.files.open_run(run) and playground.points() == []
    place(qtbot, playground, (-1.0, 2.0, 2), (2.0, -1.0, 0))
    window.session.set_config(window.session.config.with_overrides(["training.iterations=5"]))
    window.window_actions.start.trigger()                # autosaves the new points over the damaged file
    train_to_the_end(qtbot, window, 5)
    assert load_run(run).class_points == playground.points() and load_run(run).unread == {}
    window.window_actions.clear_points.trigger()         # the user clears them, and saves
    assert playground.points() == [] and window.session.drawn_unsaved
    assert window.session.save_run()
    assert load_run(run).class_points == [] and not (run / CLASS_POINTS).exists()


def test_a_followed_run_shows_its_drawing_and_save_as_copies_it(qtbot, glyph_run, tmp_path):
    session = ExperimentSession()
    host = PlaygroundHost(PlaygroundWidget())
    qtbot.addWidget(host)
    session.config_changed.connect(lambda config: host.show_experiment(config))
    link = DrawnTaskLink(session, host)
    try:
        assert session.open_run(glyph_run)
        pad = host.current()
        assert isinstance(pad, DrawPlaygroundWidget)
        draw_task(qtbot, pad, tests=(1,))
        drawn = pad.drawn_task()
        other = Path(shutil.copytree(glyph_run, tmp_path / "other"))
        assert session.save_run(glyph_run) and load_run(glyph_run).drawing == drawn
        session.follow_run(load_run(other))              # a run of no drawing: the pad is cleared
        assert session.followed == other and pad.drawn_task().is_empty() and link.drawn_task().is_empty()
        session.follow_run(load_run(glyph_run))          # a run with one: shown
        assert pad.drawn_task() == drawn
        assert session.save_run(tmp_path / "copy")       # Save As: the followed run's drawing goes with it
        assert load_run(tmp_path / "copy").drawing == drawn
    finally:
        session.stop_and_wait()
        host.shutdown()
        host.regression.shutdown()


def test_an_autosave_reported_after_a_save_does_not_mark_the_saved_drawings_changed(qtbot, tmp_path):
    """Save stops the training: an autosave of older drawings may still be on its way to the GUI
    thread; it must not make the drawings just saved look unsaved (title *, asked on closing)."""
    drawn = {"points": [(0.5, 1.0)]}
    session = ExperimentSession(tiny_config(iterations=1_000_000, val_interval=1_000_000, autosave_interval=1))
    session.points_provider = lambda: drawn["points"]
    session.training.report_interval_s = 0.02
    run = tmp_path / "run"
    autosaves = []
    session.training.autosaved.connect(autosaves.append)
    assert session.save_run(run) and session.start_training()
    try:
        qtbot.waitUntil(lambda: len(autosaves) > 1, timeout=10_000)
        assert not session.drawn_unsaved
        session.pause()
        drawn["points"] = [(0.5, 1.0), (2.0, -1.0)]      # drawn since the last autosave, then saved at once
        assert session.save_run() and load_run(run).points == drawn["points"]
        assert session.state is TrainingState.PAUSED and not session.drawn_unsaved
        session.training.autosaved.emit(str(run))        # the old training's last autosave, reported late
        assert not session.drawn_unsaved
    finally:
        assert session.stop_and_wait()


@pytest.mark.parametrize("trained", [True, False])
def test_saving_over_an_earlier_run_leaves_none_of_its_drawings(qtbot, tmp_path, trained):
    """Save As into an earlier run's folder replaces that run: its 2-D points and drawing must not stay
    behind as if they were this experiment's (with a trainer, as without one)."""
    from maml_gui.core.checkpoint import DRAWING
    from maml_gui.core.config import ExperimentConfig
    from maml_gui.core.drawn_task import DrawnTask
    from maml_gui.core.checkpoint import save_run

    earlier = tmp_path / "earlier"
    drawing = DrawnTask.empty(2, 1).with_example(("support", 0, 0), (((0.1, 0.1), (0.9, 0.9)),))
    save_run(earlier, ExperimentConfig(), class_points=[(1.0, 2.0, 1)], drawing=drawing)
    assert load_run(earlier).drawing == drawing and (earlier / CLASS_POINTS).exists()
    session = ExperimentSession(tiny_config(iterations=3))
    if trained:
        assert session.start_training()
        qtbot.waitUntil(lambda: session.state is TrainingState.IDLE and session.iteration == 3, timeout=20_000)
    assert session.save_run(earlier)
    replaced = load_run(earlier)
    assert replaced.config.name == "tiny" and replaced.iteration == (3 if trained else 0)
    assert replaced.drawing is None and replaced.class_points == []
    assert not (earlier / DRAWING).exists() and not (earlier / CLASS_POINTS).exists()


def test_opening_the_folder_a_training_autosaves_into_shows_what_it_holds(qtbot, tmp_path):
    """File > Open Run on the folder the running training autosaves into: the training stops before
    the folder is read, so the model shown (and saved again by Save) is the one on disk, with the
    resume state of the same iteration."""
    session = ExperimentSession(tiny_config(iterations=1_000_000, val_interval=1_000_000, autosave_interval=1))
    run = tmp_path / "run"
    assert session.save_run(run) and session.start_training()
    try:
        qtbot.waitUntil(lambda: session.iteration > 2, timeout=10_000)
        assert session.open_run(run) and session.state is TrainingState.IDLE
        on_disk = load_run(run)
        assert session.snapshot.iteration == on_disk.iteration == session.folder.saved_iteration
        assert session.save_run()                          # the shown model with the resume state on disk
        from maml_gui.core.checkpoint import load_resume_state
        assert load_resume_state(run)["iteration"] == load_run(run).iteration == on_disk.iteration
    finally:
        assert session.stop_and_wait()
