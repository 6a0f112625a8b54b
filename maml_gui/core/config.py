"""The experiment configuration: typed, validated (pydantic), stored as TOML.

Every error becomes a :class:`ConfigError` whose message is one line naming the field
and what is allowed, e.g. ``training.inner_lr: Input should be greater than 0 (got -1.0)``.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal

import tomli_w
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from .choices import ACTIVATIONS, DEVICE_CHOICES

FORMAT_VERSION = 1
ALGORITHMS = ("maml", "fomaml", "reptile", "anil", "metasgd")
FAMILIES = ("sinusoid", "linear", "polynomial", "square", "sawtooth", "gaussian", "harmonic", "formula", "mixture")
TASK_KINDS = ("regression", "classification")
POINT_FAMILIES = ("blobs", "halfplanes", "rings", "spirals", "moons")          # 2-D points
IMAGE_FAMILIES = ("glyphs", "omniglot", "folder", "miniimagenet")              # [C, H, W] images
CLASSIFICATION_FAMILIES = POINT_FAMILIES + IMAGE_FAMILIES
MODEL_KINDS = ("mlp", "conv4")

Pair = tuple[float, float]


class ConfigError(ValueError):
    """A bad configuration value, file or override; ``str()`` is one line for the user."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class ComponentConfig(_Strict):
    """One family inside a mixture."""

    family: Literal["sinusoid", "linear", "polynomial", "square", "sawtooth", "gaussian", "harmonic", "formula"]
    weight: float = Field(1.0, ge=0)
    params: dict[str, Pair] = Field(default_factory=dict)
    degree: int = Field(2, ge=0, le=8)
    expression: str = ""


class TaskConfig(_Strict):
    kind: Literal[TASK_KINDS] = "regression"  # type: ignore[valid-type]
    family: Literal[FAMILIES + CLASSIFICATION_FAMILIES] = "sinusoid"  # type: ignore[valid-type]
    params: dict[str, Pair] = Field(default_factory=dict, description="parameter ranges [low, high]")
    x_range: Pair = (-5.0, 5.0)
    noise_std: float = Field(0.0, ge=0, le=1e3)
    shots: int = Field(10, ge=1, le=1000, description="support points per task (K)")
    queries: int = Field(10, ge=1, le=10000, description="query points per task")
    degree: int = Field(2, ge=0, le=8, description="polynomial degree")
    expression: str = Field("a * sin(b * x + c)", description="formula family: expression in x")
    components: list[ComponentConfig] = Field(default_factory=list, description="mixture components")
    # classification (task.kind = "classification"): N-way, K-shot (shots), Q queries per class (queries)
    ways: int = Field(5, ge=2, le=1000, description="classification: classes per task (N)")
    image_size: int = Field(28, ge=4, le=512, description="image families: side after resizing")
    channels: Literal[1, 3] = Field(1, description="image families: 1 (grey) or 3 (RGB)")
    root: str = Field("", max_length=4096, description="image folders: the dataset folder")
    rotations: bool = Field(False, description="image families: 90° rotations as new classes (Finn et al.)")
    split_seed: int = Field(0, ge=0, le=2**32, description="seeds the train / val / test class split")

    @model_validator(mode="after")
    def _family_must_build(self) -> "TaskConfig":
        from .tasks.family_cache import family_for

        if self.kind == "classification":  # built (images decoded) when training starts, not here
            if self.family not in CLASSIFICATION_FAMILIES:
                raise ValueError(f"family {self.family!r} is a regression family; classification families: "
                                 f"{', '.join(CLASSIFICATION_FAMILIES)}")
            return self
        if self.family in CLASSIFICATION_FAMILIES:
            raise ValueError(f"family {self.family!r} is a classification family: set task.kind = \"classification\"")
        from .tasks.formula import FormulaError

        try:
            family_for(self)  # built once: the form's preview and the playground reuse it
        except FormulaError as err:
            raise ValueError(f"expression: {err}") from None
        except ValueError as err:
            raise ValueError(str(err)) from None
        return self


class ModelConfig(_Strict):
    kind: Literal[MODEL_KINDS] = Field("mlp", description="mlp, or conv4 (Finn et al.'s image classifier)")  # type: ignore[valid-type]
    filters: int = Field(64, ge=1, le=1024, description="conv4: channels of each conv block")
    strided: bool = Field(False, description="conv4: stride-2 convolutions instead of max-pooling")
    hidden: list[Annotated[int, Field(ge=1, le=4096)]] = Field(default_factory=lambda: [40, 40], min_length=1, max_length=8)
    activation: Literal[ACTIVATIONS] = "relu"  # type: ignore[valid-type]


class TrainingConfig(_Strict):
    algorithm: Literal[ALGORITHMS] = "maml"  # type: ignore[valid-type]
    inner_lr: float = Field(0.01, gt=0, le=100)
    inner_steps: int = Field(1, ge=1, le=100)
    meta_lr: float = Field(1e-3, gt=0, le=100)
    meta_optimizer: Literal["adam", "sgd"] = "adam"
    rates_meta_lr: float | None = Field(
        None, gt=0, le=100, description="meta lr of learned inner rates (Meta-SGD, LSLR); default meta_lr × inner_lr")
    meta_lr_schedule: Literal["constant", "cosine", "linear"] = "constant"
    min_meta_lr: float = Field(0.0, ge=0)
    meta_batch: int = Field(25, ge=1, le=4096)
    iterations: int = Field(70000, ge=1, le=100_000_000)
    multi_step_loss: bool = False
    multi_step_loss_iterations: int = Field(1000, ge=0)
    learn_inner_lr: bool = False
    first_order_iterations: int = Field(0, ge=0)
    val_interval: int = Field(500, ge=1)
    val_tasks: int = Field(200, ge=1, le=100_000)
    log_every: int = Field(10, ge=1)
    autosave_interval: int = Field(0, ge=0, description="iterations between autosaves (0: at each validation)")
    baseline: bool = Field(True, description="also train the 'pretrained on all tasks' baseline")
    baseline_lr: float = Field(1e-3, gt=0)
    seed: int = Field(0, ge=0, le=2**32)
    device: Literal[DEVICE_CHOICES] = "auto"  # type: ignore[valid-type]
    threads: int = Field(0, ge=0, le=1024, description="torch threads (0: all cores)")

    @model_validator(mode="after")
    def _options_fit_algorithm(self) -> "TrainingConfig":
        if self.learn_inner_lr and self.algorithm not in ("maml", "fomaml"):
            raise ValueError(f"learn_inner_lr (MAML++ LSLR) works with maml or fomaml, not {self.algorithm}")
        if self.multi_step_loss and self.algorithm == "reptile":
            raise ValueError("multi_step_loss does not apply to reptile")
        if self.min_meta_lr > self.meta_lr:
            raise ValueError(f"min_meta_lr ({self.min_meta_lr}) must not exceed meta_lr ({self.meta_lr})")
        return self


class EvaluationConfig(_Strict):
    tasks: int = Field(600, ge=1, le=1_000_000)
    shots: int | None = Field(None, ge=1, le=1000, description="support points (default: task.shots)")
    queries: int = Field(100, ge=1, le=100_000)
    inner_steps: int = Field(10, ge=0, le=1000)
    baseline_lr: float = Field(0.01, gt=0, description="fine-tuning step size of the pretrained baseline")
    seed: int = Field(1234, ge=0)


class ExperimentConfig(_Strict):
    format_version: int = Field(FORMAT_VERSION, ge=1)
    name: str = Field("experiment", max_length=200)
    task: TaskConfig = Field(default_factory=TaskConfig)
    model: ModelConfig = Field(default_factory=ModelConfig)
    training: TrainingConfig = Field(default_factory=TrainingConfig)
    evaluation: EvaluationConfig = Field(default_factory=EvaluationConfig)

    @model_validator(mode="before")
    @classmethod
    def _refuse_newer_format(cls, data: Any) -> Any:
        if isinstance(data, dict):
            version = data.get("format_version", FORMAT_VERSION)
            if isinstance(version, int) and version > FORMAT_VERSION:
                raise ValueError(
                    f"format_version: written by a newer MAML Studio (format {version}); "
                    f"this version reads format {FORMAT_VERSION}")
        return data

    @model_validator(mode="after")
    def _model_fits_task(self) -> "ExperimentConfig":
        task, model = self.task, self.model
        if model.kind == "conv4":
            if task.kind != "classification" or task.family not in IMAGE_FAMILIES:
                raise ValueError(f"model.kind: conv4 needs an image family ({', '.join(IMAGE_FAMILIES)}), "
                                 f"not {task.kind} on {task.family!r}")
            if not model.strided and task.image_size < 16:
                raise ValueError(f"model.kind: conv4 with max-pooling needs task.image_size >= 16 (got "
                                 f"{task.image_size}); set model.strided = true for smaller images")
        elif task.kind == "classification" and task.family not in POINT_FAMILIES:
            raise ValueError(f"model.kind: the MLP takes 2-D points; the image family {task.family!r} needs "
                             "model.kind = \"conv4\"")
        return self

    def to_toml(self) -> str:
        return tomli_w.dumps(self.model_dump(mode="json", exclude_none=True))

    def with_overrides(self, assignments: list[str]) -> "ExperimentConfig":
        return from_dict(apply_overrides(self.model_dump(mode="json"), assignments))


def describe_error(err: ValidationError) -> str:
    """The first pydantic error as one line: ``section.field: message (got value)``."""
    first = err.errors()[0]
    loc = ".".join(str(p) for p in first["loc"])
    message = first["msg"].removeprefix("Value error, ")
    got = first.get("input")
    suffix = f" (got {got!r})" if first["type"] not in ("value_error", "missing") and not isinstance(got, dict) else ""
    extra = f" ({len(err.errors()) - 1} more)" if len(err.errors()) > 1 else ""
    if first["type"] == "extra_forbidden":
        return f"{loc}: unknown key{extra}"
    return f"{loc + ': ' if loc else ''}{message}{suffix}{extra}"


def from_dict(data: dict) -> ExperimentConfig:
    try:
        return ExperimentConfig.model_validate(data)
    except ValidationError as err:
        raise ConfigError(describe_error(err)) from None


def from_toml(text: str, source: str = "config") -> ExperimentConfig:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"{source}: malformed TOML: {err}") from None
    try:
        return from_dict(data)
    except ConfigError as err:
        raise ConfigError(f"{source}: {err}") from None


def load_config(path: str | Path) -> ExperimentConfig:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise ConfigError(f"cannot read config {path}: {err}") from None
    return from_toml(text, source=path.name)


def apply_overrides(data: dict, assignments: list[str]) -> dict:
    """Apply ``section.key=value`` strings; values are TOML literals (bare words are strings)."""
    for assignment in assignments:
        key, sep, raw = assignment.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"--set {assignment!r}: expected section.key=value")
        try:
            value = tomllib.loads(f"v = {raw.strip()}")["v"]
        except tomllib.TOMLDecodeError:
            value = raw.strip()
        node = data
        parts = key.strip().split(".")
        for part in parts[:-1]:
            if not isinstance(node.get(part), dict):
                raise ConfigError(f"--set {key}: unknown section {part!r}")
            node = node[part]
        node[parts[-1]] = value
    return data
