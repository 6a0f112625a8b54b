"""Export: TorchScript (forward + adapt, loaded without this package), ONNX, safetensors + JSON."""

from __future__ import annotations

import dataclasses
import json
import os
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from maml_gui.core import export as export_module
from maml_gui.core.checkpoint import save_trainer, snapshot_from_bytes
from maml_gui.core.config import from_dict
from maml_gui.core.export import (
    FORMATS, ONNX_MISSING, ExportError, export_run, export_snapshot, onnx_available, sidecar_path,
)
from maml_gui.core.training import Trainer

from .without_package import BLOCK_MAML_GUI

pytestmark = pytest.mark.filterwarnings("ignore:`torch.jit:DeprecationWarning")
TOLERANCE = 1e-5
# name -> (training section, activation): every kind of inner rate and every activation
CASES = {
    "maml": ({"algorithm": "maml"}, "relu"),
    "metasgd": ({"algorithm": "metasgd"}, "tanh"),
    "mamlpp": ({"algorithm": "maml", "learn_inner_lr": True, "inner_steps": 3}, "gelu"),
    "anil": ({"algorithm": "anil"}, "silu"),
}


def _train(training: dict, activation: str, hidden=(16, 16)) -> Trainer:
    config = from_dict({"model": {"hidden": list(hidden), "activation": activation},
                        "training": {"iterations": 20, "val_interval": 10, "val_tasks": 20, **training}})
    trainer = Trainer(config, device="cpu", threads=1)
    list(trainer.run())
    return trainer


@pytest.fixture(scope="module")
def trainers() -> dict[str, Trainer]:
    return {name: _train(training, activation) for name, (training, activation) in CASES.items()}


@pytest.fixture(scope="module")
def snapshots(trainers):
    return {name: trainer.snapshot() for name, trainer in trainers.items()}


def _points(seed: int = 0):
    g = torch.Generator().manual_seed(seed)
    xs = torch.rand(5, 1, generator=g) * 10 - 5
    ys = 2.0 * torch.sin(xs + 0.5)
    xq = torch.linspace(-5, 5, 40).reshape(-1, 1)
    return xs, ys, xq


def _files_in(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


# -- TorchScript ------------------------------------------------------------------------------
LOAD_WITHOUT_PACKAGE = BLOCK_MAML_GUI + textwrap.dedent("""
    inputs = torch.load(sys.argv[1], weights_only=True)
    results = {}
    for name in json.loads(sys.argv[2]):
        model = torch.jit.load(f"{name}.pt")
        lr = float(inputs[name + ".lr"])
        xs, ys, xq = inputs["xs"], inputs["ys"], inputs["xq"]
        results[name + ".predict"] = model(xq)
        results[name + ".predict_batched"] = model(inputs["xq_batched"])
        results[name + ".adapt_learned"] = model.adapt(xs, ys, xq, 5, 0.0)
        results[name + ".adapt_fixed"] = model.adapt(xs, ys, xq, 3, lr)
        results[name + ".adapt_batched"] = model.adapt(inputs["xs_batched"], inputs["ys_batched"],
                                                       inputs["xq_batched"], 2, -1.0)
        results[name + ".adapt_no_points"] = model.adapt(xs[:0], ys[:0], xq, 4, 0.0)
        with torch.inference_mode():
            results[name + ".adapt_inference_mode"] = model.adapt(xs, ys, xq, 2, 0.0)
        assert sys.modules.get("maml_gui") is None
    torch.save(results, sys.argv[3])
""")


def test_torchscript_loads_without_the_package_and_matches_the_engine(snapshots, tmp_path):
    xs, ys, xq = _points()
    g = torch.Generator().manual_seed(1)
    xs_b = torch.rand(3, 4, 1, generator=g) * 10 - 5
    ys_b = torch.cos(xs_b) * torch.arange(1, 4).reshape(3, 1, 1)
    xq_b = xq.unsqueeze(0).expand(3, -1, -1).contiguous()
    inputs = {"xs": xs, "ys": ys, "xq": xq, "xs_batched": xs_b, "ys_batched": ys_b, "xq_batched": xq_b}
    expected = {}
    for name, snapshot in snapshots.items():
        export_snapshot(snapshot, "torchscript", tmp_path / f"{name}.pt")
        inputs[name + ".lr"] = torch.tensor(0.05)
        expected[name + ".predict"] = snapshot.predict(xq)[0]
        expected[name + ".predict_batched"] = snapshot.predict(xq_b)
        expected[name + ".adapt_learned"] = snapshot.adapt(xs, ys, xq, 5)[-1, 0]
        expected[name + ".adapt_fixed"] = snapshot.adapt(xs, ys, xq, 3, lr=0.05)[-1, 0]
        expected[name + ".adapt_batched"] = snapshot.adapt(xs_b, ys_b, xq_b, 2)[-1]
        expected[name + ".adapt_no_points"] = snapshot.predict(xq)[0]
        expected[name + ".adapt_inference_mode"] = snapshot.adapt(xs, ys, xq, 2)[-1, 0]
    torch.save(inputs, tmp_path / "inputs.pt")
    script = tmp_path / "load_without_package.py"
    script.write_text(LOAD_WITHOUT_PACKAGE)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    done = subprocess.run([sys.executable, str(script), "inputs.pt", json.dumps(list(snapshots)), "results.pt"],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    results = torch.load(tmp_path / "results.pt", weights_only=True)
    assert set(results) == set(expected)
    for key, want in expected.items():
        got = results[key]
        assert got.shape == want.shape, key
        assert torch.allclose(got, want, atol=TOLERANCE, rtol=0), f"{key}: max diff {(got - want).abs().max():.3g}"
    # the adaptation really moved the predictions, so matching them means something
    for name in snapshots:
        assert (results[name + ".adapt_learned"] - results[name + ".predict"]).abs().max() > 1e-3


def test_learned_rates_and_head_only_change_the_adaptation(snapshots):
    """The checks above would pass vacuously if learned rates equalled the base rate."""
    xs, ys, xq = _points()
    for name in ("metasgd", "mamlpp"):
        s = snapshots[name]
        learned = s.adapt(xs, ys, xq, 5)[-1]
        fixed = s.adapt(xs, ys, xq, 5, lr=s.rates.base)[-1]
        assert (learned - fixed).abs().max() > 1e-4, name
    anil = snapshots["anil"]
    whole = dataclasses.replace(anil, head_only=False).adapt(xs, ys, xq, 5)[-1]
    assert (anil.adapt(xs, ys, xq, 5)[-1] - whole).abs().max() > 1e-4


def test_torchscript_carries_metadata_and_named_weights(snapshots, tmp_path):
    snapshot = snapshots["metasgd"]
    config = from_dict({"training": {"algorithm": "metasgd", "inner_lr": 0.01}})
    out = export_snapshot(snapshot, "torchscript", tmp_path / "m.pt", config)
    extra = {"maml_gui.json": ""}
    model = torch.jit.load(str(out), _extra_files=extra)
    meta = json.loads(extra["maml_gui.json"])
    assert meta["algorithm"] == "metasgd" and meta["iteration"] == snapshot.iteration == 20
    assert meta["architecture"] == {"inputs": 1, "hidden": [16, 16], "outputs": 1, "activation": "tanh"}
    assert meta["inner_rates"]["kind"] == "per_parameter" and meta["inner_lr"] == pytest.approx(0.01)
    assert meta["config"]["training"]["algorithm"] == "metasgd"
    assert model.algorithm == "metasgd" and model.head_only is False
    state = model.state_dict()
    assert state["layers.0.weight"].shape == (16, 1) and state["layers.0.weight_lr"].shape == (16, 1)
    assert torch.equal(state["layers.2.bias"], snapshot.params[5])
    assert _files_in(tmp_path) == ["m.pt"]


def test_torchscript_adapt_refuses_bad_shapes(snapshots, tmp_path):
    model = torch.jit.load(str(export_snapshot(snapshots["maml"], "torchscript", tmp_path / "m.pt")))
    xs, ys, xq = _points()
    with pytest.raises(Exception, match="different numbers of points"):
        model.adapt(xs, ys[:3], xq, 1, 0.0)
    with pytest.raises(Exception, match="steps must be"):
        model.adapt(xs, ys, xq, -1, 0.0)
    assert model.adapt(xs.flatten(), ys.flatten(), xq.flatten(), 1, 0.0).shape == (40,)


# -- ONNX -------------------------------------------------------------------------------------
def test_onnx_forward_matches_torch(snapshots, tmp_path):
    ort = pytest.importorskip("onnxruntime")
    pytest.importorskip("onnxscript")
    assert onnx_available() is None
    snapshot = snapshots["mamlpp"]
    out = export_snapshot(snapshot, "onnx", tmp_path / "m.onnx")
    session = ort.InferenceSession(str(out), providers=["CPUExecutionProvider"])
    assert [i.name for i in session.get_inputs()] == ["x"]
    assert isinstance(session.get_inputs()[0].shape[0], str)  # dynamic number of points
    for n in (1, 7, 300):
        x = torch.linspace(-5, 5, n).reshape(n, 1)
        y = torch.from_numpy(session.run(None, {"x": x.numpy()})[0])
        assert y.shape == (n, 1)
        assert torch.allclose(y, snapshot.predict(x)[0], atol=TOLERANCE, rtol=0)
    meta = json.loads(session.get_modelmeta().custom_metadata_map["maml_gui"])
    assert meta["algorithm"] == "maml" and meta["inner_rates"]["kind"] == "per_step"
    assert _files_in(tmp_path) == ["m.onnx"]


def test_onnx_missing_gives_the_install_message_and_writes_nothing(snapshots, tmp_path, monkeypatch):
    monkeypatch.setattr(export_module, "onnx_available", lambda: ONNX_MISSING)
    with pytest.raises(ExportError) as caught:
        export_snapshot(snapshots["maml"], "onnx", tmp_path / "m.onnx")
    assert str(caught.value) == ONNX_MISSING and "pip install 'maml-gui[onnx]'" in str(caught.value)
    assert _files_in(tmp_path) == []


@pytest.mark.parametrize("module", ["onnx", "onnxscript", "onnxruntime"])
def test_onnx_available_reports_a_missing_module(monkeypatch, module):
    monkeypatch.setitem(sys.modules, module, None)  # makes `import module` raise ImportError
    assert onnx_available() == ONNX_MISSING


# -- safetensors + JSON -----------------------------------------------------------------------
def _rebuild_from_json(weights: Path) -> torch.nn.Sequential:
    """What a user without this package does: plain torch, the JSON and the tensors."""
    description = json.loads(sidecar_path(weights).read_text())
    tensors = load_file(weights)
    layers = []
    for layer in description["layers"]:
        if layer["type"] == "Linear":
            layers.append(torch.nn.Linear(layer["in_features"], layer["out_features"]))
        else:
            layers.append(getattr(torch.nn, layer["type"])())
    model = torch.nn.Sequential(*layers)
    model.load_state_dict({k.removeprefix("model.layers."): v for k, v in tensors.items() if k.startswith("model.")})
    return model


@pytest.mark.parametrize("name", list(CASES))
def test_safetensors_and_json_rebuild_the_model(snapshots, tmp_path, name):
    snapshot = snapshots[name]
    out = export_snapshot(snapshot, "safetensors", tmp_path / "model.safetensors")
    assert _files_in(tmp_path) == ["model.safetensors", "model.safetensors.json"]
    model = _rebuild_from_json(out)
    x = torch.linspace(-5, 5, 50).reshape(-1, 1)
    with torch.no_grad():
        assert torch.allclose(model(x), snapshot.predict(x)[0], atol=TOLERANCE, rtol=0)
    description = json.loads(sidecar_path(out).read_text())
    tensors = load_file(out)
    assert {k: v["shape"] for k, v in description["tensors"].items()} == {k: list(v.shape) for k, v in tensors.items()}
    kind = {"maml": "fixed", "anil": "fixed", "metasgd": "per_parameter", "mamlpp": "per_step"}[name]
    assert description["inner_rates"]["kind"] == kind
    assert description["head_only"] is (name == "anil")
    if kind == "per_step":
        assert tensors["inner_lr.per_step"].shape == (3, 6)
    # same layout as a run's model.safetensors: the engine reads it back
    again = snapshot_from_bytes(out.read_bytes())
    assert all(torch.equal(a, b) for a, b in zip(again.params, snapshot.params))


# -- runs, formats and target paths -------------------------------------------------------------
def test_export_run_writes_every_format(trainers, tmp_path):
    run = save_trainer(tmp_path / "run", trainers["anil"])
    for fmt, name in (("torchscript", "m.pt"), ("safetensors", "m.safetensors")):
        assert export_run(run, fmt, tmp_path / name) == tmp_path / name
    model = torch.jit.load(str(tmp_path / "m.pt"))
    assert model.head_only is True
    assert json.loads((tmp_path / "m.safetensors.json").read_text())["config"]["training"]["algorithm"] == "anil"


def test_export_run_without_weights_is_an_export_error(tmp_path):
    from maml_gui.core.checkpoint import save_run
    run = save_run(tmp_path / "run", from_dict({}))
    with pytest.raises(ExportError, match="no trained weights"):
        export_run(run, "torchscript", tmp_path / "m.pt")
    assert not (tmp_path / "m.pt").exists()


def test_unknown_format_is_refused(snapshots, tmp_path):
    assert FORMATS == ("torchscript", "onnx", "safetensors")
    with pytest.raises(ExportError, match="unknown export format 'pickle'"):
        export_snapshot(snapshots["maml"], "pickle", tmp_path / "m.pkl")
    assert _files_in(tmp_path) == []


def test_exported_files_have_ordinary_permissions(snapshots, tmp_path):
    umask = os.umask(0o022)
    try:
        out = export_snapshot(snapshots["maml"], "safetensors", tmp_path / "m.safetensors")
    finally:
        os.umask(umask)
    for path in (out, sidecar_path(out)):
        assert stat.S_IMODE(path.stat().st_mode) == 0o644, path


def test_a_failed_rename_leaves_no_temporary_file(snapshots, tmp_path, monkeypatch):
    calls = []
    real_replace = os.replace

    def failing_second_replace(src, dst):
        calls.append(dst)
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        return real_replace(src, dst)

    monkeypatch.setattr(export_module.os, "replace", failing_second_replace)
    with pytest.raises(ExportError, match="No space left on device"):
        export_snapshot(snapshots["maml"], "safetensors", tmp_path / "m.safetensors")
    assert [p for p in _files_in(tmp_path) if p.endswith(".tmp")] == []
