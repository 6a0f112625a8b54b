"""Run directories: the unit the CLI writes, the GUI opens and saves, and export reads.

::

    run/
      config.toml          resolved experiment config
      metrics.csv          one row per logged iteration
      validation.jsonl     one adaptation curve per validation
      model.safetensors    meta-learned weights (+ learned inner rates, + baseline), with metadata
      resume.pt            optimiser and RNG state; loaded with ``weights_only=True``
      points.json          the playground's drawn support points (optional)
      run.json             format version, iteration, app version

Every file is written to a temporary name and renamed, so a killed process leaves either
the old or the new file. Nothing is ever unpickled beyond plain tensors and containers.
"""

from __future__ import annotations

import io
import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load as load_safetensors_bytes
from safetensors.torch import save as save_safetensors_bytes

from .. import __version__
from .adaptation import InnerRates
from .atomic_files import NEW_FILE_MODE, atomic_write  # noqa: F401 - re-exported for callers
from .config import ConfigError, ExperimentConfig, from_toml
from .metrics import MetricsHistory
from .models import MLPSpec, from_torch_layout, to_torch_layout
from .snapshot import ModelSnapshot

RUN_FORMAT = 1
CONFIG, METRICS, VALIDATION, WEIGHTS, RESUME, POINTS, RUN_INFO = (
    "config.toml", "metrics.csv", "validation.jsonl", "model.safetensors", "resume.pt", "points.json", "run.json")


class RunError(ValueError):
    """A directory that is not a readable run; ``str()`` is one line for the user."""


# -- weights --------------------------------------------------------------------------------
def snapshot_tensors(snapshot: ModelSnapshot) -> dict[str, torch.Tensor]:
    """Named tensors of a snapshot: ``model.*`` (PyTorch layout), ``inner_lr.*``, ``baseline.*``."""
    tensors = {f"model.{k}": v for k, v in to_torch_layout(snapshot.spec, snapshot.params).items()}
    if snapshot.rates.per_parameter is not None:
        tensors.update({f"inner_lr.{k}": v for k, v in to_torch_layout(snapshot.spec, snapshot.rates.per_parameter).items()})
    if snapshot.rates.per_step is not None:
        tensors["inner_lr.per_step"] = snapshot.rates.per_step.contiguous()
    if snapshot.baseline_params is not None:
        tensors.update({f"baseline.{k}": v for k, v in to_torch_layout(snapshot.spec, snapshot.baseline_params).items()})
    return tensors


def snapshot_metadata(snapshot: ModelSnapshot) -> dict[str, str]:
    """Architecture and adaptation settings, as safetensors metadata (strings only)."""
    return {
        "format": "maml-gui-model", "format_version": str(RUN_FORMAT), "app_version": __version__,
        "algorithm": snapshot.algorithm, "iteration": str(snapshot.iteration),
        "hidden": json.dumps(list(snapshot.spec.hidden)), "activation": snapshot.spec.activation,
        "inputs": str(snapshot.spec.inputs), "outputs": str(snapshot.spec.outputs),
        "inner_lr": repr(snapshot.rates.base), "head_only": json.dumps(snapshot.head_only),
        "baseline_lr": repr(snapshot.baseline_lr), "train_inner_steps": str(snapshot.train_inner_steps),
    }


def snapshot_to_bytes(snapshot: ModelSnapshot) -> bytes:
    return save_safetensors_bytes(snapshot_tensors(snapshot), metadata=snapshot_metadata(snapshot))


def snapshot_from_bytes(data: bytes, source: str = WEIGHTS) -> ModelSnapshot:
    """Parse safetensors bytes written by :func:`snapshot_to_bytes`; raises RunError when broken."""
    try:
        tensors = load_safetensors_bytes(data)
        header_len = int.from_bytes(data[:8], "little")
        meta = json.loads(data[8:8 + header_len]).get("__metadata__", {})
    except (SafetensorError, ValueError, OSError, KeyError, TypeError, OverflowError) as err:
        raise RunError(f"{source} is not a valid safetensors file (truncated or damaged): {err}") from None
    if meta.get("format") != "maml-gui-model":
        raise RunError(f"{source} was not written by MAML Studio")
    if int(meta.get("format_version", "0")) > RUN_FORMAT:
        raise RunError(f"{source} was written by a newer MAML Studio (format {meta['format_version']})")
    try:
        spec = MLPSpec(hidden=tuple(json.loads(meta["hidden"])), activation=meta["activation"],
                       inputs=int(meta["inputs"]), outputs=int(meta["outputs"]))

        def group(prefix: str):
            found = {k[len(prefix):]: v for k, v in tensors.items() if k.startswith(prefix)}
            return tuple(from_torch_layout(spec, found)) if found else None

        params = group("model.")
        if params is None:
            raise ValueError("no model weights")
        per_parameter = group("inner_lr.") if "inner_lr.per_step" not in tensors else None
        rates = InnerRates(float(meta["inner_lr"]), per_parameter, tensors.get("inner_lr.per_step"))
        return ModelSnapshot(
            spec=spec, params=params, algorithm=meta["algorithm"], rates=rates,
            head_only=json.loads(meta["head_only"]), iteration=int(meta["iteration"]),
            baseline_params=group("baseline."), baseline_lr=float(meta["baseline_lr"]),
            train_inner_steps=int(meta.get("train_inner_steps", "1")),
        )
    except (KeyError, ValueError, TypeError) as err:
        raise RunError(f"{source} does not describe a model this version can read: {err}") from None


# -- run directories ------------------------------------------------------------------------
@dataclass
class RunData:
    """What a run directory holds, parsed."""

    path: Path
    config: ExperimentConfig
    snapshot: ModelSnapshot | None
    history: MetricsHistory
    points: list[tuple[float, float]] = field(default_factory=list)
    iteration: int = 0


def save_run(path: str | Path, config: ExperimentConfig, snapshot: ModelSnapshot | None = None,
             history: MetricsHistory | None = None, resume_state: dict | None = None,
             points: list[tuple[float, float]] | None = None) -> Path:
    """Write (or update) a run directory; each file atomically. Weights go before resume state."""
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    atomic_write(path / CONFIG, config.to_toml())
    if history is not None:
        atomic_write(path / METRICS, history.to_csv())
        atomic_write(path / VALIDATION, history.validations_jsonl())
    if snapshot is not None:
        atomic_write(path / WEIGHTS, snapshot_to_bytes(snapshot))
    if resume_state is not None:
        buffer = io.BytesIO()
        torch.save(resume_state, buffer)
        atomic_write(path / RESUME, buffer.getvalue())
    if points is not None:
        atomic_write(path / POINTS, json.dumps({"points": [[float(x), float(y)] for x, y in points]}))
    info = {"format": "maml-gui-run", "format_version": RUN_FORMAT, "app_version": __version__,
            "iteration": snapshot.iteration if snapshot is not None else 0}
    atomic_write(path / RUN_INFO, json.dumps(info, indent=2))
    return path


def save_trainer(path: str | Path, trainer, points: list[tuple[float, float]] | None = None) -> Path:
    """Save everything a :class:`~maml_gui.core.training.Trainer` needs to resume exactly."""
    return save_run(path, trainer.config, trainer.snapshot(), trainer.history, trainer.state_dict(), points)


def is_run(path: str | Path) -> bool:
    return (Path(path) / CONFIG).is_file() and (Path(path) / RUN_INFO).is_file()


def load_run(path: str | Path, with_history: bool = True) -> RunData:
    """Read a run directory; raises :class:`RunError` with one readable line when it can't.

    ``with_history=False`` skips the metrics (evaluation and export do not need them, so a
    damaged metrics file does not stop them)."""
    path = Path(path)
    if not path.is_dir():
        raise RunError(f"{path} is not a directory")
    if not is_run(path):
        raise RunError(f"{path} is not a MAML Studio run (no {CONFIG} and {RUN_INFO})")
    try:
        info = json.loads((path / RUN_INFO).read_text(encoding="utf-8"))
        if not isinstance(info, dict) or info.get("format") != "maml-gui-run":
            raise RunError(f"{path}: {RUN_INFO} was not written by MAML Studio")
        if int(info.get("format_version", 0)) > RUN_FORMAT:
            raise RunError(f"{path} was written by a newer MAML Studio (run format {info['format_version']})")
        config = from_toml((path / CONFIG).read_text(encoding="utf-8"), source=CONFIG)
        history = MetricsHistory()
        if with_history and (path / METRICS).is_file():
            validation = (path / VALIDATION).read_text(encoding="utf-8") if (path / VALIDATION).is_file() else ""
            history = MetricsHistory.parse((path / METRICS).read_text(encoding="utf-8"), validation)
        snapshot = snapshot_from_bytes((path / WEIGHTS).read_bytes()) if (path / WEIGHTS).is_file() else None
        points = []
        if (path / POINTS).is_file():
            points = [(float(x), float(y)) for x, y in json.loads((path / POINTS).read_text(encoding="utf-8"))["points"]]
    except RunError:
        raise
    except ConfigError as err:
        raise RunError(f"{path}: {err}") from None
    except (OSError, ValueError, KeyError, TypeError, UnicodeDecodeError) as err:
        raise RunError(f"{path}: cannot read the run: {err}") from None
    return RunData(path, config, snapshot, history, points, snapshot.iteration if snapshot else 0)


def load_resume_state(path: str | Path) -> dict:
    """The optimiser/RNG state, unpickled with ``weights_only=True`` (tensors and containers only)."""
    file = Path(path) / RESUME
    if not file.is_file():
        raise RunError(f"{path} has no {RESUME}: it cannot be resumed")
    try:
        state = torch.load(file, map_location="cpu", weights_only=True)
    except Exception as err:  # torch raises UnpicklingError, RuntimeError, EOFError...
        raise RunError(f"{file} cannot be loaded safely (damaged, or not plain tensors): {_load_failure(err)}") from None
    if not isinstance(state, dict) or "iteration" not in state:
        raise RunError(f"{file} is not a MAML Studio resume state")
    return state


def _load_failure(err: Exception) -> str:
    """The line of a ``torch.load`` error that names the cause, not torch's advice to load unsafely."""
    advice = ("Weights only load failed", "Please file an issue", "Check the documentation")
    lines = [line.strip() for line in str(err).splitlines() if line.strip()]
    return next((line for line in lines if not line.startswith(advice)), lines[0] if lines else type(err).__name__)


def resume_trainer(path: str | Path, device: str | None = None, threads: int | None = None):
    """A Trainer restored from a run directory, ready to continue; also returns the RunData."""
    from .training import Trainer

    run = load_run(path)
    state = load_resume_state(path)
    trainer = Trainer(run.config, device=device, threads=threads)
    try:
        trainer.load_state_dict(state)
    except (KeyError, ValueError, RuntimeError, TypeError) as err:
        raise RunError(f"{path}: the resume state does not fit the config: {err}") from None
    run.history.truncate(trainer.iteration)
    trainer.history = run.history
    return trainer, run
