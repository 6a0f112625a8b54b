"""Small configs and waits shared by the app-shell tests."""

from __future__ import annotations

from maml_gui.core.config import ExperimentConfig, from_dict


def tiny_config(iterations: int = 40, **training) -> ExperimentConfig:
    """A sinusoid experiment that trains in well under a second on one core."""
    settings = {"iterations": iterations, "val_interval": 20, "val_tasks": 8, "meta_batch": 4, "log_every": 1,
                "device": "cpu", "threads": 1, **training}
    return from_dict({"name": "tiny", "model": {"hidden": [8, 8]}, "training": settings,
                      "evaluation": {"inner_steps": 3, "queries": 10}})


def slow_config(**training) -> ExperimentConfig:
    """Trains long enough (many iterations) to be stopped, paused or saved midway."""
    return tiny_config(iterations=1_000_000, val_interval=1_000_000, **training)
