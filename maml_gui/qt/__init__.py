"""The desktop app (PySide6 + pyqtgraph): windows, panels, plots, playground, training worker.

Nothing here computes learning: widgets turn their state into an ``ExperimentConfig``,
drive :mod:`maml_gui.core`, and draw what it yields.
"""
