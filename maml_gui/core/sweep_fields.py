"""The config fields a sweep can vary, read from the config schema (Qt-free).

Each :class:`SweepField` is a ``section.key`` of :class:`~maml_gui.core.config.ExperimentConfig`
holding one value (a number, a word from a fixed list, a flag or a list of layer widths);
nested tables (task parameters, mixture components) and the fields a sweep sets itself
(``training.seed``) or that do not change results (device, threads) are left out.
"""

from __future__ import annotations

import types
import typing
from dataclasses import dataclass

from pydantic import BaseModel

from .config import ExperimentConfig
from .sweep import format_value

SECTIONS = ("training", "model", "task", "evaluation")
NOT_SWEPT = {"training.seed", "training.device", "training.threads", "task.root", "task.kind"}


@dataclass(frozen=True)
class SweepField:
    key: str  # "training.inner_lr"
    kind: str  # "number", "whole", "choice", "flag", "list", "text"
    description: str = ""
    choices: tuple[str, ...] = ()

    def suggestion(self, current: object) -> str:
        """Values to start from in the dialog: both flags, or the current value."""
        if self.kind == "flag":
            return "true,false"
        return "" if current is None else format_value(current)


def _kind(annotation) -> tuple[str, tuple[str, ...]]:
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    origin = typing.get_origin(annotation)
    if origin is typing.Literal:
        return "choice", tuple(str(a) for a in typing.get_args(annotation))
    if origin in (typing.Union, types.UnionType) and len(args) == 1:
        return _kind(args[0])
    if origin is list:
        return "list", ()
    if typing.get_origin(annotation) is typing.Annotated:
        return _kind(args[0])
    return {bool: "flag", int: "whole", float: "number", str: "text"}.get(annotation, ""), ()


def sweep_fields() -> list[SweepField]:
    """Every field a sweep can vary, training first."""
    fields: list[SweepField] = []
    for section in SECTIONS:
        model: type[BaseModel] = ExperimentConfig.model_fields[section].annotation
        for name, info in model.model_fields.items():
            key = f"{section}.{name}"
            kind, choices = _kind(info.annotation)
            if key in NOT_SWEPT or not kind or (kind == "list" and key != "model.hidden"):
                continue
            fields.append(SweepField(key, kind, info.description or "", choices))
    return fields


def current_value(config: ExperimentConfig, key: str) -> object:
    section, _, name = key.partition(".")
    return getattr(getattr(config, section), name)
