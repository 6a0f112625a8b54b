"""Whether two configs describe the same experiment (what Continue and Save compare)."""

from __future__ import annotations

from maml_gui.core.config import ExperimentConfig


def same_experiment(a: ExperimentConfig, b: ExperimentConfig) -> bool:
    """True when ``b`` differs from ``a`` at most in its name and how long it trains."""
    dump_a, dump_b = a.model_dump(mode="json"), b.model_dump(mode="json")
    for dump in (dump_a, dump_b):
        dump["training"].pop("iterations")
        dump.pop("name")
    return dump_a == dump_b
