"""Small configs, a signal recorder and a quiet main window shared by the Qt tests."""

from __future__ import annotations

from PySide6.QtCore import QObject, SignalInstance, Slot

from maml_gui.core.config import ExperimentConfig, from_dict


def tiny_config(iterations: int = 40, **training) -> ExperimentConfig:
    """A sinusoid experiment that trains in well under a second on one core."""
    settings = {"iterations": iterations, "val_interval": 20, "val_tasks": 8, "meta_batch": 4, "log_every": 1,
                "device": "cpu", "threads": 1, **training}
    return from_dict({"name": "tiny", "model": {"hidden": [8, 8]}, "training": settings,
                      "evaluation": {"inner_steps": 3, "queries": 10}})


def slow_config(**training) -> ExperimentConfig:
    """Trains long enough (many iterations) to be stopped, paused or saved midway."""
    return tiny_config(iterations=1_000_000, val_interval=1_000_000, **training)


class SignalRecorder(QObject):
    """Records what each named signal carries, in order, through @Slot receivers as the app's own
    are: ``SignalRecorder(states=session.state_changed, done=job.done).states`` is a list (a
    signal without arguments records ``None`` per emission)."""

    def __init__(self, **signals: SignalInstance) -> None:
        super().__init__()
        self._sinks: dict[str, _Sink] = {}
        for name, signal in signals.items():
            sink = _Sink(self)
            signal.connect(sink.take)
            self._sinks[name] = sink

    def __getattr__(self, name: str) -> list:
        sinks = self.__dict__.get("_sinks")
        if sinks is None or name not in sinks:
            raise AttributeError(name)
        return sinks[name].values


class _Sink(QObject):
    def __init__(self, parent: QObject) -> None:
        super().__init__(parent)
        self.values: list = []

    @Slot()
    @Slot(object)
    def take(self, value=None) -> None:
        self.values.append(value)


def quiet_main_window(qtbot, monkeypatch, config: ExperimentConfig | None = None):
    """A shown main window whose warnings are swallowed and that never asks to save (closed by
    pytest-qt); ``config`` starts a new experiment."""
    from PySide6.QtWidgets import QMessageBox

    from maml_gui.qt import settings as keys
    from maml_gui.qt.main_window import MainWindow

    monkeypatch.setattr(QMessageBox, "warning", lambda *a: None)
    window = MainWindow()
    window.settings.set(keys.CONFIRM_DISCARD, False)
    qtbot.addWidget(window)
    if config is not None:
        window.session.new_experiment(config)
    window.show()
    return window
