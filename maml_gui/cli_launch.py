"""``maml-gui train --nproc N``: the same as ``torchrun --standalone --nproc_per_node N -m maml_gui train ...``,
through PyTorch's own elastic launcher (torch.distributed.launcher), on this machine.

The launcher starts N worker processes (``python -m maml_gui train`` without ``--nproc``), watches
them, and when one fails stops the others (SIGTERM, then SIGKILL after a grace period). Ctrl-C or
SIGTERM to the launcher is passed on to every worker (they run in sessions of their own); they stop
after the same iteration and rank 0 saves.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import uuid

MAX_PROCESSES = 256
SHUTDOWN_GRACE_S = 60  # a stopping rank 0 may still be writing the run


def strip_nproc(argv: list[str]) -> list[str]:
    """``argv`` of ``train`` without ``--nproc N`` / ``--nproc=N`` (the workers must not launch again)."""
    out, skip = [], False
    for arg in argv:
        if skip:
            skip = False
            continue
        if arg == "--nproc":
            skip = True
            continue
        if arg.startswith("--nproc="):
            continue
        out.append(arg)
    return out


def launch(nproc: int, train_argv: list[str]) -> int:
    """Run ``maml-gui train`` in ``nproc`` processes on this machine; the worst worker exit status."""
    from torch.distributed.elastic.multiprocessing.errors import ChildFailedError
    from torch.distributed.elastic.multiprocessing.api import SignalException
    from torch.distributed.launcher.api import LaunchConfig, elastic_launch

    # The workers say why they stopped, and any other failure is one line below: the launcher's own
    # "failed (exitcode: 1) local_rank: 0 ..." error log would only repeat it.
    logging.getLogger("torch.distributed.elastic").setLevel(logging.CRITICAL)
    os.environ.setdefault("OMP_NUM_THREADS", "1")  # as torchrun does; the trainer sets its own thread count
    config = LaunchConfig(min_nodes=1, max_nodes=1, nproc_per_node=nproc, run_id=f"maml-gui-{uuid.uuid4().hex[:8]}",
                          rdzv_backend="c10d", rdzv_endpoint="localhost:0", max_restarts=0, monitor_interval=0.2,
                          shutdown_timeout=SHUTDOWN_GRACE_S)
    try:
        elastic_launch(config, sys.executable)("-m", "maml_gui", "train", *strip_nproc(train_argv))
    except ChildFailedError as err:
        codes = sorted({f.exitcode for f in err.failures.values()})
        if all(code in (1, 2, 130) for code in codes):
            return max(codes)  # the workers said why
        for rank, failure in sorted(err.failures.items()):
            how = (f"killed by signal {-failure.exitcode}" if failure.exitcode < 0
                   else f"exit status {failure.exitcode}")
            print(f"maml-gui: process {rank} ended ({how})", file=sys.stderr)
        return 1
    except SignalException as err:  # the workers got the same signal from the launcher, stopped and saved
        return 128 + int(err.sigval)
    return 0


def check_nproc(nproc: int) -> str | None:
    """Why ``nproc`` cannot be used, or None."""
    if not 1 <= nproc <= MAX_PROCESSES:
        return f"--nproc must be between 1 and {MAX_PROCESSES}, got {nproc}"
    return None
