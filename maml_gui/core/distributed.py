"""Meta-training in several processes with torch.distributed (torchrun; gloo on CPU, nccl on CUDA).

How a meta-iteration is shared (no DistributedDataParallel: it does not synchronise gradients
of gradients, pytorch #47562, #63812):

- **Tasks**: every rank draws the *whole* global meta-batch from the one task stream (seeded
  by ``training.seed`` as in a single process) and keeps its own slice. Task ``i`` of iteration
  ``t`` is therefore the same task whichever rank draws it and however many ranks there are,
  and the tasks are exactly those of a single-process run. Drawing costs every rank the whole
  batch's sampling (under 1% of an iteration for the regression families, about 10% for the
  procedurally drawn glyphs, measured on this project's CPU; see README, "Several processes").
- **Split**: ``meta_batch = B`` over ``N`` ranks: ``B // N`` tasks each, the first ``B % N``
  ranks one more; at least one task per rank (else refused).
- **Gradient**: each rank's meta-step fills ``.grad`` with the mean over *its* tasks; one
  all-reduce sums ``share / B`` times every meta-parameter's gradient (weights and learned
  rates) together with the iteration's losses and a stop flag, so every rank steps with the
  global mean gradient and logs the global losses. The pretrained baseline's gradient is
  averaged the same way.
- **Start**: every rank checks that it built the same config; rank 0's parameters are
  broadcast. At each save the ranks compare a fingerprint (iteration, task-stream state,
  weights) so a rank that drifted is found instead of silently training something else.
"""

from __future__ import annotations

import os
import sys
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta

import torch
import torch.distributed as dist
from torch import Tensor

from .tasks.base import slice_tasks

DEFAULT_TIMEOUT_S = 300.0  # a rank waits this long for a hung (not dead) peer; a dead one is seen at once
TIMEOUT_ENV = "MAML_GUI_DIST_TIMEOUT"


class PeerLostError(Exception):
    """Another process of the run stopped or stopped answering: this one must stop too."""


class DistributedSetupError(Exception):
    """The processes cannot train together (one line)."""


@dataclass(frozen=True)
class ProcessGroupInfo:
    rank: int
    world_size: int
    local_rank: int
    local_world_size: int


def launched_by_torchrun(env: Mapping[str, str] = os.environ) -> bool:
    """True inside a process that torchrun (or ``maml-gui train --nproc``) started with 2+ ranks."""
    try:
        return int(env.get("WORLD_SIZE", "1")) > 1 and "RANK" in env
    except ValueError:
        return False


def group_info(env: Mapping[str, str] = os.environ) -> ProcessGroupInfo:
    """This process's place in the run, from torchrun's variables (one line when they are malformed)."""
    try:
        world = int(env["WORLD_SIZE"])
        info = ProcessGroupInfo(int(env["RANK"]), world, int(env.get("LOCAL_RANK", 0)),
                                int(env.get("LOCAL_WORLD_SIZE", world)))
    except (KeyError, ValueError):
        raise DistributedSetupError("RANK, WORLD_SIZE, LOCAL_RANK and LOCAL_WORLD_SIZE must be whole numbers "
                                    "(as torchrun sets them)") from None
    if not (0 <= info.rank < info.world_size and 0 <= info.local_rank and 1 <= info.local_world_size):
        raise DistributedSetupError(f"RANK {info.rank} does not fit WORLD_SIZE {info.world_size}")
    return info


def timeout_s(env: Mapping[str, str] = os.environ) -> float:
    text = env.get(TIMEOUT_ENV, "")
    try:
        value = float(text) if text else DEFAULT_TIMEOUT_S
    except ValueError:
        raise DistributedSetupError(f"{TIMEOUT_ENV}={text[:40]!r}: expected seconds, e.g. 300") from None
    if not 1 <= value <= 86400:
        raise DistributedSetupError(f"{TIMEOUT_ENV} must be between 1 and 86400 seconds, got {text[:40]}")
    return value


def start_process_group() -> ProcessGroupInfo:
    """Join the run's process group (torchrun's env:// rendezvous): gloo for CPU tensors, and nccl for
    CUDA tensors where there is a GPU (one per process, by local rank). The nccl path is not tested
    on this project's CPU-only machines."""
    info = group_info()
    backend = "gloo"
    if torch.cuda.is_available():
        backend = "cpu:gloo,cuda:nccl"
        torch.cuda.set_device(info.local_rank % torch.cuda.device_count())
    try:
        dist.init_process_group(backend, timeout=timedelta(seconds=timeout_s()))
    except (RuntimeError, ValueError) as err:
        raise DistributedSetupError(f"cannot join the other processes ({backend}): {short_reason(err)}") from None
    return info


def stop_process_group() -> None:
    if dist.is_initialized():
        dist.destroy_process_group()


def end_process(status: int) -> None:
    """End this rank's process now with ``status``, without Python's interpreter finalization.

    During finalization, a native torch thread (a gloo worker, an autograd or intra-op thread)
    that drops its last reference to a Python object takes the GIL; CPython 3.11 ends such a
    thread with ``pthread_exit``, whose unwinding through C++ ``noexcept`` frames calls
    ``std::terminate``: the process dies of SIGABRT ("terminate called without an active
    exception") after it had finished, rarely (twice in about six runs of the test suite; the
    teardown race of pytorch #190489). Call this only once the process group is destroyed and
    every file is written; stdout and stderr are flushed here."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (AttributeError, OSError, ValueError):
            pass
    os._exit(status)


def short_reason(err: BaseException) -> str:
    """The useful part of a gloo/nccl error (its last line, without the C++ source location)."""
    lines = [line.strip() for line in str(err).splitlines() if line.strip()]
    text = lines[-1] if lines else type(err).__name__
    if text.startswith("[") and "] " in text:
        text = text.split("] ", 1)[1]
    text = text.split(". ", 1)[0].rstrip(".")  # gloo goes on with advice about logs
    return text if len(text) <= 160 else text[:159] + "…"


def lost_peer(err: BaseException, rank: int) -> PeerLostError:
    return PeerLostError(f"process {rank}: another process of this run stopped or stopped answering "
                         f"({short_reason(err)})")


# -- splitting the meta-batch -----------------------------------------------------------------------
def task_share(meta_batch: int, world_size: int, rank: int) -> tuple[int, int]:
    """This rank's tasks ``[start, stop)`` of a global meta-batch (remainder to the first ranks)."""
    if meta_batch < world_size:
        raise DistributedSetupError(f"training.meta_batch {meta_batch} cannot be split over {world_size} processes: "
                                    f"each needs at least one task (raise the meta-batch or use fewer processes)")
    base, extra = divmod(meta_batch, world_size)
    start = rank * base + min(rank, extra)
    return start, start + base + (1 if rank < extra else 0)


class RankShareSampler:
    """Wraps a trainer's task sampler: training batches are drawn whole, then this rank's slice is kept.
    Validation and test draws are left as they are (rank 0 validates)."""

    def __init__(self, sampler, start: int, stop: int) -> None:
        self.inner, self.start, self.stop = sampler, start, stop

    def train(self, meta_batch: int, generator, device="cpu"):
        return slice_tasks(self.inner.train(meta_batch, generator, device), self.start, self.stop)

    def __getattr__(self, name):
        return getattr(self.inner, name)


# -- one all-reduce per iteration ---------------------------------------------------------------------
class GradientAverager:
    """Averages this rank's gradients (and losses, and the stop flag) with the other ranks', each
    rank weighted by its share of the meta-batch: one flat all-reduce per call."""

    def __init__(self, rank: int, weight: float, stop_requested, control=None) -> None:
        self.rank, self.weight = rank, float(weight)
        self.stop_requested = stop_requested  # threading.Event set by this rank's signal handler
        self.control = control  # TrainingControl: asked to stop on every rank when any rank asked

    def average(self, tensors: list[Tensor | None]) -> list[Tensor | None]:
        """``sum over ranks of weight * tensor`` for each tensor (None stays None: every rank has the
        same Nones, as they run the same code)."""
        present = [t.detach() for t in tensors if t is not None]
        dtype = torch.float64 if any(t.dtype == torch.float64 for t in present) else present[0].dtype
        flat = torch.cat([t.reshape(-1).to(dtype) for t in present])
        flat.mul_(self.weight)
        try:
            dist.all_reduce(flat)
        except RuntimeError as err:  # gloo/nccl: connection closed by a dead peer, or the timeout
            raise lost_peer(err, self.rank) from None
        out, offset = [], 0
        for t in tensors:
            if t is None:
                out.append(None)
                continue
            out.append(flat[offset:offset + t.numel()].view(t.shape).to(t.dtype))
            offset += t.numel()
        return out

    def meta_step(self, params: list[Tensor], losses):
        """The trainer's ``gradient_sync``: average every meta-parameter's ``.grad`` and the losses;
        when any rank asked to stop, every rank's control is told (they stop after this iteration)."""
        from .algorithms.base import StepLosses

        flag = torch.ones((), device=losses.before.device) if self.stop_requested.is_set() else \
            torch.zeros((), device=losses.before.device)
        metric = [losses.metric_after] if losses.metric_after is not None else []
        count = len(params)
        out = self.average([p.grad for p in params] + [losses.before, losses.after, *metric, flag])
        for p, g in zip(params, out[:count]):
            if g is not None:
                p.grad = g
        before, after, *rest = out[count:]
        if float(rest[-1]) > 0 and self.control is not None:
            self.control.request_stop()
        return StepLosses(before, after, rest[0] if metric else None)


# -- start and saves --------------------------------------------------------------------------------------
def broadcast_parameters(trainer, rank: int) -> None:
    """Every rank starts from rank 0's meta-parameters and baseline weights."""
    tensors = [*trainer.learner.meta_parameters(), *(trainer.baseline.params if trainer.baseline else ())]
    try:
        with torch.no_grad():
            for t in tensors:
                dist.broadcast(t.data, 0)
    except RuntimeError as err:
        raise lost_peer(err, rank) from None
    trainer.guard.keep_current_state()


def fingerprint(trainer) -> Tensor:
    """What must be equal on every rank: iteration, config, task-stream state, weights."""
    config = zlib.crc32(trainer.config.to_toml().encode())
    stream = zlib.crc32(trainer.task_generator.get_state().numpy().tobytes())
    with torch.no_grad():
        weights = sum(float(p.detach().double().abs().sum()) for p in trainer.learner.meta_parameters())
    return torch.tensor([trainer.iteration, config, stream, weights], dtype=torch.float64)


FINGERPRINT_PARTS = ("iteration", "config", "task stream", "weights")


def check_ranks_agree(trainer, rank: int, world_size: int) -> None:
    """Raise :class:`DistributedSetupError` on every rank when any rank's fingerprint differs from rank 0's."""
    mine = fingerprint(trainer)
    gathered = [torch.empty(4, dtype=torch.float64) for _ in range(world_size)]  # CPU tensors: gloo
    try:
        dist.all_gather(gathered, mine)
    except RuntimeError as err:
        raise lost_peer(err, rank) from None
    for other, values in enumerate(gathered):
        differs = [name for name, a, b in zip(FINGERPRINT_PARTS, values, gathered[0]) if a != b]
        if differs:
            hint = (" (every machine needs the same config file and version)" if differs[0] == "config"
                    else "")
            raise DistributedSetupError(f"process {other} differs from process 0 in its {differs[0]} at iteration "
                                        f"{trainer.iteration}{hint}")


class AgreeingCheckpoint:
    """The trainer's checkpoint callback on every rank: the ranks compare fingerprints, then rank 0
    (the only one with a ``writer``) saves."""

    def __init__(self, writer, rank: int, world_size: int) -> None:
        self.writer, self.rank, self.world_size = writer, rank, world_size

    def __call__(self, trainer) -> None:
        check_ranks_agree(trainer, self.rank, self.world_size)
        if self.writer is not None:
            self.writer(trainer)


def attach(trainer, info: ProcessGroupInfo, stop_requested, control=None) -> tuple[int, int]:
    """Make ``trainer`` train its share of each meta-batch in step with the other ranks; returns the share."""
    start, stop = task_share(trainer.config.training.meta_batch, info.world_size, info.rank)
    trainer.sampler = RankShareSampler(trainer.sampler, start, stop)
    averager = GradientAverager(info.rank, (stop - start) / trainer.config.training.meta_batch, stop_requested,
                                control)
    trainer.gradient_sync = averager.meta_step
    if trainer.baseline is not None:
        trainer.baseline.gradient_sync = averager.average
    trainer.runs_validation = info.rank == 0
    trainer.extra_state = {"world_size": info.world_size}
    broadcast_parameters(trainer, info.rank)
    check_ranks_agree(trainer, info.rank, info.world_size)
    return start, stop
