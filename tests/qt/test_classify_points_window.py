"""The 2-D classification playground in the window: the playground host shows it for a 2-D points
experiment, hands it the classifier, and Edit > Undo / Redo act on its points while it is shown."""

from __future__ import annotations

import pytest
import torch

pytest.importorskip("pytestqt")

from maml_gui.core.adaptation import InnerRates  # noqa: E402
from maml_gui.core.config import from_dict  # noqa: E402
from maml_gui.core.model_backends import backend_for  # noqa: E402
from maml_gui.core.models import MLPSpec  # noqa: E402
from maml_gui.core.snapshot import ModelSnapshot  # noqa: E402
from maml_gui.qt import settings as keys  # noqa: E402
from maml_gui.qt.main_window import MainWindow  # noqa: E402
from maml_gui.qt.playground.classify_points import ClassifyPointsWidget  # noqa: E402


def points_config(family: str = "blobs"):
    return from_dict({"task": {"kind": "classification", "family": family, "ways": 3, "shots": 2, "queries": 3},
                      "model": {"hidden": [8, 8]}})


def three_way_classifier() -> ModelSnapshot:
    spec = MLPSpec(hidden=(8, 8), activation="relu", inputs=2, outputs=3)
    params = tuple(backend_for(spec, "classification").initial_parameters(torch.Generator().manual_seed(0)))
    return ModelSnapshot(spec=spec, params=params, algorithm="maml", rates=InnerRates(0.3),
                         task_kind="classification")


@pytest.fixture
def window(qtbot):
    made = MainWindow()
    made.settings.set(keys.CONFIRM_DISCARD, False)
    qtbot.addWidget(made)
    made.session.new_experiment(points_config())
    made.show()
    yield made
    made.close()


def edit_action(window, name: str):
    edit = next(a.menu() for a in window.menuBar().actions() if a.text() == "&Edit")
    return next(a for a in edit.actions() if a.objectName() == name)


def test_the_window_shows_the_points_playground_and_undo_acts_on_it(qtbot, window):
    playground = window.playground_host.currentWidget()
    assert isinstance(playground, ClassifyPointsWidget)
    assert playground.controls.sample_button.isEnabled()
    window.playground.set_points([(0.0, 1.0)])       # the hidden regression playground's point stays put
    playground.sample_task()
    assert len(playground.points()) == 6
    edit_action(window, "undo").trigger()
    assert playground.points() == [] and window.playground.points() == [(0.0, 1.0)]
    edit_action(window, "redo").trigger()
    assert len(playground.points()) == 6
    window.playground_host.set_snapshot(three_way_classifier())
    assert playground.snapshot is not None
    qtbot.waitUntil(lambda: playground.last_result is not None and playground.last_result.adapted is not None
                    and len(playground.images) == playground.controls.steps() + 1, timeout=10_000)
    window.session.set_config(window.session.config.with_overrides(
        ["task.kind=regression", "task.family=sinusoid", "task.shots=10"]))
    assert window.playground_host.currentWidget() is window.playground
    edit_action(window, "undo").trigger()             # now the regression playground's stack
    assert len(playground.points()) == 6
