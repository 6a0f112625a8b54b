"""Training metrics kept in memory and written to the run directory."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field

from .evaluation import AdaptationCurve

COLUMNS = ("iteration", "train_loss_before", "train_loss_after", "meta_lr", "elapsed_s")


@dataclass(frozen=True)
class ValidationRecord:
    """Validation at one iteration: loss before/after the training inner steps and the whole curve."""

    iteration: int
    loss_before: float
    loss_after: float
    curve: AdaptationCurve
    baseline: AdaptationCurve | None = None

    def to_json(self) -> dict:
        out = {"iteration": self.iteration, "loss_before": self.loss_before, "loss_after": self.loss_after,
               "steps": list(self.curve.steps), "mse": list(self.curve.mse), "ci95": list(self.curve.ci95),
               "diverged": list(self.curve.diverged)}
        if self.baseline is not None:
            out.update(baseline_mse=list(self.baseline.mse), baseline_ci95=list(self.baseline.ci95),
                       baseline_diverged=list(self.baseline.diverged))
        return out

    @classmethod
    def from_json(cls, d: dict) -> "ValidationRecord":
        steps = tuple(int(s) for s in d["steps"])
        curve = AdaptationCurve(steps, tuple(map(float, d["mse"])), tuple(map(float, d["ci95"])),
                                tuple(int(n) for n in d.get("diverged", ())))
        baseline = None
        if "baseline_mse" in d:
            baseline = AdaptationCurve(steps, tuple(map(float, d["baseline_mse"])),
                                       tuple(map(float, d["baseline_ci95"])),
                                       tuple(int(n) for n in d.get("baseline_diverged", ())))
        return cls(int(d["iteration"]), float(d["loss_before"]), float(d["loss_after"]), curve, baseline)


@dataclass
class MetricsHistory:
    rows: list[tuple[int, float, float, float, float]] = field(default_factory=list)
    validations: list[ValidationRecord] = field(default_factory=list)

    def add_row(self, iteration: int, before: float, after: float, meta_lr: float, elapsed_s: float) -> None:
        self.rows.append((iteration, before, after, meta_lr, elapsed_s))

    def add_validation(self, record: ValidationRecord) -> None:
        self.validations = [v for v in self.validations if v.iteration != record.iteration] + [record]

    def truncate(self, iteration: int) -> None:
        """Forget everything logged after ``iteration`` (used when resuming)."""
        self.rows = [r for r in self.rows if r[0] <= iteration]
        self.validations = [v for v in self.validations if v.iteration <= iteration]

    def to_csv(self) -> str:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(COLUMNS)
        for row in self.rows:
            writer.writerow([row[0], *(repr(float(v)) for v in row[1:])])
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
        for row in reader:
            if row:
                history.rows.append((int(row[0]), *(float(v) for v in row[1:len(COLUMNS)])))
        for line in jsonl_text.splitlines():
            if line.strip():
                history.validations.append(ValidationRecord.from_json(json.loads(line)))
        return history
