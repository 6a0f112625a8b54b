"""The playground: draw support points and watch the meta-learned model adapt to them."""

from .commands import AddPointCommand, ClearPointsCommand, MovePointCommand, RemovePointCommand, ReplacePointsCommand
from .plot import PlaygroundPlot
from .widget import PlaygroundWidget

__all__ = ["PlaygroundWidget", "PlaygroundPlot", "AddPointCommand", "MovePointCommand", "RemovePointCommand",
           "ClearPointsCommand", "ReplacePointsCommand"]
