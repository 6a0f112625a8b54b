"""How long the app's process lives on after File > Quit (the window is gone by then).

Starts ``python -m maml_gui`` offscreen with a throw-away settings folder, optionally trains
(--train), quits through the Quit action after --after seconds and measures, from the moment
Quit is triggered, when the event loop returned and when the process ended. Prints one line
per run and the median::

    python benchmarks/app_exit.py --runs 5 [--train]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

DRIVER = """
import sys, time
from PySide6.QtCore import QTimer
import maml_gui.qt.app as app

train, after = sys.argv[1] == "1", float(sys.argv[2])
create = app.create_window

def create_and_schedule(run=None):
    window = create(run)
    window.settings.set(app.keys.CONFIRM_DISCARD, False)
    if train:
        QTimer.singleShot(int(after * 500), window.window_actions.start.trigger)
    def quit():
        print("QUIT", time.time(), flush=True)
        window.window_actions.quit.trigger()
    QTimer.singleShot(int(after * 1000), quit)
    return window

app.create_window = create_and_schedule
code = app.run_app()
print("LOOP_ENDED", time.time(), flush=True)
sys.exit(code)
"""


def measure(train: bool, after: float) -> tuple[float, float]:
    """Seconds from Quit to the end of the event loop, and to the end of the process."""
    with tempfile.TemporaryDirectory() as home:
        env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "HOME": home, "XDG_CONFIG_HOME": home,
               "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
        child = subprocess.Popen([sys.executable, "-c", DRIVER, "1" if train else "0", str(after)], env=env,
                                 stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        marks = {}
        for line in child.stdout:
            name, _, value = line.partition(" ")
            if name in ("QUIT", "LOOP_ENDED"):
                marks[name] = float(value)
        child.wait()
        ended = time.time()
    return marks["LOOP_ENDED"] - marks["QUIT"], ended - marks["QUIT"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--train", action="store_true", help="quit while training")
    parser.add_argument("--after", type=float, default=3.0, help="seconds after the start to quit")
    args = parser.parse_args()
    totals = []
    for run in range(args.runs):
        loop, total = measure(args.train, args.after)
        totals.append(total)
        print(f"run {run + 1}: event loop ended {loop * 1000:.0f} ms after Quit, process {total * 1000:.0f} ms")
    print(f"median: process ended {statistics.median(totals) * 1000:.0f} ms after Quit")


if __name__ == "__main__":
    main()
