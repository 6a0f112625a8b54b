"""Fixtures of the hostile run-directory tests: a tiny trained run, a fresh copy to damage, no window."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from .hostile_runs import NoWindow, make_tiny_run


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory) -> Path:
    return make_tiny_run(tmp_path_factory.mktemp("hostile") / "tiny")


@pytest.fixture
def run(tiny_run, tmp_path) -> Path:
    return Path(shutil.copytree(tiny_run, tmp_path / "run"))


@pytest.fixture
def no_window(monkeypatch):
    """``maml-gui RUN`` checks the run, then would open the app: record that instead."""
    try:
        from maml_gui.qt import app
    except ImportError:  # pragma: no cover - no Qt here: the gui entry point is not reachable
        return None
    stub = NoWindow()
    monkeypatch.setattr(app, "run_app", stub)
    return stub
