"""What a plot shows before it has data: a centred sentence saying what will appear, over
plain axes (fixed ranges, no SI-prefix scaling: :mod:`.axes`), instead of pyqtgraph's
-400..400 "(x0.001)".
"""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import QObject, Slot
from PySide6.QtGui import QTextOption
from PySide6.QtWidgets import QGraphicsTextItem

MESSAGE_MARGIN_PX = 16


class EmptyPlotMessage(QObject):
    """A word-wrapped, centred message in a PlotItem's ViewBox (in its pixel coordinates, so
    panning or a log axis does not move it), shown while the plot is empty."""

    def __init__(self, item: pg.PlotItem, text: str) -> None:
        super().__init__(item)
        self.view = item.getViewBox()
        self.label = QGraphicsTextItem(self.view)
        self.label.setDefaultTextColor(pg.mkColor(pg.getConfigOption("foreground")))
        self.label.setPlainText(text)
        self.label.setZValue(1000)
        option = QTextOption(self.label.document().defaultTextOption())
        option.setAlignment(pg.QtCore.Qt.AlignmentFlag.AlignHCenter)
        self.label.document().setDefaultTextOption(option)
        self.view.sigResized.connect(self._on_resized)
        self._place()

    @property
    def text(self) -> str:
        return self.label.toPlainText()

    def set_text(self, text: str) -> None:
        self.label.setPlainText(text)
        self._place()

    def set_visible(self, visible: bool) -> None:
        self.label.setVisible(visible)

    def is_visible(self) -> bool:
        return self.label.isVisible()

    @Slot(object)
    def _on_resized(self, _view) -> None:
        self._place()

    def _place(self) -> None:
        rect = self.view.rect()
        self.label.setTextWidth(-1)  # the natural width first: short texts stay on one line
        natural = self.label.boundingRect().width()
        self.label.setTextWidth(max(min(natural, rect.width() - 2 * MESSAGE_MARGIN_PX), 40.0))
        box = self.label.boundingRect()
        self.label.setPos(rect.center().x() - box.width() / 2, rect.center().y() - box.height() / 2)
