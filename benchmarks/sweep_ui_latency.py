"""How responsive the window stays while a sweep started from the app trains in worker processes.

Two phases of ``--seconds`` each, in one process, on the ``finn2017-sinusoid`` preset:

1. idle: the main window shown, nothing running (the baseline);
2. sweep: Training > Sweep… with ``--jobs`` trials at a time (inner lr × 2 values × seeds, long
   trials saving every 100 iterations), its progress window and the Runs panel taking each trial's
   curves as it saves; measured once the workers report.

A 10 ms QTimer measures how late the event loop serves it (the delay a click would see).
Prints lateness p50/p95/p99/max for both phases, the p95 ratio sweep / idle, the reports and
curves the window took, and the trials' iterations per second together. The sweep is stopped
at the end (its folder is temporary).

    python benchmarks/sweep_ui_latency.py [--seconds 10] [--jobs 2]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from ui_latency import LatencyProbe, _quiet_offscreen, lateness_line, percentile, run_event_loop  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--no-live", action="store_true", help="the window takes no curves (only progress): "
                        "what the live curves cost")
    args = parser.parse_args(argv)
    if args.seconds <= 0 or args.jobs < 1:
        parser.error("--seconds must be > 0 and --jobs >= 1")
    if "DISPLAY" not in os.environ and "WAYLAND_DISPLAY" not in os.environ:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

    from PySide6.QtCore import QSettings, qInstallMessageHandler
    from PySide6.QtWidgets import QApplication

    from maml_gui.core.presets import load_preset
    from maml_gui.core.sweep_plan import plan_sweep
    from maml_gui.qt import settings as keys
    from maml_gui.qt.app import configure_application
    from maml_gui.qt.main_window import MainWindow
    from maml_gui.qt.sweep.dialog import SweepRequest

    qInstallMessageHandler(_quiet_offscreen)
    app = QApplication(sys.argv[:1])
    configure_application(app)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, tempfile.mkdtemp())
    config = load_preset("finn2017-sinusoid").with_overrides(
        ["training.iterations=1000000", "training.val_interval=100", "training.device=\"cpu\""])
    window = MainWindow()
    window.settings.set(keys.CONFIRM_DISCARD, False)
    window.resize(1440, 920)
    window.show()
    window.session.new_experiment(config)
    probe = LatencyProbe()
    run_event_loop(app, 1.0)  # warm-up
    probe.start()
    run_event_loop(app, args.seconds)
    probe.stop()
    idle = list(probe.late_ms)

    seeds = ",".join(str(s) for s in range(max(1, args.jobs)))
    plan = plan_sweep(config, ["training.inner_lr=0.003,0.01"], seeds)
    job = window.sweeps.start(SweepRequest(plan, Path(tempfile.mkdtemp()) / "sweep", args.jobs))
    started = time.perf_counter()
    while sum(s.iteration > 0 for s in job.status.values()) < min(args.jobs, len(plan.trials)):
        app.processEvents()
        time.sleep(0.01)
        if time.perf_counter() - started > 300:
            print("the workers did not start within 300 s", file=sys.stderr)
            window.sweeps.shutdown()
            return 1
    print(f"workers reporting {time.perf_counter() - started:.1f} s after Start ({args.jobs} jobs)")
    if args.no_live:
        job.runRead.disconnect()
        job.curveRead.disconnect()
    reports = {"runs": 0}
    model_ms: list[float] = []
    add_many = window.runs.model.add_many

    def timed_add(runs):  # the GUI thread's whole share of taking a batch of trial saves into the Runs panel
        begun = time.perf_counter()
        add_many(runs)
        model_ms.append((time.perf_counter() - begun) * 1000)
        reports["runs"] += len(runs)

    if not args.no_live:
        window.sweeps.runsRead.disconnect(add_many)
        window.sweeps.runsRead.connect(timed_add)
    before = sum(s.iteration for s in job.status.values())
    probe.start()
    measure_start = time.perf_counter()
    run_event_loop(app, args.seconds)
    probe.stop()
    elapsed = time.perf_counter() - measure_start
    during = list(probe.late_ms)
    iterations = sum(s.iteration for s in job.status.values()) - before
    stop_started = time.perf_counter()
    stopped = window.sweeps.shutdown()
    stop_s = time.perf_counter() - stop_started

    print(lateness_line("idle", idle))
    print(lateness_line("sweep", during))
    ratio = percentile(during, 95) / max(percentile(idle, 95), 0.1)
    print(f"  p95 lateness sweep / idle: {ratio:.2f}x (idle p95 floored at 0.1 ms)")
    print(f"  {reports['runs']} trial saves read into the Runs panel, {iterations / elapsed:.0f} iterations/s "
          f"over {args.jobs} trials")
    if model_ms:
        print(f"  Runs panel update per batch ({len(model_ms)} batches): p50 {percentile(model_ms, 50):.1f}  "
              f"max {max(model_ms):.1f} ms")
    print(f"  Stop: workers saved and ended in {stop_s:.1f} s ({'ok' if stopped else 'NOT STOPPED'})")
    window.close()
    return 0 if stopped else 1


if __name__ == "__main__":
    raise SystemExit(main())
