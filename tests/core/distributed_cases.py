"""Shared by test_distributed_training.py and the worker processes it starts: small configs, and
training a few iterations while recording each meta-iteration's synchronised meta-gradient.

Run as ``python -m tests.core.distributed_cases OUT`` under torchrun's environment variables
(RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT): every rank trains each case in step with the
others; rank 0 saves what it recorded to OUT (torch.save).
"""

from __future__ import annotations

import sys
import threading

import torch

from maml_gui.core.presets import load_preset
from maml_gui.core.training import Trainer

ITERATIONS = 5  # the regression baseline steps at iterations 0 and 4
SMALL = ["training.val_tasks=4", "training.meta_batch=5", "training.baseline=true"]
CASES = {
    "maml": ("finn2017-sinusoid", ["model.hidden=[16, 16]"]),
    "fomaml": ("fomaml-sinusoid", ["model.hidden=[16, 16]"]),
    "metasgd": ("metasgd-sinusoid", ["model.hidden=[16, 16]"]),
    "maml++": ("mamlpp-sinusoid", ["model.hidden=[16, 16]", "training.inner_steps=2"]),  # per-step rates, MSL
    "reptile": ("reptile-sinusoid", ["model.hidden=[16, 16]", "training.inner_steps=2"]),
    "classification": ("points-3way-5shot", ["model.hidden=[16, 16]", "training.inner_steps=2"]),
    "glyphs": ("glyphs-5way-1shot", ["model.filters=4", "task.queries=2", "task.image_size=14"]),
}


def config(case: str):
    preset, overrides = CASES[case]
    return load_preset(preset).with_overrides(SMALL + overrides)


def train_recording(trainer: Trainer, iterations: int = ITERATIONS) -> dict:
    """Train ``iterations``; the meta-gradient each iteration stepped with, and the final weights."""
    gradients = []
    sync = trainer.gradient_sync

    def record(params, losses):
        if sync is not None:
            losses = sync(params, losses)
        gradients.append([p.grad.detach().clone() for p in params])
        return losses

    trainer.gradient_sync = record
    losses = [trainer.train_iteration() for _ in range(iterations)]
    baseline = [p.detach().clone() for p in trainer.baseline.params] if trainer.baseline is not None else []
    return {"gradients": gradients, "losses": torch.tensor(losses),
            "weights": [p.detach().clone() for p in trainer.learner.meta_parameters()], "baseline": baseline}


def main(out: str) -> None:
    from maml_gui.core import distributed

    info = distributed.start_process_group()
    results = {}
    for case in CASES:
        trainer = Trainer(config(case), threads=1)
        distributed.attach(trainer, info, threading.Event())
        results[case] = train_recording(trainer)
    if info.rank == 0:
        torch.save(results, out)
    distributed.stop_process_group()


if __name__ == "__main__":
    from maml_gui.core.distributed import end_process

    main(sys.argv[1])
    end_process(0)  # as a rank of `maml-gui train` ends: no interpreter finalization (see end_process)
