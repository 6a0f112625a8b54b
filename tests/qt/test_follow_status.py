"""The followed run's status line, and `maml-gui --follow DIR`."""

from __future__ import annotations

from pathlib import Path

import pytest

from maml_gui.cli import main
from maml_gui.qt.follow_status import FollowStatus, format_age


def test_the_line_tells_fresh_finished_and_stopped_apart():
    status = FollowStatus(Path("/runs/sine"), total=1000, iteration=0)
    assert status.text(100.0) == "following /runs/sine — iteration 0 of 1,000"
    status.saw(400, last_write_s=1000.0)
    assert status.text(1004.0, "sine") == "following sine — last update 4 s ago, iteration 400 of 1,000"
    assert "no update for 1 min 1 s" in status.text(1061.0) and "stopped or is paused" in status.text(1061.0)
    status.saw(600, last_write_s=1100.0)  # saves 100 s apart: silence is "stopped" only after 300 s
    assert not status.stalled(1350.0) and status.stalled(1401.0)
    status.saw(1000, last_write_s=1200.0)
    assert status.finished and "finished" in status.text(9999.0) and not status.stalled(9999.0)


@pytest.mark.parametrize("seconds, shown", [(0.4, "0 s"), (59, "59 s"), (130, "2 min 10 s"), (7300, "2 h 1 min")])
def test_ages_read_as_people_say_them(seconds, shown):
    assert format_age(seconds) == shown


def test_follow_from_the_command_line(tmp_path, monkeypatch, capsys):
    assert main(["--follow", str(tmp_path)]) == 2
    error = capsys.readouterr().err
    assert "not a MAML Studio run" in error and error.count("\n") == 1
    assert main(["gui", str(tmp_path), "--follow", str(tmp_path)]) == 2
    assert "not both" in capsys.readouterr().err

    from maml_gui.core.checkpoint import save_run
    from maml_gui.core.config import ExperimentConfig
    from maml_gui.qt import app

    save_run(tmp_path / "run", ExperimentConfig())
    opened = []
    monkeypatch.setattr(app, "run_app", lambda run=None, argv=None, follow=None: opened.append((run, follow)) or 0)
    assert main(["--follow", str(tmp_path / "run")]) == 0
    assert opened == [(None, str(tmp_path / "run"))]
