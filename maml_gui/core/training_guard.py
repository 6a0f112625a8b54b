"""Checking every meta-update and going back to the last good state when one fails.

:class:`TrainingGuard` sits between a :class:`~maml_gui.core.training.Trainer` and its
weights: after each update it copies the state (:class:`LastGoodState`), checks the
iteration's losses and the new weights (:class:`DivergenceWatch`) in one synchronisation, and
on a failure — divergence, explosion, or running out of memory — restores the last good state
(weights, learned rates, baseline, optimiser state, task generator, iteration, metrics) and
raises :class:`TrainingError` with one line naming the likely cause.
"""

from __future__ import annotations

import math

import torch

from .divergence import WEIGHT_LIMIT, DivergenceWatch, is_allocation_failure
from .evaluation import adaptation_curves
from .last_good_state import LastGoodState
from .tasks.limits import describe_data_cause


class TrainingError(RuntimeError):
    """Training cannot go on (a diverging loss or weights, out of memory); the trainer holds the
    state of the last good iteration again."""


class TrainingGuard:
    def __init__(self, trainer) -> None:
        self.trainer = trainer
        learner, baseline = trainer.learner, trainer.baseline
        meta_count = len(learner.meta_parameters())
        self.watch = DivergenceWatch(trainer.config.training, learned_rates=meta_count > len(learner.params))
        optimizers = [trainer.optimizer] + ([baseline.optimizer] if baseline is not None else [])
        self.last_good = LastGoodState(self._updated_tensors, meta_count, optimizers, trainer.task_generator)
        self.last_batch = None  # the latest meta-batch, to check the latest weights' loss before a save
        self.keep_current_state()

    def _updated_tensors(self) -> list[torch.Tensor]:
        """What an iteration updates in place: meta-parameters, then the baseline's weights."""
        t = self.trainer
        return [*t.learner.meta_parameters(), *(t.baseline.params if t.baseline is not None else ())]

    def keep_current_state(self) -> None:
        """Start over from the trainer's current state (a new trainer, or a loaded state)."""
        self.last_good.forget()
        self.last_good.capture(self.trainer.iteration)
        self.last_good.commit()
        self.last_batch = None

    # -- after each update ------------------------------------------------------------------
    def check_update(self, losses, baseline_loss: torch.Tensor | None, batch) -> tuple[float, float]:
        """Keep a copy of the updated state and check it; returns (loss before, loss after).

        Raises :class:`TrainingError` after putting back the last good state when the
        iteration's losses or the new weights are non-finite or exploded."""
        iteration = self.trainer.iteration + 1
        parameters = self.last_good.capture(iteration)
        checks = [losses.before, losses.after, torch.linalg.vector_norm(parameters, math.inf)]
        if baseline_loss is not None:
            checks.append(baseline_loss.detach())
        before, after, weight_max, *baseline_value = torch.stack(checks).tolist()
        baseline_value = baseline_value[0] if baseline_value else None
        baseline_max = None
        if not weight_max <= WEIGHT_LIMIT:  # rarely: tell the meta-parameters' part from the baseline's
            weights, baseline_weights = self.last_good.captured_parts()
            weight_max = torch.linalg.vector_norm(weights, math.inf).item()
            if baseline_weights is not None:
                baseline_max = torch.linalg.vector_norm(baseline_weights, math.inf).item()
        verdict = self.watch.judge(iteration, before, after, baseline_value, weight_max, baseline_max)
        if verdict is not None:
            kept = self.go_back(confirmed_only=verdict.weights_at_fault)
            cause = describe_data_cause(batch)  # the data, when it is to blame, instead of a learning rate
            message = verdict.message if cause is None else f"{verdict.message.partition(': ')[0]}: {cause}"
            raise TrainingError(f"{message}; kept the weights of iteration {kept}")
        self.last_good.commit()
        self.last_batch = batch
        return before, after

    def out_of_memory(self, error: BaseException) -> TrainingError | None:
        """For an allocation failure: the error to raise, after putting back the last good
        state; None for any other error."""
        if not is_allocation_failure(error):
            return None
        t = self.trainer
        kept = self.go_back(confirmed_only=False)
        return TrainingError(f"out of memory at iteration {kept + 1} on {t.device}; kept the weights of iteration "
                             f"{kept}. Lower the meta-batch, inner steps or model size")

    def go_back(self, confirmed_only: bool) -> int:
        """Restore the last good state (see :class:`LastGoodState`); returns its iteration."""
        t = self.trainer
        t.iteration = self.last_good.restore(confirmed_only)
        t.history.truncate(t.iteration)
        self.last_batch = None
        return t.iteration

    # -- before a save --------------------------------------------------------------------------
    def confirm_weights(self) -> None:
        """The latest weights are about to be saved: their own loss (on the latest meta-batch)
        must be sane too, since an iteration's losses are computed with the previous weights."""
        if self.last_batch is None or not self.last_good.has_unconfirmed():
            return
        t, batch = self.trainer, self.last_batch
        with torch.no_grad():
            checks = [adaptation_curves(t.learner.backend, [p.detach() for p in t.learner.params], t.learner.rates(),
                                        batch, 0, t.learner.head_only)[0].mean()]
            if t.baseline is not None:
                checks.append(t.baseline.loss(batch))
            before, *baseline = torch.stack(checks).tolist()
        verdict = self.watch.judge_start(t.iteration, before, baseline[0] if baseline else None)
        if verdict is not None:
            kept = self.go_back(confirmed_only=True)
            raise TrainingError(f"{verdict.message}; kept the weights of iteration {kept}")
        self.last_good.confirm()
