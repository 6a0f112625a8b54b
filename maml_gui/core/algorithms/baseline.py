"""The "pretrained on all tasks" baseline of Finn et al. (2017): one network fit to samples
from many tasks, fine-tuned on each test task's support points."""

from __future__ import annotations

import torch
from torch import Tensor

from ..models import MLPSpec, _activation, forward, init_parameters
from ..tasks import TaskBatch

STEP_EVERY = 4  # meta-iterations per baseline step (see PretrainedBaseline)


def pooled_points(batch: TaskBatch) -> tuple[Tensor, Tensor]:
    """Every support and query point of a meta-batch as one regression data set: ``[N, in]``, ``[N, out]``."""
    x = torch.cat([batch.x_support, batch.x_query], 1)
    y = torch.cat([batch.y_support, batch.y_query], 1)
    return x.reshape(-1, x.shape[-1]), y.reshape(-1, y.shape[-1])


def mlp_mse_and_gradients(spec: MLPSpec, params: list[Tensor], x: Tensor, y: Tensor) -> tuple[Tensor, list[Tensor]]:
    """MSE of an unbatched MLP on ``x [N, in]`` against ``y [N, out]`` and its gradient with
    respect to every parameter, written out (no autograd graph; call it under ``no_grad``).

    ~20 small ops; ReLU (the default) takes its mask from the output, in place, with ATen's
    own ReLU backward (one op instead of compare, cast and multiply)."""
    act, act_grad = _activation(spec.activation)
    relu = spec.activation == "relu"
    last = spec.layer_count - 1
    hs, zs, h = [x], [], x
    for i in range(spec.layer_count):
        z = torch.addmm(params[2 * i + 1], h, params[2 * i])
        if i < last:
            h = torch.relu_(z) if relu else act(z)
            zs.append(z)
            hs.append(h)
        else:
            h = z
    residual = h - y
    delta = residual * (2.0 / residual.numel())
    grads: list[Tensor] = [None] * len(params)  # type: ignore[list-item]
    for i in range(last, -1, -1):
        grads[2 * i] = torch.mm(hs[i].t(), delta)
        grads[2 * i + 1] = delta.sum(0)
        if i > 0:
            back = torch.mm(delta, params[2 * i].t())
            if relu:
                delta = torch.ops.aten.threshold_backward(back, hs[i], 0)
            else:
                delta = back * act_grad(zs[i - 1], hs[i])
    flat = residual.view(-1)
    return torch.dot(flat, flat) / flat.numel(), grads


def _fused_ok(device) -> bool:
    return torch.device(device).type in ("cpu", "cuda")


class PretrainedBaseline:
    """One MLP regressed on the pooled points of the meta-training tasks.

    What it is trained on, exactly: alongside meta-training, at every :data:`STEP_EVERY`-th
    meta-iteration (iterations 0, 4, 8, ...; so a resumed run trains it identically) it takes
    one Adam step (lr ``training.baseline_lr``) on the mean squared error over all support and
    query points of that iteration's meta-batch, pooled as a single regression (by default 25
    tasks x 20 points). It sees a quarter of the sampled tasks, all drawn from the same task
    distribution as the meta-learner's, and never adapts during training. The gradient is
    written out (:func:`mlp_mse_and_gradients`) and Adam is the fused kernel: a step costs a
    few percent of a meta-iteration.
    """

    head_only = False  # at test: fine-tune every weight

    def __init__(self, spec: MLPSpec, lr: float, generator: torch.Generator, device) -> None:
        self.spec = spec
        self.params = [p.to(device).requires_grad_() for p in init_parameters(spec, generator)]
        self.optimizer = torch.optim.Adam(self.params, lr=lr, fused=True if _fused_ok(device) else None)
        self.gradient_sync = None  # multi-process: [loss, *grads] -> their average over the processes

    def loss(self, batch: TaskBatch) -> torch.Tensor:
        """MSE on every point of the meta-batch, pooled as a single regression (differentiable)."""
        x, y = pooled_points(batch)
        return (forward(self.spec, self.params, x) - y).square().mean()

    def trains_at(self, iteration: int) -> bool:
        return iteration % STEP_EVERY == 0

    def train_step(self, batch: TaskBatch) -> Tensor:
        """One Adam step on the pooled points of ``batch``; returns the loss before the step (0-d)."""
        x, y = pooled_points(batch)
        with torch.no_grad():
            loss, grads = mlp_mse_and_gradients(self.spec, [p.detach() for p in self.params], x, y)
            if self.gradient_sync is not None:
                loss, *grads = self.gradient_sync([loss, *grads])
            if not self._fused_adam_step(grads):
                for p, g in zip(self.params, grads):
                    p.grad = g
                self.optimizer.step()
        return loss

    def _fused_adam_step(self, grads: list[Tensor]) -> bool:
        """``self.optimizer.step()`` without torch.optim's Python bookkeeping (~40% of a baseline
        step, measured): the same fused kernel, on the optimiser's own state tensors, so its
        state_dict, a resume and the trainer's last-good copies stay the optimiser's. False
        (nothing done) where that does not apply: no state yet (the first step creates it),
        another device, or options the kernel call here does not pass."""
        optimizer, group = self.optimizer, self.optimizer.param_groups[0]
        state = optimizer.state
        if (not group.get("fused") or len(state) != len(self.params) or group["amsgrad"] or group["maximize"]
                or group["weight_decay"] or group.get("decoupled_weight_decay") or self.params[0].device.type != "cpu"):
            return False
        entries = [state[p] for p in self.params]
        steps = [e["step"] for e in entries]
        torch._foreach_add_(steps, 1)
        beta1, beta2 = group["betas"]
        torch._fused_adam_([p.detach() for p in self.params], grads, [e["exp_avg"] for e in entries],
                           [e["exp_avg_sq"] for e in entries], [], steps, lr=group["lr"], beta1=beta1, beta2=beta2,
                           weight_decay=0.0, eps=group["eps"], amsgrad=False, maximize=False)
        return True

    def evaluation_parameters(self) -> list[torch.Tensor]:
        """The weights that test tasks start fine-tuning from, detached."""
        return [p.detach() for p in self.params]
