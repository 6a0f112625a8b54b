"""Command line: ``maml-gui [DIR]`` opens the app; ``train``, ``evaluate``, ``export``, ``presets`` run headless.

Errors the user can fix (bad config, absent device, not a run) print one line and exit 2.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys

from .core.choices import DEVICE_CHOICES

COMMANDS = ("gui", "train", "evaluate", "export", "presets", "sweep")
MAX_THREADS = 1024  # as the config's training.threads
MAX_EVALUATION_POINTS = 50_000_000  # about 200 MB per float32 tensor of the task batch


class UsageError(Exception):
    """A problem with the user's input: one line, exit status 2."""


def print_error(message: object) -> None:
    """``maml-gui: error: MESSAGE`` on stderr, as one line with control and bidi characters escaped."""
    from .core.messages import one_line

    print(f"maml-gui: error: {one_line(message)}", file=sys.stderr)


class OneLineArgumentParser(argparse.ArgumentParser):
    """argparse that reports a bad argument as one line (no usage block) and exits with status 2."""

    def error(self, message: str):  # type: ignore[override]
        from .core.messages import one_line

        print(f"{one_line(self.prog)}: error: {one_line(message)} (see --help)", file=sys.stderr)
        raise SystemExit(2)


def _parser() -> argparse.ArgumentParser:
    parser = OneLineArgumentParser(prog="maml-gui", description="MAML Studio: meta-learning experiments, "
                                     "in a window (default) or headless.")
    parser.add_argument("--version", action="version", version=_version())
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    gui = sub.add_parser("gui", help="open the desktop app (the default)")
    gui.add_argument("run", nargs="?", help="a run directory to open")
    gui.add_argument("--follow", metavar="DIR", help="follow a run directory another process is writing "
                     "(read-only; curves and model update as it saves)")

    train = sub.add_parser("train", help="meta-train headless and write a run directory")
    train.add_argument("config", nargs="?", help="experiment config (TOML)")
    train.add_argument("--preset", help="start from a shipped preset (see `maml-gui presets`)")
    train.add_argument("--set", dest="overrides", action="append", default=[], metavar="SECTION.KEY=VALUE",
                       help="override a config value, e.g. training.inner_lr=0.02 (repeatable)")
    train.add_argument("--iterations", type=int, help="total iterations to reach")
    train.add_argument("--seed", type=int)
    train.add_argument("--device", choices=DEVICE_CHOICES)
    train.add_argument("--threads", type=_thread_count,
                       help=f"torch threads, 1 to {MAX_THREADS} (default: chosen for the model size; "
                            "above the core count it is lowered to it)")
    train.add_argument("--out", help="run directory to write")
    train.add_argument("--resume", metavar="DIR", help="continue the run in DIR (written back to DIR unless --out)")
    train.add_argument("--quiet", action="store_true", help="no progress bar")
    train.add_argument("--nproc", type=int, metavar="N",
                       help="train in N processes on this machine (torch.distributed; the same as torchrun "
                            "--standalone --nproc_per_node N -m maml_gui train ...)")

    evaluate = sub.add_parser("evaluate", help="few-shot evaluation of a run (Finn et al. protocol)")
    evaluate.add_argument("run", help="run directory")
    evaluate.add_argument("--tasks", type=int, help="test tasks (default: the config's, 600)")
    evaluate.add_argument("--shots", type=int, help="support points K (classification: per class; default: the "
                          "config's)")
    evaluate.add_argument("--queries", type=int, help="query points per task (classification: per class)")
    evaluate.add_argument("--steps", default=None, help="inner steps to report, e.g. 0,1,5,10")
    evaluate.add_argument("--lr", type=float, help="inner step size (default: learned rates or the config's)")
    evaluate.add_argument("--baseline", action="store_true", help="also evaluate the pretrained baseline")
    evaluate.add_argument("--seed", type=int, help="seed of the test tasks")
    evaluate.add_argument("--device", choices=DEVICE_CHOICES, default="cpu")
    evaluate.add_argument("--json", action="store_true", help="print one JSON object")

    export = sub.add_parser("export", help="export a run's model (TorchScript, ONNX, safetensors)")
    export.add_argument("run", help="run directory")
    export.add_argument("--format", required=True, choices=("torchscript", "onnx", "safetensors"))
    export.add_argument("--out", required=True, help="file to write")

    presets = sub.add_parser("presets", help="list the shipped presets")
    presets.add_argument("--show", metavar="NAME", help="print a preset's TOML")
    from .cli_sweep import add_parser as add_sweep_parser

    add_sweep_parser(sub)
    return parser


def check_count_options(args, limits) -> None:
    """UsageError unless each given ``--name`` of ``limits`` ((name, most), ...) is in 1..most."""
    for name, most in limits:
        value = getattr(args, name)
        if value is not None and not 1 <= value <= most:
            raise UsageError(f"--{name.replace('_', '-')} must be between 1 and {most:,}, got {value}")


def _thread_count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text[:40]!r}") from None
    if not 1 <= value <= MAX_THREADS:
        raise argparse.ArgumentTypeError(f"must be between 1 and {MAX_THREADS}, got {text[:40]}")
    return value


def _exists(path: str) -> bool:
    try:
        return os.path.lexists(path)
    except (OSError, ValueError):  # a name too long, a NUL byte
        return False


def _version() -> str:
    from . import __version__

    return f"maml-gui {__version__}"


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["--follow"]:
        argv = ["gui", *argv]
    if not argv or (argv[0] not in COMMANDS and not argv[0].startswith("-")):
        if argv and not _exists(argv[0]):
            print_error(f"{argv[0][:200]!r} is neither a command ({', '.join(COMMANDS)}) nor a run directory")
            return 2
        argv = ["gui", *argv]
    args = _parser().parse_args(argv)
    try:
        if args.command == "train":
            return _train(args, argv)
        return {"gui": _gui, "evaluate": _evaluate, "export": _export, "presets": _presets,
                "sweep": _sweep}[
            args.command](args)
    except UsageError as err:
        print_error(err)
        return 2


def _user_errors():
    from .core.checkpoint import RunError
    from .core.config import ConfigError
    from .core.device import DeviceError

    return (ConfigError, DeviceError, RunError)


def _gui(args) -> int:
    if args.run is not None and args.follow is not None:
        raise UsageError("give a run directory to open or --follow DIR, not both")
    if args.follow is not None:  # checked as the app will read it (nothing is written there)
        from .core.run_tail import RunTail

        try:
            RunTail(args.follow).open()
        except _user_errors() as err:
            raise UsageError(str(err)) from None
    if args.run is not None:  # a bad run is one line here, before any window or thread exists
        from .core.checkpoint import load_run

        try:
            load_run(args.run)
        except _user_errors() as err:
            raise UsageError(str(err)) from None
    try:
        from .qt.app import run_app
    except ImportError as err:
        raise UsageError(f"the desktop app cannot start: {err}") from None
    return run_app(args.run) if args.follow is None else run_app(args.run, follow=args.follow)


def _presets(args) -> int:
    from .core.presets import list_presets, preset_text

    try:
        if args.show is not None:
            print(preset_text(args.show), end="")
            return 0
        for name, description in list_presets().items():
            print(f"{name:22s} {description}")
    except _user_errors() as err:
        raise UsageError(str(err)) from None
    return 0


def _load_train_config(args):
    from .core.config import ExperimentConfig, load_config
    from .core.experiment_setup import FOLDER_FAMILIES
    from .core.presets import load_preset

    if args.config and args.preset:
        raise UsageError("give a config file or --preset, not both")
    config = load_config(args.config) if args.config else load_preset(args.preset) if args.preset else ExperimentConfig()
    overrides = list(args.overrides)
    if args.seed is not None:
        overrides.append(f"training.seed={args.seed}")
    if args.device:
        overrides.append(f'training.device="{args.device}"')
    if args.iterations is not None:
        overrides.append(f"training.iterations={args.iterations}")
    config = config.with_overrides(overrides) if overrides else config
    if args.preset and config.task.kind == "classification" and config.task.family in FOLDER_FAMILIES \
            and not config.task.root.strip():
        raise UsageError(f"task.root: the {args.preset} preset needs the dataset folder: --set task.root=DIR")
    return config


def _train(args, argv: list[str]) -> int:
    from .cli_train import TrainUsageError, load_trainer, run_training
    from .core.distributed import launched_by_torchrun

    if args.nproc is not None:
        from .cli_launch import check_nproc, launch

        if check_nproc(args.nproc):
            raise UsageError(check_nproc(args.nproc))
        if launched_by_torchrun():
            raise UsageError("--nproc starts the processes itself: drop it under torchrun")
        return launch(args.nproc, argv[1:])
    if launched_by_torchrun():
        from .cli_distributed import train_distributed
        from .core.distributed import end_process

        end_process(train_distributed(args, _load_train_config, (TrainUsageError, *_user_errors())))

    try:
        trainer, out, target = load_trainer(args, _load_train_config)
    except (TrainUsageError, *_user_errors()) as err:
        raise UsageError(str(err)) from None
    return run_training(trainer, out, target, args.quiet)


def _sweep(args) -> int:
    from .cli_sweep import run_sweep_command

    return run_sweep_command(args, UsageError, _user_errors())


def _parse_steps(text: str | None, default_max: int) -> list[int]:
    if text is None:
        return sorted({0, 1, 5, 10, default_max} & set(range(default_max + 1))) or [0]
    try:
        steps = sorted({int(s) for s in text.split(",") if s.strip()})
    except ValueError:
        raise UsageError(f"--steps {text!r}: expected comma-separated integers like 0,1,5,10") from None
    if not steps:
        raise UsageError(f"--steps {text!r}: expected comma-separated integers like 0,1,5,10")
    if steps[0] < 0 or steps[-1] > 10000:
        raise UsageError(f"--steps {text!r}: steps must be between 0 and 10000")
    return steps


def _evaluate(args) -> int:
    import torch

    from .core.checkpoint import load_run
    from .core.device import resolve_device
    from .core.evaluation import evaluate
    from .core.experiment_setup import task_sampler
    from .core.resources import check_evaluation_fits

    check_count_options(args, (("tasks", 1_000_000), ("shots", 1000), ("queries", 100_000)))
    if args.lr is not None and not 0 < args.lr < math.inf:
        raise UsageError(f"--lr must be a positive number, got {args.lr}")
    try:
        run = load_run(args.run, with_history=False)
        device = resolve_device(args.device)
    except _user_errors() as err:
        raise UsageError(str(err)) from None
    if run.snapshot is None:
        raise UsageError(f"{args.run} has no trained weights yet")
    c = run.config.evaluation
    classification = run.config.task.kind == "classification"
    steps = _parse_steps(args.steps, c.inner_steps)
    tasks, shots = args.tasks or c.tasks, args.shots or c.shots or run.config.task.shots
    queries = args.queries or (run.config.task.queries if classification else c.queries)
    ways = run.config.task.ways if classification else 1
    if tasks * (shots + queries) * ways > MAX_EVALUATION_POINTS:
        raise UsageError(f"{tasks:,} tasks x {shots + queries:,} points is too much at once "
                         f"(at most {MAX_EVALUATION_POINTS:,} points); lower --tasks or --queries")
    try:
        check_evaluation_fits(run.config, tasks, shots, queries, max(steps), device)  # counts inner steps
        family = task_sampler(run.config).family
    except _user_errors() as err:
        raise UsageError(str(err)) from None
    try:
        result = evaluate(
            run.snapshot, family, tasks=tasks, shots=shots, queries=queries, steps=steps,
            seed=c.seed if args.seed is None else args.seed, device=device, baseline=args.baseline, lr=args.lr,
        )
    except ValueError as err:
        raise UsageError(str(err)) from None
    except (torch.OutOfMemoryError, MemoryError):
        raise UsageError("out of memory: evaluate fewer --tasks or --queries") from None
    except RuntimeError as err:  # torch 2.13 on CPU: "DefaultCPUAllocator: can't allocate memory"
        if "allocat" not in str(err):
            raise
        raise UsageError("out of memory: evaluate fewer --tasks, --queries or --steps") from None
    if args.json:
        finite = {k: [v if not isinstance(v, float) or math.isfinite(v) else None for v in vs]
                  if isinstance(vs, list) else vs for k, vs in result.to_dict().items()}
        print(json.dumps(finite, allow_nan=False))
        return 0
    _print_evaluation(result, run.snapshot.iteration)
    for step, count in zip(result.steps, result.diverged or []):
        if count:
            print(f"note: at step {step}, {count} of {result.tasks} tasks diverged (their inner loop overflowed; "
                  "a smaller --lr avoids it), so the mean is not finite")
    return 0


def _print_evaluation(result, iteration: int) -> None:
    if result.metric == "accuracy":
        what, scale, form = f"{result.ways}-way {result.shots}-shot, query accuracy % (95% CI)", 100.0, ".1f"
    else:
        what, scale, form = f"{result.shots}-shot, query MSE (95% CI)", 1.0, ".3f"
    print(f"{result.tasks} tasks, {what} after inner steps; run at iteration {iteration}")
    header = f"{'steps':>6}  {'meta-learned':>18}"
    header += f"  {'pretrained baseline':>20}" if result.baseline_values else ""
    print(header)
    for i, step in enumerate(result.steps):
        line = f"{step:>6}  {scale * result.values[i]:>9{form}} ± {scale * result.ci95[i]:<6{form}}"
        if result.baseline_values:
            line += f"  {scale * result.baseline_values[i]:>11{form}} ± {scale * result.baseline_ci95[i]:<6{form}}"
        print(line)


def _export(args) -> int:
    from .core.export import ExportError, export_run

    try:
        path = export_run(args.run, args.format, args.out)
    except ExportError as err:
        raise UsageError(str(err)) from None
    print(f"exported {args.format} to {path}", file=sys.stderr)
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
