"""The app with a classification experiment: train, curves of accuracy, open a CLI run, save, resume, export."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("pytestqt")

import torch  # noqa: E402

from maml_gui.cli import main  # noqa: E402
from maml_gui.core.checkpoint import load_run  # noqa: E402
from maml_gui.core.config import from_dict  # noqa: E402
from maml_gui.core.experiment_setup import classification_spec  # noqa: E402
from maml_gui.qt import settings as keys  # noqa: E402
from maml_gui.qt.main_window import MainWindow  # noqa: E402
from maml_gui.qt.playground.by_kind import ClassificationPlaceholder, register_playground, _factories  # noqa: E402
from maml_gui.qt.playground.classify_points import ClassifyPointsWidget  # noqa: E402
from maml_gui.qt.plots.accuracy_plot import validation_accuracy  # noqa: E402
from maml_gui.qt.session import TrainingState  # noqa: E402
from tests.qt.test_main_window import warnings  # noqa: E402,F401 - the dialog-recording fixture

pytestmark = pytest.mark.filterwarnings("ignore:`torch.jit:DeprecationWarning")
POINTS_SETTINGS = ["training.iterations=20", "training.val_interval=10", "training.val_tasks=8", "training.meta_batch=4",
                   "training.log_every=1", "training.threads=1", "training.device=cpu", "evaluation.inner_steps=3"]


def points_config(iterations: int = 20):
    return from_dict({"name": "tiny points", "task": {"kind": "classification", "family": "blobs", "ways": 3,
                                                      "shots": 2, "queries": 3},
                      "model": {"hidden": [8, 8]},
                      "training": {"iterations": iterations, "val_interval": 10, "val_tasks": 8, "meta_batch": 4,
                                   "log_every": 1, "threads": 1, "device": "cpu", "inner_lr": 0.1},
                      "evaluation": {"inner_steps": 3}})


@pytest.fixture
def window(qtbot, warnings):
    """The main window on a tiny 3-way 2-D points experiment (nothing asks before discarding)."""
    made = MainWindow()
    made.settings.set(keys.CONFIRM_DISCARD, False)
    qtbot.addWidget(made)
    made.session.new_experiment(points_config())
    made.show()
    yield made
    made.close()


def train(qtbot, window) -> None:
    window.window_actions.start.trigger()
    qtbot.waitUntil(lambda: window.session.state is TrainingState.IDLE and window.session.iteration > 0,
                    timeout=30_000)
    qtbot.wait(30)


def drawn(curve) -> np.ndarray:
    y = curve.getData()[1]
    return np.asarray([] if y is None else y)


def test_training_from_the_app_draws_accuracy_curves(qtbot, window, warnings):
    panel = window.loss_panel
    assert panel.current_plot() is panel.accuracy_plot and panel.shown.isVisibleTo(panel)
    train(qtbot, window)
    history = window.session.history()
    assert not warnings and len(history.accuracy) == len(history.rows) == 20
    accuracy = panel.accuracy_plot
    assert np.allclose(drawn(accuracy.raw_after_curve), history.accuracy)
    assert np.all((drawn(accuracy.raw_after_curve) >= 0) & (drawn(accuracy.raw_after_curve) <= 1))
    expected = [validation_accuracy(v, 1) for v in history.validations]
    assert np.allclose(drawn(accuracy.val_before_curve), [b for b, _ in expected])
    assert np.allclose(drawn(accuracy.val_after_curve), [a for _, a in expected])
    assert accuracy.chance.value() == pytest.approx(1 / 3)
    record = window.adaptation_plot.record  # accuracy after 0..3 steps, meta-model and baseline, with bands
    assert record.curve.metric == "accuracy" and len(record.curve.values) == 4 and record.baseline is not None
    assert window.adaptation_plot.getPlotItem().getAxis("left").labelText.startswith("query accuracy")
    assert np.all(drawn(window.adaptation_plot.meta.upper) <= 1.0)
    panel.shown.setCurrentIndex(panel.shown.findData("loss"))  # the cross-entropy is one switch away
    assert panel.current_plot() is panel.plot and panel.plot.point_count() == 20
    assert "%" in window.status_panel.validation.text()


def test_a_classification_experiment_shows_a_classification_playground(qtbot, window):
    host = window.playground_host
    assert isinstance(host.currentWidget(), ClassifyPointsWidget)
    train(qtbot, window)
    qtbot.waitUntil(lambda: host.currentWidget().snapshot is not None, timeout=5000)
    assert host.currentWidget().snapshot.task_kind == "classification"
    assert window.playground._snapshot is None  # the regression playground is never handed a classifier
    window.session.set_config(window.session.config.with_overrides(
        ["task.kind=regression", "task.family=sinusoid", "task.shots=10"]))
    assert host.currentWidget() is window.playground and window.playground._snapshot is None


def test_a_registered_playground_replaces_the_placeholder(qtbot, monkeypatch, warnings):
    made = []

    class Fake(ClassificationPlaceholder):
        def __init__(self, parent=None):
            super().__init__(parent)
            made.append(self)

    monkeypatch.setitem(_factories, "points", Fake)
    register_playground("points", Fake)
    window = MainWindow()
    qtbot.addWidget(window)
    try:
        window.session.new_experiment(points_config())
        assert made and window.playground_host.currentWidget() is made[0]
        assert made[0].config.task.ways == 3
        with pytest.raises(ValueError, match="unknown playground key"):
            register_playground("sounds", Fake)
    finally:
        window.close()


def test_a_cli_classification_run_opens_with_identical_curves(qtbot, window, tmp_path):
    out = tmp_path / "cli-run"
    sets = [arg for setting in POINTS_SETTINGS for arg in ("--set", setting)]
    assert main(["train", "--preset", "points-3way-5shot", *sets, "--threads", "1", "--quiet", "--out", str(out)]) == 0
    run = load_run(out)
    window.files.ask_directory = lambda title: str(out)
    window.window_actions.open_run.trigger()
    assert window.current_config() == run.config and window.config_panel.is_valid()
    accuracy = window.loss_panel.accuracy_plot
    assert np.array_equal(drawn(accuracy.raw_after_curve), np.asarray(run.history.accuracy))
    steps = run.config.training.inner_steps
    assert np.array_equal(drawn(accuracy.val_after_curve),
                          [validation_accuracy(v, steps)[1] for v in run.history.validations])
    shown = window.adaptation_plot.record
    assert shown.curve.values == run.history.validations[-1].curve.values
    assert shown.baseline.values == run.history.validations[-1].baseline.values
    assert np.array_equal(drawn(window.adaptation_plot.meta.line), run.history.validations[-1].curve.values)
    x = torch.rand(6, 2)
    assert torch.equal(window.current_snapshot().predict(x), run.snapshot.predict(x))


def test_save_open_and_resume_a_classification_run(qtbot, window, tmp_path):
    train(qtbot, window)
    target = tmp_path / "saved"
    assert window.session.save_run(target)
    saved = load_run(target)
    assert saved.config.task.kind == "classification" and saved.iteration == 20
    window.session.new_experiment(points_config())
    assert window.session.open_run(target)
    assert window.loss_panel.accuracy_plot.point_count() == 20
    window.session.set_config(window.session.config.with_overrides(["training.iterations=30"]))
    assert window.session.can_continue()
    window.window_actions.continue_.trigger()
    qtbot.waitUntil(lambda: window.session.state is TrainingState.IDLE and window.session.iteration == 30,
                    timeout=30_000)
    resumed = load_run(target)  # autosaved into the folder it came from
    assert resumed.iteration == 30 and len(resumed.history.accuracy) == len(resumed.history.rows) == 30
    assert window.loss_panel.accuracy_plot.point_count() == 30


def test_export_a_classifier_from_the_menu(qtbot, window, tmp_path, monkeypatch):
    train(qtbot, window)
    actions = window.export_actions
    target = tmp_path / "classifier.pt"
    monkeypatch.setattr(actions, "ask_save_path", lambda *a: target)
    told = []
    monkeypatch.setattr(actions, "inform", told.append)
    monkeypatch.setattr(actions, "fail", told.append)
    assert actions.export_model_as("torchscript") == target
    module = torch.jit.load(str(target))
    batch = window.session.trainer.sampler.test(1, 2, 3, torch.Generator().manual_seed(5))
    logits = module.adapt(batch.x_support[0], batch.y_support[0], batch.x_query[0], 3, 0.1)
    assert logits.shape == (9, 3) and torch.isfinite(logits).all()
    assert module(batch.x_query[0]).shape == (9, 3)
    safetensors = tmp_path / "classifier.safetensors"
    monkeypatch.setattr(actions, "ask_save_path", lambda *a: safetensors)
    assert actions.export_model_as("safetensors") == safetensors and safetensors.with_name(
        "classifier.safetensors.json").is_file()
    assert all("Exported" in line for line in told)


def test_a_dataset_folder_is_decoded_off_the_ui_thread_then_trained(qtbot, window, tmp_path, warnings):
    from maml_gui.core.tasks.classification import folder_cache
    from tests.qt.test_classification_form import flat_folder

    folder_cache.forget()
    root = flat_folder(tmp_path / "data", classes=12, per_class=4)
    config = from_dict({"name": "tiny folder", "task": {"kind": "classification", "family": "folder", "root": str(root),
                                                        "ways": 2, "shots": 1, "queries": 1, "image_size": 8},
                        "model": {"kind": "conv4", "filters": 4, "strided": True},
                        "training": {"iterations": 6, "val_interval": 3, "val_tasks": 4, "meta_batch": 2,
                                     "log_every": 1, "threads": 1, "device": "cpu", "inner_lr": 0.1},
                        "evaluation": {"inner_steps": 2}})
    window.session.new_experiment(config)
    messages = []
    window.session.message.connect(messages.append)
    assert window.session.start_training()
    assert window.session.preparation.preparing == config  # decoding, not training yet: the window stays live
    qtbot.waitUntil(lambda: window.session.state is TrainingState.IDLE and window.session.iteration == 6,
                    timeout=30_000)
    assert not warnings and any(m.startswith("reading the dataset folder") for m in messages)
    assert folder_cache.is_decoded(classification_spec(config.task))  # kept: the next Train does not decode again
    assert len(window.session.history().accuracy) == 6


def test_a_trainer_that_cannot_be_built_is_one_line(qtbot, window, tmp_path, warnings):
    config = points_config().with_overrides(["task.family=folder", f"task.root='{tmp_path / 'gone'}'",
                                             "model.kind=conv4", "model.strided=true", "task.image_size=8"])
    window.session.new_experiment(config)
    assert window.session.start_training()  # returns at once: the trainer is built off the UI thread
    qtbot.waitUntil(lambda: bool(warnings), timeout=20_000)
    assert warnings[-1].startswith("cannot start training: ") and "does not exist" in warnings[-1]
    assert "\n" not in warnings[-1] and window.session.trainer is None and window.session.state is TrainingState.IDLE


def test_train_waits_while_the_trainer_is_prepared(qtbot, window):
    assert window.window_actions.start.isEnabled()
    window.window_actions.start.trigger()
    assert window.session.preparation.busy and not window.window_actions.start.isEnabled()
    assert window.state_label.text() == "preparing"
    qtbot.waitUntil(lambda: window.session.state is TrainingState.IDLE and window.session.iteration > 0,
                    timeout=30_000)
    assert window.window_actions.start.isEnabled() and window.state_label.text() == "idle"


def test_a_cli_conv4_glyph_run_opens_and_exports_an_adaptable_classifier(qtbot, window, tmp_path, monkeypatch):
    out = tmp_path / "glyph-run"
    settings = ["training.iterations=4", "training.val_interval=2", "training.val_tasks=4", "training.meta_batch=2",
                "training.log_every=1", "model.filters=4", "task.queries=2", "evaluation.inner_steps=2"]
    assert main(["train", "--preset", "glyphs-5way-1shot", *[a for s in settings for a in ("--set", s)],
                 "--threads", "1", "--quiet", "--out", str(out)]) == 0
    run = load_run(out)
    assert window.session.open_run(out)
    assert window.playground_host.key == "images" and window.config_panel.is_valid()
    assert window.config_panel.training.network.kind.currentData() == "conv4"
    accuracy = window.loss_panel.accuracy_plot
    assert np.array_equal(drawn(accuracy.raw_after_curve), np.asarray(run.history.accuracy))
    assert window.adaptation_plot.record.curve.values == run.history.validations[-1].curve.values
    target = tmp_path / "glyphs.pt"
    monkeypatch.setattr(window.export_actions, "ask_save_path", lambda *a: target)
    monkeypatch.setattr(window.export_actions, "inform", lambda message: None)
    assert window.export_actions.export_model_as("torchscript") == target
    module = torch.jit.load(str(target))
    support, labels, query = torch.rand(5, 1, 28, 28), torch.arange(5), torch.rand(7, 1, 28, 28)
    logits = module.adapt(support, labels, query, 2, 0.4)
    assert logits.shape == (7, 5) and torch.isfinite(logits).all()
    engine = window.current_snapshot().adapt(support, labels, query, 2, 0.4)[-1, 0]  # what the app trained
    assert torch.allclose(logits, engine, atol=1e-4)
