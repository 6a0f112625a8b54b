"""Take the README's sweep and model-comparison screenshots of the real app (run under X).

    Xvfb :99 -screen 0 1600x1000x24 &
    DISPLAY=:99 QT_QPA_PLATFORM=xcb python resources/take_sweep_screenshots.py [--out assets]

Writes ``sweep-dialog.png`` (Training > Sweep… varying inner lr and algorithm over two seeds),
``sweep-progress.png`` (that sweep running in worker processes: trials done, each trial's status,
live meta-loss curves) and ``compare-models.png`` (two of its trials, MAML and ANIL, adapting to
the same ten points of a sampled sinusoid (the preset's K = 10), with the MSE after each inner step). The sweep goes
to a temporary folder unless ``--sweep-dir`` is given; settings to a temporary folder.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from take_screenshots import output_folder, start_app, wait  # noqa: E402

GRID = (("training.inner_lr", "0.003,0.01"), ("training.algorithm", "maml,anil"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="assets", help="folder for the PNGs")
    parser.add_argument("--iterations", type=int, default=3000, help="meta-training iterations of each trial")
    parser.add_argument("--jobs", type=int, default=2, help="trials trained at once")
    parser.add_argument("--sweep-dir", help="the sweep folder (default: a new temporary one)")
    args = parser.parse_args(argv)
    out = output_folder(parser, args)

    from maml_gui.core.presets import load_preset
    from maml_gui.qt.app import create_window

    app = start_app()
    window = create_window()
    window.move(0, 0)
    window.resize(1280, 820)
    config = load_preset("finn2017-sinusoid").with_overrides(
        [f"training.iterations={args.iterations}", "training.val_interval=100", "evaluation.tasks=100"])
    window.session.new_experiment(config)
    window.show()
    wait(app, 1.0)
    sweep_dir = Path(args.sweep_dir or tempfile.mkdtemp(prefix="maml-sweep-")) / "inner_lr-x-algorithm"
    dialog_shot = {}

    def run_dialog(dialog):
        dialog.rows[0].set_field(*GRID[0])
        for key, values in GRID[1:]:
            dialog.add_row(key, values)
        dialog.seeds.setText("0,1")
        dialog.jobs.setValue(args.jobs)
        dialog.out.setText(str(sweep_dir))
        dialog.check()
        dialog.show()
        wait(app, 0.5)
        dialog_shot["image"] = dialog.grab()
        return dialog.check()

    window.sweeps.run_dialog = run_dialog
    window.sweeps.sweep_action.trigger()
    dialog_shot["image"].save(str(out / "sweep-dialog.png"))
    job, view = window.sweeps.job, window.sweeps.window
    view.move(40, 40)
    wait(app, 600, until=lambda: job.done_count() >= 3)
    view.grab().save(str(out / "sweep-progress.png"))
    wait(app, 1200, until=lambda: not job.is_running())

    playground = window.playground
    playground._generator.manual_seed(4)
    playground.sample_task()
    playground.controls.steps_spin.setValue(5)
    names = [t.name for t in job.trials if t.values["training.inner_lr"] == 0.01 and t.seed == 0]
    compare = window.compare.open([sweep_dir / name for name in names])
    compare.move(60, 60)
    wait(app, 10, until=lambda: compare.last_result is not None and len(compare.shown_models()) == len(names))
    wait(app, 1.0)
    compare.grab().save(str(out / "compare-models.png"))
    window.close()
    print(f"sweep in {sweep_dir}; screenshots in {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
