"""A run written by `maml-gui train` opens in the app with the same config, curves and predictions."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("pytestqt")

import torch  # noqa: E402

from maml_gui.cli import main  # noqa: E402
from maml_gui.core.checkpoint import load_run  # noqa: E402
from maml_gui.qt import settings as keys  # noqa: E402
from maml_gui.qt.main_window import MainWindow  # noqa: E402


def test_cli_run_opens_with_the_same_config_curves_and_predictions(qtbot, tmp_path):
    out = tmp_path / "cli-run"
    assert main(["train", "--preset", "finn2017-sinusoid", "--iterations", "60", "--set", "training.val_interval=20",
                 "--set", "training.log_every=1", "--set", "training.meta_batch=5", "--set", "training.val_tasks=20",
                 "--threads", "1", "--quiet", "--out", str(out)]) == 0
    run = load_run(out)
    window = MainWindow()
    window.settings.set(keys.CONFIRM_DISCARD, False)
    qtbot.addWidget(window)
    try:
        window.files.ask_directory = lambda title: str(out)
        window.window_actions.open_run.trigger()
        assert window.current_config() == run.config
        assert window.loss_plot.point_count() == len(run.history.rows) == 60
        assert window.adaptation_plot.record.iteration == run.history.validations[-1].iteration == 60

        opened = window.current_snapshot()
        grid = torch.linspace(-5, 5, 50)
        assert torch.equal(opened.predict(grid), run.snapshot.predict(grid))

        points = [(-3.0, 1.0), (-1.0, -2.0), (0.5, 0.3), (2.0, 2.5), (4.0, -1.0)]
        window.playground.set_points(points)
        widget = window.playground
        qtbot.waitUntil(lambda: widget.last_result is not None
                        and widget.last_result.request_id == widget._runner.latest_id
                        and len(widget.step_curves()) == widget.controls.steps() + 1, timeout=5000)
        xs = torch.tensor([p[0] for p in points])
        ys = torch.tensor([p[1] for p in points])
        expected = run.snapshot.adapt(xs, ys, torch.from_numpy(widget.last_result.x), widget.controls.steps())
        for drawn, step in zip(widget.step_curves(), expected[:, 0, :, 0].numpy()):
            assert np.allclose(drawn, step, atol=1e-5)
    finally:
        window.close()
