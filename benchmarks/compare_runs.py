"""Comparing many runs: reading a folder of runs, and redrawing the meta-loss overlay.

Makes one small run with the engine, gives it a ``metrics.csv`` of ``--rows`` logged
iterations (7,000: a 70,000-iteration run logged every 10) and copies it ``--runs`` times
into a folder (seeds and meta learning rates varied in each copy's config), then measures, offscreen:

- reading the folder (:func:`~maml_gui.core.compared_run.find_run_folders` and
  :func:`~maml_gui.core.compared_run.read_compared_run`, what the Runs dock's worker thread
  does), per run;
- one redraw of the meta-loss overlay of every run (what a smoothing-slider step costs), one
  curve per run and grouped by algorithm (mean and 95% band), against the baseline in the same
  process: the single-run meta-loss plot drawing one run's history (``MetaLossPlot.reset``),
  as a ratio per run drawn. Target: a redraw of 50 runs within 100 ms.

    python benchmarks/compare_runs.py [--runs 50] [--rows 7000] [--repeats 5]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("OMP_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

TARGET_MS = 100.0
META_LRS = (0.0003, 0.001, 0.003, 0.01, 0.03)  # five groups (the weights fit every one)

def make_runs(folder: Path, runs: int, rows: int) -> Path:
    import numpy as np

    from maml_gui.core.checkpoint import save_trainer
    from maml_gui.core.config import from_dict
    from maml_gui.core.training import Trainer

    trainer = Trainer(from_dict({"model": {"hidden": [8]}, "training": {"iterations": 4, "meta_batch": 2,
                                 "val_interval": 2, "val_tasks": 4, "baseline": False}}), device="cpu", threads=1)
    for _ in trainer.run():
        pass
    template = save_trainer(folder / "template", trainer)
    rng = np.random.default_rng(0)
    iterations = np.arange(1, rows + 1) * 10
    lines = ["iteration,train_loss_before,train_loss_after,meta_lr,elapsed_s"]
    loss = 3.0 * np.exp(-iterations / 20_000) + rng.normal(0, 0.3, rows) ** 2
    lines += [f"{int(i)},3.0,{float(v)!r},0.001,{float(i) * 0.0015!r}" for i, v in zip(iterations, loss)]
    (template / "metrics.csv").write_text("\n".join(lines) + "\n")
    sweep = folder / "sweep"
    config = (template / "config.toml").read_text()
    for index in range(runs):
        run = Path(shutil.copytree(template, sweep / f"run{index:03d}"))
        meta_lr = META_LRS[index % len(META_LRS)]
        text = re.sub(r"(?m)^meta_lr = .*$", f"meta_lr = {meta_lr!r}", config)
        (run / "config.toml").write_text(re.sub(r"(?m)^seed = 0$", f"seed = {index // len(META_LRS)}", text))
    return sweep


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--rows", type=int, default=7000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)

    import torch

    torch.set_num_threads(1)
    from PySide6.QtWidgets import QApplication

    from maml_gui.core.compared_run import find_run_folders, read_compared_run
    from maml_gui.qt.app import configure_application
    from maml_gui.qt.plots.loss_panel import MetaLossPanel
    from maml_gui.qt.runs.compare_overlays import MetaLossOverlay
    from maml_gui.qt.runs.runs_model import RunsModel
    from maml_gui.qt.settings import AppSettings

    app = QApplication(sys.argv[:1])
    configure_application(app)
    with tempfile.TemporaryDirectory(prefix="compare-bench-") as tmp:
        sweep = make_runs(Path(tmp), args.runs, args.rows)
        start = time.perf_counter()
        found, problems = find_run_folders(sweep)
        compared = [read_compared_run(path, owner) for path, owner in found]
        read_s = time.perf_counter() - start
        assert not problems and len(compared) == args.runs, problems

        panel = MetaLossPanel(AppSettings())
        panel.resize(800, 400)
        panel.show()
        baseline = []
        for _ in range(args.repeats):
            start = time.perf_counter()
            panel.plot.reset(compared[0].history)
            app.processEvents()
            baseline.append(time.perf_counter() - start)
        panel.plot.reset()
        model = RunsModel()
        overlay = MetaLossOverlay(panel.plot, model, panel.smoothing_slider)
        model.add_many(compared)
        timings = {}
        for label, fields in (("one curve per run", None), ("grouped by meta_lr", ("training.meta_lr",))):
            model.set_group_fields(fields)
            samples = []
            for repeat in range(args.repeats):
                panel.smoothing_slider.blockSignals(True)  # (the app throttles the slider's redraws to one per 80 ms)
                panel.smoothing_slider.setValue(0.9 + 0.01 * (repeat % 5))
                panel.smoothing_slider.blockSignals(False)
                start = time.perf_counter()
                overlay.redraw()  # every run's smoothed curve again, as a slider step does
                app.processEvents()
                samples.append(time.perf_counter() - start)
            timings[label] = statistics.median(samples)
            assert overlay.active and overlay.items
    single = statistics.median(baseline)
    print(f"{args.runs} runs of {args.rows:,} logged iterations; torch threads 1; offscreen")
    print(f"read the folder: {read_s:.2f} s ({read_s / args.runs * 1000:.1f} ms per run, off the UI thread in the app)")
    print(f"baseline, single-run plot drawing one run: {single * 1000:.1f} ms")
    for label, seconds in timings.items():
        per_run = seconds / args.runs
        verdict = "meets" if seconds * 1000 <= TARGET_MS else "misses"
        print(f"overlay redraw, {label}: {seconds * 1000:.1f} ms ({per_run * 1000:.2f} ms per run, "
              f"{per_run / single:.2f}x the single-run draw per run); {verdict} the {TARGET_MS:.0f} ms target")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
