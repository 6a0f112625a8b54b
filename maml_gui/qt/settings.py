"""Every QSettings key the app uses, with its type and default, in one place.

The app always uses INI-format settings (:func:`configure_settings_format`), so tests can
redirect them with ``QSettings.setPath`` and Windows does not write to the registry.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QByteArray, QSettings, QStandardPaths

ORGANIZATION = "MAML Studio"
APPLICATION = "maml-gui"
MAX_RECENT_RUNS = 8


@dataclass(frozen=True)
class SettingKey:
    key: str
    type: type
    default: Any
    description: str


WINDOW_GEOMETRY = SettingKey("window/geometry", QByteArray, QByteArray(), "main window size and position")
WINDOW_STATE = SettingKey("window/state", QByteArray, QByteArray(), "dock and toolbar layout")
LAST_PRESET = SettingKey("experiment/last_preset", str, "finn2017-sinusoid", "preset loaded at start when there "
                         "is no last config")
LAST_CONFIG = SettingKey("experiment/last_config", str, "", "the experiment config (TOML) being edited when the "
                         "window closed; loaded at start")
RECENT_RUNS = SettingKey("files/recent_runs", list, [], "run directories opened or saved, newest first")
LAST_DIRECTORY = SettingKey("files/last_directory", str, "", "folder last used in a file dialog")
LOSS_LOG_SCALE = SettingKey("plots/loss_log_scale", bool, True, "meta-loss plot uses a log y axis")
LOSS_SMOOTHING = SettingKey("plots/loss_smoothing", float, 0.95, "weight of the meta-loss curves' moving average "
                            "(TensorBoard's smoothing), 0 to 0.999")
CONFIRM_DISCARD = SettingKey("ui/confirm_discard", bool, True, "ask before discarding an unsaved trained model")

ALL_KEYS = (WINDOW_GEOMETRY, WINDOW_STATE, LAST_PRESET, LAST_CONFIG, RECENT_RUNS, LAST_DIRECTORY, LOSS_LOG_SCALE,
            LOSS_SMOOTHING, CONFIRM_DISCARD)


def configure_settings_format() -> None:
    """Make every default-constructed ``QSettings`` an INI file (call once in ``main``)."""
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)


class AppSettings:
    """Typed access to the app's QSettings; values of the wrong type read as the default."""

    def __init__(self, store: QSettings | None = None) -> None:
        self._store = store if store is not None else QSettings()

    def get(self, key: SettingKey) -> Any:
        value = self._store.value(key.key, key.default)
        if key.type is bool:
            if isinstance(value, str):  # INI files give booleans back as text
                return value.lower() in ("true", "1", "yes")
            return bool(value)
        if key.type is list:
            if value is None or value == "":
                return []
            return [str(v) for v in value] if isinstance(value, (list, tuple)) else [str(value)]
        if key.type is float:  # INI files give numbers back as text
            try:
                number = float(value)
            except (TypeError, ValueError):
                return key.default
            return number if math.isfinite(number) else key.default
        if key.type is QByteArray:
            return value if isinstance(value, QByteArray) else key.default
        return value if isinstance(value, key.type) else key.default

    def set(self, key: SettingKey, value: Any) -> None:
        self._store.setValue(key.key, value)

    def sync(self) -> None:
        self._store.sync()

    # -- recent runs ---------------------------------------------------------------------
    def recent_runs(self) -> list[str]:
        return self.get(RECENT_RUNS)[:MAX_RECENT_RUNS]

    def add_recent_run(self, path: str | Path) -> list[str]:
        entry = str(Path(path).resolve())
        runs = [entry] + [p for p in self.recent_runs() if p != entry]
        self.set(RECENT_RUNS, runs[:MAX_RECENT_RUNS])
        return runs[:MAX_RECENT_RUNS]

    def forget_recent_run(self, path: str | Path) -> None:
        self.set(RECENT_RUNS, [p for p in self.recent_runs() if p != str(path)])

    def start_directory(self) -> str:
        """Where a file dialog opens: a folder that exists: the last one used, else the folder of
        the newest recent run, else the user's documents, else home."""
        candidates = [self.get(LAST_DIRECTORY)] + [str(Path(run).parent) for run in self.recent_runs()[:1]]
        candidates.append(QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation))
        return next((path for path in candidates if path and Path(path).is_dir()), str(Path.home()))

    def remember_directory(self, path: str | Path) -> None:
        path = Path(path)
        self.set(LAST_DIRECTORY, str(path if path.is_dir() else path.parent))
