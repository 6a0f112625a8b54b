"""Run directories: the unit the CLI writes, the GUI opens and saves, and export reads.

::

    run/
      config.toml          resolved experiment config
      metrics.csv          one row per logged iteration
      validation.jsonl     one adaptation curve per validation
      model.safetensors    meta-learned weights (+ learned inner rates, + baseline), with metadata
      resume.pt            optimiser and RNG state; loaded with ``weights_only=True``
      points.json          the playground's drawn support points (optional)
      drawing.json         the image playground's drawn task, as strokes (optional; ``drawn_task``)
      class_points.json    the 2-D classification playground's points, [x, y, class] (optional; ``drawn_work``)
      run.json             format version, iteration, app version

Every file is written to a temporary name and renamed, so a killed process leaves either
the old or the new file. Nothing is ever unpickled beyond plain tensors and containers.
The weights' bytes are :mod:`~maml_gui.core.weights_file`'s, the drawn-work files
:mod:`~maml_gui.core.run_drawn_files`'; their public names are importable from here too.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass, field
from pathlib import Path

import torch

from .. import __version__
from . import weights_validation as weights_check
from .atomic_files import NEW_FILE_MODE, atomic_write, remove_stale_temp_files
from .config import ConfigError, ExperimentConfig, from_toml
from .drawn_task import DrawnTask, parse_drawn_task
from .drawn_work import CLASS_POINTS, ClassPoint, parse_class_points
from .metrics import MetricsHistory
from .resume_validation import check_resume_fits, load_resume_file
from .run_drawn_files import (DRAWING, DRAWN_TEXT_LIMIT, POINTS, apply_drawn_file_changes, drawn_file_changes,
                              read_drawn_file)
from .run_validation import (PARSE_ERRORS, RunError, check_run_info, parse_history, parse_json, parse_points,
                             present, read_bytes, read_text)
from .snapshot import ModelSnapshot
from .weights_file import (RUN_FORMAT, WEIGHTS, snapshot_from_bytes, snapshot_metadata, snapshot_tensors,
                           snapshot_to_bytes)

CONFIG, METRICS, VALIDATION, RESUME, RUN_INFO = (
    "config.toml", "metrics.csv", "validation.jsonl", "resume.pt", "run.json")
WRITE_TEST = ".write-test"  # written and removed by ``train`` to check that --out is writable
RUN_FILES = (CONFIG, METRICS, VALIDATION, WEIGHTS, RESUME, POINTS, DRAWING, CLASS_POINTS, RUN_INFO)
# Size limits, checked before reading (weights and resume state: by the config's model size).
TEXT_LIMITS = {CONFIG: 1 << 20, RUN_INFO: 1 << 16, POINTS: DRAWN_TEXT_LIMIT, DRAWING: DRAWN_TEXT_LIMIT,
               CLASS_POINTS: DRAWN_TEXT_LIMIT, METRICS: 256 << 20, VALIDATION: 256 << 20}
RESUME_SLACK_BYTES = 16 << 20

__all__ = ["NEW_FILE_MODE", "RunError", "RunData", "atomic_write", "is_run", "load_resume_state", "load_run",
           "remove_leftover_temp_files", "resume_trainer", "save_run", "save_trainer", "snapshot_from_bytes",
           "snapshot_metadata", "snapshot_tensors", "snapshot_to_bytes"]


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
    drawing: DrawnTask | None = None
    class_points: list[ClassPoint] = field(default_factory=list)
    unread: dict[str, str] = field(default_factory=dict)  # damaged drawn-work file -> why it was not read


def save_run(path: str | Path, config: ExperimentConfig, snapshot: ModelSnapshot | None = None,
             history: MetricsHistory | None = None, resume_state: dict | None = None,
             points: list[tuple[float, float]] | None = None, drawing: DrawnTask | None = None,
             class_points: list[ClassPoint] | None = None) -> Path:
    """Write (or update) a run directory; each file atomically. Weights go before resume state.
    An empty ``drawing`` or ``class_points`` removes a stored one (the user cleared the playground);
    None leaves it as it is."""
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    remove_leftover_temp_files(path)
    # the drawn files' places are checked before anything is written (a folder there: refused in one line)
    drawn_changes = drawn_file_changes(path, points, drawing, class_points)
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
    apply_drawn_file_changes(path, drawn_changes)
    info = {"format": "maml-gui-run", "format_version": RUN_FORMAT, "app_version": __version__,
            "iteration": snapshot.iteration if snapshot is not None else 0}
    atomic_write(path / RUN_INFO, json.dumps(info, indent=2))
    return path


def save_trainer(path: str | Path, trainer, points: list[tuple[float, float]] | None = None,
                 drawing: DrawnTask | None = None, class_points: list[ClassPoint] | None = None) -> Path:
    """Save everything a :class:`~maml_gui.core.training.Trainer` needs to resume exactly."""
    return save_run(path, trainer.config, trainer.snapshot(), trainer.history, trainer.state_dict(), points,
                    drawing, class_points)


def remove_leftover_temp_files(path: str | Path) -> list[Path]:
    """Remove the ``.NAME.xxxxxxxx.tmp`` files a killed write of ours left in a run directory."""
    return remove_stale_temp_files(Path(path), (*RUN_FILES, WRITE_TEST))


def is_run(path: str | Path) -> bool:
    try:
        return (Path(path) / CONFIG).is_file() and (Path(path) / RUN_INFO).is_file()
    except OSError:  # a name too long, no permission: not a run we can read
        return False


def load_run(path: str | Path, with_history: bool = True) -> RunData:
    """Read a run directory; raises :class:`RunError` with one readable line when it can't.

    Everything is checked before use (sizes before reading, types, shapes, dtypes, finiteness,
    agreement of the weights with the config). ``with_history=False`` skips the metrics
    (evaluation and export do not need them, so a damaged metrics file does not stop them)."""
    path = Path(path)
    try:
        if not path.is_dir():
            raise RunError(f"{path} is not a directory")
    except OSError as err:  # e.g. a name too long
        raise RunError(f"{path}: {err.strerror or err}") from None
    if not is_run(path):
        raise RunError(f"{path} is not a MAML Studio run (no {CONFIG} and {RUN_INFO})")
    remove_leftover_temp_files(path)
    try:
        check_run_info(parse_json(_read_text(path, RUN_INFO), RUN_INFO), RUN_INFO, RUN_FORMAT)
        config = _parse_config(_read_text(path, CONFIG))
        history = MetricsHistory()
        if with_history and present(path, METRICS):
            validation = _read_text(path, VALIDATION) if present(path, VALIDATION) else ""
            history = parse_history(_read_text(path, METRICS), validation, METRICS, VALIDATION)
        snapshot = None
        if present(path, WEIGHTS):
            limit = weights_check.expected_weights_bytes(_parameter_count(config), config.training.inner_steps)
            snapshot = snapshot_from_bytes(read_bytes(path / WEIGHTS, limit, WEIGHTS))
            weights_check.check_fits_config(snapshot, config, WEIGHTS)
        points = parse_points(parse_json(_read_text(path, POINTS), POINTS), POINTS) if present(path, POINTS) else []
        unread: dict[str, str] = {}
        drawing = read_drawn_file(path, DRAWING, parse_drawn_task, None, unread)
        class_points = read_drawn_file(path, CLASS_POINTS, parse_class_points, [], unread)
    except RunError as err:
        raise RunError(f"{path}: {err}") from None
    except (*PARSE_ERRORS, OSError) as err:
        raise RunError(f"{path}: cannot read the run: {type(err).__name__}: {err}") from None
    return RunData(path, config, snapshot, history, points, snapshot.iteration if snapshot else 0, drawing,
                   class_points, unread)


def _read_text(path: Path, name: str) -> str:
    return read_text(path / name, TEXT_LIMITS[name], name)


def _parse_config(text: str) -> ExperimentConfig:
    try:
        return from_toml(text, source=CONFIG)
    except ConfigError as err:
        raise RunError(str(err)) from None
    except RecursionError:
        raise RunError(f"{CONFIG} is nested too deeply") from None


def _parameter_count(config: ExperimentConfig) -> int:
    from .training import model_spec

    return model_spec(config).parameter_count()


def load_resume_state(path: str | Path, config: ExperimentConfig | None = None) -> dict:
    """The optimiser/RNG state, unpickled with ``weights_only=True`` (tensors and containers only),
    every number in it finite. With ``config``, its size is limited by the config's model."""
    file = Path(path) / RESUME
    try:
        found = present(Path(path), RESUME)
    except RunError as err:
        raise RunError(f"{path}: {err}") from None
    if not found:
        raise RunError(f"{path} has no {RESUME}: it cannot be resumed")
    if config is None:
        config = load_run(path, with_history=False).config
    limit = 4 * 12 * _parameter_count(config) + RESUME_SLACK_BYTES
    try:
        size = file.stat().st_size
    except OSError as err:
        raise RunError(f"{file}: cannot read it: {err.strerror or err}") from None
    if size > limit:
        raise RunError(f"{file} is too large ({size:,} bytes; at most {limit:,} expected for this config's model)")
    try:
        return load_resume_file(file, str(file))
    except RunError:
        raise
    except (*PARSE_ERRORS, OSError) as err:
        raise RunError(f"{file}: cannot read it: {type(err).__name__}: {err}") from None


def resume_trainer(path: str | Path, device: str | None = None, threads: int | None = None):
    """A Trainer restored from a run directory, ready to continue; also returns the RunData."""
    from .training import Trainer

    run = load_run(path)
    state = load_resume_state(path, run.config)
    trainer = Trainer(run.config, device=device, threads=threads)
    try:
        check_resume_fits(state, trainer, f"{Path(path) / RESUME}")
        trainer.load_state_dict(state)
    except RunError:
        raise
    except (*PARSE_ERRORS, RuntimeError) as err:
        raise RunError(f"{path}: the resume state does not fit the config: {err}") from None
    run.history.truncate(trainer.iteration)
    trainer.history = run.history
    return trainer, run
