"""Take the README screenshot of the 2-D classification playground in the real window (run under X).

    Xvfb :99 -screen 0 1600x1000x24 &
    DISPLAY=:99 QT_QPA_PLATFORM=xcb python resources/take_classify_points_screenshot.py [RUN] [--out assets]

Without RUN the app meta-trains the ``points-3way-5shot`` preset itself (``--iterations``, one
thread); with RUN (e.g. made by ``maml-gui train --preset points-3way-5shot --out RUN``) it opens
that run (File > Open Run). Then it samples a 3-way 5-shot task in the playground, clicks two
more points of class 2, turns the pretrained baseline on and shows step 3 of 10, and writes
``classify-points.png`` (the window). Settings go to a temporary folder.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from take_screenshots import click_at, output_folder, shown_window, start_app, wait  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", nargs="?", help="a run directory of a 2-D points classifier (default: train one)")
    parser.add_argument("--iterations", type=int, default=1500, help="meta-training in the app without RUN")
    parser.add_argument("--out", default="assets", help="folder for the PNG")
    parser.add_argument("--seed", type=int, default=3, help="which task Sample task draws")
    args = parser.parse_args(argv)
    out = output_folder(parser, args)

    from PySide6.QtCore import Qt

    from maml_gui.qt.playground.classify_points import ClassifyPointsWidget
    from maml_gui.qt.playground.prediction import BASELINE_PRETRAINED
    from maml_gui.qt.session import TrainingState

    app = start_app()
    window = shown_window(1440, 900)
    wait(app, 1.0)
    if args.run is None:
        window.load_preset("points-3way-5shot")
        window.session.set_config(window.session.config.with_overrides(
            [f"training.iterations={args.iterations}", "training.threads=1"]))
        window.window_actions.start.trigger()
        wait(app, 900.0, until=lambda: window.session.iteration >= args.iterations
             and window.session.state is TrainingState.IDLE)
    elif not window.files.open_run(args.run):
        parser.error(f"could not open {args.run}")
    wait(app, 1.0)
    docks = window.docks  # shorter curve docks: room for the playground
    window.resizeDocks([docks["meta_loss"]], [230], Qt.Orientation.Vertical)
    playground = window.playground_host.current()
    if not isinstance(playground, ClassifyPointsWidget):
        parser.error(f"{args.run or 'the preset'} is not a 2-D points classification run "
                     f"(the window shows {type(playground).__name__})")
    playground.controls.steps_spin.setValue(10)
    playground._generator.manual_seed(args.seed)
    playground.sample_task()
    playground.controls.set_baseline_mode(BASELINE_PRETRAINED)
    wait(app, 1.0)
    xs = [p[0] for p in playground.points()]
    ys = [p[1] for p in playground.points()]
    playground.set_class(1)
    for dx in (-1.2, 1.2):  # two more points of class 2, below the task's points
        click_at(playground.plot, sum(xs) / len(xs) + dx, min(ys) - 1.5)
        wait(app, 0.3)
    playground.set_step(3)
    done = []
    playground.allStepsShown.connect(done.append)
    wait(app, 30.0, until=lambda: bool(done))
    wait(app, 0.5)
    window.grab().save(str(out / "classify-points.png"))
    accuracy = playground.last_result.accuracy
    print(f"wrote {out / 'classify-points.png'} (query accuracy after 0..10 steps: "
          f"{', '.join(f'{a:.0%}' for a in accuracy)})")
    window.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
