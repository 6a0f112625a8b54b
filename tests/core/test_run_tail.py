"""Reading a run that another process writes: only complete lines, only what is new, nothing written."""

from __future__ import annotations

import os
from pathlib import Path

from maml_gui.core.atomic_files import atomic_write
from maml_gui.core.checkpoint import METRICS, VALIDATION, WEIGHTS, save_trainer
from maml_gui.core.config import from_dict
from maml_gui.core.followed_progress import followed_reports
from maml_gui.core.line_tail import LineTail, MetricsTail
from maml_gui.core.run_tail import RunTail
from maml_gui.core.training import Trainer

HEADER = "iteration,train_loss_before,train_loss_after,meta_lr,elapsed_s\n"


def row(i: int) -> str:
    return f"{i},{1.0 + i},{0.5 + i},0.001,{0.01 * i}\n"


def tiny_trainer(iterations: int = 30) -> Trainer:
    config = from_dict({"model": {"hidden": [8, 8]}, "training": {
        "iterations": iterations, "val_interval": 10, "val_tasks": 4, "meta_batch": 2, "log_every": 1,
        "device": "cpu", "threads": 1}, "evaluation": {"inner_steps": 2, "queries": 5}})
    return Trainer(config, threads=1)


def train_to(trainer: Trainer, iteration: int) -> None:
    for _ in trainer.run(iterations=iteration):
        pass


def test_only_complete_lines_are_read_and_each_byte_once(tmp_path):
    path = tmp_path / "lines.txt"
    path.write_bytes(b"a\nb\npart")
    tail = LineTail(path, "lines.txt", 1 << 20)
    assert tail.read() == (["a", "b"], False)
    assert tail.read() == ([], False)  # the partial line waits for its newline
    with open(path, "ab") as handle:
        handle.write(b"ial\nc\n")
    assert tail.read() == (["partial", "c"], False)
    assert tail.offset == path.stat().st_size


def test_a_file_replaced_by_a_longer_copy_is_read_on_from_where_it_was(tmp_path):
    path = tmp_path / METRICS
    atomic_write(path, HEADER + row(1) + row(2))
    tail = MetricsTail(path, METRICS, 1 << 20)
    history, restarted, problems = tail.read()
    assert [r[0] for r in history.rows] == [1, 2] and not restarted and not problems
    atomic_write(path, HEADER + row(1) + row(2) + row(3) + row(4)[:5])  # renamed over it, the last row half-written
    history, restarted, _ = tail.read()
    assert [r[0] for r in history.rows] == [3] and not restarted


def test_a_file_rewritten_from_an_earlier_point_starts_over(tmp_path):
    path = tmp_path / METRICS
    atomic_write(path, HEADER + row(1) + row(2) + row(3))
    tail = MetricsTail(path, METRICS, 1 << 20)
    tail.read()
    atomic_write(path, HEADER + row(1) + row(7))  # a resumed run rewrote it shorter, then went on
    history, restarted, _ = tail.read()
    assert restarted and [r[0] for r in history.rows] == [1, 7]


def test_damaged_rows_are_skipped_and_named_the_rest_kept(tmp_path):
    path = tmp_path / METRICS
    atomic_write(path, HEADER + row(1) + "2,oops,1,0.001,0.1\n" + row(3))
    history, _, problems = MetricsTail(path, METRICS, 1 << 20).read()
    assert [r[0] for r in history.rows] == [1, 3]
    assert len(problems) == 1 and "'oops' is not a number" in problems[0]


def test_poll_reads_what_landed_since_and_writes_nothing(tmp_path):
    trainer = tiny_trainer()
    train_to(trainer, 10)
    save_trainer(tmp_path, trainer)
    leftover = tmp_path / f".{WEIGHTS}.abcdefgh.tmp"  # what a killed writer leaves: load_run would remove it
    leftover.write_bytes(b"half")
    tail = RunTail(tmp_path)
    run, problems = tail.open()
    assert run.iteration == 10 and len(run.history.rows) == 10 and run.snapshot.iteration == 10 and not problems
    assert tail.poll().landed is False
    assert leftover.read_bytes() == b"half"  # (the writer's own next save removes it)

    train_to(trainer, 20)
    save_trainer(tmp_path, trainer)
    update = tail.poll()
    assert [r[0] for r in update.rows.rows] == list(range(11, 21))
    assert [v.iteration for v in update.rows.validations] == [20]
    assert update.snapshot.iteration == 20 and update.iteration == 20 and update.reopened is None

    reports = followed_reports(update.rows, run.history.rows[-1], 30, "regression", update.snapshot)
    assert [r.iteration for r in reports] == [20] and reports[0].validation.iteration == 20
    assert reports[0].iterations.tolist() == list(range(11, 21)) and reports[0].its_per_s > 0


def test_weights_replaced_by_a_damaged_file_keep_the_last_good_model_until_they_change(tmp_path):
    trainer = tiny_trainer()
    train_to(trainer, 10)
    save_trainer(tmp_path, trainer)
    tail = RunTail(tmp_path)
    tail.open()
    good = (tmp_path / WEIGHTS).read_bytes()
    atomic_write(tmp_path / WEIGHTS, good[: len(good) // 2])  # a copy tool that renamed a half file in
    update = tail.poll()
    assert update.snapshot is None and len(update.problems) == 1 and WEIGHTS in update.problems[0]
    assert tail.poll().problems == ()  # the same damaged file is not read again
    train_to(trainer, 20)
    save_trainer(tmp_path, trainer)
    assert tail.poll().snapshot.iteration == 20


def test_a_resumed_run_that_rewrites_its_metrics_is_read_again(tmp_path):
    trainer = tiny_trainer()
    train_to(trainer, 20)
    save_trainer(tmp_path, trainer)
    tail = RunTail(tmp_path)
    tail.open()
    trainer.history.truncate(10)  # as resuming from iteration 10 does
    atomic_write(tmp_path / METRICS, trainer.history.to_csv())
    atomic_write(tmp_path / VALIDATION, trainer.history.validations_jsonl())
    update = tail.poll()
    assert update.reopened is not None and len(update.reopened.history.rows) == 10


def test_a_deleted_folder_is_gone_not_an_error(tmp_path):
    run = tmp_path / "run"
    trainer = tiny_trainer()
    save_trainer(run, trainer)
    tail = RunTail(run)
    tail.open()
    for name in os.listdir(run):
        (run / name).unlink()
    Path(run).rmdir()
    assert "deleted" in tail.poll().gone
