"""The app while it trains: meta-training speed and how responsive the window stays.

Three phases of ``--seconds`` each, in one process, on the ``finn2017-sinusoid`` preset
(1-40-40-1 ReLU, 25 tasks, second-order MAML) on the CPU:

1. headless: ``Trainer.run`` on the main thread, as the CLI runs it (the baseline);
2. app: the main window (offscreen unless a display is given) trains through its worker
   thread while the meta-loss, adaptation and playground curves update live (the playground
   adapts 10 sampled support points to every snapshot);
3. app, idle: the same window with nothing training, for the event-loop baseline.

For the app phases a 10 ms QTimer measures how late the event loop serves it (the delay a
click or key press would see) and the time the GUI thread spends drawing each training
report. Prints iterations/s, the slow-down against headless, lateness p50/p95/p99/max for
training and idle, the ticks later than 30 ms, and the garbage-collector pauses seen meanwhile
(any thread: a collection holds the GIL, so the GUI waits for it too).

    python benchmarks/ui_latency.py [--seconds 8] [--threads N]
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import tempfile
import threading
import time

TIMER_MS = 10
STALL_MS = 30


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))] if ordered else float("nan")


def lateness_line(label: str, late: list[float]) -> str:
    if not late:
        return f"  event loop lateness, {label:8s} no ticks"
    over = sum(1 for v in late if v > STALL_MS)
    return (f"  event loop lateness, {label:8s} p50 {percentile(late, 50):5.1f}  p95 {percentile(late, 95):5.1f}"
            f"  p99 {percentile(late, 99):5.1f}  max {max(late):6.1f} ms  ({len(late)} ticks, {over} over {STALL_MS} ms)")


class GcPauses:
    """Durations of the collector's runs (generation 2 are the long ones), from gc.callbacks."""

    def __init__(self) -> None:
        self.pauses: list[tuple[int, float]] = []
        self._started: dict[int, float] = {}
        self.recording = False

    def __call__(self, phase: str, info: dict) -> None:
        if not self.recording:
            return
        key = threading.get_ident()
        if phase == "start":
            self._started[key] = time.perf_counter()
        elif key in self._started:
            self.pauses.append((info["generation"], (time.perf_counter() - self._started.pop(key)) * 1000))

    def summary(self) -> str:
        if not self.pauses:
            return "none"
        by_gen = {g: [ms for gen, ms in self.pauses if gen == g] for g in sorted({g for g, _ in self.pauses})}
        return ", ".join(f"gen{g}: {len(v)} runs, max {max(v):.1f} ms" for g, v in by_gen.items())


def headless_rate(config, seconds: float, threads: int) -> float:
    from maml_gui.core.training import Trainer

    trainer = Trainer(config, device="cpu", threads=threads)
    for _ in trainer.run(iterations=50):  # warm-up
        pass
    start_iteration, started = trainer.iteration, time.perf_counter()
    for _ in trainer.run(iterations=10**8):
        if time.perf_counter() - started >= seconds:
            break
    return (trainer.iteration - start_iteration) / (time.perf_counter() - started)


class LatencyProbe:
    """A repeating timer that records how late each timeout arrives, in milliseconds."""

    def __init__(self) -> None:
        from PySide6.QtCore import QTimer

        self.late_ms: list[float] = []
        self._timer = QTimer()
        self._timer.setInterval(TIMER_MS)
        self._timer.timeout.connect(self._tick)
        self._last = 0.0

    def start(self) -> None:
        self.late_ms.clear()
        self._last = time.perf_counter()
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()

    def _tick(self) -> None:
        now = time.perf_counter()
        self.late_ms.append(max(0.0, (now - self._last) * 1000 - TIMER_MS))
        self._last = now


def run_event_loop(app, seconds: float) -> None:
    from PySide6.QtCore import QEventLoop, QTimer

    loop = QEventLoop()
    QTimer.singleShot(int(seconds * 1000), loop.quit)
    loop.exec()


def prefill_loss_plot(plot, count: int) -> None:
    """``count`` iterations numbered -count..-1, with losses shaped like a real run's."""
    import numpy as np

    rng = np.random.default_rng(0)
    iterations = np.arange(-count, 0, dtype=np.float64)
    decay = np.exp(-np.linspace(0.0, 5.0, count))
    after = 0.3 + 3.0 * decay + 0.2 * rng.random(count)
    plot.reset()
    plot._add_training(iterations, 3.0 + rng.random(count), after)
    plot._redraw()


def _quiet_offscreen(mode, context, message: str) -> None:
    """Drop the offscreen platform's 'does not support propagateSizeHints' noise; print the rest."""
    if "propagateSizeHints" not in message:
        print(message, file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--threads", type=int, default=0, help="torch threads for training (0: all cores but one)")
    parser.add_argument("--prefill", type=int, default=0, metavar="N",
                        help="draw N earlier iterations in the meta-loss plot first, as in a long run")
    parser.add_argument("--no-autosave", action="store_true",
                        help="train without a run directory (by default the run autosaves at each validation)")
    args = parser.parse_args(argv)
    if args.seconds <= 0:
        parser.error("--seconds must be > 0")
    if args.prefill < 0:
        parser.error("--prefill must be >= 0")
    if "DISPLAY" not in os.environ and "WAYLAND_DISPLAY" not in os.environ:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

    from PySide6.QtCore import QSettings, qInstallMessageHandler
    from PySide6.QtWidgets import QApplication

    from maml_gui.core.device import default_threads
    from maml_gui.core.presets import load_preset
    from maml_gui.qt import settings as keys
    from maml_gui.qt.app import configure_application
    from maml_gui.qt.main_window import MainWindow
    from maml_gui.qt.session import TrainingState

    qInstallMessageHandler(_quiet_offscreen)
    app = QApplication(sys.argv[:1])
    configure_application(app)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, tempfile.mkdtemp())  # leave the user's alone
    threads = args.threads or default_threads(leave_free=1)
    config = load_preset("finn2017-sinusoid").with_overrides(
        ["training.iterations=100000000", "training.device=\"cpu\"", f"training.threads={threads}"])

    headless = headless_rate(config, args.seconds, threads)

    window = MainWindow()
    window.settings.set(keys.CONFIRM_DISCARD, False)
    window.resize(1440, 920)
    window.show()
    window.session.new_experiment(config)
    window.playground.sample_task()
    if not args.no_autosave:  # the run gets a directory, so training autosaves into it
        assert window.session.save_run(os.path.join(tempfile.mkdtemp(), "run"))
    probe = LatencyProbe()
    draw_ms: list[float] = []
    original = window.session._on_progress

    def timed_progress(progress):  # the GUI thread's whole share of one report
        started = time.perf_counter()
        original(progress)
        draw_ms.append((time.perf_counter() - started) * 1000)

    window.session.start_training()
    if args.prefill:  # before any report is drawn, so the iterations stay in order
        prefill_loss_plot(window.loss_plot, args.prefill)
    reports = window.session.training  # measure the session's report handling and everything it triggers
    reports.progressed.disconnect(original)
    reports.progressed.connect(timed_progress)
    run_event_loop(app, 1.0)  # warm-up
    gc_pauses = GcPauses()
    gc.callbacks.append(gc_pauses)
    start_iteration, started = window.session.iteration, time.perf_counter()
    gc_pauses.recording = True
    probe.start()
    run_event_loop(app, args.seconds)
    probe.stop()
    gc_pauses.recording = False
    app_rate = (window.session.iteration - start_iteration) / (time.perf_counter() - started)
    training_late = list(probe.late_ms)
    window.session.stop_and_wait()
    assert window.session.state is TrainingState.IDLE

    probe.start()
    run_event_loop(app, min(args.seconds, 3.0))
    probe.stop()
    idle_late = list(probe.late_ms)
    window.close()

    print(f"finn2017-sinusoid, CPU, {threads} torch thread(s), {os.cpu_count()} cores, {args.seconds:g} s per phase, "
          f"autosave {'off' if args.no_autosave else 'at each validation'}"
          + (f", meta-loss plot prefilled with {args.prefill:,} iterations" if args.prefill else ""))
    print(f"  headless Trainer.run        {headless:8.0f} it/s")
    print(f"  app, training + live plots  {app_rate:8.0f} it/s  ({app_rate / headless:.0%} of headless)")
    print(f"  GUI time per report         p50 {percentile(draw_ms, 50):5.1f} ms  p95 {percentile(draw_ms, 95):5.1f} ms"
          f"  max {max(draw_ms, default=float('nan')):5.1f} ms  ({len(draw_ms)} reports)")
    print(lateness_line("training", training_late))
    print(lateness_line("idle", idle_late))
    print(f"  GC pauses while training    {gc_pauses.summary()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
