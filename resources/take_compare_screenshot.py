"""Take assets/compare-runs.png and assets/compare-sweep-view.png: the window comparing the runs
of a sweep folder (grouped by an algorithm, mean and 95% band over seeds) and its sweep view.

    maml-gui sweep --preset finn2017-sinusoid --set training.iterations=3000 \\
        --set training.val_interval=100 --grid training.algorithm=maml,anil,reptile \\
        --seeds 0,1,2 --jobs 2 --out /tmp/sinusoid-sweep
    Xvfb :99 -screen 0 1600x1000x24 &
    DISPLAY=:99 QT_QPA_PLATFORM=xcb python resources/take_compare_screenshot.py /tmp/sinusoid-sweep [--out assets]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from take_screenshots import output_folder, shown_window, start_app, wait  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sweep", help="the sweep folder to open")
    parser.add_argument("--out", default="assets", help="folder for the PNGs")
    parser.add_argument("--group", default="training.algorithm", help="config field to group the runs by")
    args = parser.parse_args(argv)
    out = output_folder(parser, args)

    app = start_app()
    window = shown_window(1440, 900)
    wait(app, 1.0)
    window.runs.open_folder(args.sweep)
    wait(app, 60.0, until=lambda: window.runs.model.opened_runs() and not window.runs.model.is_loading())
    window.runs.results.hide()  # opened with the sweep; shot on its own below
    window.runs.model.set_group_fields((args.group,))
    wait(app, 1.5)
    window.grab().save(str(out / "compare-runs.png"))

    results = window.runs.results
    results.resize(1100, 560)
    results.show_tab("sweep")
    results.sweep_view.mode_combo.setCurrentText("Scatter: " + args.group)
    wait(app, 1.0)
    results.grab().save(str(out / "compare-sweep-view.png"))
    results.show_tab("table")
    wait(app, 1.0)
    results.grab().save(str(out / "compare-results-table.png"))
    print(f"wrote {out / 'compare-runs.png'}, {out / 'compare-sweep-view.png'} and {out / 'compare-results-table.png'} "
          f"({len(window.runs.model.opened_runs())} runs)")
    window.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
