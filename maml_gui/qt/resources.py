"""Files shipped inside the package (icons), found through ``importlib.resources``."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

APP_ICON = "maml-studio.svg"


def icon_path(name: str) -> Path | None:
    """The path of ``icons/<name>``, or None when it is missing (e.g. a stripped install)."""
    candidate = resources.files("maml_gui.qt") / "icons" / name
    return Path(str(candidate)) if candidate.is_file() else None


def app_icon_path() -> Path | None:
    return icon_path(APP_ICON)
