"""Take assets/first-launch.png: the app's first start (fresh settings), the bundled model
adapting to five points clicked on a sampled sinusoid — what a newcomer sees before training.

    Xvfb :99 -screen 0 1600x1000x24 &
    DISPLAY=:99 QT_QPA_PLATFORM=xcb python resources/take_first_launch_screenshot.py [--out assets]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from take_screenshots import click_at, output_folder, start_app, wait  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="assets", help="folder for the PNG")
    args = parser.parse_args(argv)
    out = output_folder(parser, args)

    import torch

    from maml_gui.qt.app import create_window
    from maml_gui.qt.playground.prediction import BASELINE_PRETRAINED

    app = start_app()
    window = create_window()  # no last config, no run: the first start, with the bundled model
    window.move(0, 0)
    window.resize(1440, 900)
    window.show()
    wait(app, 1.5)
    window.playground._generator.manual_seed(1)
    window.playground.sample_task()
    window.playground.clear_points()  # keep the task's dashed curve, click our own points on it
    wait(app, 0.3)
    window.playground.controls.set_baseline_mode(BASELINE_PRETRAINED)
    task = window.playground.true_task
    for x in (-2.6, -1.0, 0.6, 2.2, 3.8):
        click_at(window.playground.plot, x, float(task.true_function(torch.tensor([x]))[0, 0, 0]))
        wait(app, 0.2)
    wait(app, 2.0)
    window.grab().save(str(out / "first-launch.png"))
    print(f"wrote {out / 'first-launch.png'}")
    window.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
