"""Fixtures shared by the Qt tests."""

from __future__ import annotations

import pytest

from maml_gui.core.config import from_dict
from maml_gui.core.training import Trainer


@pytest.fixture(scope="module")
def snapshot():
    """Weights of a briefly trained sinusoid model (20 iterations), for playground tests."""
    trainer = Trainer(from_dict({"training": {"iterations": 20, "val_interval": 10}}), device="cpu", threads=1)
    for _ in trainer.run():
        pass
    return trainer.snapshot()


@pytest.fixture(scope="session")
def compared_runs(tmp_path_factory):
    """(the sweep folder of 4 CLI-made runs, a classification run), made once; tests only read them."""
    from .compared_runs import make_classification_run, make_sweep

    folder = tmp_path_factory.mktemp("compared")
    return make_sweep(folder), make_classification_run(folder)
