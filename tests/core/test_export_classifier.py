"""Export of classifiers (MLP on points, Conv-4 pooled and strided): TorchScript forward + adapt loaded
by plain torch without this package, safetensors + JSON rebuilt with plain torch, ONNX forward."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
import textwrap

import pytest
import torch
from safetensors.torch import load_file

from maml_gui.core.checkpoint import save_trainer, snapshot_from_bytes
from maml_gui.core.config import from_dict
from maml_gui.core.export import export_snapshot, sidecar_path

from ..cli.hostile_runs import run_cli
from .without_package import BLOCK_MAML_GUI

pytestmark = pytest.mark.filterwarnings("ignore:`torch.jit:DeprecationWarning")
TOLERANCE = 1e-4
POINTS = {"family": "blobs", "ways": 3, "shots": 2, "queries": 2}
GLYPHS = {"family": "glyphs", "ways": 3, "shots": 2, "queries": 2, "image_size": 8}
# name -> (task, model, training): both models, pooled and strided, every kind of inner rate, ANIL
CASES = {
    "mlp_maml": (POINTS, {"kind": "mlp", "hidden": [8], "activation": "tanh"}, {"inner_lr": 0.5}),
    "mlp_anil": (POINTS, {"kind": "mlp", "hidden": [8, 8]}, {"algorithm": "anil", "inner_lr": 0.5}),
    "conv_strided": (GLYPHS, {"kind": "conv4", "filters": 4, "strided": True}, {"inner_lr": 0.4}),
    "conv_pooled_metasgd": ({**GLYPHS, "image_size": 16}, {"kind": "conv4", "filters": 4},
                            {"algorithm": "metasgd", "inner_lr": 0.4}),
    "conv_lslr": (GLYPHS, {"kind": "conv4", "filters": 4, "strided": True},
                  {"learn_inner_lr": True, "inner_steps": 2, "inner_lr": 0.4}),
    "conv_anil": (GLYPHS, {"kind": "conv4", "filters": 4, "strided": True}, {"algorithm": "anil", "inner_lr": 0.4}),
}


@pytest.fixture(autouse=True)
def one_thread():
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


def _config(name: str):
    task, model, training = CASES[name]
    return from_dict({"task": {"kind": "classification", **task}, "model": model,
                      "training": {"iterations": 3, "val_interval": 3, "val_tasks": 2, "meta_batch": 2, **training}})


@pytest.fixture(scope="module")
def trained():
    from maml_gui.core.training import Trainer

    torch.set_num_threads(1)
    result = {}
    for name in CASES:
        trainer = Trainer(_config(name), device="cpu", threads=1)
        list(trainer.run())
        result[name] = trainer
    return result


def _episode(snapshot, tasks: int | None = None, seed: int = 0):
    g = torch.Generator().manual_seed(seed)
    lead = () if tasks is None else (tasks,)
    xs = torch.rand(*lead, 6, *snapshot.input_shape, generator=g) * 2 - 1
    ys = torch.tensor([0, 1, 2, 2, 1, 0]).expand(*lead, 6).contiguous()
    xq = torch.rand(*lead, 5, *snapshot.input_shape, generator=g) * 2 - 1
    return xs, ys, xq


LOAD_WITHOUT_PACKAGE = BLOCK_MAML_GUI + textwrap.dedent("""
    inputs = torch.load(sys.argv[1], weights_only=True)
    results = {}
    for name in json.loads(sys.argv[2]):
        model = torch.jit.load(f"{name}.pt")
        xs, ys, xq = inputs[name + ".xs"], inputs[name + ".ys"], inputs[name + ".xq"]
        results[name + ".forward"] = model(xq)
        results[name + ".forward_batched"] = model(inputs[name + ".xq_b"])
        results[name + ".adapt_learned"] = model.adapt(xs, ys, xq, 3, 0.0)
        results[name + ".adapt_fixed"] = model.adapt(xs, ys, xq, 2, 0.05)
        with torch.no_grad():
            results[name + ".adapt_no_grad"] = model.adapt(xs, ys, xq, 3, -1.0)
            assert not torch.is_grad_enabled(), "adapt left gradients switched on"
        assert torch.is_grad_enabled()
        results[name + ".adapt_batched"] = model.adapt(inputs[name + ".xs_b"], inputs[name + ".ys_b"],
                                                       inputs[name + ".xq_b"], 2, 0.0)
        try:
            with torch.inference_mode():
                model.adapt(xs, ys, xq, 1, 0.0)
            raise SystemExit("adapt ran under inference_mode")
        except Exception as err:  # torch.jit.Error, or torch: "use torch.no_grad() instead of torch.inference_mode()"
            assert "inference_mode" in str(err), str(err)
        assert sys.modules.get("maml_gui") is None
    torch.save(results, sys.argv[3])
""")


def test_torchscript_classifiers_load_without_the_package_and_match_the_engine(trained, tmp_path):
    inputs, expected = {}, {}
    for name, trainer in trained.items():
        snapshot = trainer.snapshot()
        export_snapshot(snapshot, "torchscript", tmp_path / f"{name}.pt", trainer.config)
        xs, ys, xq = _episode(snapshot)
        xs_b, ys_b, xq_b = _episode(snapshot, tasks=2, seed=1)
        inputs.update({name + ".xs": xs, name + ".ys": ys, name + ".xq": xq,
                       name + ".xs_b": xs_b, name + ".ys_b": ys_b, name + ".xq_b": xq_b})
        expected[name + ".forward"] = snapshot.predict(xq)[0]
        expected[name + ".forward_batched"] = snapshot.predict(xq_b)
        expected[name + ".adapt_learned"] = snapshot.adapt(xs, ys, xq, 3)[-1, 0]
        expected[name + ".adapt_fixed"] = snapshot.adapt(xs, ys, xq, 2, lr=0.05)[-1, 0]
        expected[name + ".adapt_no_grad"] = expected[name + ".adapt_learned"]
        expected[name + ".adapt_batched"] = snapshot.adapt(xs_b, ys_b, xq_b, 2)[-1]
    torch.save(inputs, tmp_path / "inputs.pt")
    script = tmp_path / "load_without_package.py"
    script.write_text(LOAD_WITHOUT_PACKAGE)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["OMP_NUM_THREADS"] = "1"
    done = subprocess.run([sys.executable, str(script), "inputs.pt", json.dumps(list(trained)), "results.pt"],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    results = torch.load(tmp_path / "results.pt", weights_only=True)
    assert set(results) == set(expected)
    for key, want in expected.items():
        got = results[key]
        assert got.shape == want.shape, key
        assert torch.allclose(got, want, atol=TOLERANCE, rtol=0), f"{key}: max diff {(got - want).abs().max():.3g}"
    for name in trained:  # adaptation really moved the logits, so matching them means something
        assert (results[name + ".adapt_learned"] - results[name + ".forward"]).abs().max() > 1e-3, name


def test_anil_adapts_only_the_head_and_learned_rates_matter(trained):
    """The match above would be vacuous if head-only or the learned rates changed nothing."""
    for name in ("mlp_anil", "conv_anil"):
        snapshot = trained[name].snapshot()
        xs, ys, xq = _episode(snapshot)
        whole = dataclasses.replace(snapshot, head_only=False).adapt(xs, ys, xq, 3)[-1]
        assert (snapshot.adapt(xs, ys, xq, 3)[-1] - whole).abs().max() > 1e-4, name
    for name in ("conv_pooled_metasgd", "conv_lslr"):
        snapshot = trained[name].snapshot()
        xs, ys, xq = _episode(snapshot)
        fixed = snapshot.adapt(xs, ys, xq, 3, lr=snapshot.rates.base)[-1]
        assert (snapshot.adapt(xs, ys, xq, 3)[-1] - fixed).abs().max() > 1e-5, name


def test_torchscript_classifier_metadata_and_refusals(trained, tmp_path):
    trainer = trained["conv_pooled_metasgd"]
    out = export_snapshot(trainer.snapshot(), "torchscript", tmp_path / "m.pt", trainer.config)
    extra = {"maml_gui.json": ""}
    model = torch.jit.load(str(out), _extra_files=extra)
    meta = json.loads(extra["maml_gui.json"])
    assert meta["task_kind"] == "classification" and meta["algorithm"] == "metasgd"
    assert meta["architecture"] == {"model_kind": "conv4", "input_shape": [1, 16, 16], "filters": 4,
                                    "strided": False, "outputs": 3}
    assert meta["inner_rates"]["kind"] == "per_parameter"
    xs, ys, xq = _episode(trainer.snapshot())
    with pytest.raises(Exception, match="labels must be 0..2"):
        model.adapt(xs, ys + 1, xq, 1, 0.0)
    with pytest.raises(Exception, match="different numbers of examples"):
        model.adapt(xs, ys[:4], xq, 1, 0.0)
    with pytest.raises(Exception, match="steps must be"):
        model.adapt(xs, ys, xq, -1, 0.0)
    assert torch.equal(model.adapt(xs, ys, xq, 0, 0.0), model(xq))
    assert torch.equal(model.adapt(xs[:0], ys[:0], xq, 3, 0.0), model(xq))


def _conv4_from_json(weights):
    """What a user without this package does: plain torch, the JSON sidecar and the tensors."""
    description = json.loads(sidecar_path(weights).read_text())
    tensors = load_file(weights)

    def model(x):
        for layer in description["layers"]:
            kind = layer["type"]
            if kind == "Conv2d":
                x = torch.nn.functional.conv2d(x, tensors[layer["weight"]], tensors[layer["bias"]],
                                               stride=layer["stride"], padding=layer["padding"])
            elif kind == "BatchNorm2d":
                x = torch.nn.functional.batch_norm(x, None, None, tensors[layer["weight"]], tensors[layer["bias"]],
                                                   training=True, eps=layer["eps"])
            elif kind == "ReLU":
                x = torch.relu(x)
            elif kind == "MaxPool2d":
                x = torch.nn.functional.max_pool2d(x, layer["kernel_size"])
            elif kind == "SpatialMean":
                x = x.mean(tuple(layer["dims"]))
            elif kind == "Flatten":
                x = x.flatten(layer["start_dim"])
            else:
                assert kind == "Linear"
                x = torch.nn.functional.linear(x, tensors[layer["weight"]], tensors[layer["bias"]])
        return x
    return model, description, tensors


@pytest.mark.parametrize("name", ["conv_strided", "conv_pooled_metasgd"])
def test_safetensors_and_json_rebuild_conv4(trained, tmp_path, name):
    snapshot = trained[name].snapshot()
    out = export_snapshot(snapshot, "safetensors", tmp_path / "model.safetensors", trained[name].config)
    model, description, tensors = _conv4_from_json(out)
    _, _, xq = _episode(snapshot)
    with torch.no_grad():
        assert torch.allclose(model(xq), snapshot.predict(xq)[0], atol=TOLERANCE, rtol=0)
    assert description["task_kind"] == "classification"
    assert {k: v["shape"] for k, v in description["tensors"].items()} == {k: list(v.shape) for k, v in tensors.items()}
    again = snapshot_from_bytes(out.read_bytes())
    assert all(torch.equal(a, b) for a, b in zip(again.params, snapshot.params))


def test_safetensors_json_of_the_mlp_classifier_is_an_nn_sequential(trained, tmp_path):
    snapshot = trained["mlp_anil"].snapshot()
    out = export_snapshot(snapshot, "safetensors", tmp_path / "model.safetensors")
    description = json.loads(sidecar_path(out).read_text())
    layers = [torch.nn.Linear(layer["in_features"], layer["out_features"]) if layer["type"] == "Linear"
              else getattr(torch.nn, layer["type"])() for layer in description["layers"]]
    model = torch.nn.Sequential(*layers)
    model.load_state_dict({k.removeprefix("model.layers."): v for k, v in load_file(out).items()
                           if k.startswith("model.")})
    _, _, xq = _episode(snapshot)
    with torch.no_grad():
        assert torch.allclose(model(xq), snapshot.predict(xq)[0], atol=TOLERANCE, rtol=0)
    assert description["head_only"] is True


@pytest.mark.parametrize("name", ["mlp_maml", "conv_strided", "conv_pooled_metasgd"])
def test_onnx_forward_of_classifiers_matches_torch(trained, tmp_path, name):
    ort = pytest.importorskip("onnxruntime")
    pytest.importorskip("onnxscript")
    snapshot = trained[name].snapshot()
    out = export_snapshot(snapshot, "onnx", tmp_path / "m.onnx")
    session = ort.InferenceSession(str(out), providers=["CPUExecutionProvider"])
    for n in (2, 9):
        x = torch.rand(n, *snapshot.input_shape, generator=torch.Generator().manual_seed(n))
        logits = torch.from_numpy(session.run(None, {"x": x.numpy()})[0])
        assert torch.allclose(logits, snapshot.predict(x)[0], atol=TOLERANCE, rtol=0)


def test_cli_exports_a_classification_run(trained, tmp_path):
    run = save_trainer(tmp_path / "run", trained["conv_strided"])
    outcome = run_cli(["export", run, "--format", "torchscript", "--out", tmp_path / "m.pt"])
    assert outcome.status == 0, outcome.err
    model = torch.jit.load(str(tmp_path / "m.pt"))
    snapshot = trained["conv_strided"].snapshot()
    xs, ys, xq = _episode(snapshot)
    assert torch.allclose(model.adapt(xs, ys, xq, 2, 0.0), snapshot.adapt(xs, ys, xq, 2)[-1, 0], atol=TOLERANCE)
