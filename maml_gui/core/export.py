"""Export trained models to files that other programs load without this package.

- ``torchscript``: one ``torch.jit.save`` file with ``forward(x)`` (the meta-learned
  initialisation) and ``adapt(x_support, y_support, x_query, steps, lr)`` (the inner loop);
  see :mod:`maml_gui.core.export_torchscript` (regression) and
  :mod:`maml_gui.core.export_classifier` (MLP and Conv-4 classifiers: logits, labels 0..N-1).
  Metadata in the extra file ``maml_gui.json``.
- ``onnx``: the forward pass, with a dynamic number of points (needs the ``onnx`` extra).
- ``safetensors``: the weights (same names as a run's ``model.safetensors``) plus a JSON
  sidecar ``<out>.json`` describing the layer layout, so plain torch can rebuild the model.

Every file is written to a temporary name in the target folder and renamed; a failed
export leaves nothing behind. Errors are :class:`ExportError` with a one-line message.
"""

from __future__ import annotations

import importlib
import io
import json
import logging
import os
import warnings
from pathlib import Path

import torch

from .. import __version__
from .atomic_files import atomic_write_all
from .choices import ACTIVATION_MODULES
from .checkpoint import RunError, load_run, snapshot_tensors, snapshot_to_bytes
from .config import ExperimentConfig
from .conv_models import Conv4Spec
from .export_classifier import build_adaptable_classifier, conv4_architecture, conv4_layer_layout
from .export_torchscript import build_adaptable_module
from .model_backends import build_module
from .models import build_torch_module
from .snapshot import ModelSnapshot

FORMATS = ("torchscript", "onnx", "safetensors")
EXPORT_FORMAT_VERSION = 1
METADATA_FILE = "maml_gui.json"  # the TorchScript extra file
ONNX_MISSING = ("ONNX export needs the optional extra: pip install 'maml-gui[onnx]' "
                "(onnx, onnxscript, onnxruntime)")


class ExportError(ValueError):
    """An export that could not be done; ``str()`` is one line for the user."""


def onnx_available() -> str | None:
    """None when ONNX export and onnxruntime can be used, else how to install them."""
    for name in ("onnx", "onnxscript", "onnxruntime"):
        try:
            importlib.import_module(name)
        except Exception:  # ImportError, or a broken install that fails while importing
            return ONNX_MISSING
    return None


# -- descriptions -----------------------------------------------------------------------------
def inner_rates_description(snapshot: ModelSnapshot) -> dict:
    """How ``adapt`` chooses its step sizes, for the metadata of every format."""
    rates = snapshot.rates
    if rates.per_parameter is not None:
        return {"kind": "per_parameter", "base": rates.base,
                "description": "Meta-SGD: one learned step size per weight; tensors inner_lr.<layer name>, "
                               "shaped like the weights they scale"}
    if rates.per_step is not None:
        return {"kind": "per_step", "base": rates.base, "shape": list(rates.per_step.shape),
                "description": "MAML++ LSLR: tensor inner_lr.per_step [steps, tensors]; row s scales step s "
                               "(steps past the last row reuse it), column j the j-th model tensor "
                               "(weight, bias, weight, bias...)"}
    return {"kind": "fixed", "base": rates.base,
            "description": f"one fixed step size for every weight: {rates.base}"}


def layer_layout(snapshot: ModelSnapshot) -> list[dict]:
    """The model as an ``nn.Sequential``: Linear layers (weights [out, in]) with activations between
    (Conv-4: its conv, batch-norm, ReLU, pooling and head layers)."""
    spec = snapshot.spec
    if isinstance(spec, Conv4Spec):
        return conv4_layer_layout(spec)
    layout: list[dict] = []
    for i, (fan_in, fan_out) in enumerate(zip(spec.sizes[:-1], spec.sizes[1:])):
        index = 2 * i
        layout.append({"index": index, "type": "Linear", "in_features": fan_in, "out_features": fan_out,
                       "weight": f"model.layers.{index}.weight", "bias": f"model.layers.{index}.bias"})
        if i < spec.layer_count - 1:
            layout.append({"index": index + 1, "type": ACTIVATION_MODULES[spec.activation]})
    return layout


def export_metadata(snapshot: ModelSnapshot, config: ExperimentConfig | None = None) -> dict:
    """Architecture, algorithm and adaptation settings (JSON-ready)."""
    spec = snapshot.spec
    meta = {
        "format": "maml-gui-export", "format_version": EXPORT_FORMAT_VERSION, "app_version": __version__,
        "algorithm": snapshot.algorithm, "iteration": snapshot.iteration,
        "task_kind": snapshot.task_kind,
        "architecture": conv4_architecture(spec) if isinstance(spec, Conv4Spec) else
        {"inputs": spec.inputs, "hidden": list(spec.hidden), "outputs": spec.outputs, "activation": spec.activation},
        "inner_lr": snapshot.rates.base, "inner_rates": inner_rates_description(snapshot),
        "head_only": bool(snapshot.head_only), "train_inner_steps": snapshot.train_inner_steps,
    }
    if config is not None:
        meta["config"] = config.model_dump(mode="json", exclude_none=True)
    return meta


# -- formats ----------------------------------------------------------------------------------
def torchscript_bytes(snapshot: ModelSnapshot, config: ExperimentConfig | None = None) -> bytes:
    buffer = io.BytesIO()
    with warnings.catch_warnings():  # torch 2.13 marks torch.jit as deprecated; it still works
        warnings.simplefilter("ignore", DeprecationWarning)
        build = build_adaptable_module if snapshot.task_kind == "regression" else build_adaptable_classifier
        module = torch.jit.script(build(snapshot).eval())
        torch.jit.save(module, buffer, _extra_files={METADATA_FILE: json.dumps(export_metadata(snapshot, config), indent=2)})
    return buffer.getvalue()


def onnx_bytes(snapshot: ModelSnapshot, config: ExperimentConfig | None = None) -> bytes:
    """The forward pass as an ONNX model: input ``x`` [N, *input] -> output ``y`` [N, outputs]
    (classifiers: logits; Conv-4's batch norm uses the statistics of the ``N`` examples given).

    The metadata of :func:`export_metadata` is stored as the model's ``maml_gui`` metadata property.
    """
    if snapshot.task_kind == "regression":
        module = build_torch_module(snapshot.spec, snapshot.params).eval()
    else:
        module = build_module(snapshot.spec)
        module.load_state_dict(snapshot.backend().to_named(snapshot.params))
        module.eval()
    example = torch.rand(8, *snapshot.input_shape, generator=torch.Generator().manual_seed(0))
    points = torch.export.Dim("points", min=1)
    exporter_log = logging.getLogger("torch.onnx")
    level = exporter_log.level
    try:
        exporter_log.setLevel(logging.ERROR)  # "torchvision is not installed" and similar chatter
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            program = torch.onnx.export(module, (example,), input_names=["x"], output_names=["y"],
                                        dynamic_shapes=({0: points},), dynamo=True, verbose=False)
        proto = program.model_proto
        proto.metadata_props.add(key="maml_gui", value=json.dumps(export_metadata(snapshot, config)))
        return proto.SerializeToString()
    except Exception as err:  # the exporter raises many kinds of errors
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise ExportError(f"ONNX export failed: {first}") from None
    finally:
        exporter_log.setLevel(level)


def safetensors_sidecar(snapshot: ModelSnapshot, config: ExperimentConfig | None = None) -> dict:
    meta = export_metadata(snapshot, config)
    meta["layers"] = layer_layout(snapshot)
    meta["tensors"] = {name: {"shape": list(t.shape), "dtype": str(t.dtype).removeprefix("torch.")}
                       for name, t in snapshot_tensors(snapshot).items()}
    if isinstance(snapshot.spec, Conv4Spec):
        meta["rebuild"] = ("the 'layers' in order, each with the model.* tensors it names (BatchNorm2d: transductive, "
                           "see its entry; SpatialMean: x.mean((-2, -1)); nn.Linear weights are [out, in])")
    else:
        meta["rebuild"] = ("nn.Sequential of the 'layers' in order; load the model.* tensors with their "
                           "'model.' prefix removed (nn.Linear weights are [out, in])")
    return meta


def sidecar_path(out: str | Path) -> Path:
    """Where the JSON description of a safetensors export goes: ``<out>.json``."""
    out = Path(out)
    return out.with_name(out.name + ".json")


# -- writing ----------------------------------------------------------------------------------
def check_export_target(path: Path) -> None:
    """Raise ExportError unless a file can be written at ``path`` (checked before any work)."""
    if path.is_dir():
        raise ExportError(f"cannot export to {path}: it is a folder; give a file name")
    parent = path.parent
    if not parent.exists():
        raise ExportError(f"cannot export to {path}: the folder {parent} does not exist")
    if not parent.is_dir():
        raise ExportError(f"cannot export to {path}: {parent} is not a folder")
    if not os.access(parent, os.W_OK):
        raise ExportError(f"cannot export to {path}: no permission to write in {parent}")


def write_files_atomically(files: dict[Path, bytes]) -> None:
    """Write every file atomically (all temporary files first, then the renames); raises
    :class:`ExportError` with one line."""
    try:
        atomic_write_all(files)
    except OSError as err:
        named = err.filename if err.filename and Path(err.filename).name in {p.name for p in files} else None
        raise ExportError(f"cannot write {named or next(iter(files))}: {err.strerror or err}") from None


def _check_format(fmt: str) -> str:
    name = str(fmt).strip().lower()
    if name not in FORMATS:
        raise ExportError(f"unknown export format {fmt!r}; choose one of: {', '.join(FORMATS)}")
    return name


def export_snapshot(snapshot: ModelSnapshot, fmt: str, out: str | Path,
                    config: ExperimentConfig | None = None) -> Path:
    """Write ``snapshot`` as ``fmt`` to ``out`` (and ``<out>.json`` for safetensors); returns ``out``."""
    fmt = _check_format(fmt)
    out = Path(out).expanduser()
    targets = [out, sidecar_path(out)] if fmt == "safetensors" else [out]
    for path in targets:
        check_export_target(path)
    if fmt == "torchscript":
        files = {out: torchscript_bytes(snapshot, config)}
    elif fmt == "onnx":
        missing = onnx_available()
        if missing:
            raise ExportError(missing)
        files = {out: onnx_bytes(snapshot, config)}
    else:
        sidecar = json.dumps(safetensors_sidecar(snapshot, config), indent=2) + "\n"
        files = {out: snapshot_to_bytes(snapshot), sidecar_path(out): sidecar.encode("utf-8")}
    write_files_atomically(files)
    return out


def export_run(run_dir: str | Path, fmt: str, out: str | Path) -> Path:
    """Export the weights of a run directory; a broken run is an :class:`ExportError`."""
    _check_format(fmt)
    try:
        run = load_run(run_dir, with_history=False)
    except RunError as err:
        raise ExportError(str(err)) from None
    if run.snapshot is None:
        raise ExportError(f"{run_dir} has no trained weights yet: train it before exporting")
    return export_snapshot(run.snapshot, fmt, out, run.config)
