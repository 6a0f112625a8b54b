"""Experiment presets shipped as TOML package data."""

from __future__ import annotations

from importlib import resources

from ..config import ConfigError, ExperimentConfig, from_toml


def _files():
    return {f.name.removesuffix(".toml"): f for f in resources.files(__name__).iterdir() if f.name.endswith(".toml")}


def preset_names(kind: str | None = None) -> list[str]:
    """Every preset's name, or those whose ``task.kind`` is ``kind`` ("regression", "classification")."""
    names = sorted(_files())
    return names if kind is None else [n for n in names if load_preset(n).task.kind == kind]


def preset_text(name: str) -> str:
    files = _files()
    if name not in files:
        raise ConfigError(f"unknown preset {name!r}; available: {', '.join(sorted(files))}")
    return files[name].read_text(encoding="utf-8")


def load_preset(name: str) -> ExperimentConfig:
    return from_toml(preset_text(name), source=f"preset {name}")


def list_presets(kind: str | None = None) -> dict[str, str]:
    """Preset name -> one-line description (the config's ``name``), optionally of one task kind."""
    configs = {name: load_preset(name) for name in preset_names()}
    return {name: c.name for name, c in configs.items() if kind is None or c.task.kind == kind}
