"""A model's architecture as plain strings (safetensors metadata) and back, checked.

Files written before classification existed have no ``model_kind`` and no ``task_kind``: they
read as an MLP on regression, as they always did.
"""

from __future__ import annotations

import json

from . import weights_validation as weights_check
from .conv_models import Conv4Spec
from .model_backends import ModelSpec
from .models import MLPSpec
from .run_validation import RunError, shown

MAX_CHANNELS = 64
MAX_IMAGE_SIDE = 4096


def architecture_metadata(spec: ModelSpec, task_kind: str) -> dict[str, str]:
    meta = {"task_kind": task_kind, "outputs": str(spec.outputs)}
    if isinstance(spec, Conv4Spec):
        meta.update(model_kind="conv4", channels=str(spec.channels), image_size=str(spec.image_size),
                    filters=str(spec.filters), strided=json.dumps(spec.strided))
    else:
        meta.update(model_kind="mlp", hidden=json.dumps(list(spec.hidden)), activation=spec.activation,
                    inputs=str(spec.inputs))
    return meta


def spec_from_metadata(meta: dict[str, str], source: str) -> tuple[ModelSpec, str]:
    """(model spec, task kind); RunError (one line) when the metadata is missing or out of range."""
    task_kind = meta.get("task_kind", "regression")
    if task_kind not in ("regression", "classification"):
        raise RunError(f"{source}: metadata 'task_kind' must be regression or classification, not {shown(task_kind)}")
    kind = meta.get("model_kind", "mlp")
    width = weights_check.MAX_LAYER_WIDTH
    outputs = weights_check.meta_int(meta, "outputs", source, 1, width)
    if kind == "conv4":
        return Conv4Spec(channels=weights_check.meta_int(meta, "channels", source, 1, MAX_CHANNELS),
                         image_size=weights_check.meta_int(meta, "image_size", source, 1, MAX_IMAGE_SIDE),
                         filters=weights_check.meta_int(meta, "filters", source, 1, width), outputs=outputs,
                         strided=weights_check.meta_json(meta, "strided", source, bool)), task_kind
    if kind != "mlp":
        raise RunError(f"{source}: metadata 'model_kind' must be mlp or conv4, not {shown(kind)}")
    return MLPSpec(hidden=weights_check.meta_hidden(meta, source), activation=meta.get("activation"),
                   inputs=weights_check.meta_int(meta, "inputs", source, 1, width), outputs=outputs), task_kind
