"""Multi-process meta-training speed on this machine: 1 process x 2 threads against 2 processes x 1
thread (torch.distributed, gloo), and 1 process x 1 thread for the scaling efficiency.

Cases: the ``finn2017-sinusoid`` preset (MLP 1-40-40-1, second-order MAML) and the
``glyphs-5way-1shot`` preset (Conv-4, second-order MAML; ``--filters`` 32 by default instead of the
preset's 64, to keep the run short on a shared CPU), each at meta-batch 32 and 128, with the
baselines off. Each timed meta-iteration samples the meta-batch, computes the meta-gradient
(split over the processes, then all-reduced) and takes the Adam step. The two processes are
started as torchrun would start them; their start-up is not timed.

Prints meta-iterations/s per setting, the ratio of 2 x 1 to 1 x 2, the speed-up of 2 x 1 over
1 x 1 and the scaling efficiency (speed-up / 2), and the machine's load average before and after.

    python benchmarks/distributed_speed.py [--seconds 4] [--filters 32] [--cases sinusoid,glyphs]
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from maml_gui.core.presets import load_preset  # noqa: E402
from maml_gui.core.training import Trainer  # noqa: E402

PRESETS = {"sinusoid": "finn2017-sinusoid", "glyphs": "glyphs-5way-1shot"}


def config(case: str, meta_batch: int, filters: int):
    overrides = [f"training.meta_batch={meta_batch}", "training.baseline=false", "training.val_tasks=4"]
    if case == "glyphs":
        overrides.append(f"model.filters={filters}")
    return load_preset(PRESETS[case]).with_overrides(overrides)


def time_iterations(trainer: Trainer, iterations: int | None, seconds: float = 0.0, barrier=None) -> float:
    """Meta-iterations/s after one warm-up iteration: over ``iterations``, or (None) as many as fit in
    ``seconds`` (at least 3)."""
    torch.set_num_threads(trainer.threads)
    trainer.train_iteration()
    if barrier is not None:
        barrier()
    start, done = time.perf_counter(), 0
    while (done < iterations) if iterations is not None else (done < 3 or time.perf_counter() - start < seconds):
        trainer.train_iteration()
        done += 1
    if barrier is not None:
        barrier()
    return done / (time.perf_counter() - start)


def single_process(case: str, meta_batch: int, filters: int, threads: int, seconds: float) -> float:
    return time_iterations(Trainer(config(case, meta_batch, filters), threads=threads), None, seconds)


def worker(case: str, meta_batch: int, filters: int, iterations: int) -> None:
    from maml_gui.core import distributed

    info = distributed.start_process_group()
    trainer = Trainer(config(case, meta_batch, filters), threads=1)
    distributed.attach(trainer, info, threading.Event())
    rate = time_iterations(trainer, iterations, barrier=torch.distributed.barrier)  # the same count on both
    if info.rank == 0:
        print(json.dumps({"rate": rate}))
    distributed.stop_process_group()


def two_processes(case: str, meta_batch: int, filters: int, iterations: int) -> float:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    processes = []
    for rank in range(2):
        env = dict(os.environ, RANK=str(rank), WORLD_SIZE="2", LOCAL_RANK=str(rank), LOCAL_WORLD_SIZE="2",
                   MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port), OMP_NUM_THREADS="1",
                   PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
        processes.append(subprocess.Popen([sys.executable, __file__, "--worker", case, str(meta_batch), str(filters),
                                           str(iterations)], env=env, stdout=subprocess.PIPE, text=True))
    outputs = [p.communicate()[0] for p in processes]
    if any(p.returncode for p in processes):
        raise SystemExit(f"a worker failed: exit statuses {[p.returncode for p in processes]}")
    return json.loads(outputs[0].strip().splitlines()[-1])["rate"]


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.2f} (1 min), {five:.2f} (5 min) on {os.cpu_count()} cores"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=4.0, help="about how long each timed setting runs")
    parser.add_argument("--filters", type=int, default=32, help="Conv-4 filters of the glyph case")
    parser.add_argument("--cases", default="sinusoid,glyphs")
    parser.add_argument("--meta-batches", default="32,128")
    parser.add_argument("--worker", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        case, meta_batch, filters, iterations = args.worker
        worker(case, int(meta_batch), int(filters), int(iterations))
        return
    print(f"torch {torch.__version__}; before: {load()}")
    print(f"{'case':>9} {'batch':>5} {'1x2 it/s':>9} {'1x1 it/s':>9} {'2x1 it/s':>9} {'2x1 / 1x2':>9} "
          f"{'speed-up':>8} {'efficiency':>10}")
    for case in args.cases.split(","):
        for meta_batch in (int(b) for b in args.meta_batches.split(",")):
            two_threads = single_process(case, meta_batch, args.filters, 2, args.seconds)
            one_thread = single_process(case, meta_batch, args.filters, 1, args.seconds)
            iterations = max(3, round(args.seconds * one_thread))
            shared = two_processes(case, meta_batch, args.filters, iterations)
            speedup = shared / one_thread
            print(f"{case:>9} {meta_batch:>5} {two_threads:>9.2f} {one_thread:>9.2f} {shared:>9.2f} "
                  f"{shared / two_threads:>9.2f} {speedup:>8.2f} {speedup / 2:>10.0%}", flush=True)
    print(f"after: {load()}")


if __name__ == "__main__":
    main()
