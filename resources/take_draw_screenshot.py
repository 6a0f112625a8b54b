"""Take the README screenshot of the image playground (run under X, e.g. Xvfb).

    maml-gui train --preset glyphs-5way-1shot --iterations 600 --out /tmp/glyphs-run
    Xvfb :99 -screen 0 1600x1000x24 &
    DISPLAY=:99 QT_QPA_PLATFORM=xcb python resources/take_draw_screenshot.py /tmp/glyphs-run [--out assets]

The window opens the run (a Conv-4 classifier meta-trained on the built-in glyphs by the CLI),
and its "Draw your own task" tab gets five characters drawn with mouse events along wobbly,
hand-like strokes (one example each) and three test characters, each a new drawing of one of
them. ``draw-playground.png`` is the whole window once the probabilities are shown;
``draw-sample-task.png`` the "Sample task" tab. Settings go to a temporary folder.
"""

from __future__ import annotations

import argparse
import math
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from take_screenshots import output_folder, shown_window, start_app, wait  # noqa: E402


def hand(points, rng: random.Random, wobble: float = 0.004) -> list[tuple[float, float]]:
    """``points`` resampled densely with a slow random wobble, as a hand draws them."""
    out, drift = [], [0.0, 0.0]
    for (x0, y0), (x1, y1) in zip(points, points[1:]):
        steps = max(2, int(math.hypot(x1 - x0, y1 - y0) / 0.015))
        for i in range(steps):
            drift = [0.85 * d + rng.gauss(0, wobble) for d in drift]
            t = i / steps
            out.append((x0 + (x1 - x0) * t + drift[0], y0 + (y1 - y0) * t + drift[1]))
    out.append(points[-1])
    return [(min(max(x, 0.0), 1.0), min(max(y, 0.0), 1.0)) for x, y in out]


def arc(cx, cy, rx, ry, start, end, n=24):
    return [(cx + rx * math.cos(start + (end - start) * i / n), cy + ry * math.sin(start + (end - start) * i / n))
            for i in range(n + 1)]


CHARACTERS = {  # five made-up characters, as strokes in pad coordinates (y down)
    "hook": [[(0.35, 0.15), (0.35, 0.7)] + arc(0.5, 0.7, 0.15, 0.15, math.pi, 0)[1:]],
    "eye": [arc(0.5, 0.5, 0.3, 0.22, 0, 2 * math.pi), [(0.5, 0.42), (0.5, 0.58)]],
    "fork": [[(0.5, 0.85), (0.5, 0.45), (0.25, 0.15)], [(0.5, 0.45), (0.75, 0.15)]],
    "zig": [[(0.2, 0.25), (0.8, 0.25), (0.2, 0.75), (0.8, 0.75)]],
    "wave": [[(0.15, 0.5)] + arc(0.32, 0.5, 0.17, 0.2, math.pi, 2 * math.pi)[1:]
             + arc(0.66, 0.5, 0.17, 0.2, math.pi, 0)[1:]],
}
TESTS = ("fork", "eye", "zig")


def draw_strokes(app, pad, strokes) -> None:
    from PySide6.QtCore import QPointF, Qt
    from PySide6.QtGui import QMouseEvent
    from PySide6.QtWidgets import QApplication

    left, none = Qt.MouseButton.LeftButton, Qt.MouseButton.NoButton
    for points in strokes:
        for i, point in enumerate(points):
            kind = (QMouseEvent.Type.MouseButtonPress if i == 0 else QMouseEvent.Type.MouseButtonRelease
                    if i == len(points) - 1 else QMouseEvent.Type.MouseMove)
            pos = QPointF(pad.to_widget(point))
            button = none if kind == QMouseEvent.Type.MouseMove else left
            buttons = none if kind == QMouseEvent.Type.MouseButtonRelease else left
            QApplication.sendEvent(pad, QMouseEvent(kind, pos, QPointF(pad.mapToGlobal(pos.toPoint())), button,
                                                    buttons, Qt.KeyboardModifier.NoModifier))
        app.processEvents()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", help="a glyphs-5way-1shot run directory made with the CLI")
    parser.add_argument("--out", default="assets", help="folder for the PNGs")
    args = parser.parse_args(argv)
    out = output_folder(parser, args)

    from maml_gui.qt.playground.draw_playground import DrawPlaygroundWidget

    app = start_app()
    window = shown_window(1440, 920)
    if not window.session.open_run(args.run):
        parser.error(f"cannot open {args.run}")
    wait(app, 1.0)
    playground = window.playground_host.current()
    if not isinstance(playground, DrawPlaygroundWidget):
        parser.error(f"{args.run} is not an image classification run")
    draw = playground.draw
    rng = random.Random(3)
    for n, strokes in enumerate(CHARACTERS.values()):
        draw.select(("support", n, 0))
        draw_strokes(app, draw.pad, [hand(s, rng) for s in strokes])
    for t, name in enumerate(TESTS):
        draw.select(("test", 0, t))
        draw_strokes(app, draw.pad, [hand(s, rng, 0.007) for s in CHARACTERS[name]])
    draw.select(("test", 0, len(TESTS) - 1))
    wait(app, 20.0, until=lambda: draw.last_result is not None and draw.last_result.request_id == draw._runner.latest_id
         and draw.last_result.probabilities is not None)
    wait(app, 0.5)
    window.grab().save(str(out / "draw-playground.png"))
    playground.tabs.setCurrentWidget(playground.sample)
    sample = playground.sample
    wait(app, 20.0, until=lambda: sample.last_result is not None and sample.last_result.probabilities is not None
         and sample.last_result.request_id == sample._runner.latest_id)
    wait(app, 0.5)
    playground.grab().save(str(out / "draw-sample-task.png"))
    print(f"wrote {out / 'draw-playground.png'} and {out / 'draw-sample-task.png'} "
          f"(model at iteration {window.session.iteration})")
    window.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
