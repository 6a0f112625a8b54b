"""Is core/resources.py's memory estimate an upper bound? Measured peak vs estimate.

Each config trains a few iterations (with validation) in a fresh subprocess; the peak resident
memory it adds over the imported interpreter (ru_maxrss after minus the resident size before
building the trainer) is printed next to the estimate, with their ratio (estimate / measured;
above 1 means the estimate is safe).

    python benchmarks/memory_estimate.py
"""

from __future__ import annotations

import json
import subprocess
import sys

CONFIGS = [
    {"model": {"hidden": [40, 40]}, "training": {"meta_batch": 25, "inner_steps": 1}},
    {"model": {"hidden": [256, 256]}, "training": {"meta_batch": 25, "inner_steps": 5}},
    {"model": {"hidden": [512, 512]}, "training": {"meta_batch": 50, "inner_steps": 3}},
    {"model": {"hidden": [64, 64, 64]}, "training": {"meta_batch": 200, "inner_steps": 10}, "task": {"queries": 200}},
    {"model": {"hidden": [1024]}, "training": {"meta_batch": 100, "inner_steps": 2, "algorithm": "fomaml", "inner_lr": 0.001}},
]

CHILD = r"""
import json, resource, sys, torch
torch.set_num_threads(1)
from maml_gui.core.config import from_dict
from maml_gui.core.resources import training_bytes
from maml_gui.core.training import Trainer
data = json.loads(sys.argv[1])
data.setdefault("training", {}).update({"iterations": 3, "val_interval": 3, "val_tasks": 200})
config = from_dict(data)
page = __import__("os").sysconf("SC_PAGE_SIZE")
before = int(open("/proc/self/statm").read().split()[1]) * page
for _ in Trainer(config, threads=1).run():
    pass
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(json.dumps({"measured": peak - before, "estimate": training_bytes(config)}))
"""


def main() -> None:
    print(f"{'config':<78} {'measured MiB':>12} {'estimate MiB':>12} {'ratio':>6}")
    for data in CONFIGS:
        out = subprocess.run([sys.executable, "-c", CHILD, json.dumps(data)], capture_output=True, text=True,
                             check=True).stdout
        figures = json.loads(out.strip().splitlines()[-1])
        measured, estimate = figures["measured"] / 2**20, figures["estimate"] / 2**20
        print(f"{json.dumps(data):<78} {measured:>12.1f} {estimate:>12.1f} {estimate / max(measured, 1e-9):>6.2f}")


if __name__ == "__main__":
    main()
