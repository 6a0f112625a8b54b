"""Take the README's classification screenshots of the real window (run under X, e.g. Xvfb).

    Xvfb :99 -screen 0 1600x1000x24 &
    DISPLAY=:99 QT_QPA_PLATFORM=xcb python resources/take_classification_screenshots.py [--out assets]

Writes ``classification-task-panel.png`` (the Experiment dock on the ``glyphs-5way-1shot`` preset:
task kind, family, N ways, K shots, Q queries, the N x K grid of a sampled task's support images,
Conv-4 chosen for the images) and ``window-classification.png`` (the whole window after training
``points-3way-5shot`` for a while: accuracy curves in the Meta-loss and Adaptation docks, the
points preview). Settings go to a temporary folder, so the user's are left alone.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from take_screenshots import output_folder, shown_window, start_app, wait  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="assets", help="folder for the PNGs")
    parser.add_argument("--train-seconds", type=float, default=20.0, help="training before the window shot")
    args = parser.parse_args(argv)
    out = output_folder(parser, args)

    from maml_gui.qt.session import TrainingState

    app = start_app()
    window = shown_window(1440, 920)

    # 1. the task panel on the glyphs preset, its preview an N x K grid of support images
    window.load_preset("glyphs-5way-1shot")
    config = window.session.config
    window.session.set_config(config.with_overrides(["task.shots=3"]))  # a grid with more than one column
    preview = window.config_panel.task.class_preview
    wait(app, 10.0, until=lambda: preview.preview is not None and preview.shown_task == window.session.config.task)
    wait(app, 0.5)
    window.config_panel.verticalScrollBar().setValue(0)
    window.docks["experiment"].grab().save(str(out / "classification-task-panel.png"))

    # 2. the window while 2-D points train: accuracy curves, the points preview, the playground host
    window.load_preset("points-3way-5shot")
    window.session.set_config(window.session.config.with_overrides(["training.threads=1", "training.val_interval=100"]))
    wait(app, 1.0)
    window.window_actions.start.trigger()
    wait(app, args.train_seconds)
    window.window_actions.stop.trigger()
    wait(app, 10.0, until=lambda: window.session.state is TrainingState.IDLE)
    wait(app, 1.0)
    window.grab().save(str(out / "window-classification.png"))
    print(f"wrote {out / 'classification-task-panel.png'} and {out / 'window-classification.png'} "
          f"(points model at iteration {window.session.iteration})")
    window.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
