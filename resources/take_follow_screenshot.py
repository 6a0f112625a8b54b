"""Take assets/follow-live-run.png: the app following a run that `maml-gui train` writes in another
process (File > Follow Run…), curves growing and the playground adapting the latest autosave.

    Xvfb :99 -screen 0 1600x1000x24 &
    DISPLAY=:99 QT_QPA_PLATFORM=xcb python resources/take_follow_screenshot.py [--out assets]

The CLI run goes to a temporary folder and is stopped (Ctrl-C) once the shot is taken.
"""

from __future__ import annotations

import argparse
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from take_screenshots import click_at, output_folder, start_app, wait  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="assets", help="folder for the PNG")
    parser.add_argument("--follow-seconds", type=float, default=40.0, help="following before the shot")
    args = parser.parse_args(argv)
    out = output_folder(parser, args)
    run = Path(tempfile.mkdtemp(prefix="maml-follow-")) / "sinusoid-run"
    writer = subprocess.Popen([sys.executable, "-m", "maml_gui", "train", "--preset", "finn2017-sinusoid",
                               "--set", "training.autosave_interval=250", "--threads", "1", "--quiet",
                               "--out", str(run)])
    try:
        import torch

        from maml_gui.qt.app import create_window

        app = start_app()
        window = create_window()
        window.move(0, 0)
        window.resize(1440, 920)
        window.show()
        wait(app, 60.0, until=lambda: (run / "run.json").is_file())
        window.follower.follow(run)
        wait(app, args.follow_seconds)
        window.playground._generator.manual_seed(1)
        window.playground.sample_task()
        window.playground.clear_points()  # keep the task's dashed curve, click our own points on it
        task = window.playground.true_task
        for x in (-2.6, -1.0, 0.6, 2.2, 3.8):
            click_at(window.playground.plot, x, float(task.true_function(torch.tensor([x]))[0, 0, 0]))
            wait(app, 0.2)
        wait(app, 3.0)
        window.grab().save(str(out / "follow-live-run.png"))
        print(f"wrote {out / 'follow-live-run.png'} ({window.follower.label.text()})")
        window.close()
    finally:
        writer.send_signal(signal.SIGINT)
        writer.wait(60)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
