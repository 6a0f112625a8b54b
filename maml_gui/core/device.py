"""Choosing the compute device: ``auto`` picks CUDA, then MPS, then CPU."""

from __future__ import annotations

import torch

from .choices import DEVICE_CHOICES  # noqa: F401 - re-exported for callers


class DeviceError(ValueError):
    """The asked-for device is absent."""


def available_devices() -> dict[str, str | None]:
    """Each device name mapped to None when usable, or to the reason it is not."""
    mps = getattr(torch.backends, "mps", None)
    return {
        "cpu": None,
        "cuda": None if torch.cuda.is_available() else "no CUDA GPU found (or this torch build has no CUDA)",
        "mps": None if (mps is not None and mps.is_available()) else "Apple MPS is not available on this machine",
    }


def resolve_device(name: str) -> torch.device:
    if name not in DEVICE_CHOICES:
        raise DeviceError(f"unknown device {name!r}; allowed: {', '.join(DEVICE_CHOICES)}")
    reasons = available_devices()
    if name == "auto":
        for candidate in ("cuda", "mps"):
            if reasons[candidate] is None:
                return torch.device(candidate)
        return torch.device("cpu")
    if reasons[name] is not None:
        raise DeviceError(f"device {name!r} is not available: {reasons[name]}")
    return torch.device(name)


def describe_device(device: torch.device) -> str:
    if device.type == "cuda":
        return f"cuda ({torch.cuda.get_device_name(device)})"
    return device.type


def default_threads(leave_free: int = 0, hidden=(40, 40)) -> int:
    """The automatic torch thread count (see core/threads.py: measured, 1 for MLPs of the sizes used)."""
    from .threads import choose_threads

    return choose_threads(None, hidden=hidden, leave_free=leave_free).count
