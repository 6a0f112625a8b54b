"""Class probabilities per inner step, as a small heatmap per test drawing.

:class:`ProbabilityTable` paints one row per step (before adaptation, after step 1..S) and one
column per class: each cell is the class colour with the probability as its strength and as
text; the predicted class of each row is outlined and bold. :class:`ProbabilityList` stacks one
table per test drawing, each beside the test image as the model sees it.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QHBoxLayout, QLabel, QScrollArea, QSizePolicy, QVBoxLayout, QWidget

from .draw_cells import ImageThumb, class_colour

ROW, LABEL, COLUMN = 18, 46, 34


def step_label(step: int) -> str:
    return "before" if step == 0 else f"step {step}"


class ProbabilityTable(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.probabilities = np.zeros((0, 0))  # [S + 1, N]
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)

    def set_probabilities(self, probabilities: np.ndarray) -> None:
        self.probabilities = np.asarray(probabilities, dtype=float)
        self.setFixedSize(self.sizeHint())
        self.update()

    def predicted(self) -> np.ndarray:
        """Predicted class per step ``[S + 1]``."""
        return self.probabilities.argmax(-1) if self.probabilities.size else np.zeros(0, dtype=int)

    def sizeHint(self) -> QSize:
        steps, ways = self.probabilities.shape if self.probabilities.ndim == 2 else (0, 0)
        return QSize(LABEL + COLUMN * ways + 2, ROW * (steps + 1) + 2)

    def paintEvent(self, event: QPaintEvent) -> None:
        if not self.probabilities.size:
            return
        painter = QPainter(self)
        font = QFont(painter.font())
        font.setPointSizeF(max(6.5, font.pointSizeF() * 0.85))
        painter.setFont(font)
        bold = QFont(font)
        bold.setBold(True)
        centre = Qt.AlignmentFlag.AlignCenter
        steps, ways = self.probabilities.shape
        for n in range(ways):
            painter.setPen(class_colour(n))
            painter.setFont(bold)
            painter.drawText(QRectF(LABEL + n * COLUMN, 0, COLUMN, ROW), centre, str(n + 1))
        predicted = self.predicted()
        for s in range(steps):
            top = ROW * (s + 1)
            painter.setFont(font)
            painter.setPen(QColor("#444"))
            right = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
            painter.drawText(QRectF(0, top, LABEL - 4, ROW), right, step_label(s))
            for n in range(ways):
                p = float(self.probabilities[s, n])
                cell = QRectF(LABEL + n * COLUMN + 1, top + 1, COLUMN - 2, ROW - 2)
                colour = QColor(class_colour(n))
                colour.setAlphaF(0.08 + 0.8 * p)
                painter.fillRect(cell, colour)
                best = n == predicted[s]
                painter.setFont(bold if best else font)
                painter.setPen(QColor("#000") if best or p < 0.55 else QColor("#fff"))
                painter.drawText(cell, centre, f"{100 * p:.0f}%")
                if best:
                    painter.setPen(QPen(QColor("#000"), 2))
                    painter.drawRect(cell)
        painter.end()


class ProbabilityList(QScrollArea):
    """One row per test drawing: its image as the model sees it, and its probability table."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWidgetResizable(True)
        self._body = QWidget()
        self._rows = QVBoxLayout(self._body)
        self._rows.setContentsMargins(2, 2, 2, 2)
        self.setWidget(self._body)
        self.tables: list[ProbabilityTable] = []
        self.thumbs: list[ImageThumb] = []
        legend = QLabel("Class probabilities of each test drawing before adaptation and after each inner step; "
                        "the outlined cell is the predicted class.")
        legend.setWordWrap(True)
        legend.setToolTip("The test drawings are classified as one batch: Conv-4's batch norm uses their joint "
                          "statistics (transductive, as in meta-training), so one drawing can shift the others a "
                          "little.")
        self._rows.addWidget(legend)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self._rows.addWidget(self.message)
        self._rows.addStretch(1)

    def show_message(self, text: str) -> None:
        self._clear()
        self.message.setText(text)
        self.message.setVisible(bool(text))

    def show_tables(self, images: list[np.ndarray], probabilities: np.ndarray, names: list[str]) -> None:
        """``probabilities`` ``[S + 1, T, N]``; one row per test image ``images[t]`` (``[H, W]``)."""
        if len(self.tables) != len(images):
            self._clear()
            for _ in images:
                row = QHBoxLayout()
                thumb, table = ImageThumb(class_colour(-1), side=48), ProbabilityTable()
                row.addWidget(thumb)
                row.addWidget(table)
                row.addStretch(1)
                self._rows.insertLayout(self._rows.count() - 1, row)
                self.thumbs.append(thumb)
                self.tables.append(table)
        self.message.setVisible(False)
        for t, (thumb, table) in enumerate(zip(self.thumbs, self.tables)):
            thumb.set_pixels(images[t])
            table.set_probabilities(probabilities[:, t])
            final = int(table.predicted()[-1])
            thumb.set_badge(str(final + 1), class_colour(final))
            thumb.setToolTip(f"{names[t]}: class {final + 1} after the last step")

    def _clear(self) -> None:
        for i in reversed(range(self._rows.count())):
            item = self._rows.itemAt(i)
            if item.layout() is not None:
                layout = self._rows.takeAt(i).layout()
                while layout.count():
                    widget = layout.takeAt(0).widget()
                    if widget is not None:
                        widget.deleteLater()
                layout.deleteLater()
        self.tables, self.thumbs = [], []
