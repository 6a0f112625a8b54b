"""``train --out`` and the user's drawn work: a folder holding only drawn work is refused, and
``train --resume RUN --out NEW`` carries RUN's drawn work into NEW."""

from __future__ import annotations

import json

import pytest

from maml_gui.cli import main
from maml_gui.core.checkpoint import CLASS_POINTS, DRAWING, POINTS, load_run
from maml_gui.core.drawn_work import class_points_json
from tests.core.test_drawn_task import drawn_task

from .test_cli import TINY, train


@pytest.mark.parametrize("name", ["points.json", "drawing.json", "class_points.json"])
def test_an_out_folder_holding_only_drawn_work_is_refused_and_left_as_it_was(tmp_path, capsys, name):
    taken = tmp_path / "taken"
    taken.mkdir()
    (taken / name).write_text("{\"someone's\": \"work\"}")
    assert main(["train", *TINY, "--iterations", "2", "--out", str(taken)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"already holds {name}" in err and "Traceback" not in err
    assert sorted(p.name for p in taken.iterdir()) == [name]
    assert (taken / name).read_text() == "{\"someone's\": \"work\"}"
    first = train(tmp_path, "first", iterations=2)
    capsys.readouterr()
    assert main(["train", "--resume", str(first), "--iterations", "4", "--out", str(taken), "--quiet"]) == 2
    assert f"already holds {name}" in capsys.readouterr().err
    assert sorted(p.name for p in taken.iterdir()) == [name]


def _draw_into(run) -> dict[str, str]:
    """The three playgrounds' drawn work written into ``run``; returns each file's text."""
    (run / POINTS).write_text(json.dumps({"points": [[0.5, -1.0], [2.0, 0.25]]}))
    (run / DRAWING).write_text(json.dumps(drawn_task().to_json()))
    (run / CLASS_POINTS).write_text(class_points_json([(1.0, 2.0, 0), (-3.0, 0.5, 2)]))
    return {name: (run / name).read_text() for name in (POINTS, DRAWING, CLASS_POINTS)}


def test_resume_into_a_new_out_carries_the_drawn_work(tmp_path, capsys):
    first = train(tmp_path, "first", iterations=2)
    texts = _draw_into(first)
    new = tmp_path / "new"
    assert main(["train", "--resume", str(first), "--iterations", "4", "--out", str(new), "--quiet"]) == 0
    assert "note" not in capsys.readouterr().err
    old_run, new_run = load_run(first), load_run(new)
    assert new_run.iteration == 4 and new_run.unread == {}
    assert new_run.points == old_run.points == [(0.5, -1.0), (2.0, 0.25)]
    assert new_run.drawing == old_run.drawing == drawn_task()
    assert new_run.class_points == old_run.class_points == [(1.0, 2.0, 0), (-3.0, 0.5, 2)]
    assert {name: (first / name).read_text() for name in texts} == texts, "the run resumed is left as it was"
    assert not list(new.glob(".*.tmp"))


def test_a_damaged_drawn_file_is_left_behind_with_a_note_and_training_goes_on(tmp_path, capsys):
    first = train(tmp_path, "first", iterations=2)
    _draw_into(first)
    (first / DRAWING).write_text("{")
    (first / CLASS_POINTS).write_text(class_points_json([(1e300, 0.0, 1)]))
    new = tmp_path / "new"
    assert main(["train", "--resume", str(first), "--iterations", "4", "--out", str(new), "--quiet"]) == 0
    notes = [line for line in capsys.readouterr().err.splitlines() if line.startswith("note:")]
    assert len(notes) == 2 and any(DRAWING in n for n in notes) and any(CLASS_POINTS in n for n in notes), notes
    assert all("not carried" in n for n in notes)
    assert sorted(p.name for p in new.iterdir() if p.name.endswith(".json")) == [POINTS, "run.json"]
    assert load_run(new).points == [(0.5, -1.0), (2.0, 0.25)] and load_run(new).iteration == 4
    assert (first / DRAWING).read_text() == "{"


def test_nothing_is_carried_when_there_is_nothing_to_train(tmp_path, capsys):
    first = train(tmp_path, "first", iterations=2)
    _draw_into(first)
    new = tmp_path / "new"
    assert main(["train", "--resume", str(first), "--iterations", "2", "--out", str(new), "--quiet"]) == 0
    assert "nothing to do" in capsys.readouterr().err
    assert not any(new.iterdir()), "no folder holding only drawn work, which a later --out would refuse"
