"""Continuing a run to N iterations does the same in the app and on the command line."""

from __future__ import annotations

import math

import pytest

pytest.importorskip("pytestqt")

from maml_gui.cli import main  # noqa: E402
from maml_gui.core.checkpoint import load_run  # noqa: E402
from maml_gui.qt.session import ExperimentSession, TrainingState  # noqa: E402
from tests.qt.helpers import tiny_config  # noqa: E402

COSINE = dict(meta_lr_schedule="cosine", meta_lr=1e-3, min_meta_lr=1e-5, val_interval=1000)


def wait_idle(qtbot, session: ExperimentSession) -> None:
    qtbot.waitUntil(lambda: session.state is TrainingState.IDLE, timeout=20_000)
    qtbot.wait(20)


def test_cosine_schedule_extended_from_40_to_60_is_the_same_in_the_app_and_the_cli(qtbot, tmp_path):
    config = tiny_config(40, **COSINE)
    toml = tmp_path / "tiny.toml"
    toml.write_text(config.to_toml())
    cli_run, app_run = tmp_path / "cli", tmp_path / "app"
    assert main(["train", str(toml), "--out", str(cli_run), "--threads", "1", "--quiet"]) == 0
    assert main(["train", "--resume", str(cli_run), "--iterations", "60", "--threads", "1", "--quiet"]) == 0

    session = ExperimentSession(config)
    assert session.start_training()
    wait_idle(qtbot, session)
    assert session.iteration == 40 and not session.can_continue()
    session.set_config(config.with_overrides(["training.iterations=60"]))
    assert session.can_continue() and session.continue_training()
    wait_idle(qtbot, session)
    assert session.iteration == 60 and session.trainer.config.training.iterations == 60
    assert session.save_run(app_run)

    cli, app = load_run(cli_run), load_run(app_run)
    assert cli.config.training.iterations == app.config.training.iterations == 60
    cli_lrs = {row[0]: row[3] for row in cli.history.rows}
    app_lrs = {row[0]: row[3] for row in app.history.rows}
    assert sorted(cli_lrs) == sorted(app_lrs) == list(range(1, 61))
    assert cli_lrs == app_lrs
    # iteration 41 runs at step 40 of a 60-iteration cosine, not at the floor of a 40-iteration one
    expected = 1e-5 + (1e-3 - 1e-5) * 0.5 * (1 + math.cos(math.pi * 40 / 60))
    assert app_lrs[41] == pytest.approx(expected, rel=1e-12) and app_lrs[41] > 2e-4
    assert session.stop_and_wait()
