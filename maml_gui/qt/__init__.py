"""The desktop app (PySide6 + pyqtgraph): windows, panels, plots, playground, training worker.

Nothing here computes learning: widgets turn their state into an ``ExperimentConfig``,
drive :mod:`maml_gui.core`, and draw what it yields.
"""

# pydantic must be fully imported before PySide6 installs its import hook: a pydantic that is
# half imported when the hook arrives fails with a circular ImportError (pydantic's lazy
# attributes meet shiboken's source inspection).
import maml_gui.core.config  # noqa: E402,F401  (imported for that side effect)
