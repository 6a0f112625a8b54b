"""``maml-gui train``: meta-train headless into a run directory, with a progress bar.

Ctrl-C asks the loop to stop between iterations, so the saved state resumes exactly.
"""

from __future__ import annotations

import signal
import sys
from pathlib import Path

from .core import checkpoint
from .core.background_save import BackgroundRunWriter
from .core.messages import one_line
from .core.run_drawn_files import apply_drawn_file_changes, drawn_file_changes
from .core.run_validation import RunError
from .core.threads import choose_threads
from .core.training import Trainer, TrainingControl, TrainingError

# every file a run holds, the user's drawn work included: --out holding any of them is someone's work
RUN_FILES = checkpoint.RUN_FILES


class TrainUsageError(Exception):
    """Bad input for ``train``: one line, exit status 2."""


def check_output_dir(out: Path, resuming_from: Path | None, create: bool = True) -> None:
    """Refuse to overwrite someone else's files; make sure the directory can be written
    (``create=False``: only the refusals, nothing is created)."""
    try:
        same_run = resuming_from is not None and out.resolve() == resuming_from.resolve()
        exists, is_dir = out.exists(), out.is_dir()
    except (OSError, RuntimeError) as err:  # a name too long; RuntimeError: a symlink loop (Python 3.11)
        raise TrainUsageError(f"cannot use {one_line(out)} as the run directory: "
                              f"{getattr(err, 'strerror', None) or 'a symlink loop or an unusable path'}") from None
    if exists and not is_dir:
        raise TrainUsageError(f"{out} exists and is not a directory")
    if not same_run and out.is_dir():
        clash = [name for name in RUN_FILES if (out / name).exists()]
        if clash:
            hint = f"; continue it with --resume {out}" if checkpoint.is_run(out) else ""
            raise TrainUsageError(f"{out} already holds {', '.join(clash)}: choose an empty --out{hint}")
    if not create:
        return
    try:
        out.mkdir(parents=True, exist_ok=True)
        checkpoint.atomic_write(out / ".write-test", b"")
        (out / ".write-test").unlink()
    except OSError as err:
        raise TrainUsageError(f"cannot write the run to {out}: {err.strerror or err}") from None


def load_trainer(args, load_config, writes: bool = True, world_size: int = 1) -> tuple[Trainer, Path, int]:
    """The trainer (fresh or resumed), the output directory and the iteration to reach.

    ``writes=False`` (ranks other than 0 of a multi-process run): the same trainer, but --out is
    neither checked nor created and no notes are printed; ``world_size``: the processes training."""
    if args.iterations is not None and args.iterations < 1:
        raise TrainUsageError(f"--iterations must be at least 1, got {args.iterations}")
    if args.resume:
        if args.config or args.preset or args.overrides or args.seed is not None:
            raise TrainUsageError("--resume continues a run as it was configured; drop the config, --preset, --set "
                                  "and --seed")
        out = Path(args.out or args.resume)
        if writes:
            check_output_dir(out, Path(args.resume), create=False)  # refuse before loading, create nothing yet
        trainer, run = checkpoint.resume_trainer(args.resume, device=args.device, threads=args.threads)
        if writes:
            check_output_dir(out, Path(args.resume))  # the run loaded: now create --out
        configured = trainer.config.training.iterations
        target = args.iterations or configured
        if target > trainer.iteration:
            trainer.extend_to(target)
            schedule = trainer.config.training.meta_lr_schedule
            if writes and trainer.config.training.iterations != configured and schedule != "constant":
                print(f"note: the {schedule} meta-lr schedule now spans {target} iterations instead of {configured}",
                      file=sys.stderr)
        if writes:
            _note_process_count(trainer.resumed_world_size, world_size)
            _note_thread_clamp(args, trainer)
            if target > trainer.iteration and out.resolve() != Path(args.resume).resolve():
                _carry_drawn_work(run, out)
        return trainer, out, target
    if not args.out:
        raise TrainUsageError("--out DIR is required (the run directory to write)")
    out = Path(args.out)
    config = load_config(args)
    trainer = Trainer(config, threads=args.threads)  # refuses a config that cannot fit before --out is made
    if writes:
        check_output_dir(out, None)
        _note_thread_clamp(args, trainer)
    return trainer, out, config.training.iterations


def _carry_drawn_work(run: checkpoint.RunData, out: Path) -> None:
    """The drawn work of the run resumed goes into the new ``--out`` with it, as it was read
    (checked); a damaged file is left behind, named in a note."""
    for why in run.unread.values():
        print(f"note: {one_line(why)}; left behind in {one_line(run.path)}, not carried into {one_line(out)}",
              file=sys.stderr)
    try:
        changes = drawn_file_changes(out, run.points or None, run.drawing, run.class_points or None)
        apply_drawn_file_changes(out, changes)
    except (RunError, OSError) as err:
        raise TrainUsageError(f"cannot write the drawn work to {one_line(out)}: "
                              f"{one_line(getattr(err, 'strerror', None) or err)}") from None


def _note_process_count(saved: int, now: int) -> None:
    if saved != now:
        print(f"note: this run was trained by {saved} process(es) and continues with {now}: the same tasks in the same "
              "order, but the meta-gradient is summed in another order, so it is not bit-exact", file=sys.stderr)


def _note_thread_clamp(args, trainer: Trainer) -> None:
    requested = args.threads or trainer.config.training.threads
    note = choose_threads(requested, hidden=tuple(trainer.config.model.hidden)).note
    if note:
        print(f"note: {note}", file=sys.stderr)


def run_training(trainer: Trainer, out: Path, target: int, quiet: bool, ranks=None) -> int:
    """Train to ``target`` writing ``out``. ``ranks`` (rank 0 of a multi-process run, see
    cli_distributed.RankHooks): its control, signal handling and agreeing checkpoint are used."""
    if trainer.iteration >= target:
        print(f"{out} is already at iteration {trainer.iteration} (target {target}); nothing to do", file=sys.stderr)
        return 0
    control = TrainingControl() if ranks is None else ranks.control
    previous = signal.getsignal(signal.SIGINT)

    def on_interrupt(signum, frame):
        control.request_stop()
        signal.signal(signal.SIGINT, previous)  # a second Ctrl-C ends the process at once

    writer = BackgroundRunWriter(out)  # autosaves are written while training goes on
    save = writer.save_now
    checkpoint = writer if ranks is None else ranks.checkpoint(writer)
    bar = _progress_bar(trainer, target, quiet)
    postfix: dict[str, str] = {}
    progress = None
    if ranks is None:  # (a multi-process run handles SIGINT and SIGTERM on every rank itself)
        signal.signal(signal.SIGINT, on_interrupt)
    try:
        save(trainer)
        for progress in trainer.run(iterations=target, control=control, checkpoint=checkpoint, report_interval_s=0.2):
            if bar is not None:
                if len(progress.loss_after):
                    postfix["loss"] = f"{progress.loss_after.mean():.3f}"
                if progress.accuracy_after is not None and len(progress.accuracy_after):
                    postfix["acc"] = f"{progress.accuracy_after.mean():.3f}"
                if progress.validation is not None:
                    postfix["val"] = f"{progress.validation.loss_after:.3f}"
                bar.set_postfix(postfix, refresh=False)
                bar.update(progress.iteration - bar.n)
        writer.wait()  # the last autosave is on disk (or its error raised here)
        if progress is not None and progress.stopped:
            save(trainer)
            _close(bar)
            launch = f" --nproc {ranks.world_size}" if ranks is not None else ""
            print(f"\ninterrupted at iteration {trainer.iteration}; saved. Continue with: maml-gui train --resume {out}"
                  f"{launch}", file=sys.stderr)
            return 130
    except ranks.errors if ranks is not None else () as err:  # another process stopped, or drifted apart
        _close(bar)
        trainer.guard.go_back(confirmed_only=False)  # the last completed iteration (all ranks had it)
        _save_quietly(writer, trainer)
        print(f"maml-gui: training stopped: {one_line(err)}; saved iteration {trainer.iteration} in {one_line(out)}",
              file=sys.stderr)
        return 1
    except TrainingError as err:
        _close(bar)
        _save_quietly(writer, trainer)
        print(f"maml-gui: training stopped: {one_line(err)}", file=sys.stderr)
        return 1
    except OSError as err:
        _close(bar)
        print(f"maml-gui: cannot write the run to {one_line(out)}: {one_line(err.strerror or err)}", file=sys.stderr)
        return 1
    finally:
        signal.signal(signal.SIGINT, previous)
        _finish_quietly(writer)
    _close(bar)
    last = trainer.history.validations[-1] if trainer.history.validations else None
    summary = f"trained {trainer.iteration} iterations in {trainer.elapsed_s:.1f} s on {progress.device}"
    if last is not None and last.curve.metric == "accuracy":
        steps = trainer.config.training.inner_steps
        summary += (f"; validation accuracy {100 * last.curve.values[0]:.1f}% -> "
                    f"{100 * last.curve.values[steps]:.1f}% after {steps} step(s)")
    elif last is not None:
        summary += f"; validation MSE {last.loss_before:.3f} -> {last.loss_after:.3f} after adaptation"
    print(f"{summary}\nrun saved in {out}", file=sys.stderr)
    return 0


def _finish_quietly(writer: BackgroundRunWriter) -> None:
    """Let a save in flight finish (its error was or will be reported elsewhere)."""
    try:
        writer.wait()
    except OSError:
        pass


def _save_quietly(writer: BackgroundRunWriter, trainer) -> None:
    """Save the last good state after a failure, over any autosave still in flight."""
    _finish_quietly(writer)
    try:
        writer.save_now(trainer)
    except OSError as err:
        print(f"maml-gui: could not save the last good state: {err.strerror or err}", file=sys.stderr)


def _progress_bar(trainer, target: int, quiet: bool):
    if quiet or not sys.stderr.isatty():
        return None
    from tqdm import tqdm

    return tqdm(total=target, initial=trainer.iteration, unit="it", desc="meta-training", dynamic_ncols=True)


def _close(bar) -> None:
    if bar is not None:
        bar.close()
