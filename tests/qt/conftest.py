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
