"""``maml-gui train`` in two processes (torchrun's environment, gloo on this CPU): Ctrl-C / SIGTERM on
any rank stops both after the same iteration and rank 0 saves; a rank that dies or hangs makes the
other stop with one line; ``--resume`` with the same process count is bit-exact, with another count
it says so; ``--nproc`` launches the same through PyTorch's elastic launcher."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import torch
from safetensors.torch import load_file

from maml_gui.cli import main
from maml_gui.core import distributed
from tests.cli.processes import interrupt_once_saved, saved_iteration, wait_for_save
from tests.core.test_distributed_training import ROOT, free_port, rank_environment

TINY = ["--preset", "finn2017-sinusoid", "--set", "model.hidden=[8, 8]", "--set", "training.val_interval=20",
        "--set", "training.val_tasks=4", "--set", "training.meta_batch=5", "--threads", "1", "--quiet"]


def start_ranks(*args: str, timeout_s: str = "60") -> list[subprocess.Popen]:
    """``maml-gui train ARGS`` as ranks 0 and 1 of a run, as torchrun would start them."""
    port = free_port()
    processes = []
    for rank in range(2):
        env = rank_environment(rank, 2, port)
        env[distributed.TIMEOUT_ENV] = timeout_s
        processes.append(subprocess.Popen([sys.executable, "-m", "maml_gui", "train", *args], cwd=ROOT, env=env,
                                          stderr=subprocess.PIPE, text=True))
    return processes


def finish(processes, timeout_s: float = 60.0) -> list[str]:
    """Each process's stderr once it ended; one that does not end within ``timeout_s`` fails the test."""
    try:
        return [p.communicate(timeout=timeout_s)[1] for p in processes]
    finally:
        for p in processes:
            if p.poll() is None:
                p.kill()


def test_sigterm_on_one_rank_stops_both_and_resuming_is_bit_exact_with_two_and_noted_with_one(tmp_path, capsys):
    run, straight = tmp_path / "run", tmp_path / "straight"
    ranks = start_ranks(*TINY, "--iterations", "100000", "--out", str(run))
    wait_for_save(ranks, run, 20)
    ranks[1].send_signal(signal.SIGTERM)
    errors = finish(ranks)
    assert [p.returncode for p in ranks] == [130, 130], errors
    stopped = saved_iteration(run)
    assert stopped >= 20 and f"interrupted at iteration {stopped}; saved" in errors[0] and "--nproc 2" in errors[0]
    assert errors[1] == "", "rank 1 says nothing: rank 0 speaks for the run"
    assert torch.load(run / "resume.pt", weights_only=True)["world_size"] == 2
    target = str(stopped + 7)
    resumed = start_ranks("--resume", str(run), "--iterations", target, "--threads", "1", "--quiet")
    errors = finish(resumed)
    assert [p.returncode for p in resumed] == [0, 0] and "note:" not in errors[0], errors
    fresh = start_ranks(*TINY, "--iterations", target, "--out", str(straight))
    finish(fresh)
    assert saved_iteration(run) == saved_iteration(straight) == int(target)
    ours, reference = load_file(run / "model.safetensors"), load_file(straight / "model.safetensors")
    assert ours.keys() == reference.keys() and all(torch.equal(ours[k], reference[k]) for k in reference)
    # the same run continues in one process: allowed, with a note
    assert main(["train", "--resume", str(straight), "--iterations", str(int(target) + 5), "--quiet"]) == 0
    assert "trained by 2 process(es) and continues with 1" in capsys.readouterr().err
    assert saved_iteration(straight) == int(target) + 5
    assert "world_size" not in torch.load(straight / "resume.pt", weights_only=True)  # a single-process run now


def test_a_rank_that_dies_stops_the_other_with_one_line_and_rank_0_saves(tmp_path):
    run = tmp_path / "run"
    ranks = start_ranks(*TINY, "--iterations", "100000", "--out", str(run))
    wait_for_save(ranks, run, 20)
    ranks[1].kill()
    error = finish(ranks[:1])[0]
    finish(ranks[1:])
    assert ranks[0].returncode == 1 and "Traceback" not in error, error
    line = [s for s in error.splitlines() if "training stopped" in s]
    assert len(line) == 1 and "another process of this run stopped" in line[0] and "saved iteration" in line[0]
    assert saved_iteration(run) >= 20
    assert main(["train", "--resume", str(run), "--iterations", str(saved_iteration(run) + 2), "--quiet"]) == 0


def test_a_rank_that_hangs_stops_the_other_after_the_timeout(tmp_path):
    run = tmp_path / "run"
    ranks = start_ranks(*TINY, "--iterations", "100000", "--out", str(run), timeout_s="3")
    try:
        wait_for_save(ranks, run, 20)
        ranks[1].send_signal(signal.SIGSTOP)
        error = finish(ranks[:1], timeout_s=60)[0]
    finally:
        ranks[1].kill()
        finish(ranks[1:])
    assert ranks[0].returncode == 1 and "Traceback" not in error, error
    assert "another process of this run stopped or stopped answering" in error


def test_nproc_launches_through_the_elastic_launcher_and_ctrl_c_saves(tmp_path):
    run = tmp_path / "run"
    launcher = subprocess.Popen([sys.executable, "-m", "maml_gui", "train", *TINY, "--iterations", "100000",
                                 "--nproc", "2", "--out", str(run)], cwd=ROOT, stderr=subprocess.PIPE, text=True,
                                env=rank_environment(0, 1, free_port()) | {"WORLD_SIZE": "1"})
    error = interrupt_once_saved(launcher, run, 20)
    assert launcher.returncode == 130 and "Traceback" not in error, error
    assert "training with 2 processes (gloo)" in error and "interrupted at iteration" in error
    assert torch.load(run / "resume.pt", weights_only=True)["world_size"] == 2


def test_nproc_divergence_is_the_workers_one_line_without_the_launchers_log(tmp_path):
    """A diverging run under --nproc: the guard's line, and not torch's elastic "failed (exitcode: 1)" log."""
    run = tmp_path / "run"
    launcher = subprocess.run([sys.executable, "-m", "maml_gui", "train", *TINY, "--set", "training.inner_lr=50",
                               "--iterations", "50", "--nproc", "2", "--out", str(run)], cwd=ROOT, capture_output=True,
                              text=True, timeout=120, env=rank_environment(0, 1, free_port()) | {"WORLD_SIZE": "1"})
    lines = launcher.stderr.splitlines()
    assert launcher.returncode == 1, launcher.stderr
    assert [line for line in lines if "training stopped" in line] != [], launcher.stderr
    assert "inner learning rate is likely too large" in launcher.stderr
    assert not any("exitcode" in line or "Traceback" in line for line in lines), launcher.stderr
    assert (run / "model.safetensors").exists() and (run / "resume.pt").exists()  # the last good weights, saved


def test_nproc_is_checked_before_anything_starts(capsys):
    assert main(["train", *TINY, "--nproc", "0", "--out", "/nonexistent/never"]) == 2
    assert "--nproc must be between 1 and 256, got 0" in capsys.readouterr().err


def test_a_refusal_on_one_rank_is_one_line_from_that_rank_and_both_stop(tmp_path):
    """Rank 0 refuses an --out that holds another run; rank 1, which never looks at --out, stops too."""
    taken = tmp_path / "taken"
    taken.mkdir()
    (taken / "config.toml").write_text("# someone else's\n")
    ranks = start_ranks(*TINY, "--iterations", "5", "--out", str(taken))
    errors = finish(ranks)
    assert [p.returncode for p in ranks] == [2, 2], errors
    assert errors[0].count("\n") == 1 and "already holds config.toml" in errors[0] and errors[1] == ""
    assert (taken / "config.toml").read_text() == "# someone else's\n"
