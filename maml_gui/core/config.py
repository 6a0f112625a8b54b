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
from .messages import one_line
from .safe_read import UnreadableFile, read_regular_file

FORMAT_VERSION = 1
ALGORITHMS = ("maml", "fomaml", "reptile", "anil", "metasgd")
FAMILIES = ("sinusoid", "linear", "polynomial", "square", "sawtooth", "gaussian", "harmonic", "formula", "mixture")
TASK_KINDS = ("regression", "classification")
POINT_FAMILIES = ("blobs", "halfplanes", "rings", "spirals", "moons")          # 2-D points
IMAGE_FAMILIES = ("glyphs", "omniglot", "folder", "miniimagenet")              # [C, H, W] images
CLASSIFICATION_FAMILIES = POINT_FAMILIES + IMAGE_FAMILIES
MODEL_KINDS = ("mlp", "conv4")

Pair = tuple[float, float]

# What the engine can do (float32 on every device). Learning rates above 100 only diverge;
# counts above these never fit in memory or time; see also core/resources.py (memory) and
# tasks/limits.py (value ranges and the float32 check of every family's targets).
MAX_LR = 100.0
MAX_COUNT = 100_000_000  # iterations and iteration intervals
MAX_SEED = 2**32
MAX_PARAMETERS = 32  # named parameter ranges of a family (a formula is at most 300 characters)
MAX_COMPONENTS = 16
MAX_MIXTURE_WEIGHT = 1e6
MIN_MIXTURE_WEIGHT = 1e-6  # a positive weight below this is zero in float32 after normalising
MAX_EXPRESSION = 300


class ConfigError(ValueError):
    """A bad configuration value, file or override; ``str()`` is one line for the user."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True, allow_inf_nan=False)


class ComponentConfig(_Strict):
    """One family inside a mixture."""

    family: Literal["sinusoid", "linear", "polynomial", "square", "sawtooth", "gaussian", "harmonic", "formula"]
    weight: float = Field(1.0, ge=0, le=MAX_MIXTURE_WEIGHT)
    params: dict[str, Pair] = Field(default_factory=dict, max_length=MAX_PARAMETERS)
    degree: int = Field(2, ge=0, le=8)
    expression: str = Field("", max_length=MAX_EXPRESSION)

    @model_validator(mode="after")
    def _weight_is_zero_or_usable(self) -> "ComponentConfig":
        if 0 < self.weight < MIN_MIXTURE_WEIGHT:
            raise ValueError(f"weight: {self.weight:g} is too small; use 0 (off) or at least {MIN_MIXTURE_WEIGHT:g}")
        return self


class TaskConfig(_Strict):
    kind: Literal[TASK_KINDS] = "regression"  # type: ignore[valid-type]
    family: Literal[FAMILIES + CLASSIFICATION_FAMILIES] = "sinusoid"  # type: ignore[valid-type]
    params: dict[str, Pair] = Field(default_factory=dict, max_length=MAX_PARAMETERS,
                                    description="parameter ranges [low, high]")
    x_range: Pair = (-5.0, 5.0)
    noise_std: float = Field(0.0, ge=0, le=1e3)
    shots: int = Field(10, ge=1, le=1000, description="support points per task (K)")
    queries: int = Field(10, ge=1, le=10000, description="query points per task")
    degree: int = Field(2, ge=0, le=8, description="polynomial degree")
    expression: str = Field("a * sin(b * x + c)", max_length=MAX_EXPRESSION,
                            description="formula family: expression in x")
    components: list[ComponentConfig] = Field(default_factory=list, max_length=MAX_COMPONENTS,
                                              description="mixture components")
    # classification (task.kind = "classification"): N-way, K-shot (shots), Q queries per class (queries)
    ways: int = Field(5, ge=2, le=1000, description="classification: classes per task (N)")
    image_size: int = Field(28, ge=4, le=512, description="image families: side after resizing")
    channels: Literal[1, 3] = Field(1, description="image families: 1 (grey) or 3 (RGB)")
    root: str = Field("", max_length=4096, description="image folders: the dataset folder")
    rotations: bool = Field(False, description="image families: 90° rotations as new classes (Finn et al.)")
    split_seed: int = Field(0, ge=0, le=MAX_SEED, description="seeds the train / val / test class split")

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
    inner_lr: float = Field(0.01, gt=0, le=MAX_LR)
    inner_steps: int = Field(1, ge=1, le=100)
    meta_lr: float = Field(1e-3, gt=0, le=MAX_LR)
    meta_optimizer: Literal["adam", "sgd"] = "adam"
    rates_meta_lr: float | None = Field(
        None, gt=0, le=MAX_LR, description="meta lr of learned inner rates (Meta-SGD, LSLR); default meta_lr × inner_lr")
    meta_lr_schedule: Literal["constant", "cosine", "linear"] = "constant"
    min_meta_lr: float = Field(0.0, ge=0, le=MAX_LR)
    meta_batch: int = Field(25, ge=1, le=4096)
    iterations: int = Field(70000, ge=1, le=MAX_COUNT)
    multi_step_loss: bool = False
    multi_step_loss_iterations: int = Field(1000, ge=0, le=MAX_COUNT)
    learn_inner_lr: bool = False
    first_order_iterations: int = Field(0, ge=0, le=MAX_COUNT)
    val_interval: int = Field(500, ge=1, le=MAX_COUNT)
    val_tasks: int = Field(200, ge=1, le=100_000)
    log_every: int = Field(10, ge=1, le=MAX_COUNT)
    autosave_interval: int = Field(0, ge=0, le=MAX_COUNT, description="iterations between autosaves (0: at each validation)")
    baseline: bool = Field(True, description="also train the 'pretrained on all tasks' baseline")
    baseline_lr: float = Field(1e-3, gt=0, le=MAX_LR, description="Adam step size of the pretrained baseline")
    seed: int = Field(0, ge=0, le=MAX_SEED)
    device: Literal[DEVICE_CHOICES] = "auto"  # type: ignore[valid-type]
    threads: int = Field(0, ge=0, le=1024, description="torch threads (0: chosen for the model size)")

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
    baseline_lr: float = Field(0.01, gt=0, le=MAX_LR, description="fine-tuning step size of the pretrained baseline")
    seed: int = Field(1234, ge=0, le=MAX_SEED)


class ExperimentConfig(_Strict):
    format_version: int = Field(FORMAT_VERSION, ge=1, le=FORMAT_VERSION, strict=True)
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


def _short_repr(value: Any, limit: int = 80) -> str:
    try:
        text = repr(value)
    except ValueError:  # an int too long to print (more than 4300 digits)
        text = f"an integer of about {value.bit_length() * 0.30103:.0f} digits" if isinstance(value, int) else "?"
    return text if len(text) <= limit else text[: limit - 3] + "..."


def describe_error(err: ValidationError) -> str:
    """The first pydantic error as one line: ``section.field: message (got value)``."""
    first = err.errors()[0]
    loc = ".".join(str(p) for p in first["loc"])
    message = first["msg"].removeprefix("Value error, ")
    got = first.get("input")
    suffix = f" (got {_short_repr(got)})" if first["type"] not in ("value_error", "missing") and not isinstance(got, dict) else ""
    extra = f" ({len(err.errors()) - 1} more)" if len(err.errors()) > 1 else ""
    if first["type"] == "extra_forbidden":
        return one_line(f"{loc}: unknown key{extra}")
    return one_line(f"{loc + ': ' if loc else ''}{message}{suffix}{extra}")


def from_dict(data: dict) -> ExperimentConfig:
    try:
        return ExperimentConfig.model_validate(data)
    except ValidationError as err:
        raise ConfigError(describe_error(err)) from None


def from_toml(text: str, source: str = "config") -> ExperimentConfig:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(one_line(f"{source}: malformed TOML: {err}")) from None
    except (ValueError, RecursionError, MemoryError) as err:  # integers past 4300 digits, nesting too deep
        raise ConfigError(one_line(f"{source}: unreadable TOML ({type(err).__name__}: {err})", 300)) from None
    try:
        return from_dict(data)
    except ConfigError as err:
        raise ConfigError(f"{one_line(source)}: {err}") from None


def load_config(path: str | Path) -> ExperimentConfig:
    """The config in the regular file ``path`` (at most 1 MiB of UTF-8 TOML)."""
    try:
        raw = read_regular_file(path, what="config")
        text = raw.decode("utf-8")
    except UnreadableFile as err:
        raise ConfigError(str(err)) from None
    except UnicodeDecodeError as err:
        raise ConfigError(f"cannot read config {one_line(path)}: not UTF-8 text (byte {err.start})") from None
    return from_toml(text, source=Path(path).name)


def _override_value(key: str, raw: str):
    try:
        return tomllib.loads(f"v = {raw}")["v"]
    except tomllib.TOMLDecodeError:
        return raw  # a bare word is a string
    except (ValueError, RecursionError, MemoryError) as err:  # an integer of 4300+ digits, nesting too deep
        reason = "a number too long" if isinstance(err, ValueError) else "nested too deep"
        raise ConfigError(one_line(f"--set {key}: unreadable value ({reason}): {raw[:40]!r}...")) from None


def apply_overrides(data: dict, assignments: list[str]) -> dict:
    """Apply ``section.key=value`` strings; values are TOML literals (bare words are strings)."""
    for assignment in assignments:
        key, sep, raw = assignment.partition("=")
        key = key.strip()
        if not sep or not key:
            raise ConfigError(one_line(f"--set {assignment!r}: expected section.key=value"))
        value = _override_value(key, raw.strip())
        node = data
        parts = key.split(".")
        for depth, part in enumerate(parts[:-1]):
            if not isinstance(node.get(part), dict):
                where = ".".join(parts[:depth + 1])
                what = "unknown section" if part not in node else "not a section"
                raise ConfigError(one_line(f"--set {key}: {what} {where!r}"))
            node = node[part]
        if isinstance(node.get(parts[-1]), dict) and not isinstance(value, dict):
            raise ConfigError(one_line(f"--set {key}: {key!r} is a section, not a value; "
                                       f"set one of its keys, e.g. {key}.{next(iter(node[parts[-1]]), 'KEY')}=..."))
        node[parts[-1]] = value
    return data
