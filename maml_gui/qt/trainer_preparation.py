"""Building a classification trainer off the UI thread: decoding a dataset folder, sampling validation tasks.

``Trainer(config)`` for a classification experiment can take seconds: it decodes a dataset folder
(every file, once) and samples the fixed validation tasks (200 glyph tasks are rendered stroke by
stroke: about 5 s on a busy 2-core machine). Built on the GUI thread, that would freeze the window;
so the session hands such builds to :class:`TrainerPreparation`, which runs them in a worker
thread, shows what it is doing in the status bar (the decoding with its image count) and hands
the trainer back on the GUI thread. A decoded folder is kept by
:mod:`maml_gui.core.tasks.classification.folder_cache`, so the next Train, Continue or sweep in
this process does not decode it again. Regression trainers build in milliseconds and stay on the
GUI thread.
"""

from __future__ import annotations

from typing import Callable

from PySide6.QtCore import QObject, QTimer, Signal, Slot

from maml_gui.core.config import ExperimentConfig
from maml_gui.core.experiment_setup import FOLDER_FAMILIES, classification_spec
from maml_gui.core.tasks.classification.folder_cache import folder_family
from maml_gui.qt.background_job import LatestJob

PROGRESS_MS = 250


class PreparationCancelled(Exception):
    """Raised inside the decoding (through its progress callback) to stop it early."""


def builds_slowly(config: ExperimentConfig) -> bool:
    """Classification trainers are built off the UI thread (images to decode or render)."""
    return config.task.kind == "classification"


class TrainerPreparation(QObject):
    """``prepare(config, build, then)``: run ``build()`` (after decoding the config's dataset folder, if
    any) off the UI thread, then ``then(trainer)`` on it; ``failed(line)`` instead when it raised."""

    message = Signal(str)
    failed = Signal(str)
    busy_changed = Signal()  # started or ended (done, failed or cancelled)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.job = LatestJob("maml-trainer-preparation", self)
        self.job.finished.connect(self._on_finished)
        self._counts = [0, 0]  # written by the worker's progress callback, read by the timer
        self._cancelled = False
        self._then: Callable[[object], object] | None = None
        self._timer = QTimer(self)
        self._timer.setInterval(PROGRESS_MS)
        self._timer.timeout.connect(self._report)
        self.preparing: ExperimentConfig | None = None
        self._failure = ""

    @property
    def busy(self) -> bool:
        return self.preparing is not None

    def prepare(self, config: ExperimentConfig, build: Callable[[], object], then: Callable[[object], object],
                failure: str) -> None:
        """``failure`` starts the one-line message when ``build`` raises (``"cannot start training"``)."""
        if self.preparing == config:
            return  # already preparing this one
        self.preparing, self._then, self._cancelled, self._counts[:] = config, then, False, [0, 0]
        self._failure = failure
        self.job.submit(config, self._build, config, build)
        self._timer.start()
        self.busy_changed.emit()
        folder = config.task.family in FOLDER_FAMILIES
        self.message.emit(f"reading the dataset folder {config.task.root}…" if folder
                          else "preparing the training: sampling the validation tasks…")

    def cancel(self) -> None:
        was_busy = self.busy
        self._cancelled = True
        self.preparing = self._then = None
        self.job.cancel()
        self._timer.stop()
        if was_busy:
            self.busy_changed.emit()

    def shutdown(self) -> None:
        self.cancel()
        self.job.shutdown()

    def _build(self, config: ExperimentConfig, build: Callable[[], object]):
        if config.task.family in FOLDER_FAMILIES:
            def progress(done: int, total: int) -> None:
                if self._cancelled:
                    raise PreparationCancelled()
                self._counts[:] = [done, total]
            folder_family(classification_spec(config.task), progress)  # kept: ``build`` finds it decoded
        return build()

    @Slot()
    def _report(self) -> None:
        done, total = self._counts
        if total and done < total:
            self.message.emit(f"reading the dataset folder: {done:,} / {total:,} images ({done / total:.0%})")
        elif total:
            self.message.emit("preparing the training: sampling the validation tasks…")

    @Slot(object, object, object)
    def _on_finished(self, config, trainer, error) -> None:
        self._timer.stop()
        then, self._then = self._then, None
        if config != self.preparing:
            return
        self.preparing = None
        self.busy_changed.emit()
        if isinstance(error, PreparationCancelled):
            return
        if error is not None:
            reason = str(error).splitlines()[0] if str(error) else type(error).__name__
            self.failed.emit(f"{self._failure}: {reason}")
            return
        if then is not None:
            then(trainer)
