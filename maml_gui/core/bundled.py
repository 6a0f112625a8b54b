"""The trained model shipped with the app, so that the playground works at first start.

``maml_gui/bundled/finn2017-sinusoid/`` holds ``model.safetensors`` and ``config.toml`` of the
``finn2017-sinusoid`` preset trained by the app's own CLI (``resources/train_bundled_model.sh``).
Both files are checked against the sha256 sums recorded here before anything is parsed: a
changed or damaged file is refused with :class:`BundledModelError` (one line), and the app
starts without it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from .checkpoint import CONFIG, WEIGHTS, RunError, snapshot_from_bytes
from .config import ConfigError, ExperimentConfig, from_toml
from .snapshot import ModelSnapshot

BUNDLED_PRESET = "finn2017-sinusoid"
# sha256 of each shipped file; resources/train_bundled_model.sh prints them after retraining
BUNDLED_SHA256 = {
    WEIGHTS: "d3dd1262e89537950c3d1780b10d01123a49af4fc51c39dcef63cd62869d61a4",
    CONFIG: "152528558afbe5357d6838d2f48d95403924eb821e6209613b03a0f9857ff92e",
}


class BundledModelError(RunError):
    """The bundled model is missing, changed or unreadable; ``str()`` is one line for the user."""


@dataclass(frozen=True)
class BundledModel:
    config: ExperimentConfig
    snapshot: ModelSnapshot

    def fits(self, config: ExperimentConfig) -> bool:
        """True when ``config`` has the task distribution and network this model was trained for."""
        return config.task == self.config.task and config.model == self.config.model

    @property
    def description(self) -> str:
        """E.g. ``bundled model: MAML on sinusoids, 20,000 iterations``."""
        what = f"{self.snapshot.algorithm.upper()} on {self.config.task.family}s"
        return f"bundled model: {what}, {self.snapshot.iteration:,} iterations"


def bundled_directory() -> Path:
    """Where the package keeps the bundled model's files."""
    return Path(str(resources.files("maml_gui") / "bundled" / BUNDLED_PRESET))


def sha256_of(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _checked_bytes(directory: Path, name: str, expected: str) -> bytes:
    try:
        data = (directory / name).read_bytes()
    except OSError as err:
        raise BundledModelError(f"the bundled model's {name} cannot be read ({err.strerror or err})") from None
    if hashlib.sha256(data).hexdigest() != expected:
        raise BundledModelError(f"the bundled model's {name} does not match its recorded sha256 checksum "
                                "(changed or damaged); starting without it")
    return data


def load_bundled_model(directory: str | Path | None = None,
                       checksums: dict[str, str] | None = None) -> BundledModel:
    """The bundled config and weights, after checking both files' sha256 sums."""
    directory = Path(directory) if directory is not None else bundled_directory()
    checksums = checksums if checksums is not None else BUNDLED_SHA256
    weights = _checked_bytes(directory, WEIGHTS, checksums[WEIGHTS])
    config_text = _checked_bytes(directory, CONFIG, checksums[CONFIG])
    try:
        config = from_toml(config_text.decode("utf-8"), source=f"bundled {CONFIG}")
        snapshot = snapshot_from_bytes(weights, source=f"bundled {WEIGHTS}")
    except (ConfigError, RunError, UnicodeDecodeError) as err:
        raise BundledModelError(f"the bundled model cannot be read: {err}") from None
    return BundledModel(config, snapshot)
