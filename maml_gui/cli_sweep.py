"""``maml-gui sweep``: one run directory per combination of the grid's values and the seeds.

Trials run in worker processes (``--jobs``), the cores divided between them; a re-run of the
same command skips finished trials and resumes interrupted ones; DIR/summary.csv and a table
on the terminal hold one row per trial with its final validation and evaluation metrics.
"""

from __future__ import annotations

import signal
import sys
from pathlib import Path

SUMMARY_FILE = "summary.csv"


def add_parser(sub) -> None:
    sweep = sub.add_parser("sweep", help="train a grid of configs x seeds, one run directory per trial")
    sweep.add_argument("config", nargs="?", help="base experiment config (TOML)")
    sweep.add_argument("--preset", help="start from a shipped preset instead of a config file")
    sweep.add_argument("--set", dest="overrides", action="append", default=[], metavar="SECTION.KEY=VALUE",
                       help="change the base config, e.g. training.iterations=2000 (repeatable)")
    sweep.add_argument("--grid", action="append", default=[], metavar="SECTION.KEY=V1,V2,...",
                       help="values to try for a config field, e.g. training.inner_lr=0.001,0.01 (repeatable)")
    sweep.add_argument("--random", type=int, metavar="K", help="random search: K draws of the --range fields "
                       "(crossed with --grid and --seeds)")
    sweep.add_argument("--range", dest="ranges", action="append", default=[], metavar="SECTION.KEY=KIND:LOW:HIGH",
                       help="a field to draw for --random: KIND log (log-uniform), lin or int, e.g. "
                       "training.inner_lr=log:0.001:0.1 (repeatable)")
    sweep.add_argument("--random-seed", type=int, default=0, help="seed of the random draws (default 0)")
    sweep.add_argument("--seeds", default="0", help="comma-separated seeds, each trial once per seed (default 0)")
    sweep.add_argument("--jobs", type=int, default=1, help="trials trained at once, each in its own process")
    sweep.add_argument("--threads", type=int, help="torch threads per trial (default: cores // jobs)")
    sweep.add_argument("--eval-tasks", type=int, help="test tasks of each trial's evaluation (default: the "
                       "config's, 600)")
    sweep.add_argument("--out", required=True, help="the sweep directory (re-run the command to continue it)")
    sweep.add_argument("--quiet", action="store_true", help="no progress bar")


def run_sweep_command(args, usage_error, user_errors) -> int:
    from .cli import check_count_options  # loaded already: this runs under cli.main
    from .core.run_table import run_table
    from .core.sweep import SweepError, prepare_directory
    from .core.sweep_plan import plan_sweep
    from .core.sweep_runner import FINISHED, NEW, SweepRunner

    check_count_options(args, (("jobs", 256), ("threads", 1024), ("eval_tasks", 1_000_000), ("random", 10_000)))
    out = Path(args.out)
    try:
        plan = plan_sweep(_base_config(args), args.grid, args.seeds, args.ranges, args.random, args.random_seed)
        trials = plan.trials
        rerun = prepare_directory(out, plan.record())
    except (SweepError, *user_errors) as err:
        raise usage_error(str(err)) from None
    runner = SweepRunner(out, trials, args.jobs, args.threads, args.eval_tasks)
    states = [state for _, state, _ in runner.pending()]
    finished = states.count(FINISHED)
    print(f"sweep of {len(trials)} trials into {out}{' (continued)' if rerun else ''}: {finished} finished, "
          f"{len(trials) - finished - states.count(NEW)} to resume, {states.count(NEW)} new; "
          f"{runner.jobs} job(s) x {runner.threads} torch thread(s)", file=sys.stderr)
    bar = _progress_bar(len(trials), args.quiet)
    counter = [0]

    def on_result(result) -> None:
        counter[0] += 1
        line = f"[{counter[0]}/{len(trials)}] {result.name}: {_describe(result)}"
        if bar is not None:
            bar.write(line, file=sys.stderr)
            bar.update(1)
        else:
            print(line, file=sys.stderr)

    previous = signal.getsignal(signal.SIGINT)

    def on_interrupt(signum, frame):
        runner.stop()  # trials stop between iterations and save; queued ones never start
        signal.signal(signal.SIGINT, previous)  # a second Ctrl-C ends the process at once

    signal.signal(signal.SIGINT, on_interrupt)
    try:
        results = runner.run(on_result)
    finally:
        signal.signal(signal.SIGINT, previous)
        _close(bar)
    if runner.stopped:
        done = sum(r.status in ("finished", "skipped") for r in results)
        print(f"interrupted: {done} of {len(trials)} trials finished and kept; run the same command again to "
              "continue (unfinished trials resume where they stopped)", file=sys.stderr)
        return 130
    table = run_table([out / t.name for t in trials if (out / t.name).is_dir()], always=tuple(trials[0].values))
    try:
        from .core.atomic_files import atomic_write

        atomic_write(out / SUMMARY_FILE, table.to_csv())
    except OSError as err:
        raise usage_error(f"cannot write {out / SUMMARY_FILE}: {err.strerror or err}") from None
    print(table.format())
    failed = [r for r in results if r.status == "failed"]
    print(f"summary written to {out / SUMMARY_FILE}" + (f"; {len(failed)} trial(s) failed" if failed else ""),
          file=sys.stderr)
    return 1 if failed or any(r.status == "interrupted" for r in results) else 0


def _base_config(args):
    from .core.config import ExperimentConfig, load_config
    from .core.presets import load_preset
    from .core.sweep import SweepError

    if args.config and args.preset:
        raise SweepError("give a config file or --preset, not both")
    config = load_config(args.config) if args.config else load_preset(args.preset) if args.preset else ExperimentConfig()
    return config.with_overrides(list(args.overrides)) if args.overrides else config


def _describe(result) -> str:
    if result.status == "skipped":
        return f"already finished ({result.iteration} iterations), skipped"
    if result.status == "finished":
        resumed = f", resumed from iteration {result.resumed_from}" if result.resumed_from else ""
        return f"finished {result.iteration} iterations in {result.seconds:.1f} s{resumed}"
    if result.status == "interrupted":
        return f"interrupted at iteration {result.iteration}" if result.iteration else "not started"
    return f"failed: {result.message}"


def _progress_bar(total: int, quiet: bool):
    if quiet or not sys.stderr.isatty():
        return None
    from tqdm import tqdm

    return tqdm(total=total, unit="trial", desc="sweep", dynamic_ncols=True)


def _close(bar) -> None:
    if bar is not None:
        bar.close()
