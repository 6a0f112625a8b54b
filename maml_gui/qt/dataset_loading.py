"""Decoding a dataset folder before training, off the UI thread, with progress in the status bar.

Building an image-folder family decodes every file of the folder once (seconds for Omniglot's
32,460 images, more for mini-ImageNet). Done inside ``Trainer(config)`` on the GUI thread, that
would freeze the window; so before the session builds a trainer for a folder family it asks
:class:`DatasetLoader` to decode the folder in a worker thread. The decoded family is kept by
:mod:`maml_gui.core.tasks.classification.folder_cache`, so the trainer built afterwards (and the
next Train, a resumed run, a sweep in this process) finds it without decoding again.
"""

from __future__ import annotations

from typing import Callable

from PySide6.QtCore import QObject, QTimer, Signal, Slot

from maml_gui.core.config import ExperimentConfig
from maml_gui.core.experiment_setup import FOLDER_FAMILIES, classification_spec
from maml_gui.core.tasks.classification.folder_cache import folder_family, is_decoded
from maml_gui.qt.background_job import LatestJob

PROGRESS_MS = 250


class LoadingCancelled(Exception):
    """Raised inside the decoding (through its progress callback) to stop it early."""


def needs_decoding(config: ExperimentConfig) -> bool:
    """A folder family whose files are not decoded yet (checking lists the folder: quick)."""
    task = config.task
    return task.kind == "classification" and task.family in FOLDER_FAMILIES and bool(task.root.strip()) \
        and not is_decoded(classification_spec(task))


class DatasetLoader(QObject):
    """``load(config, then)``: decode the folder of ``config`` off the UI thread, then call ``then()``."""

    message = Signal(str)
    failed = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.job = LatestJob("maml-dataset-decode", self)
        self.job.finished.connect(self._on_finished)
        self._counts = [0, 0]  # written by the worker's progress callback, read by the timer
        self._cancelled = False
        self._then: Callable[[], object] | None = None
        self._timer = QTimer(self)
        self._timer.setInterval(PROGRESS_MS)
        self._timer.timeout.connect(self._report)
        self.loading: ExperimentConfig | None = None

    def load(self, config: ExperimentConfig, then: Callable[[], object]) -> None:
        if self.loading == config:
            return  # already decoding this one
        self.loading, self._then, self._cancelled, self._counts[:] = config, then, False, [0, 0]
        self.job.submit(config, self._decode, classification_spec(config.task))
        self._timer.start()
        self.message.emit(f"reading the dataset folder {config.task.root}…")

    def cancel(self) -> None:
        self._cancelled = True
        self.loading = self._then = None
        self.job.cancel()
        self._timer.stop()

    def shutdown(self) -> None:
        self.cancel()
        self.job.shutdown()

    def _decode(self, spec) -> None:
        def progress(done: int, total: int) -> None:
            if self._cancelled:
                raise LoadingCancelled()
            self._counts[:] = [done, total]
        folder_family(spec, progress)

    @Slot()
    def _report(self) -> None:
        done, total = self._counts
        if total:
            self.message.emit(f"reading the dataset folder: {done:,} / {total:,} images ({done / total:.0%})")

    @Slot(object, object, object)
    def _on_finished(self, config, _result, error) -> None:
        self._timer.stop()
        then, self._then = self._then, None
        if config != self.loading:
            return
        self.loading = None
        if isinstance(error, LoadingCancelled):
            return
        if error is not None:
            reason = str(error).splitlines()[0] if str(error) else type(error).__name__
            self.failed.emit(f"cannot read the dataset folder {config.task.root}: {reason}")
            return
        if then is not None:
            then()
