"""Telling a diverging training from a sane one, and naming the likely cause.

After every meta-iteration the trainer hands :meth:`DivergenceWatch.judge` the iteration's
losses and the largest weight magnitudes after the update. Training has diverged when

- a loss or a weight is not finite;
- a weight is larger than :data:`WEIGHT_LIMIT` in magnitude;
- the loss before adaptation (the initialisation's loss) or the baseline's loss grew by
  :data:`EXPLOSION_FACTOR` over its best running level (an exponential moving average);
- the loss after adaptation is :data:`EXPLOSION_FACTOR` times the loss before it (the inner
  loop makes a task orders of magnitude worse: the inner learning rate is too large).

The losses of iteration ``i + 1`` are computed with the weights of iteration ``i``: when they
exploded, those weights are already bad (``weights_at_fault``) and the trainer goes back one
iteration further.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

WEIGHT_LIMIT = 1e6  # |weight| above this is not a sane regressor (the paper model's weights are O(1))
EXPLOSION_FACTOR = 1e3  # "orders of magnitude"
LEVEL_RATE = 0.05  # weight of the newest loss in a running level


@dataclass(frozen=True)
class Divergence:
    """What went wrong (one line, with the likely cause and a remedy)."""

    message: str
    weights_at_fault: bool  # the weights this iteration started from produced the bad loss


class RunningLevel:
    """Exponential moving average of a loss and the lowest value that average has taken."""

    def __init__(self) -> None:
        self.average: float | None = None
        self.best: float | None = None

    def add(self, value: float) -> None:
        self.average = value if self.average is None else self.average + LEVEL_RATE * (value - self.average)
        self.best = self.average if self.best is None else min(self.best, self.average)

    def exploded(self, value: float) -> bool:
        return self.best is not None and value > EXPLOSION_FACTOR * max(self.best, 1e-30)


def _value(x: float) -> str:
    return f"{x:.3g}" if math.isfinite(x) else str(x)


class DivergenceWatch:
    """Judges each iteration of one training; ``training`` is its TrainingConfig."""

    def __init__(self, training, learned_rates: bool = False) -> None:
        self.training = training
        self.learned_rates = learned_rates
        self.before_level = RunningLevel()
        self.baseline_level = RunningLevel()

    # -- hints ---------------------------------------------------------------------------------
    def _meta_lr_hint(self) -> str:
        t = self.training
        return (f"the meta learning rate is likely too large (training.meta_lr = {t.meta_lr:g}, "
                f"{t.meta_optimizer}); try a smaller one")

    def _inner_lr_hint(self) -> str:
        t = self.training
        if self.learned_rates:
            return (f"the learned inner learning rates are likely too large (they start at training.inner_lr = "
                    f"{t.inner_lr:g}); try a smaller training.inner_lr or training.rates_meta_lr")
        return f"the inner learning rate is likely too large (training.inner_lr = {t.inner_lr:g}); try a smaller one"

    def _baseline_hint(self) -> str:
        return (f"the baseline's learning rate is likely too large (training.baseline_lr = "
                f"{self.training.baseline_lr:g}); try a smaller one")

    # -- the verdict ---------------------------------------------------------------------------
    def judge(self, iteration: int, before: float, after: float, baseline_loss: float | None,
              weight_max: float, baseline_max: float | None) -> Divergence | None:
        """None when iteration ``iteration`` (1-based) is sane; then its losses join the levels."""
        verdict = (self.judge_start(iteration, before, baseline_loss)
                   or self._judge_adaptation(iteration, before, after)
                   or self._judge_update(iteration, weight_max, baseline_max))
        if verdict is None:
            self.before_level.add(before)
            if baseline_loss is not None:
                self.baseline_level.add(baseline_loss)
        return verdict

    def judge_start(self, iteration: int, before: float, baseline_loss: float | None) -> Divergence | None:
        """The losses of the weights an iteration starts from (also used to check weights before a save)."""
        if not math.isfinite(before) or self.before_level.exploded(before):
            grew = "" if not math.isfinite(before) else f" (from a running level of {_value(self.before_level.best)})"
            return Divergence(f"the loss before adaptation became {_value(before)} at iteration {iteration}{grew}: "
                              f"{self._meta_lr_hint()}", weights_at_fault=True)
        if baseline_loss is not None and (not math.isfinite(baseline_loss)
                                          or self.baseline_level.exploded(baseline_loss)):
            return Divergence(f"the pretrained baseline's loss became {_value(baseline_loss)} at iteration "
                              f"{iteration}: {self._baseline_hint()}", weights_at_fault=True)
        return None

    def _judge_adaptation(self, iteration: int, before: float, after: float) -> Divergence | None:
        reference = max(before, self.before_level.best or 0.0, 1e-30)
        if math.isfinite(after) and after <= EXPLOSION_FACTOR * reference:
            return None
        return Divergence(f"the loss after adaptation became {_value(after)} at iteration {iteration} while the loss "
                          f"before it was {_value(before)}: {self._inner_lr_hint()}", weights_at_fault=False)

    def _judge_update(self, iteration: int, weight_max: float, baseline_max: float | None) -> Divergence | None:
        if not math.isfinite(weight_max) or weight_max > WEIGHT_LIMIT:
            what = ("non-finite (a non-finite meta-gradient or optimiser state)" if not math.isfinite(weight_max)
                    else f"as large as {_value(weight_max)}")
            return Divergence(f"the meta-update at iteration {iteration} made the weights {what}: "
                              f"{self._meta_lr_hint()}", weights_at_fault=False)
        if baseline_max is not None and (not math.isfinite(baseline_max) or baseline_max > WEIGHT_LIMIT):
            what = "non-finite" if not math.isfinite(baseline_max) else f"as large as {_value(baseline_max)}"
            return Divergence(f"the pretrained baseline's update at iteration {iteration} made its weights {what}: "
                              f"{self._baseline_hint()}", weights_at_fault=False)
        return None


def is_allocation_failure(error: BaseException) -> bool:
    """True for running out of memory: CUDA/MPS raise OutOfMemoryError, the CPU allocator a plain
    RuntimeError ("DefaultCPUAllocator: can't allocate memory")."""
    import torch

    if isinstance(error, torch.OutOfMemoryError):
        return True
    text = str(error)
    return isinstance(error, RuntimeError) and ("can't allocate memory" in text or "DefaultCPUAllocator" in text
                                                 or "out of memory" in text.lower())
