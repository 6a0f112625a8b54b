"""Meta-training as a generator of progress records, shared by the CLI and the GUI worker."""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass
from typing import Callable, Iterator

import numpy as np
import torch

from .adaptation import InnerRates
from .algorithms import ClassificationPretrainedBaseline, PretrainedBaseline, build_learner
from .config import ExperimentConfig
from .device import describe_device, resolve_device
from .divergence import is_allocation_failure
from .evaluation import adaptation_curves, summarize
from .experiment_setup import model_spec as _model_spec
from .experiment_setup import task_sampler
from .training_guard import TrainingError, TrainingGuard
from .metrics import MetricsHistory, ValidationRecord
from .model_backends import ModelSpec
from .resources import check_training_fits
from .snapshot import ModelSnapshot
from .threads import choose_threads


REPORT_INTERVAL_S = 0.1  # at most ~10 progress reports a second (the GUI's rate; the CLI asks for fewer)


class TrainingControl:
    """Thread-safe stop and pause flags, checked by :meth:`Trainer.run` between iterations."""

    def __init__(self) -> None:
        self.stop_event = threading.Event()
        self.pause_event = threading.Event()

    def request_stop(self) -> None:
        self.stop_event.set()

    def pause(self) -> None:
        self.pause_event.set()

    def resume(self) -> None:
        self.pause_event.clear()

    @property
    def paused(self) -> bool:
        return self.pause_event.is_set()

    def should_stop(self) -> bool:
        """Wait while paused; True when a stop was requested."""
        while self.pause_event.is_set() and not self.stop_event.is_set():
            self.stop_event.wait(0.02)
        return self.stop_event.is_set()


@dataclass(frozen=True)
class Progress:
    """One report from the training loop. Arrays hold every iteration since the last report."""

    iteration: int
    total: int
    iterations: np.ndarray
    loss_before: np.ndarray
    loss_after: np.ndarray
    validation: ValidationRecord | None
    its_per_s: float
    elapsed_s: float
    eta_s: float
    meta_lr: float
    snapshot: ModelSnapshot
    device: str
    finished: bool = False
    stopped: bool = False
    metric: str = "mse"                     # the task kind's metric: "mse" or "accuracy"
    accuracy_after: np.ndarray | None = None  # classification: query accuracy after adaptation, per iteration


def model_spec(config: ExperimentConfig, input_shape: tuple[int, ...] | None = None) -> ModelSpec:
    return _model_spec(config, input_shape)


class Trainer:
    """Owns the meta-parameters, optimisers and random generators of one experiment."""

    def __init__(self, config: ExperimentConfig, *, device: str | None = None, threads: int | None = None,
                 progress=None) -> None:
        """``progress(done, total)`` is called while image folders are decoded (classification)."""
        self.config = config
        t = config.training
        self.device = resolve_device(device or t.device)
        check_training_fits(config, self.device)  # before allocating: one line instead of an allocator error
        self.threads = choose_threads(threads or t.threads, hidden=tuple(config.model.hidden),
                                      measured_model=config.model.kind == "mlp").count
        self.sampler = task_sampler(config, progress)
        self.family = self.sampler.family
        self.kind = self.sampler.kind
        classification = self.kind.name == "classification"
        self.spec = model_spec(config, self.sampler.input_shape if classification else None)
        init_generator = torch.Generator().manual_seed(t.seed)
        self.learner = build_learner(self.spec, t, init_generator, self.device, self.kind.name)
        optimizer_cls = torch.optim.Adam if t.meta_optimizer == "adam" else torch.optim.SGD
        self.optimizer = optimizer_cls(self._parameter_groups(), lr=t.meta_lr)
        self.baseline = None
        if t.baseline and classification:
            named = self.sampler.train(1, torch.Generator().manual_seed(0)).classes is not None
            self.baseline = ClassificationPretrainedBaseline(self.spec, t.baseline_lr, init_generator, self.device,
                                                             self.family.class_count("train"), named)
        elif t.baseline:
            self.baseline = PretrainedBaseline(self.spec, t.baseline_lr, init_generator, self.device)
        self.last_accuracy: float | None = None
        # Tasks are drawn on the CPU and moved: the same seed gives the same tasks on every
        # device, and a run trained on a GPU resumes on a laptop (generator states are per device).
        self.task_generator = torch.Generator().manual_seed(t.seed + 1)
        validation_generator = torch.Generator().manual_seed(t.seed + 2)
        self.validation_batch = self.sampler.validation(t.val_tasks, validation_generator).to(self.device)
        self.iteration = 0
        self.elapsed_s = 0.0
        self.history = MetricsHistory()
        self.guard = TrainingGuard(self)
        # Multi-process training (core/distributed.py) sets these; a single process leaves them.
        self.gradient_sync: Callable | None = None  # (meta-parameters, StepLosses) -> averaged StepLosses
        self.runs_validation = True  # False on ranks other than 0
        self.extra_state: dict = {}  # merged into state_dict() (e.g. the process count)
        self.resumed_world_size = 1  # processes that trained the loaded state (1: a single process)

    def _parameter_groups(self) -> list[dict]:
        """Weights at the meta lr; learned inner rates (Meta-SGD, LSLR) at ``lr_scale`` times it.

        The rates start near ``inner_lr`` (e.g. 0.01), so Adam's absolute steps of about the
        meta lr would change them by 10% an iteration and soon diverge the inner loop; by
        default their steps are scaled by ``inner_lr``, i.e. relative steps like the weights'.
        """
        t = self.config.training
        weights = list(self.learner.params)
        ids = {id(p) for p in weights}
        rates = [p for p in self.learner.meta_parameters() if id(p) not in ids]
        groups = [{"params": weights, "lr_scale": 1.0}]
        if rates:
            scale = t.rates_meta_lr / t.meta_lr if t.rates_meta_lr is not None else t.inner_lr
            groups.append({"params": rates, "lr_scale": scale})
        return groups

    # -- schedule -------------------------------------------------------------------------
    def meta_lr_at(self, iteration: int) -> float:
        t = self.config.training
        frac = min(iteration / max(t.iterations, 1), 1.0)
        if t.meta_lr_schedule == "cosine":
            return t.min_meta_lr + (t.meta_lr - t.min_meta_lr) * 0.5 * (1 + math.cos(math.pi * frac))
        if t.meta_lr_schedule == "linear":
            return t.meta_lr + (t.min_meta_lr - t.meta_lr) * frac
        return t.meta_lr

    # -- one iteration ----------------------------------------------------------------------
    def train_iteration(self) -> tuple[float, float]:
        """One meta-iteration; returns (loss before, loss after adaptation).

        The update is checked after it is applied (losses, weights, learned rates, baseline);
        a failed iteration puts back the last good state and raises :class:`TrainingError`."""
        c = self.config
        batch = self.sampler.train(c.training.meta_batch, self.task_generator)
        if self.device.type != "cpu":
            batch = batch.to(self.device)
        lr = self.meta_lr_at(self.iteration)
        for group in self.optimizer.param_groups:
            group["lr"] = lr * group["lr_scale"]
        self.optimizer.zero_grad(set_to_none=True)
        try:
            losses = self.learner.meta_step(batch, self.iteration)
            if self.gradient_sync is not None:
                losses = self.gradient_sync(self.learner.meta_parameters(), losses)
            self.optimizer.step()
            baseline_loss = None
            if self.baseline is not None and self.baseline.trains_at(self.iteration):
                baseline_loss = self.baseline.train_step(batch)
            before, after = self.guard.check_update(losses, baseline_loss, batch)
            self.last_accuracy = float(losses.metric_after) if losses.metric_after is not None else None
        except RuntimeError as err:
            failure = self.guard.out_of_memory(err) if not isinstance(err, TrainingError) else None
            if failure is None:
                raise
            raise failure from None
        self.iteration += 1
        return before, after

    def extend_to(self, total_iterations: int) -> int:
        """Continue this training to ``total_iterations`` in total (the app's Continue and
        ``train --resume RUN --iterations N`` both come here).

        A longer total becomes the config's ``training.iterations``: the meta-lr schedule then
        spans it, and a save records it. A shorter one (not below the current iteration) leaves
        the config alone: training stops there on the original schedule. Returns the target."""
        if total_iterations < self.iteration:
            raise ValueError(f"the run is already at iteration {self.iteration}, past {total_iterations}")
        if total_iterations > self.config.training.iterations:
            self.config = self.config.with_overrides([f"training.iterations={total_iterations}"])
        return total_iterations

    def validate(self) -> ValidationRecord:
        """Adaptation curve (the task kind's metric) on the fixed validation tasks, for the
        meta-model and the baseline; the record's losses are the query loss before and after the
        training's inner steps."""
        c = self.config
        steps = max(c.evaluation.inner_steps, c.training.inner_steps)
        backend, metric = self.learner.backend, self.kind.metric
        losses, values = adaptation_curves(backend, [p.detach() for p in self.learner.params], self.learner.rates(),
                                           self.validation_batch, steps, self.learner.head_only)
        curve = summarize(values, range(steps + 1), metric)
        loss_curve = curve if backend.kind.loss_is_metric else summarize(losses, range(steps + 1), "loss")
        baseline = None
        if self.baseline is not None:
            base = adaptation_curves(backend, self.baseline.evaluation_parameters(),
                                     InnerRates(c.evaluation.baseline_lr), self.validation_batch, steps,
                                     self.baseline.head_only)[1]
            baseline = summarize(base, range(steps + 1), metric)
        record = ValidationRecord(self.iteration, loss_curve.values[0], loss_curve.values[c.training.inner_steps],
                                  curve, baseline)
        self.history.add_validation(record)
        return record

    # -- the loop ---------------------------------------------------------------------------
    def run(self, iterations: int | None = None, control: TrainingControl | None = None,
            report_interval_s: float = REPORT_INTERVAL_S, checkpoint: Callable[["Trainer"], None] | None = None) -> Iterator[Progress]:
        """Train up to ``iterations`` in total (default: the config's), yielding :class:`Progress`
        at most every ``report_interval_s`` seconds, at each validation and at the end."""
        t = self.config.training
        target = iterations or t.iterations
        torch.set_num_threads(self.threads)
        autosave = t.autosave_interval or t.val_interval
        pending: list[tuple[int, float, float, float]] = []
        first = self.runs_validation and self.iteration == 0 and not self.history.validations
        validation = self._validate_or_fail() if first else None
        last_report, window_start, window_iter = -math.inf, time.perf_counter(), self.iteration
        stopped = False
        while self.iteration < target:
            if control is not None and control.should_stop():
                stopped = True
                break
            started = time.perf_counter()
            before, after = self.train_iteration()
            self.elapsed_s += time.perf_counter() - started
            accuracy = self.last_accuracy
            pending.append((self.iteration, before, after, math.nan if accuracy is None else accuracy))
            if self.iteration % t.log_every == 0 or self.iteration == target:
                self.history.add_row(self.iteration, before, after, self.meta_lr_at(self.iteration - 1), self.elapsed_s,
                                     accuracy)
            if self.runs_validation and (self.iteration % t.val_interval == 0 or self.iteration == target):
                validation = self._validate_or_fail()
            if checkpoint is not None and (self.iteration % autosave == 0 or self.iteration == target):
                self.guard.confirm_weights()
                checkpoint(self)
            now = time.perf_counter()
            if now - last_report >= report_interval_s or validation is not None:
                rate = (self.iteration - window_iter) / max(now - window_start, 1e-9)
                yield self._progress(pending, validation, rate, target)
                pending, validation, last_report = [], None, now
                if now - window_start > 2.0:
                    window_start, window_iter = now, self.iteration
        self.guard.confirm_weights()
        rate = (self.iteration - window_iter) / max(time.perf_counter() - window_start, 1e-9)
        yield self._progress(pending, validation, rate, target, finished=self.iteration >= target, stopped=stopped)

    def _validate_or_fail(self) -> ValidationRecord:
        try:
            return self.validate()
        except RuntimeError as err:
            if not is_allocation_failure(err):
                raise
            raise TrainingError(f"out of memory while validating at iteration {self.iteration} on {self.device}; "
                                "lower training.val_tasks or evaluation.queries") from None

    def _progress(self, pending, validation, rate, target, finished=False, stopped=False) -> Progress:
        arrays = np.array(pending, dtype=np.float64).reshape(-1, 4)
        arrays.setflags(write=False)
        remaining = max(target - self.iteration, 0)
        return Progress(
            iteration=self.iteration, total=target, iterations=arrays[:, 0].astype(np.int64),
            loss_before=arrays[:, 1], loss_after=arrays[:, 2], validation=validation, its_per_s=rate,
            elapsed_s=self.elapsed_s, eta_s=remaining / rate if rate > 0 else math.inf,
            meta_lr=self.meta_lr_at(max(self.iteration - 1, 0)), snapshot=self.snapshot(),
            device=describe_device(self.device), finished=finished, stopped=stopped, metric=self.kind.metric,
            accuracy_after=arrays[:, 3] if self.kind.name == "classification" else None,
        )

    # -- snapshots and state ------------------------------------------------------------------
    def snapshot(self) -> ModelSnapshot:
        """Detached CPU copies of the current weights and learned rates."""
        cpu = lambda ts: tuple(p.detach().to("cpu", copy=True) for p in ts)  # noqa: E731
        return ModelSnapshot(
            spec=self.spec, params=cpu(self.learner.params), algorithm=self.learner.name,
            rates=self.learner.rates().detached(), head_only=self.learner.head_only, iteration=self.iteration,
            baseline_params=cpu(self.baseline.evaluation_parameters()) if self.baseline is not None else None,
            baseline_lr=self.config.evaluation.baseline_lr, train_inner_steps=self.config.training.inner_steps,
            task_kind=self.kind.name, baseline_head_only=self.baseline is not None and self.baseline.head_only,
        )

    def state_dict(self) -> dict:
        """Everything needed to continue exactly where training stopped (plain tensors only)."""
        state = {
            "iteration": self.iteration,
            "elapsed_s": self.elapsed_s,
            "meta_parameters": [p.detach().cpu() for p in self.learner.meta_parameters()],
            "optimizer": self.optimizer.state_dict(),
            "task_generator": self.task_generator.get_state(),
        }
        if self.baseline is not None:
            state["baseline_parameters"] = [p.detach().cpu() for p in self.baseline.params]
            state["baseline_optimizer"] = self.baseline.optimizer.state_dict()
        state.update(self.extra_state)
        return state

    def load_state_dict(self, state: dict) -> None:
        params = self.learner.meta_parameters()
        saved = state["meta_parameters"]
        if len(saved) != len(params) or any(a.shape != b.shape for a, b in zip(saved, params)):
            raise ValueError("the saved weights do not match this configuration's model")
        with torch.no_grad():
            for p, s in zip(params, saved):
                p.copy_(s)
            if self.baseline is not None and "baseline_parameters" in state:
                for p, s in zip(self.baseline.params, state["baseline_parameters"]):
                    p.copy_(s)
        self.optimizer.load_state_dict(state["optimizer"])
        if self.baseline is not None and "baseline_optimizer" in state:
            self.baseline.optimizer.load_state_dict(state["baseline_optimizer"])
        self.task_generator.set_state(state["task_generator"])
        self.iteration = int(state["iteration"])
        self.elapsed_s = float(state["elapsed_s"])
        self.resumed_world_size = int(state.get("world_size", 1))
        self.guard.keep_current_state()
