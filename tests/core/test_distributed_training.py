"""Multi-process meta-training (core/distributed.py): two gloo processes on this CPU give the
meta-gradients and weights of one process, for second-order MAML, first-order MAML, Meta-SGD,
MAML++ (learned per-step rates, multi-step loss), Reptile, a 2-D points classifier and a Conv-4 on
glyphs, with the pretrained baselines synchronised too.

The meta-batch is 5 tasks: 3 on rank 0 and 2 on rank 1, so the weighting by task count is tested."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import torch

from maml_gui.core import distributed
from maml_gui.core.training import Trainer

from .distributed_cases import CASES, config, train_recording

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rank_environment(rank: int, world_size: int, port: int) -> dict:
    """What torchrun gives each worker."""
    env = dict(os.environ, RANK=str(rank), WORLD_SIZE=str(world_size), LOCAL_RANK=str(rank),
               LOCAL_WORLD_SIZE=str(world_size), MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port),
               PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    env[distributed.TIMEOUT_ENV] = "60"
    return env


@pytest.fixture(scope="module")
def two_process_results(tmp_path_factory) -> dict:
    out = tmp_path_factory.mktemp("dist") / "results.pt"
    port = free_port()
    workers = [subprocess.Popen([sys.executable, "-m", "tests.core.distributed_cases", str(out)], cwd=ROOT,
                                env=rank_environment(rank, 2, port), stderr=subprocess.PIPE, text=True)
               for rank in range(2)]
    try:
        errors = [w.communicate(timeout=180)[1] for w in workers]
    finally:
        for w in workers:
            if w.poll() is None:
                w.kill()
    assert [w.returncode for w in workers] == [0, 0], errors
    return torch.load(out, weights_only=True)


def relative_error(ours: list[torch.Tensor], reference: list[torch.Tensor]) -> float:
    """|ours - reference| / |reference| over all tensors together (a bias that batch norm makes
    irrelevant has a gradient of pure rounding noise, so tensors are not compared one by one)."""
    a, b = torch.cat([t.reshape(-1) for t in ours]), torch.cat([t.reshape(-1) for t in reference])
    return float((a - b).norm() / b.norm())


@pytest.mark.parametrize("case", list(CASES))
def test_two_processes_give_the_meta_gradients_of_one(two_process_results, case):
    single = train_recording(Trainer(config(case), threads=1))
    shared = two_process_results[case]
    assert len(shared["gradients"]) == len(single["gradients"]) == 5
    for iteration, (ours, reference) in enumerate(zip(shared["gradients"], single["gradients"])):
        assert relative_error(ours, reference) < 1e-4, (case, iteration)
    assert torch.allclose(shared["losses"], single["losses"], rtol=1e-4, atol=1e-6)
    # Adam scales a gradient of rounding noise (a conv bias before batch norm) up to full steps,
    # so weights are compared where the gradient carries signal.
    first = single["gradients"][0]
    total = torch.cat([g.reshape(-1) for g in first]).norm()
    kept = [i for i, g in enumerate(first) if g.norm() > 1e-3 * total]
    assert len(kept) >= len(first) * 2 // 3
    assert relative_error([shared["weights"][i] for i in kept], [single["weights"][i] for i in kept]) < 1e-4
    assert shared["baseline"], "the baseline trained and was compared"
    body = [i for i in kept if i < len(single["baseline"])]  # the baseline has the learner's layout
    assert relative_error([shared["baseline"][i] for i in body], [single["baseline"][i] for i in body]) < 1e-4


def test_the_comparison_sees_a_wrong_weighting(two_process_results):
    """Averaging the two ranks' means equally (3 and 2 tasks) is measurably wrong: the check above can fail."""
    trainer = Trainer(config("maml"), threads=1)
    batch = trainer.sampler.train(5, torch.Generator().manual_seed(0))
    gradients = []
    for part in (range(0, 3), range(3, 5)):
        trainer.optimizer.zero_grad()
        trainer.learner.meta_step(distributed.slice_tasks(batch, part.start, part.stop), 0)
        gradients.append([p.grad.clone() for p in trainer.learner.meta_parameters()])
    trainer.optimizer.zero_grad()
    trainer.learner.meta_step(batch, 0)
    whole = [p.grad.clone() for p in trainer.learner.meta_parameters()]
    weighted = [0.6 * a + 0.4 * b for a, b in zip(*gradients)]
    equal = [0.5 * a + 0.5 * b for a, b in zip(*gradients)]
    assert relative_error(weighted, whole) < 1e-5 and relative_error(equal, whole) > 1e-2


def test_a_meta_batch_is_split_with_the_remainder_to_the_first_ranks():
    assert [distributed.task_share(5, 2, r) for r in range(2)] == [(0, 3), (3, 5)]
    assert [distributed.task_share(10, 4, r) for r in range(4)] == [(0, 3), (3, 6), (6, 8), (8, 10)]
    with pytest.raises(distributed.DistributedSetupError, match="cannot be split over 4 processes"):
        distributed.task_share(3, 4, 0)


def test_a_rank_keeps_its_slice_of_the_tasks_a_single_process_draws():
    trainer = Trainer(config("classification"), threads=1)
    whole = trainer.sampler.train(5, torch.Generator().manual_seed(3))
    share = distributed.RankShareSampler(trainer.sampler, 3, 5).train(5, torch.Generator().manual_seed(3))
    assert share.size == 2 and share.ways == whole.ways
    assert torch.equal(share.x_support, whole.x_support[3:]) and torch.equal(share.y_query, whole.y_query[3:])


def test_the_stop_flag_of_one_rank_stops_every_rank():
    """One process: the all-reduce is the identity, so a local stop request comes back as everyone's."""
    from maml_gui.core.training import TrainingControl

    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(free_port()))
    torch.distributed.init_process_group("gloo", rank=0, world_size=1)
    try:
        trainer, control, asked = Trainer(config("maml"), threads=1), TrainingControl(), threading.Event()
        distributed.attach(trainer, distributed.ProcessGroupInfo(0, 1, 0, 1), asked, control)
        trainer.train_iteration()
        assert not control.stop_event.is_set()
        asked.set()
        trainer.train_iteration()
        assert control.stop_event.is_set() and trainer.state_dict()["world_size"] == 1
    finally:
        distributed.stop_process_group()


def test_torchruns_environment_is_recognised_and_the_timeout_checked():
    assert distributed.launched_by_torchrun({"RANK": "1", "WORLD_SIZE": "2"})
    assert not distributed.launched_by_torchrun({"RANK": "0", "WORLD_SIZE": "1"})  # one process: the plain path
    assert not distributed.launched_by_torchrun({"WORLD_SIZE": "x", "RANK": "0"})
    assert distributed.group_info({"RANK": "1", "WORLD_SIZE": "2"}) == distributed.ProcessGroupInfo(1, 2, 0, 2)
    for bad in ({"RANK": "x", "WORLD_SIZE": "2"}, {"RANK": "2", "WORLD_SIZE": "2"}, {"WORLD_SIZE": "2"}):
        with pytest.raises(distributed.DistributedSetupError):
            distributed.group_info(bad)
    assert distributed.timeout_s({}) == distributed.DEFAULT_TIMEOUT_S
    assert distributed.timeout_s({distributed.TIMEOUT_ENV: "3"}) == 3.0
    for bad in ("soon", "0", "1e9"):
        with pytest.raises(distributed.DistributedSetupError, match=distributed.TIMEOUT_ENV):
            distributed.timeout_s({distributed.TIMEOUT_ENV: bad})


def test_the_launcher_passes_on_everything_but_nproc():
    from maml_gui.cli_launch import check_nproc, strip_nproc

    assert strip_nproc(["--preset", "x", "--nproc", "2", "--out", "d", "--nproc=3"]) == ["--preset", "x", "--out", "d"]
    assert check_nproc(2) is None and "between 1 and" in check_nproc(0)


def test_a_resume_state_with_a_bad_process_count_is_refused_in_one_line():
    from maml_gui.core.resume_validation import check_resume_fits
    from maml_gui.core.run_validation import RunError

    trainer = Trainer(config("maml"), threads=1)
    state = trainer.state_dict()
    for bad in (0, 2.5, "2", [2]):
        with pytest.raises(RunError, match="world_size"):
            check_resume_fits({**state, "world_size": bad}, trainer, "resume.pt")
    check_resume_fits({**state, "world_size": 4}, trainer, "resume.pt")
    trainer.load_state_dict({**state, "world_size": 4})
    assert trainer.resumed_world_size == 4


def test_a_collective_error_becomes_its_first_sentence():
    gloo = RuntimeError("[../gloo/transport/tcp/pair.cc:534] Read error [127.0.0.1]:61138: Connection reset by peer. "
                        "This is typically caused by a remote worker hanging. Check the logs.")
    assert str(distributed.lost_peer(gloo, 0)) == ("process 0: another process of this run stopped or stopped "
                                                   "answering (Read error [127.0.0.1]:61138: Connection reset by peer)")


def test_a_rank_process_ends_with_its_status_and_its_output_flushed():
    """Ranks end through os._exit (no interpreter finalization, where torch's native threads can
    abort the process): what they printed must still arrive."""
    code = ("import sys; from maml_gui.core.distributed import end_process; "
            "print('out', end=''); sys.stderr.write('err'); end_process(3)")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=rank_environment(0, 1, free_port()) | {"PYTHONUNBUFFERED": ""},
                          capture_output=True, text=True, timeout=120)
    assert (done.returncode, done.stdout, done.stderr[-3:]) == (3, "out", "err"), done.stderr
