"""The playground's key to its lines, under the plot instead of over the data.

A legend inside the plot covered a third of it at ten steps, hid points and swallowed clicks
(they added points nobody could see). This key is one word-wrapped line of text below the
plot: a short colour ramp for the step curves (step 0, the meta-learned initialisation, in the
ramp's first colour), the dashed true function and the baseline. It wraps, so no entry is cut.
"""

from __future__ import annotations

import html

import pyqtgraph as pg
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QLabel, QSizePolicy, QWidget

RAMP_GLYPH = "━"
RAMP_GLYPHS_MAX = 12  # a ramp of S + 1 colours, shown with at most this many glyphs
ENTRY_SEPARATOR = "&nbsp;&nbsp;&nbsp; "


def _colored(text: str, color: QColor) -> str:
    return f"<span style='color: {color.name()}'>{text}</span>"


def _nowrap(text: str) -> str:
    return f"<span style='white-space: nowrap'>{text}</span>"


def _entry(swatch: str, text: str) -> str:
    """The swatch glued to the text's first word (a line never ends with a lone swatch)."""
    first, _, rest = text.partition(" ")
    return _nowrap(f"{swatch} {html.escape(first)}") + (f" {html.escape(rest)}" if rest else "")


class CurveKey(QLabel):
    """Says what each drawn line is; ``set_entries`` is called only when that set changes."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("playground_curve_key")
        self.setWordWrap(True)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)
        background, foreground = (pg.mkColor(pg.getConfigOption(name)).name() for name in ("background", "foreground"))
        # the plot's colours: the lines' colours read as they do on the plot above
        self.setStyleSheet(f"QLabel {{ background: {background}; color: {foreground}; padding: 2px 6px; }}")
        self.entries: list[str] = []  # the entries' plain texts (for tests)
        self.hide()  # until there is a line to explain

    def set_entries(self, step_colors: list[QColor], true_curve: QColor | None,
                    baseline: tuple[QColor, str] | None) -> None:
        """Step curves 0..S in ``step_colors``; the true function and the baseline if drawn."""
        parts, entries = [], []
        if step_colors:
            last = len(step_colors) - 1
            shown = [step_colors[round(i * last / (RAMP_GLYPHS_MAX - 1))] for i in range(RAMP_GLYPHS_MAX)] \
                if len(step_colors) > RAMP_GLYPHS_MAX else step_colors
            ramp = "".join(_colored(RAMP_GLYPH, color) for color in shown)
            text = "step 0 (meta-learned init)" + (f" → step {last}" if last else "")
            parts.append(_entry(ramp, text))
            entries.append(text)
        if true_curve is not None:
            parts.append(_entry(_colored("╌╌", true_curve), "true function"))
            entries.append("true function")
        if baseline is not None:
            color, text = baseline
            parts.append(_entry(_colored("─·─", color), text))
            entries.append(text)
        if entries == self.entries:
            return
        self.entries = entries
        self.setText(ENTRY_SEPARATOR.join(parts))
        self.setVisible(bool(parts))
