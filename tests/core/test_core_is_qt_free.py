"""maml_gui.core must import and train with Qt and pyqtgraph unavailable (DESIGN.md: imports point down)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = textwrap.dedent("""
    import importlib, importlib.abc, pkgutil, sys

    BLOCKED = ("PySide6", "shiboken6", "pyqtgraph")

    class BlockQt(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in BLOCKED:
                raise ImportError(f"{name} is blocked: maml_gui.core must not import Qt")
            return None

    sys.meta_path.insert(0, BlockQt())
    try:
        import PySide6  # noqa: F401
    except ImportError:
        pass
    else:
        raise SystemExit("the import blocker does not work")

    import maml_gui.core
    modules = ["maml_gui.core"]
    for info in pkgutil.walk_packages(maml_gui.core.__path__, "maml_gui.core."):
        importlib.import_module(info.name)
        modules.append(info.name)

    from maml_gui.core.config import from_dict
    from maml_gui.core.training import Trainer

    config = from_dict({"model": {"hidden": [8]},
                        "training": {"meta_batch": 2, "iterations": 3, "val_interval": 3, "val_tasks": 4,
                                     "device": "cpu"}})
    last = None
    for last in Trainer(config, threads=1).run():
        pass
    assert last.finished and last.iteration == 3, last
    leaked = sorted(m for m in sys.modules if m.split(".")[0] in BLOCKED)
    assert not leaked, leaked
    print("imported", len(modules), "modules:", " ".join(modules))
""")


def test_core_imports_and_trains_without_qt():
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    result = subprocess.run([sys.executable, "-c", SCRIPT], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr[-3000:] or result.stdout[-3000:]
    imported = result.stdout.split(":", 1)[1].split()
    for expected in ("maml_gui.core.training", "maml_gui.core.checkpoint", "maml_gui.core.tasks.formula",
                     "maml_gui.core.algorithms.reptile", "maml_gui.core.presets"):
        assert expected in imported
