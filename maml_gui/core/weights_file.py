"""``model.safetensors``: a :class:`~maml_gui.core.snapshot.ModelSnapshot` as safetensors bytes
(meta-learned weights, learned inner rates, the baseline; the architecture and adaptation
settings in the metadata), and back, every part checked before use."""

from __future__ import annotations

import json

import torch
from safetensors import SafetensorError
from safetensors.torch import load as load_safetensors_bytes
from safetensors.torch import save as save_safetensors_bytes

from .. import __version__
from . import weights_validation as weights_check
from .adaptation import InnerRates
from .model_backends import backend_for
from .model_metadata import architecture_metadata, spec_from_metadata
from .run_validation import PARSE_ERRORS, RunError
from .snapshot import ModelSnapshot

RUN_FORMAT = 1  # the run directory's format version (run.json); the weights' metadata carries it too
WEIGHTS = "model.safetensors"


def snapshot_tensors(snapshot: ModelSnapshot) -> dict[str, torch.Tensor]:
    """Named tensors of a snapshot: ``model.*`` (PyTorch layout), ``inner_lr.*``, ``baseline.*``."""
    to_named = snapshot.backend().to_named
    tensors = {f"model.{k}": v for k, v in to_named(snapshot.params).items()}
    if snapshot.rates.per_parameter is not None:
        tensors.update({f"inner_lr.{k}": v for k, v in to_named(snapshot.rates.per_parameter).items()})
    if snapshot.rates.per_step is not None:
        tensors["inner_lr.per_step"] = snapshot.rates.per_step.contiguous()
    if snapshot.baseline_params is not None:
        tensors.update({f"baseline.{k}": v for k, v in to_named(snapshot.baseline_params).items()})
    return tensors


def snapshot_metadata(snapshot: ModelSnapshot) -> dict[str, str]:
    """Architecture and adaptation settings, as safetensors metadata (strings only)."""
    return {
        "format": "maml-gui-model", "format_version": str(RUN_FORMAT), "app_version": __version__,
        "algorithm": snapshot.algorithm, "iteration": str(snapshot.iteration),
        **architecture_metadata(snapshot.spec, snapshot.task_kind),
        "inner_lr": repr(snapshot.rates.base), "head_only": json.dumps(snapshot.head_only),
        "baseline_lr": repr(snapshot.baseline_lr), "train_inner_steps": str(snapshot.train_inner_steps),
        "baseline_head_only": json.dumps(snapshot.baseline_head_only),
    }


def snapshot_to_bytes(snapshot: ModelSnapshot) -> bytes:
    return save_safetensors_bytes(snapshot_tensors(snapshot), metadata=snapshot_metadata(snapshot))


def snapshot_from_bytes(data: bytes, source: str = WEIGHTS) -> ModelSnapshot:
    """Parse safetensors bytes written by :func:`snapshot_to_bytes`; raises RunError when broken.

    Checked: the header (size, nesting, float32 only), the metadata (numbers in range), every
    tensor's name and shape against the architecture, and every value finite."""
    meta = weights_check.check_header(data, source)
    try:
        tensors = load_safetensors_bytes(data)
    except (SafetensorError, *PARSE_ERRORS, OSError) as err:
        raise RunError(f"{source} is not a valid safetensors file (truncated or damaged): {err}") from None
    if meta.get("format") != "maml-gui-model":
        raise RunError(f"{source} was not written by MAML Studio")
    version = weights_check.meta_int(meta, "format_version", source, 0, 2**31, default="0")
    if version > RUN_FORMAT:
        raise RunError(f"{source} was written by a newer MAML Studio (format {version})")
    weights_check.check_values(tensors, source)
    try:
        spec, task_kind = spec_from_metadata(meta, source)
        backend = backend_for(spec, task_kind)

        def group(prefix: str):
            found = {k[len(prefix):]: v for k, v in tensors.items() if k.startswith(prefix)}
            return tuple(backend.from_named(found)) if found else None

        params = group("model.")
        if params is None:
            raise ValueError("no model weights")
        per_step = tensors.get("inner_lr.per_step")
        if per_step is not None and (per_step.dim() != 2 or per_step.shape[0] < 1 or per_step.shape[1] != len(params)):
            raise ValueError(f"inner_lr.per_step has shape {tuple(per_step.shape)}, expected [steps, {len(params)}]")
        per_parameter = group("inner_lr.") if per_step is None else None
        rates = InnerRates(weights_check.meta_float(meta, "inner_lr", source), per_parameter, per_step)
        head_only = weights_check.meta_json(meta, "head_only", source, bool)
        algorithm = meta.get("algorithm")
        if not isinstance(algorithm, str) or not algorithm:
            raise ValueError("no algorithm in the metadata")
        return ModelSnapshot(
            spec=spec, params=params, algorithm=algorithm, rates=rates,
            head_only=head_only, iteration=weights_check.meta_iteration(meta, source),
            baseline_params=group("baseline."), baseline_lr=weights_check.meta_float(meta, "baseline_lr", source),
            train_inner_steps=weights_check.meta_int(meta, "train_inner_steps", source, 1, 1_000_000, default="1"),
            task_kind=task_kind, baseline_head_only=(weights_check.meta_json(meta, "baseline_head_only", source, bool)
                                                    if "baseline_head_only" in meta else False),
        )
    except (KeyError, ValueError, TypeError) as err:
        if isinstance(err, RunError):
            raise
        raise RunError(f"{source} does not describe a model this version can read: {err}") from None
