"""End-to-end training speed: what ``maml-gui train`` does against the engine alone.

Both run in this process, interleaved in rounds, on ``finn2017-sinusoid`` (1-40-40-1 ReLU,
K=10 + 10 query points, meta-batch 25, second-order MAML, 1 inner step, Adam 1e-3):

(a) engine: sample a meta-batch, ``MetaLearner.meta_step`` (meta-gradient), Adam step; nothing else.
(b) cli train: :func:`maml_gui.cli_train.run_training` on a fresh trainer writing to a temporary
    run directory, as ``maml-gui train --preset finn2017-sinusoid --out DIR --quiet`` does:
    pretrained baseline on, validation every ``val_interval`` (1000) iterations including the
    one at iteration 0, autosave at each validation and at the end, metrics history.

By default the two are interleaved finely: the training loop (b) runs as ``run_training`` runs
it (a first save, ``Trainer.run`` with the background run writer as checkpoint, a final wait
for the writer) and, each time it reports (every 0.2 s and at each validation), the engine (a)
catches up to the same iteration count; each side's time is summed. Load from other
processes then falls on both alike. ``--whole-runs`` instead times whole ``run_training``
calls and engine runs one after the other.

Prints iterations/s for both (median over rounds) and their ratio, by wall clock and by this
process's CPU time (the wall-clock figures also count waiting for the disk).

    python benchmarks/end_to_end_speed.py [--iterations 3000] [--rounds 3] [--threads 1] [--whole-runs]
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
from maml_gui.core.checkpoint import save_trainer

try:
    from maml_gui.core.background_save import BackgroundRunWriter
except ImportError:  # an older tree (for before/after figures): autosaves were written in the training thread
    class BackgroundRunWriter:  # type: ignore[no-redef]
        def __init__(self, path) -> None:
            self.path = path

        def __call__(self, trainer) -> None:
            save_trainer(self.path, trainer)

        save_now = __call__

        def wait(self) -> None:
            pass
from maml_gui.core.presets import load_preset
from maml_gui.core.training import Trainer


def engine_rate(config, iterations: int, threads: int) -> float:
    """Meta-learner steps alone: sample, meta-gradient, optimizer step."""
    trainer = Trainer(config.with_overrides(["training.baseline=false"]), threads=threads)
    torch.set_num_threads(threads)
    c, learner, optimizer = trainer.config, trainer.learner, trainer.optimizer
    start, cpu_start = time.perf_counter(), time.process_time()
    for iteration in range(iterations):
        batch = trainer.family.sample(c.training.meta_batch, c.task.shots, c.task.queries, trainer.task_generator)
        optimizer.zero_grad(set_to_none=True)
        learner.meta_step(batch, iteration)
        optimizer.step()
    return iterations / (time.perf_counter() - start), iterations / (time.process_time() - cpu_start)


def cli_train_rate(config, iterations: int, threads: int) -> float:
    """A whole ``maml-gui train`` run (construction, validations, autosaves included)."""
    config = config.with_overrides([f"training.iterations={iterations}"])
    with tempfile.TemporaryDirectory() as tmp:
        start, cpu_start = time.perf_counter(), time.process_time()
        trainer = Trainer(config, threads=threads)
        with contextlib.redirect_stderr(io.StringIO()):
            status = run_training(trainer, Path(tmp) / "run", iterations, quiet=True)
        seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - cpu_start
    if status != 0 or trainer.iteration != iterations:
        raise SystemExit(f"training ended early (status {status}, iteration {trainer.iteration})")
    return iterations / seconds, iterations / cpu_seconds


class Clock:
    """Wall and CPU seconds spent inside ``with clock:`` blocks."""

    def __init__(self) -> None:
        self.wall = self.cpu = 0.0

    def __enter__(self):
        self._wall, self._cpu = time.perf_counter(), time.process_time()

    def __exit__(self, *exc) -> None:
        self.wall += time.perf_counter() - self._wall
        self.cpu += time.process_time() - self._cpu


def interleaved_rates(config, iterations: int, threads: int) -> tuple[tuple[float, float], tuple[float, float]]:
    """((engine wall, cpu), (cli train wall, cpu)) iterations/s, finely interleaved."""
    engine_clock, cli_clock = Clock(), Clock()
    with tempfile.TemporaryDirectory() as tmp:
        with cli_clock:
            trainer = Trainer(config.with_overrides([f"training.iterations={iterations}"]), threads=threads)
            writer = BackgroundRunWriter(Path(tmp) / "run")
            writer.save_now(trainer)
            reports = trainer.run(iterations=iterations, checkpoint=writer, report_interval_s=0.2)
        engine = Trainer(config.with_overrides(["training.baseline=false"]), threads=threads)
        c, learner, optimizer = engine.config, engine.learner, engine.optimizer
        done = 0
        while True:
            with cli_clock:
                progress = next(reports, None)
            if progress is None:
                break
            with engine_clock:
                torch.set_num_threads(threads)
                for iteration in range(done, progress.iteration):
                    batch = engine.family.sample(c.training.meta_batch, c.task.shots, c.task.queries,
                                                 engine.task_generator)
                    optimizer.zero_grad(set_to_none=True)
                    learner.meta_step(batch, iteration)
                    optimizer.step()
                done = progress.iteration
        with cli_clock:
            writer.wait()
    if trainer.iteration != iterations or done != iterations:
        raise SystemExit(f"training ended early at iteration {trainer.iteration}")
    return ((iterations / engine_clock.wall, iterations / engine_clock.cpu),
            (iterations / cli_clock.wall, iterations / cli_clock.cpu))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=3000, help="iterations per measurement")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (median reported)")
    parser.add_argument("--threads", type=int, default=1, help="torch threads")
    parser.add_argument("--preset", default="finn2017-sinusoid")
    parser.add_argument("--whole-runs", action="store_true", help="time whole runs one after the other")
    args = parser.parse_args()
    config = load_preset(args.preset).with_overrides(['training.device="cpu"'])
    print(f"{args.preset}, torch {torch.__version__}, {args.threads} thread(s), {args.rounds} rounds x "
          f"{args.iterations} iterations, {'whole runs in turn' if args.whole_runs else 'finely interleaved'}")
    # Warm up (torch's lazy initialisation, first allocations): not charged to whichever side runs first.
    interleaved_rates(config, 200, args.threads)
    wall: dict[str, list[float]] = {"engine": [], "cli train": []}
    cpu: dict[str, list[float]] = {"engine": [], "cli train": []}
    for round_index in range(args.rounds):
        if args.whole_runs:
            measured = [measure(config, args.iterations, args.threads) for measure in (engine_rate, cli_train_rate)]
        else:
            measured = interleaved_rates(config, args.iterations, args.threads)
        for name, (by_wall, by_cpu) in zip(("engine", "cli train"), measured):
            wall[name].append(by_wall)
            cpu[name].append(by_cpu)
        print(f"round {round_index + 1}: engine {wall['engine'][-1]:.1f} it/s (cpu {cpu['engine'][-1]:.1f}), "
              f"cli train {wall['cli train'][-1]:.1f} it/s (cpu {cpu['cli train'][-1]:.1f}), "
              f"ratio {wall['cli train'][-1] / wall['engine'][-1]:.3f} (cpu {cpu['cli train'][-1] / cpu['engine'][-1]:.3f})",
              flush=True)
    for label, results in (("wall clock", wall), ("cpu time", cpu)):
        engine, cli = (statistics.median(results[k]) for k in ("engine", "cli train"))
        ratios = [b / a for a, b in zip(results["engine"], results["cli train"])]
        print(f"median by {label}: engine {engine:.1f} it/s, cli train {cli:.1f} it/s, ratio of medians "
              f"{cli / engine:.3f}, median per-round ratio {statistics.median(ratios):.3f}")


if __name__ == "__main__":
    main()
