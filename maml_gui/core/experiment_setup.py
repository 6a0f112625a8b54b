"""From a config to the engine's parts: the task sampler (regression or classification) and the model spec.

A :class:`TaskSampler` hides how each task kind draws its meta-batches: regression families
take ``(meta_batch, shots, queries)``; classification families take ways, shots and queries
*per class* and a split (``train`` for meta-training, ``val`` for validation curves, ``test``
for evaluation: disjoint classes where the family's pool is finite).
"""

from __future__ import annotations

from .config import ConfigError, ExperimentConfig, TaskConfig
from .conv_models import Conv4Spec
from .models import MLPSpec
from .task_kinds import CLASSIFICATION, REGRESSION, TaskKind
from .tasks import build_family
from .tasks.classification import ClassificationFamily, ClassificationSpec

FOLDER_FAMILIES = ("omniglot", "folder", "miniimagenet")  # read from a dataset folder at task.root


def classification_spec(task: TaskConfig) -> ClassificationSpec:
    return ClassificationSpec(family=task.family, ways=task.ways, shots=task.shots, queries=task.queries,
                              image_size=task.image_size, channels=task.channels, root=task.root,
                              rotations=task.rotations, split_seed=task.split_seed)


def build_classification_family(task: TaskConfig, progress=None) -> ClassificationFamily:
    """The task families' builder; its ValueErrors (missing folder, too few classes) become ConfigErrors."""
    try:
        from .tasks.classification import build_classification_family as build
    except ImportError:
        raise ConfigError(f"task.family: classification families are not available in this version "
                          f"(asked for {task.family!r})") from None
    if task.family in FOLDER_FAMILIES and not task.root.strip():
        raise ConfigError(f"task.root: the {task.family} family needs the dataset folder: --set task.root=DIR")
    try:
        return build(classification_spec(task), progress=progress)
    except (ValueError, OSError) as err:
        raise ConfigError(f"task: {err}") from None


class TaskSampler:
    """Draws meta-batches for training, validation and evaluation of one config's tasks."""

    kind: TaskKind = REGRESSION

    def __init__(self, config: ExperimentConfig, progress=None) -> None:
        self.task = config.task
        self.validation_queries = config.evaluation.queries
        self.family = build_family(config.task)

    @property
    def input_shape(self) -> tuple[int, ...]:
        return (1,)

    def train(self, meta_batch: int, generator, device="cpu"):
        return self.family.sample(meta_batch, self.task.shots, self.task.queries, generator, device)

    def validation(self, tasks: int, generator, device="cpu"):
        return self.family.sample(tasks, self.task.shots, self.validation_queries, generator, device)

    def test(self, tasks: int, shots: int, queries: int, generator, device="cpu"):
        return self.family.sample(tasks, shots, queries, generator, device)


class ClassificationSampler(TaskSampler):
    """N-way episodes: ``shots`` and ``queries`` count examples per class."""

    kind = CLASSIFICATION

    def __init__(self, config: ExperimentConfig, progress=None, family: ClassificationFamily | None = None) -> None:
        self.task = config.task
        self.family = family if family is not None else build_classification_family(config.task, progress)

    @property
    def input_shape(self) -> tuple[int, ...]:
        return tuple(self.family.input_shape)

    def _sample(self, tasks, shots, queries, generator, device, split):
        return self.family.sample(tasks, self.task.ways, shots, queries, generator, device, split=split)

    def train(self, meta_batch, generator, device="cpu"):
        return self._sample(meta_batch, self.task.shots, self.task.queries, generator, device, "train")

    def validation(self, tasks, generator, device="cpu"):
        return self._sample(tasks, self.task.shots, self.task.queries, generator, device, "val")

    def test(self, tasks, shots, queries, generator, device="cpu"):
        return self._sample(tasks, shots, queries, generator, device, "test")


def task_sampler(config: ExperimentConfig, progress=None) -> TaskSampler:
    if config.task.kind == "classification":
        return ClassificationSampler(config, progress)
    return TaskSampler(config)


def model_spec(config: ExperimentConfig, input_shape: tuple[int, ...] | None = None) -> MLPSpec | Conv4Spec:
    """The model the config describes; classification models get one output per way and the
    family's input size (``input_shape``, default: 2-D points / the configured image)."""
    task, model = config.task, config.model
    if task.kind != "classification":
        return MLPSpec(hidden=tuple(model.hidden), activation=model.activation)
    if model.kind == "conv4":
        channels, size = (input_shape[0], input_shape[-1]) if input_shape else (task.channels, task.image_size)
        return Conv4Spec(channels=channels, image_size=size, filters=model.filters, outputs=task.ways,
                         strided=model.strided)
    inputs = int(input_shape[0]) if input_shape else 2
    return MLPSpec(hidden=tuple(model.hidden), activation=model.activation, inputs=inputs, outputs=task.ways)
