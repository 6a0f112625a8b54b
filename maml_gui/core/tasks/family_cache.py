"""One TaskFamily per task config, built once and shared.

Every edit of the experiment form validates the config (which builds the family to check it),
redraws the task preview and hands the family to the playground; without a cache each of them
built it again, on every keystroke for a formula. Families are immutable after construction,
so the config's validator, the preview, the playground and a trainer may share one.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

from . import build_family
from .base import TaskFamily

MAX_FAMILIES = 16  # the configs of the last few edits

_families: OrderedDict[str, TaskFamily] = OrderedDict()
_lock = threading.Lock()


def family_for(task_config) -> TaskFamily:
    """The family of ``task_config`` (a ``TaskConfig``), built by :func:`build_family` at most once
    per distinct config among the last :data:`MAX_FAMILIES`; failures are not remembered."""
    key = task_config.model_dump_json()
    with _lock:
        family = _families.get(key)
        if family is not None:
            _families.move_to_end(key)
            return family
    family = build_family(task_config)
    with _lock:
        _families[key] = family
        while len(_families) > MAX_FAMILIES:
            _families.popitem(last=False)
    return family
