"""``train --out`` and the user's drawn work: a folder holding only drawn work is refused, and
``train --resume RUN --out NEW`` carries RUN's drawn work into NEW."""

from __future__ import annotations

import pytest

from maml_gui.cli import main

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
