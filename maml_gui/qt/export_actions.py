"""File ▸ Export: the trained model (TorchScript, ONNX, safetensors + JSON), metrics, plot images.

:class:`ExportActions` fills the Export menu it is given. What it exports comes from an
:class:`ExportSource` (the window passes a :class:`SessionExportSource`), the plots it can save
are passed in by label. The work is done by :mod:`maml_gui.core.export`; this module asks for a
file name and reports the result.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import pyqtgraph as pg
from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QObject, QRect, Qt, Slot
from PySide6.QtGui import QAction, QPainter
from PySide6.QtSvg import QSvgGenerator
from PySide6.QtWidgets import QApplication, QFileDialog, QMenu, QMessageBox, QWidget
from pyqtgraph.exporters import ImageExporter, SVGExporter

from maml_gui.core.config import ExperimentConfig

from maml_gui.core.export import (
    ONNX_MISSING, ExportError, check_export_target, export_snapshot, onnx_available, write_files_atomically,
)
from maml_gui.core.metrics import MetricsHistory
from maml_gui.core.snapshot import ModelSnapshot
from maml_gui.qt.run_folder import followed_problem
from maml_gui.qt.session import ExperimentSession
from maml_gui.qt.settings import AppSettings

NO_MODEL = "Train or open a run first"
NO_METRICS = "No metrics yet: train or open a run first"
# format -> (menu text, dialog filter, file suffix, name shown in messages)
MODEL_FORMATS = {
    "torchscript": ("&TorchScript (forward + adapt)…", "TorchScript (*.pt)", ".pt", "TorchScript"),
    "onnx": ("&ONNX (forward)…", "ONNX (*.onnx)", ".onnx", "ONNX"),
    "safetensors": ("&safetensors + JSON…", "safetensors (*.safetensors)", ".safetensors", "safetensors + JSON"),
}


class ExportSource(Protocol):
    """What File > Export reads."""

    def current_snapshot(self) -> ModelSnapshot | None: ...

    def current_config(self) -> ExperimentConfig | None: ...

    def current_history(self) -> MetricsHistory | None: ...

    def current_run_dir(self) -> Path | None: ...

    def followed_run(self) -> Path | None:  # a run followed read-only: nothing is exported into it
        return None


@dataclass(frozen=True)
class SessionExportSource:
    """The session's model, with the config it was trained with, its metrics and its folder."""

    session: ExperimentSession

    def current_snapshot(self) -> ModelSnapshot | None:
        return self.session.snapshot

    def current_config(self) -> ExperimentConfig:
        return self.session.model_config or self.session.config

    def current_history(self) -> MetricsHistory | None:
        return self.session.history()

    def current_run_dir(self) -> Path | None:
        return self.session.run_path

    def followed_run(self) -> Path | None:
        return self.session.followed


def export_plot_image(plot_widget, path: str | Path) -> Path:
    """Save a pyqtgraph plot as PNG or SVG (by the file's suffix), atomically."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".png", ".svg"):
        raise ExportError(f"cannot save a plot as {suffix or 'a file without suffix'}: use .png or .svg")
    check_export_target(path)
    item = plot_widget.getPlotItem() if hasattr(plot_widget, "getPlotItem") else plot_widget
    payload = _svg_bytes(plot_widget, item) if suffix == ".svg" else _png_bytes(item)
    write_files_atomically({path: payload})
    return path


def _png_bytes(item) -> bytes:
    image = ImageExporter(item).export(toBytes=True)
    array = QByteArray()
    buffer = QBuffer(array)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    if image.isNull() or not image.save(buffer, "PNG"):
        raise ExportError("cannot render the plot as PNG")
    buffer.close()
    return array.data()


def _svg_bytes(plot_widget, item) -> bytes:
    """pyqtgraph's SVGExporter; where it fails (pyqtgraph issue #3485: it cannot parse the paths
    that recent Qt versions write), Qt's own SVG generator renders the widget instead."""
    try:
        data = SVGExporter(item).export(toBytes=True)
        return bytes(data) if not isinstance(data, str) else data.encode("utf-8")
    except Exception:  # noqa: BLE001 - a third-party parser bug, any exception type
        if not isinstance(plot_widget, QWidget):
            raise ExportError("cannot render this plot as SVG") from None
    array = QByteArray()
    buffer = QBuffer(array)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    generator = QSvgGenerator()
    generator.setOutputDevice(buffer)
    generator.setSize(plot_widget.size())
    generator.setViewBox(QRect(0, 0, plot_widget.width(), plot_widget.height()))
    generator.setTitle("MAML Studio plot")
    painter = QPainter(generator)
    try:
        plot_widget.render(painter)
    finally:
        painter.end()
        buffer.close()
    return array.data()


class ExportActions(QObject):
    """The Export menu's actions and what they do. ``plots`` maps a label ("Meta-loss") to its plot."""

    def __init__(self, menu: QMenu, source: ExportSource, plots: dict[str, pg.PlotWidget],
                 settings: AppSettings | None, dialog_parent: QWidget) -> None:
        super().__init__(dialog_parent)
        self.source = source
        self.settings = settings
        self.dialog_parent = dialog_parent
        self.plots = {label: plot for label, plot in plots.items() if isinstance(plot, pg.PlotWidget)}
        self.model_actions: dict[str, QAction] = {}
        for fmt, (text, _, _, _) in MODEL_FORMATS.items():
            action = QAction(text, menu)
            action.setData(fmt)
            action.triggered.connect(self.export_model)
            menu.addAction(action)
            self.model_actions[fmt] = action
        if not all(importlib.util.find_spec(name) for name in ("onnx", "onnxscript", "onnxruntime")):
            # a cheap hint for the menu; importing them here would slow the window's start
            self.model_actions["onnx"].setToolTip(ONNX_MISSING)
            self.model_actions["onnx"].setStatusTip(ONNX_MISSING)
        menu.addSeparator()
        self.metrics_action = QAction("&Metrics as CSV…", menu)
        self.metrics_action.triggered.connect(self.export_metrics)
        menu.addAction(self.metrics_action)
        self.plot_actions: dict[str, QAction] = {}
        plots_menu = None
        for label in self.plots:
            if plots_menu is None:
                plots_menu = menu.addMenu("&Plot as image")
            action = QAction(f"{label} plot (PNG, SVG)…", plots_menu)
            action.setData(label)
            action.triggered.connect(self.export_plot)
            plots_menu.addAction(action)
            self.plot_actions[label] = action

    # -- dialogs and messages (tests monkeypatch QFileDialog / QMessageBox) ----------------------
    def ask_save_path(self, title: str, name: str, file_filter: str, suffix: str) -> Path | None:
        start = self._start_directory() / name
        path, _ = QFileDialog.getSaveFileName(self.dialog_parent, title, str(start), file_filter)
        if not path:
            return None
        path = Path(path)
        if suffix and not path.suffix:
            path = path.with_suffix(suffix)
        if problem := followed_problem(path, self.source.followed_run()):
            self.fail(problem)
            return None
        if self.settings is not None:
            self.settings.remember_directory(str(path.parent))
        return path

    def _start_directory(self) -> Path:
        run_dir = self.source.current_run_dir()
        if run_dir:
            return Path(run_dir)
        return Path(self.settings.start_directory()) if self.settings is not None else Path.home()

    def _base_name(self) -> str:
        run_dir = self.source.current_run_dir()
        return Path(run_dir).name if run_dir else "maml-model"

    def inform(self, message: str) -> None:
        QMessageBox.information(self.dialog_parent, "Export", message)

    def fail(self, message: str) -> None:
        QMessageBox.critical(self.dialog_parent, "Export failed", message)

    # -- actions ----------------------------------------------------------------------------------
    @Slot()
    def export_model(self) -> None:
        fmt = self.sender().data() if isinstance(self.sender(), QAction) else "torchscript"
        self.export_model_as(fmt)

    def export_model_as(self, fmt: str) -> Path | None:
        _, file_filter, suffix, label = MODEL_FORMATS[fmt]
        snapshot = self.source.current_snapshot()
        if snapshot is None:
            self.inform(NO_MODEL)
            return None
        if fmt == "onnx" and (missing := onnx_available()):
            self.inform(missing)
            return None
        path = self.ask_save_path(f"Export the model as {label}", self._base_name() + suffix, file_filter, suffix)
        if path is None:
            return None
        QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            written = export_snapshot(snapshot, fmt, path, self.source.current_config())
        except ExportError as err:
            QApplication.restoreOverrideCursor()
            self.fail(str(err))
            return None
        QApplication.restoreOverrideCursor()
        extra = f" and {written.name}.json" if fmt == "safetensors" else ""
        self.inform(f"Exported the model at iteration {snapshot.iteration} as {label} to {written}{extra}")
        return written

    @Slot()
    def export_metrics(self) -> Path | None:
        history = self.source.current_history()
        if history is None or not history.rows:
            self.inform(NO_METRICS)
            return None
        path = self.ask_save_path("Export the metrics as CSV", self._base_name() + "-metrics.csv",
                                  "CSV (*.csv)", ".csv")
        if path is None:
            return None
        try:
            check_export_target(path)
            write_files_atomically({path: history.to_csv().encode("utf-8")})
        except ExportError as err:
            self.fail(str(err))
            return None
        self.inform(f"Exported {len(history.rows)} rows of metrics to {path}")
        return path

    @Slot()
    def export_plot(self) -> Path | None:
        label = self.sender().data() if isinstance(self.sender(), QAction) else next(iter(self.plots), "")
        return self.export_plot_named(label)

    def export_plot_named(self, label: str) -> Path | None:
        plot = self.plots.get(label)
        if plot is None:
            self.fail(f"the {label} plot is not available")
            return None
        name = f"{self._base_name()}-{label.split()[0].lower()}.png"
        path = self.ask_save_path(f"Save the {label} plot", name, "PNG image (*.png);;SVG image (*.svg)", ".png")
        if path is None:
            return None
        try:
            export_plot_image(plot, path)
        except ExportError as err:
            self.fail(str(err))
            return None
        self.inform(f"Saved the {label} plot to {path}")
        return path
