"""Help > About: what this is, and the versions and device a bug report needs."""

from __future__ import annotations

import html
import platform

import pyqtgraph
import PySide6
import torch
from PySide6.QtCore import qVersion

from maml_gui import __version__
from maml_gui.core.device import available_devices, describe_device, resolve_device


def versions() -> dict[str, str]:
    return {"MAML Studio": __version__, "PyTorch": torch.__version__, "Qt": qVersion(),
            "PySide6": PySide6.__version__, "pyqtgraph": pyqtgraph.__version__, "Python": platform.python_version()}


def device_found() -> str:
    """The device that ``auto`` trains on, and why the others are not used."""
    try:
        found = describe_device(resolve_device("auto"))
    except Exception as err:  # noqa: BLE001 - the About box must open whatever the driver says
        found = f"none usable ({err})"
    absent = [f"{name}: {reason}" for name, reason in available_devices().items() if reason is not None]
    return found + (f" ({'; '.join(absent)})" if absent else "")


ALGORITHMS_SHOWN = ("MAML", "FOMAML", "Reptile", "ANIL", "Meta-SGD", "MAML++")


def _nobr(text: str) -> str:
    """Kept on one line: a narrow message box must not break "MAML++" after "MAML+"."""
    return f"<nobr>{html.escape(text)}</nobr>"


def about_html(app_name: str) -> str:
    rows = "".join(f"<tr><td>{_nobr(k)}</td><td>&nbsp;{_nobr(v)}</td></tr>" for k, v in versions().items())
    algorithms = ", ".join(_nobr(name) for name in ALGORITHMS_SHOWN)
    return (f"<b>{html.escape(app_name)}</b> {html.escape(__version__)}<br>Meta-learning ({algorithms}) "
            f"on few-shot regression tasks.<br><br><table>{rows}</table><br>"
            f"Device found: {html.escape(device_found())}")
