"""Take the README screenshots of the real window (run under X, e.g. Xvfb).

    Xvfb :99 -screen 0 1600x1000x24 &
    DISPLAY=:99 QT_QPA_PLATFORM=xcb python resources/take_screenshots.py [--out assets]

Writes ``window-training.png`` (the main window while the ``finn2017-sinusoid`` preset trains,
curves visible), ``playground.png`` (the playground after some ten thousand iterations, with
five support points clicked on a sampled task's curve and the model adapted to them) and
``window-1024x640.png``, ``window-1440x920.png`` (the trained window at a small and a common size,
after View > Reset Layout). Settings go to a
temporary folder, so the user's are left alone.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path


WINDOW_SIZES = ((1024, 640), (1440, 920))


def wait(app, seconds: float, until=None) -> None:
    """Run the event loop for ``seconds`` (or until ``until()`` is true)."""
    end = time.monotonic() + seconds
    while time.monotonic() < end and not (until is not None and until()):
        app.processEvents()
        time.sleep(0.01)


def click_at(plot, x: float, y: float) -> None:
    """A left click on the plot at data coordinates (x, y), as the user would make it."""
    from PySide6.QtCore import QPointF, Qt
    from PySide6.QtGui import QMouseEvent
    from PySide6.QtWidgets import QApplication

    scene_point = plot.getPlotItem().vb.mapViewToScene(QPointF(x, y))
    local = QPointF(plot.mapFromScene(scene_point))
    viewport = plot.viewport()
    for kind, buttons in ((QMouseEvent.Type.MouseButtonPress, Qt.MouseButton.LeftButton),
                          (QMouseEvent.Type.MouseButtonRelease, Qt.MouseButton.NoButton)):
        event = QMouseEvent(kind, local, QPointF(viewport.mapToGlobal(local.toPoint())), Qt.MouseButton.LeftButton,
                            buttons, Qt.KeyboardModifier.NoModifier)
        QApplication.sendEvent(viewport, event)


def output_folder(parser: argparse.ArgumentParser, args) -> Path:
    """``args.out``, created; refuses to run without an X display."""
    if "DISPLAY" not in os.environ:
        parser.error("needs an X display (e.g. Xvfb :99, then DISPLAY=:99)")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    return out


def start_app():
    """The QApplication, set up as the app does, with settings in a temporary folder (the user's
    are left alone)."""
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    from maml_gui.qt.app import configure_application

    app = QApplication(sys.argv[:1])
    configure_application(app)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, tempfile.mkdtemp())
    return app


def shown_window(width: int = 1440, height: int = 920):
    """A MainWindow at the top left, ``width`` x ``height``, shown, that never asks before discarding."""
    from maml_gui.qt import settings as keys
    from maml_gui.qt.main_window import MainWindow

    window = MainWindow()
    window.settings.set(keys.CONFIRM_DISCARD, False)
    window.move(0, 0)
    window.resize(width, height)
    window.show()
    return window


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="assets", help="folder for the PNGs")
    parser.add_argument("--train-seconds", type=float, default=25.0, help="training before the window shot")
    parser.add_argument("--threads", type=int, default=1, help="torch threads for training (0: the config's)")
    args = parser.parse_args(argv)
    out = output_folder(parser, args)

    import torch

    from maml_gui.qt.playground.prediction import BASELINE_PRETRAINED
    from maml_gui.qt.session import TrainingState

    app = start_app()
    window = shown_window(1440, 900)
    window.load_preset("finn2017-sinusoid")
    if args.threads:  # a shared machine: training takes one core unless told otherwise
        config = window.session.config
        window.session.set_config(config.model_copy(
            update={"training": config.training.model_copy(update={"threads": args.threads})}))
    wait(app, 1.0)

    # 1. the window while training, with a sampled task in the playground
    window.playground._generator.manual_seed(9)
    window.playground.sample_task()
    window.window_actions.start.trigger()
    wait(app, args.train_seconds)
    window.grab().save(str(out / "window-training.png"))
    window.window_actions.stop.trigger()
    wait(app, 10.0, until=lambda: window.session.state is TrainingState.IDLE)

    # 2. the playground after training: a new task, its points cleared, five points clicked on
    #    its (dashed) true curve; the model and the pretrained baseline adapt to them
    window.playground._generator.manual_seed(1)  # a tall sinusoid, the same one each time
    window.playground.sample_task()
    window.window_actions.clear_points.trigger()
    window.playground.controls.set_baseline_mode(BASELINE_PRETRAINED)
    wait(app, 0.5)
    task = window.playground.true_task
    for x in (-2.6, -1.0, 0.6, 2.2, 3.8):
        y = float(task.true_function(torch.tensor([x]))[0, 0, 0])
        click_at(window.playground.plot, x, y)
        wait(app, 0.2)
    wait(app, 2.0)
    window.playground.grab().save(str(out / "playground.png"))

    # 3. the whole window at a small and a common size, as Reset Layout arranges it
    for width, height in WINDOW_SIZES:
        window.resize(width, height)
        wait(app, 0.5)
        window.reset_layout()
        wait(app, 1.0)
        window.grab().save(str(out / f"window-{width}x{height}.png"))
    print(f"wrote {out / 'window-training.png'}, {out / 'playground.png'} and the window at "
          f"{', '.join(f'{w}x{h}' for w, h in WINDOW_SIZES)} (model at iteration {window.session.iteration})")
    window.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
