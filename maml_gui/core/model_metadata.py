"""A model's architecture as plain strings (safetensors metadata) and back.

Files written before classification existed have no ``model_kind`` and no ``task_kind``: they
read as an MLP on regression, as they always did.
"""

from __future__ import annotations

import json

from .conv_models import Conv4Spec
from .model_backends import ModelSpec
from .models import MLPSpec


def architecture_metadata(spec: ModelSpec, task_kind: str) -> dict[str, str]:
    meta = {"task_kind": task_kind, "outputs": str(spec.outputs)}
    if isinstance(spec, Conv4Spec):
        meta.update(model_kind="conv4", channels=str(spec.channels), image_size=str(spec.image_size),
                    filters=str(spec.filters), strided=json.dumps(spec.strided))
    else:
        meta.update(model_kind="mlp", hidden=json.dumps(list(spec.hidden)), activation=spec.activation,
                    inputs=str(spec.inputs))
    return meta


def spec_from_metadata(meta: dict[str, str]) -> tuple[ModelSpec, str]:
    """(model spec, task kind); KeyError / ValueError / TypeError when the metadata is incomplete."""
    task_kind = meta.get("task_kind", "regression")
    if task_kind not in ("regression", "classification"):
        raise ValueError(f"unknown task kind {task_kind!r}")
    kind = meta.get("model_kind", "mlp")
    if kind == "conv4":
        strided = json.loads(meta["strided"])
        if not isinstance(strided, bool):
            raise ValueError("strided must be true or false")
        return Conv4Spec(channels=int(meta["channels"]), image_size=int(meta["image_size"]),
                         filters=int(meta["filters"]), outputs=int(meta["outputs"]), strided=strided), task_kind
    if kind != "mlp":
        raise ValueError(f"unknown model kind {kind!r}")
    hidden = json.loads(meta["hidden"])
    if not isinstance(hidden, list):
        raise ValueError("hidden must be a list of layer sizes")
    return MLPSpec(hidden=tuple(int(h) for h in hidden), activation=meta["activation"], inputs=int(meta["inputs"]),
                   outputs=int(meta["outputs"])), task_kind
