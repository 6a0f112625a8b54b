"""Classification through config, training, validation, evaluation, run files and the CLI,
on the private stand-in families (tests/core/classification_standins.py)."""

from __future__ import annotations

import json

import pytest
import torch

from maml_gui import cli
from maml_gui.core import experiment_setup
from maml_gui.core.checkpoint import load_run, resume_trainer, save_trainer
from maml_gui.core.config import ConfigError, ExperimentConfig, from_dict
from maml_gui.core.conv_models import Conv4Spec
from maml_gui.core.evaluation import evaluate
from maml_gui.core.export import export_run
from maml_gui.core.metrics import MetricsHistory
from maml_gui.core.models import MLPSpec
from maml_gui.core.training import Trainer

from .classification_standins import MeanImagesStandIn, PointBlobsStandIn


@pytest.fixture(autouse=True)
def standin_families(monkeypatch):
    def build(task, progress=None):
        if task.family == "blobs":
            return PointBlobsStandIn()
        return MeanImagesStandIn(side=task.image_size, channels=task.channels)

    monkeypatch.setattr(experiment_setup, "build_classification_family", build)
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


def points_config(**training) -> ExperimentConfig:
    return from_dict({
        "task": {"kind": "classification", "family": "blobs", "ways": 3, "shots": 2, "queries": 4},
        "model": {"hidden": [16, 16]},
        "training": {"algorithm": "maml", "inner_lr": 0.5, "inner_steps": 3, "meta_lr": 0.02, "meta_batch": 8,
                     "iterations": 90, "val_interval": 30, "val_tasks": 40, "log_every": 5, "seed": 3,
                     "device": "cpu", **training},
        "evaluation": {"tasks": 50, "inner_steps": 3, "baseline_lr": 0.5},
    })


def images_config(**training) -> ExperimentConfig:
    return from_dict({
        "task": {"kind": "classification", "family": "glyphs", "ways": 3, "shots": 1, "queries": 2, "image_size": 16},
        "model": {"kind": "conv4", "filters": 4},
        "training": {"algorithm": "maml", "inner_lr": 0.4, "inner_steps": 1, "meta_batch": 4, "iterations": 4,
                     "val_interval": 2, "val_tasks": 6, "log_every": 1, "device": "cpu", **training},
        "evaluation": {"tasks": 10, "inner_steps": 2},
    })


# -- config ------------------------------------------------------------------------------------
@pytest.mark.parametrize("change, message", [
    ({"model": {"kind": "conv4"}}, "conv4 needs an image family"),
    ({"task": {"kind": "classification", "family": "glyphs"}}, "needs model.kind = \"conv4\""),
    ({"task": {"kind": "classification", "family": "glyphs", "image_size": 8}, "model": {"kind": "conv4"}},
     "image_size >= 16"),
    ({"task": {"kind": "classification", "family": "sinusoid"}}, "regression family"),
    ({"task": {"family": "blobs"}}, "task.kind = \"classification\""),
    ({"task": {"kind": "classification", "family": "blobs", "ways": 1}}, "ways"),
])
def test_config_refuses_models_that_do_not_fit_the_task(change, message):
    with pytest.raises(ConfigError, match=message) as err:
        from_dict(change)
    assert "\n" not in str(err.value)


def test_config_maps_onto_classification_spec_and_model():
    config = images_config()
    spec = experiment_setup.classification_spec(config.task)
    assert (spec.family, spec.ways, spec.shots, spec.queries, spec.image_size) == ("glyphs", 3, 1, 2, 16)
    assert experiment_setup.model_spec(config) == Conv4Spec(channels=1, image_size=16, filters=4, outputs=3)
    assert experiment_setup.model_spec(points_config()) == MLPSpec(hidden=(16, 16), inputs=2, outputs=3)
    assert ExperimentConfig().task.kind == "regression"  # the default stays what it was


# -- training, validation, evaluation ------------------------------------------------------------
def test_maml_on_points_learns_far_above_chance_and_beats_nothing_learned():
    trainer = Trainer(points_config(), threads=1)
    first = trainer.validate().curve
    progress = list(trainer.run())
    last = trainer.history.validations[-1]
    assert last.curve.metric == "accuracy" and first.metric == "accuracy"
    steps = trainer.config.training.inner_steps
    assert last.curve.values[steps] > 0.65 > 1 / 3 + 0.3  # 3-way: chance is 1/3
    assert last.curve.values[steps] > first.values[steps] + 0.1
    accuracy = [a for p in progress if p.accuracy_after is not None for a in p.accuracy_after]
    assert len(accuracy) == 90 and all(0.0 <= a <= 1.0 for a in accuracy)
    assert progress[-1].metric == "accuracy"
    assert len(trainer.history.accuracy) == len(trainer.history.rows) == 18
    result = evaluate(trainer.snapshot(), trainer.family, tasks=50, shots=2, queries=4, steps=[0, 1, 3],
                      baseline=True, baseline_lr=0.5)
    assert result.metric == "accuracy" and result.ways == 3
    assert result.values[-1] > 0.65 and result.values[-1] > result.values[0] + 0.2
    assert all(0 < c < 0.2 for c in result.ci95)
    keys = result.to_dict()
    assert {"accuracy", "ci95", "baseline_accuracy", "baseline_ci95"} <= set(keys) and "mse" not in keys
    assert result.baseline_values[-1] > 0.5  # the pretrained body with a fine-tuned zero head is no fool either


def test_classification_baseline_is_pretrained_with_a_pool_head_and_tested_with_a_zero_head():
    trainer = Trainer(points_config(iterations=20, baseline_lr=0.01), threads=1)
    baseline = trainer.baseline
    assert baseline.params[-1].shape == (PointBlobsStandIn.pool,)  # one output per training class
    batch = trainer.sampler.train(8, torch.Generator().manual_seed(0))
    before = baseline.loss(batch).item()
    for _ in range(30):
        baseline.step(baseline.loss(batch))
    assert baseline.loss(batch).item() < 0.6 * before
    test_params = baseline.evaluation_parameters()
    assert test_params[-2].shape == (3, 16) and not test_params[-2].any() and not test_params[-1].any()
    assert trainer.snapshot().baseline_head_only


@pytest.mark.parametrize("algorithm", ["maml", "fomaml", "anil", "metasgd", "reptile"])
def test_conv4_trains_saves_and_resumes_bit_identically(tmp_path, algorithm):
    overrides = {"algorithm": algorithm, "meta_lr": 0.05 if algorithm == "reptile" else 0.001}
    trainer = Trainer(images_config(**overrides), threads=1)
    list(trainer.run(iterations=2))
    save_trainer(tmp_path, trainer)
    list(trainer.run(iterations=4))
    resumed, run = resume_trainer(tmp_path, threads=1)
    assert run.snapshot.task_kind == "classification" and isinstance(run.snapshot.spec, Conv4Spec)
    list(resumed.run(iterations=4))
    for a, b in zip(trainer.learner.meta_parameters(), resumed.learner.meta_parameters()):
        assert torch.equal(a, b)


@pytest.mark.filterwarnings("ignore:`torch.jit:DeprecationWarning")
def test_run_files_carry_accuracy_by_name(tmp_path):
    trainer = Trainer(images_config(), threads=1)
    list(trainer.run())
    save_trainer(tmp_path, trainer)
    header = (tmp_path / "metrics.csv").read_text().splitlines()[0]
    assert header.endswith(",train_accuracy_after")
    record = json.loads((tmp_path / "validation.jsonl").read_text().splitlines()[-1])
    assert record["metric"] == "accuracy" and "accuracy" in record and "mse" not in record
    assert "baseline_accuracy" in record
    run = load_run(tmp_path)
    assert run.history.validations[-1].curve.metric == "accuracy"
    assert run.history.accuracy == trainer.history.accuracy
    snapshot = run.snapshot
    for a, b in zip(snapshot.params, trainer.snapshot().params):
        assert torch.equal(a, b)
    x = torch.rand(6, 1, 16, 16)
    logits = snapshot.adapt(x[:3], torch.tensor([0, 1, 2]), x[3:], steps=2)
    assert logits.shape == (3, 1, 3, 3)
    assert snapshot.predict(x).shape == (1, 6, 3)
    export_run(tmp_path, "torchscript", tmp_path / "model.pt")  # classifiers export (tests/core/test_export_classifier.py)
    scripted = torch.jit.load(str(tmp_path / "model.pt"))
    assert torch.allclose(scripted.adapt(x[:3], torch.tensor([0, 1, 2]), x[3:], 2, 0.0), logits[-1, 0], atol=1e-4)


def test_the_background_autosave_keeps_the_accuracy_column(tmp_path):
    """What ``maml-gui train`` autosaves (from its writer thread) carries accuracy like save_trainer."""
    from maml_gui.core.background_save import BackgroundRunWriter

    trainer = Trainer(images_config(), threads=1)
    list(trainer.run())
    writer = BackgroundRunWriter(tmp_path)
    writer(trainer)
    writer.wait()
    assert (tmp_path / "metrics.csv").read_text().splitlines()[0].endswith(",train_accuracy_after")
    assert load_run(tmp_path).history.accuracy == trainer.history.accuracy


def test_metrics_csv_without_accuracy_still_parses():
    history = MetricsHistory()
    history.add_row(1, 1.0, 0.5, 1e-3, 0.1)
    parsed = MetricsHistory.parse(history.to_csv())
    assert parsed.rows == history.rows and parsed.accuracy == []


def test_cli_evaluate_json_gives_accuracy_and_ci95(tmp_path, capsys):
    trainer = Trainer(images_config(), threads=1)
    list(trainer.run())
    save_trainer(tmp_path, trainer)
    assert cli.main(["evaluate", str(tmp_path), "--json", "--tasks", "8", "--steps", "0,1,2", "--baseline"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["metric"] == "accuracy" and len(result["accuracy"]) == len(result["ci95"]) == 3
    assert len(result["baseline_accuracy"]) == 3 and "mse" not in result
    assert cli.main(["evaluate", str(tmp_path), "--tasks", "8"]) == 0
    assert "accuracy %" in capsys.readouterr().out
