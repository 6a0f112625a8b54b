"""End-to-end training speed: what ``maml-gui train`` does against the engine alone.

Both run in this process, interleaved in rounds, on ``finn2017-sinusoid`` (1-40-40-1 ReLU,
K=10 + 10 query points, meta-batch 25, second-order MAML, 1 inner step, Adam 1e-3):

(a) engine: sample a meta-batch, ``MetaLearner.meta_step`` (meta-gradient), Adam step; nothing else.
(b) cli train: :func:`maml_gui.cli_train.run_training` on a fresh trainer writing to a temporary
    run directory, as ``maml-gui train --preset finn2017-sinusoid --out DIR --quiet`` does:
    pretrained baseline on, validation every ``val_interval`` (1000) iterations including the
    one at iteration 0, autosave at each validation and at the end, metrics history.

Prints iterations/s for both (median over rounds) and their ratio.

    python benchmarks/end_to_end_speed.py [--iterations 3000] [--rounds 3] [--threads 1]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import statistics
import tempfile
import time
from pathlib import Path

import torch

from maml_gui.cli_train import run_training
from maml_gui.core.presets import load_preset
from maml_gui.core.training import Trainer


def engine_rate(config, iterations: int, threads: int) -> float:
    """Meta-learner steps alone: sample, meta-gradient, optimizer step."""
    trainer = Trainer(config.with_overrides(["training.baseline=false"]), threads=threads)
    torch.set_num_threads(threads)
    c, learner, optimizer = trainer.config, trainer.learner, trainer.optimizer
    start = time.perf_counter()
    for iteration in range(iterations):
        batch = trainer.family.sample(c.training.meta_batch, c.task.shots, c.task.queries, trainer.task_generator)
        optimizer.zero_grad(set_to_none=True)
        learner.meta_step(batch, iteration)
        optimizer.step()
    return iterations / (time.perf_counter() - start)


def cli_train_rate(config, iterations: int, threads: int) -> float:
    """A whole ``maml-gui train`` run (construction, validations, autosaves included)."""
    config = config.with_overrides([f"training.iterations={iterations}"])
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        trainer = Trainer(config, threads=threads)
        with contextlib.redirect_stderr(io.StringIO()):
            status = run_training(trainer, Path(tmp) / "run", iterations, quiet=True)
        seconds = time.perf_counter() - start
    if status != 0 or trainer.iteration != iterations:
        raise SystemExit(f"training ended early (status {status}, iteration {trainer.iteration})")
    return iterations / seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=3000, help="iterations per measurement")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (median reported)")
    parser.add_argument("--threads", type=int, default=1, help="torch threads")
    parser.add_argument("--preset", default="finn2017-sinusoid")
    args = parser.parse_args()
    config = load_preset(args.preset).with_overrides(['training.device="cpu"'])
    print(f"{args.preset}, torch {torch.__version__}, {args.threads} thread(s), {args.rounds} rounds x "
          f"{args.iterations} iterations, interleaved")
    results: dict[str, list[float]] = {"engine": [], "cli train": []}
    for round_index in range(args.rounds):
        results["engine"].append(engine_rate(config, args.iterations, args.threads))
        results["cli train"].append(cli_train_rate(config, args.iterations, args.threads))
        ratio = results["cli train"][-1] / results["engine"][-1]
        print(f"round {round_index + 1}: engine {results['engine'][-1]:.1f} it/s, "
              f"cli train {results['cli train'][-1]:.1f} it/s, ratio {ratio:.3f}", flush=True)
    engine, cli = (statistics.median(results[k]) for k in ("engine", "cli train"))
    ratios = [b / a for a, b in zip(results["engine"], results["cli train"])]
    print(f"median: engine {engine:.1f} it/s, cli train {cli:.1f} it/s, "
          f"ratio of medians {cli / engine:.3f}, median per-round ratio {statistics.median(ratios):.3f}")


if __name__ == "__main__":
    main()
