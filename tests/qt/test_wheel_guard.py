"""The mouse wheel over the experiment form scrolls it; it changes a spin box or combo box only
when that one has the focus (issue 8: K 10 → 7 while scrolling)."""

from __future__ import annotations

import pytest

pytest.importorskip("pytestqt")

from PySide6.QtCore import QPoint, QPointF, Qt  # noqa: E402
from PySide6.QtGui import QWheelEvent  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from maml_gui.core.config import ExperimentConfig  # noqa: E402
from maml_gui.qt.panels.config_panel import ConfigPanel  # noqa: E402
from maml_gui.qt.playground.controls import PlaygroundControls  # noqa: E402

WHEEL_DOWN = -120  # one notch


def wheel(widget, notches: int = 3) -> None:
    """Wheel events over the middle of ``widget``, as a mouse makes them."""
    centre = QPointF(widget.rect().center())
    for _ in range(notches):
        event = QWheelEvent(centre, QPointF(widget.mapToGlobal(centre.toPoint())), QPoint(0, 0),
                            QPoint(0, WHEEL_DOWN), Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier,
                            Qt.ScrollPhase.NoScrollPhase, False)
        QApplication.sendEvent(widget, event)


@pytest.fixture
def panel(qtbot):
    made = ConfigPanel()
    qtbot.addWidget(made)
    made.set_config(ExperimentConfig())  # K 10, inner lr 0.01: values the wheel could change
    made.resize(340, 300)  # shorter than the form: it scrolls
    made.show()
    qtbot.waitUntil(made.isVisible)
    made.setFocus()
    return made


def test_the_wheel_over_unfocused_fields_scrolls_the_form_and_changes_nothing(panel):
    section, training = panel.task, panel.training
    fields = [section.shots, section.noise, training.inner_lr, training.inner_steps, section.family,
              training.algorithm]
    before = [f.value() if hasattr(f, "value") else f.currentIndex() for f in fields]
    config = panel.config
    scrolled = []
    for field in fields:
        assert not field.hasFocus()
        bar = panel.verticalScrollBar()
        start = bar.value()
        wheel(field)
        scrolled.append(bar.value() != start or bar.value() == bar.maximum())
    after = [f.value() if hasattr(f, "value") else f.currentIndex() for f in fields]
    assert after == before
    assert panel.config == config
    assert any(scrolled) and panel.verticalScrollBar().value() > 0  # the form scrolled instead


def test_a_focused_spin_box_still_takes_the_wheel(panel, qtbot):
    shots = panel.task.shots
    shots.setFocus()
    qtbot.waitUntil(shots.hasFocus)
    start = shots.value()
    wheel(shots, notches=2)
    assert shots.value() == start - 2


def test_guarded_fields_take_focus_by_click_or_tab_not_by_wheel(panel, qtbot):
    assert panel.task.shots.focusPolicy() == Qt.FocusPolicy.StrongFocus
    assert panel.training.algorithm.focusPolicy() == Qt.FocusPolicy.StrongFocus
    controls = PlaygroundControls()
    qtbot.addWidget(controls)
    controls.show()
    steps = controls.steps()
    wheel(controls.steps_spin)
    assert controls.steps() == steps
