"""A form edit builds the task family once: the config's check, the task preview and the
playground share it (it was built three times per keystroke in a formula)."""

from __future__ import annotations

import pytest

pytest.importorskip("pytestqt")

from maml_gui.core.presets import load_preset  # noqa: E402
from maml_gui.core.tasks import family_cache  # noqa: E402
from maml_gui.qt import settings as keys  # noqa: E402
from maml_gui.qt.main_window import MainWindow  # noqa: E402


@pytest.fixture
def window(qtbot):
    made = MainWindow()
    made.settings.set(keys.CONFIRM_DISCARD, False)
    qtbot.addWidget(made)
    made.session.new_experiment(load_preset("custom-formula"))
    yield made
    made.close()


def type_into_formula(window, text: str) -> None:
    edit = window.config_panel.task.expression
    edit.setText(text)
    edit.textEdited.emit(text)  # as a keystroke does


def test_a_formula_keystroke_builds_the_family_once(window, monkeypatch):
    built = []
    real = family_cache.build_family

    def counting_build(task):
        built.append(task.expression)
        return real(task)

    monkeypatch.setattr(family_cache, "build_family", counting_build)
    expression = window.session.config.task.expression + " + 0.25"
    type_into_formula(window, expression)
    assert window.session.config.task.expression == expression  # the edit went through to the session
    assert window.config_panel.task.preview.shown_task.expression == expression  # and to the preview
    assert built == [expression]
    type_into_formula(window, expression + " +")  # a parse error: checked, nothing else built
    assert built == [expression, expression + " +"]


def test_the_cache_keeps_only_the_last_families(monkeypatch):
    monkeypatch.setattr(family_cache, "_families", type(family_cache._families)())
    task = load_preset("custom-formula").task
    first = family_cache.family_for(task)
    assert family_cache.family_for(task.model_copy()) is first
    for shots in range(1, family_cache.MAX_FAMILIES + 1):
        family_cache.family_for(task.model_copy(update={"shots": shots + 10}))
    assert len(family_cache._families) == family_cache.MAX_FAMILIES
    assert family_cache.family_for(task) is not first  # dropped, built again
