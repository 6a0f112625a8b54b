"""``maml-gui train`` in one process of a multi-process run (started by torchrun or ``--nproc``).

Every rank builds the same trainer, trains its share of each meta-batch and averages gradients
with the others (core/distributed.py); rank 0 alone writes the run directory, validates and
prints. Ctrl-C or SIGTERM on any rank stops every rank after the same iteration and rank 0
saves; a rank that dies or hangs makes the others stop with one line (rank 0 saves the last
iteration every rank completed).
"""

from __future__ import annotations

import signal
import sys
import threading
from dataclasses import dataclass, field

import torch

from .core import distributed
from .core.distributed import AgreeingCheckpoint, DistributedSetupError, PeerLostError
from .core.messages import one_line
from .core.threads import usable_cores
from .core.training import TrainingControl, TrainingError


@dataclass
class RankHooks:
    """What :func:`maml_gui.cli_train.run_training` needs from a multi-process run (rank 0)."""

    rank: int
    world_size: int
    control: TrainingControl = field(default_factory=TrainingControl)
    stop_requested: threading.Event = field(default_factory=threading.Event)
    errors: tuple = (PeerLostError, DistributedSetupError)

    def checkpoint(self, writer):
        return AgreeingCheckpoint(writer, self.rank, self.world_size)


def _install_stop_signals(hooks: RankHooks) -> dict:
    """SIGINT and SIGTERM ask every rank to stop (the flag travels with the next all-reduce);
    a second Ctrl-C ends this process at once."""
    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}

    def on_signal(signum, frame):
        hooks.stop_requested.set()
        if signum == signal.SIGINT:
            signal.signal(signal.SIGINT, signal.default_int_handler)

    for sig in previous:
        signal.signal(sig, on_signal)
    return previous


def train_distributed(args, load_config, user_errors: tuple) -> int:
    """One rank of ``maml-gui train`` under torchrun; returns its exit status."""
    from .cli_train import TrainUsageError, load_trainer, run_training

    try:
        info = distributed.group_info()
    except DistributedSetupError as err:
        print(f"maml-gui: error: {one_line(err)}", file=sys.stderr)
        return 2
    hooks = RankHooks(info.rank, info.world_size)
    previous = _install_stop_signals(hooks)
    try:
        try:
            info = distributed.start_process_group()
        except DistributedSetupError as err:
            print(f"maml-gui: error: process {info.rank}: {one_line(err)}", file=sys.stderr)
            return 2
        trainer = error = None
        try:
            trainer, out, target = load_trainer(args, load_config, writes=info.rank == 0, world_size=info.world_size)
            if args.threads is None:  # the ranks on one machine share its cores
                trainer.threads = min(trainer.threads, max(1, usable_cores() // info.local_world_size))
        except (TrainUsageError, DistributedSetupError, *user_errors) as err:
            error = err
        if not _all_ready(error, info):
            return 2
        try:
            distributed.attach(trainer, info, hooks.stop_requested, hooks.control)
        except (PeerLostError, DistributedSetupError) as err:
            if info.rank == 0 or isinstance(err, PeerLostError):
                print(f"maml-gui: error: {one_line(err)}", file=sys.stderr)
            return 2
        if info.rank == 0:
            batch = trainer.config.training.meta_batch
            shares = [b - a for a, b in (distributed.task_share(batch, info.world_size, r)
                                         for r in range(info.world_size))]
            split = " + ".join(map(str, shares)) if len(shares) <= 8 else f"{min(shares)}-{max(shares)} each"
            print(f"training with {info.world_size} processes ({torch.distributed.get_backend()}); "
                  f"meta-batch {batch} = {split} tasks", file=sys.stderr)
            return run_training(trainer, out, target, args.quiet, ranks=hooks)
        return _follow_rank_0(trainer, target, hooks)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        distributed.stop_process_group()


def _all_ready(error: BaseException | None, info) -> bool:
    """Every rank says whether it could build its trainer; the lowest rank that could not prints why."""
    mine = torch.tensor([0 if error is None else 1], dtype=torch.int64)
    flags = [torch.zeros(1, dtype=torch.int64) for _ in range(info.world_size)]
    try:
        torch.distributed.all_gather(flags, mine)
    except RuntimeError as err:
        print(f"maml-gui: error: {one_line(distributed.lost_peer(err, info.rank))}", file=sys.stderr)
        return False
    failed = [rank for rank, flag in enumerate(flags) if int(flag)]
    if failed and failed[0] == info.rank:
        where = f"process {info.rank}: " if info.rank else ""
        print(f"maml-gui: error: {where}{one_line(error)}", file=sys.stderr)
    return not failed


def _follow_rank_0(trainer, target: int, hooks: RankHooks) -> int:
    """A rank other than 0: train in step, write nothing, print only what rank 0 cannot know."""
    if trainer.iteration >= target:
        return 0
    progress = None
    try:
        for progress in trainer.run(iterations=target, control=hooks.control, checkpoint=hooks.checkpoint(None),
                                    report_interval_s=1.0):
            pass
    except PeerLostError as err:
        print(f"maml-gui: training stopped: {one_line(err)}", file=sys.stderr)
        return 1
    except (DistributedSetupError, TrainingError):
        return 1  # rank 0 found the same and says it
    return 130 if progress is not None and progress.stopped else 0
