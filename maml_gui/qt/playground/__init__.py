"""The playground: draw support points and watch the meta-learned model adapt to them.

The window shows the playground that fits the experiment: :mod:`.by_kind` holds the registry
(``register_playground("points" | "images", factory)``) through which the classification
playgrounds plug in, and the :class:`~.by_kind.PlaygroundHost` that switches between them.
"""

from .commands import AddPointCommand, ClearPointsCommand, MovePointCommand, RemovePointCommand, ReplacePointsCommand
from .plot import PlaygroundPlot
from .widget import PlaygroundWidget

__all__ = ["PlaygroundWidget", "PlaygroundPlot", "AddPointCommand", "MovePointCommand", "RemovePointCommand",
           "ClearPointsCommand", "ReplacePointsCommand"]
