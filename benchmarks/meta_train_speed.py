"""Meta-training speed: the engine against a per-task-loop MAML and a straight torch.func.vmap port.

All three run in this process, interleaved in rounds, on the ``finn2017-sinusoid`` setup
(1-40-40-1 ReLU, K=10 support + 10 query points, meta-batch 25, Adam 1e-3), for 1 and 5
inner steps, second and first order. Each timed meta-iteration samples a meta-batch, computes
the meta-gradient and takes an Adam step. Prints meta-iterations/s and the engine's ratio.

    python benchmarks/meta_train_speed.py [--seconds 1.5] [--rounds 3] [--device cpu] [--threads N]
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch
from torch.func import functional_call, grad, vmap

from maml_gui.core.models import build_torch_module
from maml_gui.core.presets import load_preset
from maml_gui.core.training import Trainer, model_spec


class PerTaskLoopMAML:
    """The way most implementations do it: one task at a time, autograd.grad(create_graph=True)."""

    def __init__(self, trainer: Trainer, first_order: bool) -> None:
        self.trainer, self.first_order = trainer, first_order
        self.net = build_torch_module(model_spec(trainer.config)).to(trainer.device)
        self.names = [n for n, _ in self.net.named_parameters()]
        self.optimizer = torch.optim.Adam(self.net.parameters(), lr=1e-3)

    def step(self) -> None:
        c, t = self.trainer.config, self.trainer
        batch = t.family.sample(c.training.meta_batch, c.task.shots, c.task.queries, t.task_generator, t.device)
        params = list(self.net.parameters())
        total = 0.0
        for b in range(batch.size):
            fast = params
            for _ in range(c.training.inner_steps):
                pred = functional_call(self.net, dict(zip(self.names, fast)), (batch.x_support[b],))
                loss = (pred - batch.y_support[b]).square().mean()
                grads = torch.autograd.grad(loss, fast, create_graph=not self.first_order)
                fast = [p - c.training.inner_lr * g for p, g in zip(fast, grads)]
            pred = functional_call(self.net, dict(zip(self.names, fast)), (batch.x_query[b],))
            total = total + (pred - batch.y_query[b]).square().mean()
        self.optimizer.zero_grad(set_to_none=True)
        (total / batch.size).backward()
        self.optimizer.step()


class StraightVmapMAML(PerTaskLoopMAML):
    """A direct torch.func port: grad of the per-task loss inside vmap over the task axis."""

    def step(self) -> None:
        c, t = self.trainer.config, self.trainer
        batch = t.family.sample(c.training.meta_batch, c.task.shots, c.task.queries, t.task_generator, t.device)
        params = dict(self.net.named_parameters())

        def inner_loss(p, x, y):
            return (functional_call(self.net, p, (x,)) - y).square().mean()

        def task_loss(p, xs, ys, xq, yq):
            for _ in range(c.training.inner_steps):
                g = grad(inner_loss)(p, xs, ys)
                if self.first_order:
                    g = {k: v.detach() for k, v in g.items()}
                p = {k: p[k] - c.training.inner_lr * g[k] for k in p}
            return inner_loss(p, xq, yq)

        losses = vmap(task_loss, in_dims=(None, 0, 0, 0, 0))(params, batch.x_support, batch.y_support,
                                                              batch.x_query, batch.y_query)
        self.optimizer.zero_grad(set_to_none=True)
        losses.mean().backward()
        self.optimizer.step()


def rate(step, seconds: float) -> float:
    for _ in range(3):
        step()
    count, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        step()
        count += 1
    return count / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=1.5, help="timing window per measurement")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (median reported)")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--threads", type=int, default=0, help="torch threads (0: all cores)")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    print(f"device {args.device}, torch {torch.__version__}, {torch.get_num_threads()} threads, "
          f"{args.rounds} rounds x {args.seconds}s, median meta-iterations/s")
    print(f"{'inner steps':>11} {'order':>6} {'per-task loop':>14} {'vmap port':>10} {'engine':>9} "
          f"{'engine/loop':>12} {'engine/vmap':>12}")
    for steps in (1, 5):
        for algorithm in ("maml", "fomaml"):
            config = load_preset("finn2017-sinusoid").with_overrides(
                [f"training.inner_steps={steps}", f'training.algorithm="{algorithm}"', "training.baseline=false",
                 f'training.device="{args.device}"'])
            engine = Trainer(config, threads=torch.get_num_threads())
            first_order = algorithm == "fomaml"
            contenders = {"loop": PerTaskLoopMAML(engine, first_order).step,
                          "vmap": StraightVmapMAML(engine, first_order).step, "engine": engine.train_iteration}
            results = {name: [] for name in contenders}
            for _ in range(args.rounds):
                for name, step in contenders.items():
                    results[name].append(rate(step, args.seconds))
            med = {name: statistics.median(v) for name, v in results.items()}
            order = "first" if first_order else "second"
            print(f"{steps:>11} {order:>6} {med['loop']:>14.1f} {med['vmap']:>10.1f} {med['engine']:>9.1f} "
                  f"{med['engine'] / med['loop']:>11.1f}x {med['engine'] / med['vmap']:>11.1f}x", flush=True)


if __name__ == "__main__":
    main()
