"""Run a sweep's trials in worker processes (Qt-free; the CLI and the app drive it).

Each trial is an ordinary run directory: trained (or resumed through the run's resume state),
then evaluated with the paper's protocol into ``evaluation.json``. Workers are 'spawn'
processes, each on ``threads`` torch threads; a stop event asks them to stop between
iterations, and a stopped trial saves its state so the next run of the sweep resumes it.
A trial reports :class:`TrialProgress` (started, about once a second, and at each save) through
a queue that the parent drains while it waits, for a live view of the sweep.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import queue
import threading
import time
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from . import checkpoint
from .atomic_files import atomic_write
from .sweep import Trial
from .threads import choose_threads

EVALUATION_FILE = "evaluation.json"  # the paper protocol's result for a trial, written after training
FINISHED, RESUMABLE, NEW = "finished", "resumable", "new"


@dataclass(frozen=True)
class TrialResult:
    name: str
    status: str  # "finished", "skipped" (finished by an earlier run), "interrupted" or "failed"
    iteration: int = 0
    resumed_from: int = 0  # the iteration the trial continued from (0: a fresh start)
    seconds: float = 0.0
    message: str = ""


@dataclass(frozen=True)
class TrialProgress:
    """A running trial's iteration; ``saved`` when its run directory was just written."""

    name: str
    iteration: int
    total: int
    saved: bool = False


def threads_per_trial(jobs: int, trials: list[Trial] = ()) -> int:
    """Torch threads per trial: the cores divided between the jobs (at most OMP_NUM_THREADS if set),
    and no more than the trainer's own automatic choice for the sweep's models (one thread for
    the small MLPs it measured: two threads made a one-job sweep 8x slower on a busy machine)."""
    automatic = max((choose_threads(None, hidden=tuple(t.config.model.hidden),
                                    measured_model=t.config.model.kind == "mlp").count for t in trials), default=None)
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        cores = os.cpu_count() or 1
    threads = max(1, cores // max(1, jobs))
    if automatic is not None:
        threads = min(threads, automatic)
    limit = os.environ.get("OMP_NUM_THREADS", "")
    return min(threads, int(limit)) if limit.isdigit() and int(limit) > 0 else threads


def trial_state(path: Path, target: int) -> tuple[str, int]:
    """(``finished`` | ``resumable`` | ``new``, iteration reached) of a trial's directory."""
    try:
        info = json.loads((path / checkpoint.RUN_INFO).read_text(encoding="utf-8"))
        iteration = int(info["iteration"])
    except (OSError, ValueError, KeyError, TypeError):
        return NEW, 0
    if not (path / checkpoint.RESUME).is_file() or not checkpoint.is_run(path) or iteration <= 0:
        return NEW, 0
    if iteration >= target and (path / EVALUATION_FILE).is_file():
        return FINISHED, iteration
    return RESUMABLE, iteration


# -- in the worker process ----------------------------------------------------------------------
_stop_event = None
_report_progress: Callable[[TrialProgress], None] | None = None  # a queue's put in a worker process
_parent_pid: int | None = None  # a worker's parent: when it is gone (killed), the trial saves and stops


def _init_worker(stop_event, threads: int, progress_queue=None) -> None:
    import signal

    import torch

    global _stop_event, _report_progress, _parent_pid
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent sets the stop event; trials save and stop
    _stop_event, _parent_pid = stop_event, os.getppid()
    _report_progress = progress_queue.put if progress_queue is not None else None
    torch.set_num_threads(threads)


def _report(progress: TrialProgress) -> None:
    if _report_progress is not None:
        _report_progress(progress)


def run_trial(path: str, config_toml: str, threads: int, eval_tasks: int | None) -> TrialResult:
    """Train (fresh or resumed) and evaluate one trial; runs in a worker process."""
    from .config import from_toml
    from .training import Trainer, TrainingControl, TrainingError

    out, start = Path(path), time.perf_counter()
    if _stop_event is not None and _stop_event.is_set():  # queued before the stop: leave it untouched
        return TrialResult(out.name, "interrupted")
    config = from_toml(config_toml, source=f"{out.name}/{checkpoint.CONFIG}")
    target = config.training.iterations
    state, reached = trial_state(out, target)
    name = out.name
    try:
        if state == RESUMABLE:
            trainer, _ = checkpoint.resume_trainer(out, threads=threads)
            if target > trainer.iteration:
                trainer.extend_to(target)
        else:
            for leftover in (*checkpoint.RUN_FILES, EVALUATION_FILE):
                (out / leftover).unlink(missing_ok=True)
            trainer = Trainer(config, threads=threads)
            reached = 0
        _report(TrialProgress(name, trainer.iteration, target))
        if trainer.iteration < target:
            stopped = _train(trainer, out, target, TrainingControl())
            if stopped:
                return TrialResult(name, "interrupted", trainer.iteration, reached, time.perf_counter() - start)
        evaluation = evaluate_run(out, eval_tasks)
        atomic_write(out / EVALUATION_FILE, json.dumps(evaluation, indent=2, allow_nan=False))
    except (TrainingError, checkpoint.RunError, OSError, ValueError) as err:
        return TrialResult(name, "failed", 0, reached, time.perf_counter() - start, f"{type(err).__name__}: {err}")
    return TrialResult(name, "finished", trainer.iteration, reached, time.perf_counter() - start)


def _train(trainer, out: Path, target: int, control) -> bool:
    """Train to ``target``, saving at each autosave; True when stopped early (saved)."""
    done = threading.Event()

    def watch() -> None:
        while not done.is_set():
            if _stop_event is not None and _stop_event.wait(0.1):
                control.request_stop()
                return
            if _parent_pid is not None and os.getppid() != _parent_pid:  # orphaned: nobody will stop us
                control.request_stop()
                return
            if _stop_event is None:
                return

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    def save(trainer) -> None:
        checkpoint.save_trainer(out, trainer)
        _report(TrialProgress(out.name, trainer.iteration, target, saved=True))

    try:
        save(trainer)
        progress = None
        for progress in trainer.run(iterations=target, control=control, checkpoint=save, report_interval_s=1.0):
            _report(TrialProgress(out.name, progress.iteration, target))
        save(trainer)
        return progress is not None and progress.stopped
    finally:
        done.set()


def evaluate_run(path: Path, tasks: int | None) -> dict:
    """The paper protocol on a trained run: the metric after 0..S inner steps over test tasks."""
    import math

    from .evaluation import evaluate
    from .experiment_setup import task_sampler

    run = checkpoint.load_run(path, with_history=False)
    config, c = run.config, run.config.evaluation
    classification = config.task.kind == "classification"
    steps = sorted({0, 1, 5, 10, c.inner_steps} & set(range(c.inner_steps + 1))) or [0]
    result = evaluate(run.snapshot, task_sampler(config).family, tasks=tasks or c.tasks,
                      shots=c.shots or config.task.shots, queries=config.task.queries if classification else c.queries,
                      steps=steps, seed=c.seed)
    data = result.to_dict()
    for key, values in data.items():
        if isinstance(values, list):
            data[key] = [v if not isinstance(v, float) or math.isfinite(v) else None for v in values]
    data["iteration"] = run.iteration
    return data


# -- in the parent process ----------------------------------------------------------------------
class SweepRunner:
    """Runs the unfinished trials of a sweep, ``jobs`` at a time; :meth:`stop` keeps finished ones.

    ``always_in_processes``: one job runs in a worker process too (the app's GUI process must
    never train), instead of in this process."""

    def __init__(self, out: Path, trials: list[Trial], jobs: int = 1, threads: int | None = None,
                 eval_tasks: int | None = None, always_in_processes: bool = False) -> None:
        self.out, self.trials, self.jobs = Path(out), trials, max(1, jobs)
        self.always_in_processes = always_in_processes
        self.threads = threads or threads_per_trial(self.jobs, trials)
        self.eval_tasks = eval_tasks
        self._context = multiprocessing.get_context("spawn")
        self._stop_event = self._context.Event()
        self._pool: ProcessPoolExecutor | None = None

    def pending(self) -> list[tuple[Trial, str, int]]:
        """Each trial with its state and the iteration it reached."""
        return [(t, *trial_state(self.out / t.name, t.config.training.iterations)) for t in self.trials]

    def stop(self) -> None:
        self._stop_event.set()

    @property
    def stopped(self) -> bool:
        return self._stop_event.is_set()

    def terminate(self) -> None:
        """The last resort when stopped trials take too long to end: kill the worker processes
        (a trial killed while saving keeps its previous files: every write is atomic)."""
        self.stop()
        pool = self._pool
        for process in list((getattr(pool, "_processes", None) or {}).values()):
            if process.is_alive():
                process.terminate()

    def run(self, on_result: Callable[[TrialResult], None] | None = None,
            on_progress: Callable[[TrialProgress], None] | None = None) -> list[TrialResult]:
        """Skip finished trials, run the rest; ``on_result`` sees each result as it comes and
        ``on_progress`` each running trial's reports (both called in this thread).

        One job runs the trials in this process (no worker start-up); more run in a pool."""
        results: list[TrialResult] = []

        def report(result: TrialResult) -> None:
            results.append(result)
            if on_result is not None:
                on_result(result)

        todo = []
        for trial, state, iteration in self.pending():
            if state == FINISHED:
                report(TrialResult(trial.name, "skipped", iteration, iteration))
            else:
                todo.append(trial)
                (self.out / trial.name).mkdir(parents=True, exist_ok=True)
        if todo and self.jobs == 1 and not self.always_in_processes:
            self._run_here(todo, report, on_progress)
        elif todo:
            self._run_in_pool(todo, report, on_progress)
        return results

    def _arguments(self, trial: Trial) -> tuple:
        return str(self.out / trial.name), trial.config.to_toml(), self.threads, self.eval_tasks

    def _run_here(self, todo: list[Trial], report, on_progress) -> None:
        import torch

        global _stop_event, _report_progress
        previous_event, previous_threads = _stop_event, torch.get_num_threads()
        previous_report = _report_progress
        _stop_event, _report_progress = self._stop_event, on_progress
        try:
            for trial in todo:
                if self.stopped:
                    report(TrialResult(trial.name, "interrupted"))
                    continue
                try:
                    report(run_trial(*self._arguments(trial)))
                except Exception as err:  # as a crashed worker: this trial failed, the sweep goes on
                    report(TrialResult(trial.name, "failed", message=f"{type(err).__name__}: {err}"))
        finally:
            _stop_event, _report_progress = previous_event, previous_report
            torch.set_num_threads(previous_threads)

    def _run_in_pool(self, todo: list[Trial], report, on_progress) -> None:
        progress_queue = self._context.Queue() if on_progress is not None else None
        with ProcessPoolExecutor(max_workers=min(self.jobs, len(todo)), mp_context=self._context,
                                 initializer=_init_worker,
                                 initargs=(self._stop_event, self.threads, progress_queue)) as pool:
            self._pool = pool
            futures = {pool.submit(run_trial, *self._arguments(trial)): trial for trial in todo}
            remaining = set(futures)
            while remaining:
                done, remaining = wait(remaining, timeout=0.2, return_when=FIRST_COMPLETED)
                _drain(progress_queue, on_progress)  # before the results: a trial's last save, then its end
                for future in done:
                    report(self._result_of(future, futures[future]))
                if self.stopped:  # queued trials never start; running ones save and stop
                    for future in remaining:
                        future.cancel()
        _drain(progress_queue, on_progress)

    @staticmethod
    def _result_of(future: Future, trial: Trial) -> TrialResult:
        if future.cancelled():
            return TrialResult(trial.name, "interrupted")
        try:
            return future.result()
        except Exception as err:  # a crashed worker: the trial failed, the sweep goes on
            return TrialResult(trial.name, "failed", message=f"{type(err).__name__}: {err}")


def _drain(progress_queue, on_progress) -> None:
    """Hand every queued report to ``on_progress`` (the workers' queue never fills up)."""
    while progress_queue is not None:
        try:
            on_progress(progress_queue.get_nowait())
        except queue.Empty:
            return
