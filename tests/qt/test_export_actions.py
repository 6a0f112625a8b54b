"""File ▸ Export menu, on a minimal stand-in for the main window (dialogs monkeypatched)."""

from __future__ import annotations

import json
import os

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pyqtgraph as pg  # noqa: E402
import torch  # noqa: E402
from PySide6.QtWidgets import QFileDialog, QMainWindow, QMenu, QMessageBox  # noqa: E402

from maml_gui.core import export as core_export  # noqa: E402
from maml_gui.core.config import from_dict  # noqa: E402
from maml_gui.core.export import ONNX_MISSING  # noqa: E402
from maml_gui.core.metrics import COLUMNS  # noqa: E402
from maml_gui.core.training import Trainer  # noqa: E402
from maml_gui.qt import export_actions as module  # noqa: E402
from maml_gui.qt.export_actions import NO_METRICS, NO_MODEL, ExportActions, export_plot_image  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore:`torch.jit:DeprecationWarning")


@pytest.fixture(scope="module")
def trained():
    config = from_dict({"model": {"hidden": [8]}, "training": {"algorithm": "anil", "iterations": 12,
                                                              "val_interval": 6, "val_tasks": 5, "log_every": 1}})
    trainer = Trainer(config, device="cpu", threads=1)
    list(trainer.run())
    return trainer


class StandInWindow(QMainWindow):
    """An export source (what the session gives the real window's exports), a menu and a plot to save."""

    def __init__(self, trainer=None, run_dir=None) -> None:
        super().__init__()
        self.trainer = trainer
        self.run_dir = run_dir
        self.export_menu = self.menuBar().addMenu("&File").addMenu("&Export")
        self.loss_plot = pg.PlotWidget()
        self.loss_plot.plot([0, 1, 2, 3], [3.0, 1.5, 0.8, 0.5])
        self.setCentralWidget(self.loss_plot)

    def current_snapshot(self):
        return self.trainer.snapshot() if self.trainer else None

    def current_config(self):
        return self.trainer.config if self.trainer else None

    def current_history(self):
        return self.trainer.history if self.trainer else None

    def current_run_dir(self):
        return self.run_dir

    def followed_run(self):
        return None


class Dialogs:
    """Records message boxes and answers file dialogs."""

    def __init__(self, monkeypatch, answer: str = "") -> None:
        self.answer = answer
        self.asked: list[tuple[str, str, str]] = []
        self.messages: list[tuple[str, str]] = []
        monkeypatch.setattr(QFileDialog, "getSaveFileName", self.save_file_name)
        monkeypatch.setattr(QMessageBox, "information", self.information)
        monkeypatch.setattr(QMessageBox, "critical", self.critical)

    def save_file_name(self, parent, title, start, file_filter):
        self.asked.append((title, start, file_filter))
        return self.answer, file_filter.split(";;")[0]

    def information(self, parent, title, text, *args):
        self.messages.append(("information", text))
        return QMessageBox.StandardButton.Ok

    def critical(self, parent, title, text, *args):
        self.messages.append(("critical", text))
        return QMessageBox.StandardButton.Ok


@pytest.fixture
def make_window(qtbot):
    def make(trainer=None, run_dir=None):
        window = StandInWindow(trainer, run_dir)
        qtbot.addWidget(window)
        window.export_actions = ExportActions(window.export_menu, window, {"Meta-loss": window.loss_plot}, None, window)
        return window
    return make


def menu_texts(menu: QMenu) -> list[str]:
    return [a.text() for a in menu.actions() if not a.isSeparator()]


def test_the_menu_has_every_export(make_window):
    window = make_window()
    assert menu_texts(window.export_menu) == [
        "&TorchScript (forward + adapt)…", "&ONNX (forward)…", "&safetensors + JSON…", "&Metrics as CSV…",
        "&Plot as image"]
    assert list(window.export_actions.plot_actions) == ["Meta-loss"]


def test_without_a_model_the_user_is_told_to_train_first(make_window, monkeypatch):
    window = make_window()
    dialogs = Dialogs(monkeypatch, answer="/should/not/be/asked.pt")
    for action in window.export_actions.model_actions.values():
        action.trigger()
    window.export_actions.metrics_action.trigger()
    assert dialogs.asked == []
    assert dialogs.messages == [("information", NO_MODEL)] * 3 + [("information", NO_METRICS)]


def test_torchscript_export_from_the_menu(make_window, trained, monkeypatch, tmp_path):
    run_dir = tmp_path / "sine-run"
    run_dir.mkdir()
    window = make_window(trained, run_dir)
    dialogs = Dialogs(monkeypatch, answer=str(tmp_path / "exported"))  # no suffix: .pt is added
    window.export_actions.model_actions["torchscript"].trigger()
    title, start, file_filter = dialogs.asked[0]
    assert start == str(run_dir / "sine-run.pt") and file_filter == "TorchScript (*.pt)"
    assert dialogs.messages[0][0] == "information" and str(tmp_path / "exported.pt") in dialogs.messages[0][1]
    model = torch.jit.load(str(tmp_path / "exported.pt"))
    x = torch.linspace(-5, 5, 11).reshape(-1, 1)
    assert torch.allclose(model(x), trained.snapshot().predict(x)[0], atol=1e-6)


def test_safetensors_export_writes_the_json_with_the_config(make_window, trained, monkeypatch, tmp_path):
    window = make_window(trained)
    dialogs = Dialogs(monkeypatch, answer=str(tmp_path / "m.safetensors"))
    window.export_actions.model_actions["safetensors"].trigger()
    assert "m.safetensors.json" in dialogs.messages[0][1]
    description = json.loads((tmp_path / "m.safetensors.json").read_text())
    assert description["config"]["training"]["algorithm"] == "anil"


def test_a_cancelled_dialog_does_nothing(make_window, trained, monkeypatch, tmp_path):
    window = make_window(trained, tmp_path)
    dialogs = Dialogs(monkeypatch, answer="")
    window.export_actions.model_actions["torchscript"].trigger()
    window.export_actions.metrics_action.trigger()
    assert len(dialogs.asked) == 2 and dialogs.messages == []
    assert list(tmp_path.iterdir()) == []


def test_an_unwritable_path_shows_the_one_line_error(make_window, trained, monkeypatch, tmp_path):
    window = make_window(trained)
    dialogs = Dialogs(monkeypatch, answer=str(tmp_path / "missing" / "m.pt"))
    window.export_actions.model_actions["torchscript"].trigger()
    window.export_actions.metrics_action.trigger()
    kinds = [kind for kind, _ in dialogs.messages]
    assert kinds == ["critical", "critical"]
    assert "does not exist" in dialogs.messages[0][1] and "\n" not in dialogs.messages[0][1]
    assert list(tmp_path.iterdir()) == []


def test_onnx_missing_keeps_the_item_and_shows_how_to_install(make_window, trained, monkeypatch):
    monkeypatch.setattr(module, "onnx_available", lambda: ONNX_MISSING)
    monkeypatch.setattr(core_export, "onnx_available", lambda: ONNX_MISSING)
    window = make_window(trained)
    dialogs = Dialogs(monkeypatch, answer="/tmp/never.onnx")
    window.export_actions.model_actions["onnx"].trigger()
    assert dialogs.asked == []
    assert dialogs.messages == [("information", ONNX_MISSING)]


def test_onnx_export_from_the_menu(make_window, trained, monkeypatch, tmp_path):
    pytest.importorskip("onnxruntime")
    pytest.importorskip("onnxscript")
    window = make_window(trained)
    dialogs = Dialogs(monkeypatch, answer=str(tmp_path / "m.onnx"))
    window.export_actions.model_actions["onnx"].trigger()
    assert dialogs.messages[0][0] == "information", dialogs.messages
    assert (tmp_path / "m.onnx").stat().st_size > 0


def test_metrics_as_csv(make_window, trained, monkeypatch, tmp_path):
    window = make_window(trained)
    dialogs = Dialogs(monkeypatch, answer=str(tmp_path / "metrics.csv"))
    window.export_actions.metrics_action.trigger()
    lines = (tmp_path / "metrics.csv").read_text().splitlines()
    assert lines[0] == ",".join(COLUMNS)
    assert len(lines) == len(trained.history.rows) + 1 and len(trained.history.rows) >= 12
    assert dialogs.messages == [("information", f"Exported {len(trained.history.rows)} rows of metrics to "
                                                f"{tmp_path / 'metrics.csv'}")]


@pytest.mark.parametrize("suffix, magic", [(".png", b"\x89PNG"), (".svg", b"<")])
def test_plot_image_from_the_menu(make_window, monkeypatch, tmp_path, suffix, magic):
    window = make_window()
    window.resize(400, 300)
    dialogs = Dialogs(monkeypatch, answer=str(tmp_path / f"loss{suffix}"))
    window.export_actions.plot_actions["Meta-loss"].trigger()
    data = (tmp_path / f"loss{suffix}").read_bytes()
    assert data.startswith(magic) and len(data) > 200
    if suffix == ".svg":
        assert b"<svg" in data
    assert dialogs.messages[0][0] == "information"


def test_export_plot_image_refuses_other_suffixes(qtbot, tmp_path):
    plot = pg.PlotWidget()
    qtbot.addWidget(plot)
    with pytest.raises(core_export.ExportError, match="use .png or .svg"):
        export_plot_image(plot, tmp_path / "plot.jpg")
    with pytest.raises(core_export.ExportError, match="does not exist"):
        export_plot_image(plot, tmp_path / "missing" / "plot.png")
    assert list(tmp_path.iterdir()) == []
