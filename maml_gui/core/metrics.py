"""Training metrics kept in memory and written to the run directory."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field

from .evaluation import AdaptationCurve

COLUMNS = ("iteration", "train_loss_before", "train_loss_after", "meta_lr", "elapsed_s")
ACCURACY_COLUMN = "train_accuracy_after"  # classification runs: query accuracy after adaptation


@dataclass(frozen=True)
class ValidationRecord:
    """Validation at one iteration: loss before/after the training inner steps and the whole curve.

    The curves hold the task kind's metric (``curve.metric``: "mse" for regression, "accuracy"
    for classification), written to JSON under that name; the losses are the task loss (MSE or
    cross-entropy) on the query sets before and after the training's inner steps.
    """

    iteration: int
    loss_before: float
    loss_after: float
    curve: AdaptationCurve
    baseline: AdaptationCurve | None = None

    def to_json(self) -> dict:
        metric = self.curve.metric
        out = {"iteration": self.iteration, "loss_before": self.loss_before, "loss_after": self.loss_after,
               "steps": list(self.curve.steps), metric: list(self.curve.values), "ci95": list(self.curve.ci95),
               "diverged": list(self.curve.diverged)}
        if metric != "mse":
            out["metric"] = metric
        if self.baseline is not None:
            out.update({f"baseline_{metric}": list(self.baseline.values), "baseline_ci95": list(self.baseline.ci95),
                        "baseline_diverged": list(self.baseline.diverged)})
        return out

    @classmethod
    def from_json(cls, d: dict) -> "ValidationRecord":
        metric = d.get("metric", "mse")
        if metric not in ("mse", "accuracy"):
            raise ValueError(f"unknown validation metric {metric!r}")
        steps = tuple(int(s) for s in d["steps"])
        curve = AdaptationCurve(steps, tuple(map(float, d[metric])), tuple(map(float, d["ci95"])),
                                tuple(int(n) for n in d.get("diverged", ())), metric)
        baseline = None
        if f"baseline_{metric}" in d:
            baseline = AdaptationCurve(steps, tuple(map(float, d[f"baseline_{metric}"])),
                                       tuple(map(float, d["baseline_ci95"])),
                                       tuple(int(n) for n in d.get("baseline_diverged", ())), metric)
        return cls(int(d["iteration"]), float(d["loss_before"]), float(d["loss_after"]), curve, baseline)


@dataclass
class MetricsHistory:
    rows: list[tuple[int, float, float, float, float]] = field(default_factory=list)
    validations: list[ValidationRecord] = field(default_factory=list)
    accuracy: list[float] = field(default_factory=list)  # classification: one per row (train_accuracy_after)

    def add_row(self, iteration: int, before: float, after: float, meta_lr: float, elapsed_s: float,
                accuracy: float | None = None) -> None:
        self.rows.append((iteration, before, after, meta_lr, elapsed_s))
        if accuracy is not None:
            self.accuracy.append(accuracy)

    def copy(self) -> "MetricsHistory":
        """An independent copy (rows, validations and accuracy), e.g. for a save in another thread."""
        return MetricsHistory(list(self.rows), list(self.validations), list(self.accuracy))

    def add_validation(self, record: ValidationRecord) -> None:
        self.validations = [v for v in self.validations if v.iteration != record.iteration] + [record]

    def truncate(self, iteration: int) -> None:
        """Forget everything logged after ``iteration`` (used when resuming)."""
        kept = [i for i, r in enumerate(self.rows) if r[0] <= iteration]
        if len(self.accuracy) == len(self.rows):
            self.accuracy = [self.accuracy[i] for i in kept]
        self.rows = [self.rows[i] for i in kept]
        self.validations = [v for v in self.validations if v.iteration <= iteration]

    def to_csv(self) -> str:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        with_accuracy = bool(self.accuracy) and len(self.accuracy) == len(self.rows)
        writer.writerow(COLUMNS + ((ACCURACY_COLUMN,) if with_accuracy else ()))
        for i, row in enumerate(self.rows):
            extra = [repr(float(self.accuracy[i]))] if with_accuracy else []
            writer.writerow([row[0], *(repr(float(v)) for v in row[1:]), *extra])
        return out.getvalue()

    def validations_jsonl(self) -> str:
        return "".join(json.dumps(v.to_json()) + "\n" for v in self.validations)

    @classmethod
    def parse(cls, csv_text: str, jsonl_text: str = "") -> "MetricsHistory":
        """Read what :meth:`to_csv` and :meth:`validations_jsonl` wrote; raises ValueError if malformed."""
        history = cls()
        reader = csv.reader(io.StringIO(csv_text))
        header = next(reader, None)
        if header is None or tuple(header[:len(COLUMNS)]) != COLUMNS:
            raise ValueError("metrics.csv has an unexpected header")
        accuracy_at = header.index(ACCURACY_COLUMN) if ACCURACY_COLUMN in header else None
        for row in reader:
            if row:
                history.rows.append((int(row[0]), *(float(v) for v in row[1:len(COLUMNS)])))
                if accuracy_at is not None:
                    history.accuracy.append(float(row[accuracy_at]))
        for line in jsonl_text.splitlines():
            if line.strip():
                history.validations.append(ValidationRecord.from_json(json.loads(line)))
        return history
