"""The opening of a script that must run with plain torch only: importing ``maml_gui`` is blocked
(and checked to be), so what it loads cannot lean on this package."""

from __future__ import annotations

import textwrap

BLOCK_MAML_GUI = textwrap.dedent("""
    import importlib.abc, json, sys

    class BlockMamlGui(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path, target=None):
            if name == "maml_gui" or name.startswith("maml_gui."):
                raise ImportError("maml_gui is blocked in this process")
            return None

    sys.meta_path.insert(0, BlockMamlGui())
    import torch
    try:
        import maml_gui  # noqa: F401
        raise SystemExit("maml_gui could still be imported")
    except ImportError:
        pass
""")
