"""How many torch threads meta-training should use, by model size, quiet and under load.

Times ``Trainer.train_iteration`` (second-order MAML, 1 inner step, K=10 + 10 queries, Adam)
for the paper model (1-40-40-1, meta-batch 25) and wider ones, with 1 and 2 threads, on a quiet
machine and while a competing process keeps one core busy (a Python busy loop, as another
app, a compile or a second training would). All variants are interleaved in rounds in this one
process, and every figure is printed with its ratio to 1 thread in the same round.
``core/threads.py`` picks the default thread count from these figures.

    python benchmarks/threads.py [--seconds 1.0] [--rounds 3] [--widths 40,256,1024]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

import torch

from maml_gui.core.config import from_dict
from maml_gui.core.training import Trainer

BUSY_LOOP = "import time\nend = time.time() + 600\nwhile time.time() < end:\n    pass\n"


def make_trainer(width: int, meta_batch: int) -> Trainer:
    config = from_dict({"model": {"hidden": [width, width]},
                        "training": {"meta_batch": meta_batch, "val_tasks": 2, "baseline": False, "threads": 1}})
    return Trainer(config, threads=1)


def iterations_per_s(trainer: Trainer, threads: int, seconds: float) -> float:
    torch.set_num_threads(threads)
    trainer.train_iteration()  # warm-up at this thread count
    count, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        trainer.train_iteration()
        count += 1
    return count / (time.perf_counter() - start)


def measure(widths: list[int], meta_batch: int, seconds: float, rounds: int, busy: bool) -> dict:
    results: dict[tuple[int, int], list[float]] = {}
    competitor = subprocess.Popen([sys.executable, "-c", BUSY_LOOP]) if busy else None
    try:
        trainers = {w: make_trainer(w, meta_batch) for w in widths}
        for _ in range(rounds):
            for width in widths:
                for threads in (1, 2):
                    results.setdefault((width, threads), []).append(
                        iterations_per_s(trainers[width], threads, seconds))
    finally:
        if competitor is not None:
            competitor.kill()
            competitor.wait()
    return {k: statistics.median(v) for k, v in results.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=1.0, help="timed seconds per variant and round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--widths", default="40,256,1024", help="hidden widths (two layers each)")
    parser.add_argument("--meta-batch", type=int, default=25)
    args = parser.parse_args()
    widths = [int(w) for w in args.widths.split(",")]
    import os
    print(f"cores usable: {len(os.sched_getaffinity(0)) if hasattr(os, 'sched_getaffinity') else os.cpu_count()}, "
          f"torch {torch.__version__}, meta-batch {args.meta_batch}, median of {args.rounds} rounds")
    print(f"{'load':>6} {'model':>14} {'1 thread it/s':>14} {'2 threads it/s':>15} {'2 vs 1':>7}")
    for busy in (False, True):
        figures = measure(widths, args.meta_batch, args.seconds, args.rounds, busy)
        for width in widths:
            one, two = figures[(width, 1)], figures[(width, 2)]
            print(f"{'busy' if busy else 'quiet':>6} {f'1-{width}-{width}-1':>14} {one:>14.1f} {two:>15.1f} "
                  f"{two / one:>6.2f}x")


if __name__ == "__main__":
    main()
