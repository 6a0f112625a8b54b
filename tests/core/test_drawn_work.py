"""The 2-D classification playground's points in the run (``class_points.json``): written, read back,
removed when cleared; when damaged, refused in one line while the rest of the run opens; and the
drawn work an autosave writes."""

from __future__ import annotations

import json
import re

import pytest

from maml_gui.core.checkpoint import load_run, save_run
from maml_gui.core.config import ExperimentConfig
from maml_gui.core.drawn_work import (CLASS_POINTS, DrawnWork, LatestDrawnWork, class_points_json,
                                      parse_class_points)
from maml_gui.core.run_validation import RunError, parse_json

POINTS = [(0.5, -1.25, 0), (2.0, 3.5, 2), (-4.0, 0.0, 1)]


def test_class_points_saved_with_the_run_and_read_back(tmp_path):
    save_run(tmp_path, ExperimentConfig(), class_points=POINTS)
    assert load_run(tmp_path).class_points == POINTS
    document = json.loads((tmp_path / CLASS_POINTS).read_text())
    assert document["format"] == "maml-gui-class-points" and document["points"][1] == [2.0, 3.5, 2]
    save_run(tmp_path, ExperimentConfig(), points=[(1.0, 2.0)])          # not given: left as it is
    assert load_run(tmp_path).class_points == POINTS
    save_run(tmp_path, ExperimentConfig(), class_points=[])              # cleared: the file goes
    assert not (tmp_path / CLASS_POINTS).exists() and load_run(tmp_path).class_points == []
    assert not list(tmp_path.glob(".*.tmp"))                             # written atomically, nothing left


@pytest.mark.parametrize("text, message", [
    ("{", "not valid JSON"),
    ('{"points": [[0, 0, 1]]}', "not written by MAML Studio"),
    ('{"format": "maml-gui-class-points", "format_version": 7, "points": []}', "newer"),
    ('{"format": "maml-gui-class-points", "points": {"a": 1}}', r"\[\[x, y, class\]"),
    ('{"format": "maml-gui-class-points", "points": [[0, 0]]}', r"point 0 must be \[x, y, class\]"),
    ('{"format": "maml-gui-class-points", "points": [[0, "a", 1]]}', "must be a number"),
    ('{"format": "maml-gui-class-points", "points": [[1e400, 0, 1]]}', "finite"),
    ('{"format": "maml-gui-class-points", "points": [[0, 0, 1], [1e300, 0, 1]]}', r"point 1 must lie within ±1e\+06"),
    ('{"format": "maml-gui-class-points", "points": [[0, -1000000.5, 1]]}', r"point 0 must lie within ±1e\+06"),
    ('{"format": "maml-gui-class-points", "points": [[0, NaN, 1]]}', "finite"),
    ('{"format": "maml-gui-class-points", "points": [[0, 0, 9]]}', "class must be between 0 and 8"),
    ('{"format": "maml-gui-class-points", "points": [[0, 0, 1.5]]}', "whole number"),
    ('{"format": "maml-gui-class-points", "points": [[0, 0, true]]}', "whole number"),
    ('{"format": "maml-gui-class-points", "points": ' + json.dumps([[0, 0, 0]] * 10_001) + "}", "at most 10,000"),
    ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
])
def test_a_damaged_class_points_file_is_refused_in_one_line_and_the_run_opens_without_it(tmp_path, text, message):
    save_run(tmp_path, ExperimentConfig(), points=[(1.0, 2.0)])
    (tmp_path / CLASS_POINTS).write_text(text)
    with pytest.raises(RunError, match=message):
        parse_class_points(parse_json(text, CLASS_POINTS))
    run = load_run(tmp_path)                         # the model, curves and other points are intact
    assert run.class_points == [] and run.points == [(1.0, 2.0)] and list(run.unread) == [CLASS_POINTS]
    why = run.unread[CLASS_POINTS]
    assert CLASS_POINTS in why and "\n" not in why and re.search(message, why)
    assert (tmp_path / CLASS_POINTS).read_text() == text


def test_a_class_points_folder_is_not_read(tmp_path):
    save_run(tmp_path, ExperimentConfig())
    (tmp_path / CLASS_POINTS).mkdir()
    assert load_run(tmp_path).unread == {CLASS_POINTS: f"{CLASS_POINTS} is not a regular file"}


def test_class_points_json_round_trips_and_the_latest_work_is_what_was_set():
    assert parse_class_points(json.loads(class_points_json(POINTS))) == POINTS
    latest = LatestDrawnWork()
    assert latest.get() == DrawnWork() and DrawnWork().save_arguments() == {"points": None, "class_points": None,
                                                                            "drawing": None}
    work = DrawnWork(((1.0, 2.0),), tuple(POINTS), None)
    latest.set(work)
    assert latest.get() is work
    assert work.save_arguments() == {"points": [(1.0, 2.0)], "class_points": POINTS, "drawing": None}


def test_drawn_work_compares_nothing_said_and_nothing_drawn_alike():
    from maml_gui.core.drawn_task import DrawnTask

    nothing = DrawnWork()
    assert nothing.same_as(DrawnWork((), (), DrawnTask.empty(5, 1)))
    assert not nothing.same_as(DrawnWork(((1.0, 2.0),)))
    assert not nothing.same_as(DrawnWork(class_points=((1.0, 2.0, 0),)))
    drawn = DrawnTask.empty(2, 1).with_example(("support", 0, 0), (((0.1, 0.1), (0.9, 0.9)),))
    assert not nothing.same_as(DrawnWork(drawing=drawn)) and DrawnWork(drawing=drawn).same_as(DrawnWork(drawing=drawn))
    latest = LatestDrawnWork()
    latest.mark_written(DrawnWork(drawing=drawn))
    assert latest.written().drawing is drawn and latest.get() == nothing   # written apart from the newest


def test_class_points_on_the_limit_are_read():
    points = [(1e6, -1e6, 0), (-1e6, 1e6, 2)]
    assert parse_class_points(parse_json(class_points_json(points), CLASS_POINTS)) == points
