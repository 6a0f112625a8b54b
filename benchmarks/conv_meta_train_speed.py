"""Conv-4 meta-training speed and memory: the engine's batched torch.func path against a per-task loop.

Setup of issue 9: Conv-4 (64 filters, strided, Finn et al.'s Omniglot network) on 28×28 built-in
glyphs, 5-way 1-shot, 15 queries per class, meta-batch 32, second-order MAML, 1 and 5 inner
steps. The per-task loop is how most implementations do it: one task at a time, the module's
parameters adapted with ``torch.autograd.grad(create_graph=True)`` (through
``functional_call``, the equivalent of cloning the module per task). Both take an Adam step per
meta-iteration on the same meta-batches (sampling is not timed). Each contender runs in its own
child process, so its peak memory is its own: on CPU the growth of the peak resident set over
the setup's (a first iteration included), on CUDA ``torch.cuda.max_memory_allocated``. Prints meta-iterations/s, the ratio,
and peak memory per meta-iteration.

    python benchmarks/conv_meta_train_speed.py [--seconds 10] [--rounds 3] [--filters 64] [--meta-batch 32]
        [--device cpu] [--threads 1] [--chunk N]

Also prints the arithmetic of a meta-iteration (torch's FlopCounterMode) and the rate it was done
at: on a CPU the loop's convolutions already run near the core's speed, which bounds any gain.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time

import torch
import torch.nn.functional as F
from torch.func import functional_call
from torch.utils.flop_counter import FlopCounterMode


def setup(args):
    from maml_gui.core.config import from_dict
    from maml_gui.core.training import Trainer

    config = from_dict({
        "task": {"kind": "classification", "family": "glyphs", "ways": 5, "shots": 1, "queries": 15},
        "model": {"kind": "conv4", "filters": args.filters, "strided": True},
        "training": {"algorithm": "maml", "inner_lr": 0.4, "inner_steps": args.steps, "meta_batch": args.meta_batch,
                     "baseline": False, "val_tasks": 2, "device": args.device},
    })
    trainer = Trainer(config, threads=torch.get_num_threads())
    generator = torch.Generator().manual_seed(0)
    batches = [trainer.sampler.train(args.meta_batch, generator).to(trainer.device) for _ in range(2)]
    return trainer, batches


def engine_step(trainer, batch):
    trainer.optimizer.zero_grad(set_to_none=True)
    trainer.learner.meta_step(batch, 0)
    trainer.optimizer.step()


class PerTaskLoop:
    def __init__(self, trainer, steps: int) -> None:
        self.module = trainer.learner.backend.model.module.to(trainer.device)
        self.names = trainer.learner.backend.parameter_names()
        self.params = [p.detach().clone().requires_grad_() for p in trainer.learner.params]
        self.optimizer = torch.optim.Adam(self.params, lr=1e-3)
        self.steps = steps

    def step(self, batch) -> None:
        total = 0.0
        for b in range(batch.size):
            fast = list(self.params)
            for _ in range(self.steps):
                logits = functional_call(self.module, dict(zip(self.names, fast)), (batch.x_support[b],))
                grads = torch.autograd.grad(F.cross_entropy(logits, batch.y_support[b]), fast, create_graph=True)
                fast = [p - 0.4 * g for p, g in zip(fast, grads)]
            logits = functional_call(self.module, dict(zip(self.names, fast)), (batch.x_query[b],))
            total = total + F.cross_entropy(logits, batch.y_query[b])
        self.optimizer.zero_grad(set_to_none=True)
        (total / batch.size).backward()
        self.optimizer.step()


def child(args) -> None:
    torch.set_num_threads(args.threads)
    trainer, batches = setup(args)
    if args.chunk:  # another chunk size than the engine's own choice (FunctionalBackend.meta_batch_chunk)
        trainer.learner.backend.meta_batch_chunk = lambda batch: args.chunk
    step = (lambda b: engine_step(trainer, b)) if args.child == "engine" else PerTaskLoop(trainer, args.steps).step
    cuda = trainer.device.type == "cuda"
    if cuda:
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # the peak so far: setup and the batches
    step(batches[0])  # warm-up (its memory counts: every iteration needs as much)
    count, start = 0, time.perf_counter()
    while time.perf_counter() - start < args.seconds or count < 2:
        step(batches[count % 2])
        count += 1
    if cuda:
        torch.cuda.synchronize()
    rate = count / (time.perf_counter() - start)
    peak = (torch.cuda.max_memory_allocated() if cuda else
            (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before) * 1024)
    result = {"rate": rate, "peak_mb": peak / 2**20, "chunk": trainer.learner.backend.meta_batch_chunk(batches[0])}
    if args.child == "loop":  # the arithmetic of one meta-iteration; the engine's is the same, but
        with FlopCounterMode(display=False) as flops:  # the counter over-counts grouped convolutions' backward
            step(batches[0])
        result["gflop"] = flops.get_total_flops() / 1e9
    print(json.dumps(result))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="timing window per contender")
    parser.add_argument("--filters", type=int, default=64)
    parser.add_argument("--meta-batch", type=int, default=32)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=3, help="alternated runs of each contender (median)")
    parser.add_argument("--chunk", type=int, default=0,
                        help="tasks per meta-gradient chunk in the engine (default: the engine's choice)")
    parser.add_argument("--child", choices=("engine", "loop"), help=argparse.SUPPRESS)
    parser.add_argument("--steps", type=int, default=1, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return
    print(f"Conv-4 ({args.filters} filters, strided), glyphs 28x28, 5-way 1-shot, 15 queries/class, meta-batch "
          f"{args.meta_batch}, second-order MAML; device {args.device}, {args.threads} thread(s), torch {torch.__version__}")
    print(f"{'inner steps':>11} {'per-task loop it/s':>19} {'engine it/s':>12} {'engine/loop':>12} "
          f"{'loop peak MB':>13} {'engine peak MB':>15} {'GFLOP/it':>9} {'loop GFLOP/s':>13} {'engine GFLOP/s':>15}")
    for steps in (1, 5):
        results = {"loop": [], "engine": []}
        for _ in range(args.rounds):  # alternated, so a slow spell of the machine hits both
            for name in ("loop", "engine"):
                command = [sys.executable, __file__, "--child", name, "--steps", str(steps), "--seconds",
                           str(args.seconds), "--filters", str(args.filters), "--meta-batch", str(args.meta_batch),
                           "--device", args.device, "--threads", str(args.threads), "--chunk", str(args.chunk)]
                output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
                results[name].append(json.loads(output.strip().splitlines()[-1]))
        loop, engine = (median_run(results[name]) for name in ("loop", "engine"))
        print(f"{steps:>11} {loop['rate']:>19.2f} {engine['rate']:>12.2f} {engine['rate'] / loop['rate']:>11.1f}x "
              f"{loop['peak_mb']:>13.0f} {engine['peak_mb']:>15.0f} {loop['gflop']:>9.1f} "
              f"{loop['rate'] * loop['gflop']:>13.0f} {engine['rate'] * loop['gflop']:>15.0f}", flush=True)
    print(f"(median of {args.rounds} alternated runs each; the engine took the meta-gradient in chunks of "
          f"{engine['chunk']} task(s); GFLOP/it: the loop's arithmetic, the same for both)")


def median_run(runs: list[dict]) -> dict:
    return sorted(runs, key=lambda run: run["rate"])[len(runs) // 2]


if __name__ == "__main__":
    main()
