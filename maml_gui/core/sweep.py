"""Sweeps: a base config, fields to vary and seeds, expanded into named trials (Qt-free).

A sweep directory holds ``sweep.json`` (the base config, the grid and the seeds) and one
ordinary run directory per trial, named from the varied values and the seed, e.g.
``inner_lr=0.01,algorithm=maml,seed=1``. A re-run with a different grid into the same
directory is refused; the same one skips finished trials and resumes the others.
"""

from __future__ import annotations

import itertools
import json
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from .atomic_files import atomic_write
from .config import ConfigError, ExperimentConfig, from_dict, from_toml

SWEEP_FILE = "sweep.json"
SWEEP_FORMAT = 1
MAX_TRIALS = 10_000
_UNSAFE = re.compile(r"[^A-Za-z0-9._=,+-]")


class SweepError(ValueError):
    """Bad sweep input or a sweep directory that does not fit: one line for the user."""


@dataclass(frozen=True)
class Trial:
    """One point of the sweep: its directory name, the varied values and its full config."""

    name: str
    values: dict[str, object]  # config key -> value, in grid order
    seed: int
    config: ExperimentConfig


def split_values(text: str) -> list[str]:
    """Comma-separated values; commas inside brackets or quotes stay (``[40,40],[8]``)."""
    parts, depth, quote, current = [], 0, "", []
    for char in text:
        if quote:
            quote = "" if char == quote else quote
        elif char in "\"'":
            quote = char
        elif char in "[{":
            depth += 1
        elif char in "]}":
            depth -= 1
        elif char == "," and depth == 0:
            parts.append("".join(current).strip())
            current = []
            continue
        current.append(char)
    parts.append("".join(current).strip())
    return parts


def parse_value(raw: str) -> object:
    """A TOML literal (bare words are strings), as ``--set`` reads it."""
    try:
        return tomllib.loads(f"v = {raw}")["v"]
    except tomllib.TOMLDecodeError:
        return raw


def parse_grid(assignments: list[str]) -> list[tuple[str, list[object]]]:
    """``section.key=v1,v2,...`` strings -> ``[(key, [values])]``; keys once each, values not empty."""
    grid: list[tuple[str, list[object]]] = []
    for assignment in assignments:
        key, sep, raw = assignment.partition("=")
        key = key.strip()
        if not sep or "." not in key or not raw.strip():
            raise SweepError(f"--grid {assignment!r}: expected section.key=value1,value2,...")
        if key == "training.seed":
            raise SweepError("--grid training.seed: give the seeds with --seeds")
        if key in (k for k, _ in grid):
            raise SweepError(f"--grid {key} is given twice")
        raws = split_values(raw)
        if any(not r for r in raws):
            raise SweepError(f"--grid {assignment!r}: an empty value")
        values = [parse_value(r) for r in raws]
        if len({json.dumps(v, sort_keys=True) for v in values}) != len(values):
            raise SweepError(f"--grid {key}: a value is repeated")
        grid.append((key, values))
    return grid


def parse_seeds(text: str) -> list[int]:
    try:
        seeds = [int(s) for s in text.split(",") if s.strip()]
    except ValueError:
        raise SweepError(f"--seeds {text!r}: expected comma-separated whole numbers like 0,1,2") from None
    if not seeds or min(seeds) < 0 or len(set(seeds)) != len(seeds):
        raise SweepError(f"--seeds {text!r}: expected distinct whole numbers >= 0")
    return seeds


def format_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, (list, dict)):
        return json.dumps(value, separators=(",", ":"))
    return str(value)


def _name_value(value: object) -> str:
    if isinstance(value, list):
        return "x".join(_name_value(v) for v in value) or "none"
    return format_value(value)


def short_names(keys: list[str]) -> dict[str, str]:
    """The last part of each key (``inner_lr``), or the whole key where two would clash."""
    lasts = [k.rsplit(".", 1)[-1] for k in keys]
    return {k: (last if lasts.count(last) == 1 and last != "seed" else k) for k, last in zip(keys, lasts)}


def trial_name(values: dict[str, object], seed: int) -> str:
    """A safe directory name: ``inner_lr=0.01,algorithm=maml,seed=1``."""
    names = short_names(list(values))
    parts = [f"{names[k]}={_name_value(v)}" for k, v in values.items()] + [f"seed={seed}"]
    name = _UNSAFE.sub("_", ",".join(parts))
    return name[:200].lstrip(".") or "trial"


def expand(base: ExperimentConfig, grid: list[tuple[str, list[object]]], seeds: list[int],
           points: list[dict[str, object]] | None = None) -> list[Trial]:
    """Every combination of the grid's values, the ``points`` (random draws) and the seeds,
    each config validated. Raises :class:`SweepError` naming the first key or value refused."""
    points = points or [{}]
    count = len(seeds) * len(points)
    for _, values in grid:
        count *= len(values)
    if count > MAX_TRIALS:
        raise SweepError(f"the sweep has {count:,} trials; at most {MAX_TRIALS:,}")
    base_data = base.model_dump(mode="json")
    for key, values in grid:  # each key and value on its own first: the error names the culprit
        for value in values:
            _configured(base_data, {key: value}, 0)
    trials, seen = [], set()
    keys = [k for k, _ in grid]
    for combination in itertools.product(*(v for _, v in grid)):
        for point in points:
            values = {**dict(zip(keys, combination)), **point}
            for seed in seeds:
                name = trial_name(values, seed)
                if name in seen:
                    raise SweepError(f"two trials would share the directory name {name!r}; use distinct values")
                seen.add(name)
                trials.append(Trial(name, values, seed, _configured(base_data, values, seed)))
    return trials


def _configured(base_data: dict, values: dict[str, object], seed: int) -> ExperimentConfig:
    data = json.loads(json.dumps(base_data))
    for key, value in values.items():
        node = data
        parts = key.split(".")
        for part in parts[:-1]:
            if not isinstance(node.get(part), dict):
                raise SweepError(f"--grid {key}: unknown section {part!r}")
            node = node[part]
        if parts[-1] not in node:
            raise SweepError(f"--grid {key}: unknown key")
        node[parts[-1]] = value
    data["training"]["seed"] = seed
    try:
        return from_dict(data)
    except ConfigError as err:
        shown = ", ".join(f"{k}={format_value(v)}" for k, v in values.items())
        raise SweepError(f"--grid {shown}: {err}") from None


# -- the sweep directory ----------------------------------------------------------------------
def sweep_record(base: ExperimentConfig, grid: list[tuple[str, list[object]]], seeds: list[int],
                 random: dict | None = None) -> dict:
    """What ``sweep.json`` holds; ``random`` (``{"count", "seed", "ranges"}``) for a random search."""
    return {"format": "maml-gui-sweep", "format_version": SWEEP_FORMAT, "grid": [[k, v] for k, v in grid],
            "seeds": seeds, "random": random, "base_config": base.to_toml()}


def prepare_directory(out: Path, record: dict) -> bool:
    """Create ``out`` with its ``sweep.json``, or check that the one there describes the same sweep.

    Returns True when the directory already held this sweep (a re-run)."""
    if check_directory(out, record):
        return True
    try:
        out.mkdir(parents=True, exist_ok=True)
        atomic_write(out / SWEEP_FILE, json.dumps(record, indent=2))
    except OSError as err:
        raise SweepError(f"cannot write the sweep to {out}: {err.strerror or err}") from None
    return False


def check_directory(out: Path, record: dict) -> bool:
    """True when ``out`` holds this sweep already, False when it is new or empty; raises
    :class:`SweepError` when it holds something else (writes nothing)."""
    out = Path(out)
    file = out / SWEEP_FILE
    if out.exists() and not out.is_dir():
        raise SweepError(f"{out} exists and is not a directory")
    if file.is_file():
        try:
            existing = json.loads(file.read_text(encoding="utf-8"))
        except (OSError, ValueError) as err:
            raise SweepError(f"{file} cannot be read: {err}") from None
        if not isinstance(existing, dict) or existing.get("format") != "maml-gui-sweep":
            raise SweepError(f"{file} is not a MAML Studio sweep file")
        for field, what in (("grid", "grid"), ("seeds", "seeds"), ("random", "random search"),
                            ("base_config", "base config")):
            if existing.get(field) != json.loads(json.dumps(record[field])):
                raise SweepError(f"{out} holds a sweep with a different {what}; choose another --out "
                                 "or re-run the same command")
        return True
    try:
        if out.is_dir() and any(out.iterdir()):
            raise SweepError(f"{out} is not empty and holds no {SWEEP_FILE}: choose an empty or new --out")
    except OSError as err:
        raise SweepError(f"{out} cannot be read: {err.strerror or err}") from None
    return False


def load_sweep(out: Path) -> tuple[ExperimentConfig, list[tuple[str, list[object]]], list[int]]:
    """The base config, grid and seeds recorded in a sweep directory."""
    file = Path(out) / SWEEP_FILE
    try:
        record = json.loads(file.read_text(encoding="utf-8"))
        base = from_toml(record["base_config"], source=SWEEP_FILE)
        grid = [(str(k), list(v)) for k, v in record["grid"]]
        seeds = [int(s) for s in record["seeds"]]
    except (OSError, ValueError, KeyError, TypeError, ConfigError) as err:
        raise SweepError(f"{file} cannot be read: {err}") from None
    return base, grid, seeds
