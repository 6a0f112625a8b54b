"""A results table over run directories (Qt-free; the sweep summary and the app's Runs table).

One row per run: the config fields that differ between the runs, the seed, the iteration
reached, the final validation metric (after the training's inner steps) and, where the run
has an ``evaluation.json`` (written by ``maml-gui sweep``), the paper protocol's metric after
each evaluated number of inner steps with its 95% CI at the last one.
"""

from __future__ import annotations

import csv
import io
import json
import math
from dataclasses import dataclass, field
from pathlib import Path

from .checkpoint import RunError, load_run
from .config import ExperimentConfig
from .metrics import MetricsHistory
from .sweep_runner import EVALUATION_FILE

EVALUATION_LIMIT = 1 << 20  # bytes: an evaluation.json larger than this is not read
IGNORED_FIELDS = {"name", "training.seed", "training.device", "training.threads"}


@dataclass
class RunTable:
    columns: list[str]
    rows: list[dict[str, object]] = field(default_factory=list)

    def to_csv(self) -> str:
        out = io.StringIO()
        writer = csv.DictWriter(out, self.columns, lineterminator="\n", extrasaction="ignore")
        writer.writeheader()
        for row in self.rows:
            writer.writerow({c: _csv_cell(row.get(c)) for c in self.columns})
        return out.getvalue()

    def format(self) -> str:
        """A plain-text table for a terminal: one line per run, columns aligned."""
        cells = [[_short_column(c) for c in self.columns]]
        cells += [[text_cell(row.get(c)) for c in self.columns] for row in self.rows]
        widths = [max(len(line[i]) for line in cells) for i in range(len(self.columns))]
        lines = ["  ".join(cell.rjust(w) if i >= 1 and _numeric(cells, i) else cell.ljust(w)
                           for i, (cell, w) in enumerate(zip(line, widths))).rstrip() for line in cells]
        return "\n".join(lines)


def flatten(data: dict, prefix: str = "") -> dict[str, object]:
    """``{"training": {"inner_lr": 0.01}}`` -> ``{"training.inner_lr": 0.01}`` (lists stay values)."""
    flat: dict[str, object] = {}
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(flatten(value, f"{name}."))
        else:
            flat[name] = value
    return flat


def run_row(path: Path) -> tuple[dict[str, object], dict[str, object]]:
    """(flattened config, metrics) of one run directory; a run that cannot be read gives an error cell."""
    try:
        run = load_run(path)
    except RunError as err:
        return {}, {"run": path.name, "error": str(err)}
    return row_of(path.name, run.config, run.iteration, run.history, read_evaluation(path))


def row_of(name: str, config: ExperimentConfig, iteration: int, history: MetricsHistory,
           evaluation: dict | None) -> tuple[dict[str, object], dict[str, object]]:
    """(flattened config, metrics) of a run already read (``evaluation``: :func:`read_evaluation`'s)."""
    flat = flatten(config.model_dump(mode="json"))
    metrics: dict[str, object] = {"run": name, "seed": config.training.seed, "iteration": iteration}
    if history.validations:
        last = history.validations[-1]
        steps = list(last.curve.steps)
        at = steps.index(config.training.inner_steps) if config.training.inner_steps in steps else -1
        metrics[f"val_{last.curve.metric}"] = last.curve.values[at]
    if evaluation is not None:
        metric = evaluation["metric"]
        for step, value in zip(evaluation["steps"], evaluation[metric]):  # null: diverged (not finite)
            metrics[f"eval_{metric}@{step}"] = math.nan if value is None else value
        ci = evaluation["ci95"][-1]
        metrics[f"eval_ci95@{evaluation['steps'][-1]}"] = math.nan if ci is None else ci
        metrics["eval_tasks"] = evaluation["tasks"]
    return flat, metrics


def read_evaluation(path: Path) -> dict | None:
    """The run's ``evaluation.json`` (written by ``maml-gui sweep``), or None when absent or malformed."""
    try:
        file = Path(path) / EVALUATION_FILE
        if file.stat().st_size > EVALUATION_LIMIT:
            return None
        data = json.loads(file.read_text(encoding="utf-8"))
        metric = data["metric"]
        steps, values, ci95 = data["steps"], data[metric], data["ci95"]
        if metric not in ("mse", "accuracy") or not steps or not len(steps) == len(values) == len(ci95):
            return None
        numbers = all(v is None or (isinstance(v, (int, float)) and not isinstance(v, bool)) for v in values + ci95)
        if not numbers or not all(isinstance(s, int) for s in steps) or not isinstance(data["tasks"], int):
            return None
        return data
    except (OSError, ValueError, KeyError, TypeError, RecursionError, MemoryError):
        return None


def run_table(paths: list[Path], always: tuple[str, ...] = ()) -> RunTable:
    """The table over ``paths``: the config fields that differ (plus ``always``), then the metrics."""
    return table_of([run_row(Path(p)) for p in paths], always)


def differing_fields(configs: list[dict[str, object]], always: tuple[str, ...] = ()) -> list[str]:
    """The flattened config keys whose values differ between ``configs`` (plus ``always``, first),
    leaving out the name, seed, device and threads."""
    keys: list[str] = list(always)
    for config in configs:
        for key in config:
            if key in keys or key in IGNORED_FIELDS:
                continue
            seen = {json.dumps(c.get(key), sort_keys=True) for c in configs if c}
            if len(seen) > 1:
                keys.append(key)
    return keys


def table_of(rows: list[tuple[dict[str, object], dict[str, object]]], always: tuple[str, ...] = ()) -> RunTable:
    """The table over (flattened config, metrics) rows (:func:`run_row`, :func:`row_of`)."""
    configs, metrics = zip(*rows) if rows else ((), ())
    keys = differing_fields(list(configs), always)
    metric_columns: list[str] = []
    for m in metrics:
        metric_columns += [k for k in m if k not in metric_columns and k != "run"]
    front = ["run", *keys]
    ordered = [c for c in ("seed", "iteration") if c in metric_columns]
    ordered += [c for c in metric_columns if c.startswith("val_")]
    ordered += sorted((c for c in metric_columns if c.startswith("eval_") and "@" in c), key=_eval_order)
    ordered += [c for c in metric_columns if c not in ordered]
    table = RunTable(front + ordered)
    for config, m in zip(configs, metrics):
        table.rows.append({**{k: config.get(k) for k in keys}, **m})
    return table


def _eval_order(column: str) -> tuple[int, int]:
    name, _, step = column.partition("@")
    return (1 if name == "eval_ci95" else 0, int(step) if step.isdigit() else 0)


def _csv_cell(value: object) -> object:
    if value is None:
        return ""
    if isinstance(value, (list, dict)):
        return json.dumps(value, separators=(",", ":"))
    if isinstance(value, float):
        return repr(value)
    return value


def text_cell(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        return f"{value:.4g}" if math.isfinite(value) else str(value)
    if isinstance(value, (list, dict)):
        return json.dumps(value, separators=(",", ":"))
    return str(value)


def _short_column(column: str) -> str:
    return column.rsplit(".", 1)[-1] if "." in column and "@" not in column else column


def _numeric(cells: list[list[str]], index: int) -> bool:
    values = [line[index] for line in cells[1:] if line[index] != "-"]
    try:
        [float(v) for v in values]
    except ValueError:
        return False
    return bool(values)
