"""The task-distribution part of the experiment form: family, parameter ranges, inputs, K."""

from __future__ import annotations

import math

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import QFormLayout, QGroupBox, QHBoxLayout, QLabel, QLineEdit, QWidget

from maml_gui.core.config import FAMILIES, TaskConfig
from maml_gui.core.tasks import FAMILY_CLASSES
from maml_gui.core.tasks.formula import describe_allowed
from maml_gui.qt.panels.field_errors import FieldErrorMarker, FieldSpot
from maml_gui.qt.panels.fields import choice_field, float_field, int_field, number_field, set_choice
from maml_gui.qt.panels.range_table import ParameterRangeTable
from maml_gui.qt.panels.task_preview import TaskPreviewPlot

# the combo shows the short name (never cut in a narrow form), the caption under it what it means
FAMILY_DESCRIPTIONS = {name: cls.description for name, cls in FAMILY_CLASSES.items()}
FAMILY_DESCRIPTIONS.update(formula="your own expression of x", mixture="a mixture of families (edit as TOML)")
CAPTION_STYLE = "color: palette(placeholder-text);"
X_BOX_MIN_WIDTH = 62
DEFAULT_MIXTURE = [{"family": "sinusoid", "weight": 0.5}, {"family": "linear", "weight": 0.5}]
DEFAULT_FORMULA_RANGES = {"a": (0.5, 3.0), "b": (0.5, 1.5), "c": (0.0, math.pi)}


class TaskSection(QGroupBox):
    """Emits ``edited`` after any committed change (and as the formula is typed);
    :meth:`values` gives the ``task`` table."""

    edited = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Task distribution", parent)
        self.family = choice_field(FAMILIES, "family", self, "the distribution tasks are drawn from")
        for index, name in enumerate(FAMILIES):
            self.family.setItemData(index, FAMILY_DESCRIPTIONS.get(name, ""), Qt.ItemDataRole.ToolTipRole)
        self.family_caption = QLabel(self)
        self.family_caption.setObjectName("family_caption")
        self.family_caption.setWordWrap(True)
        self.family_caption.setStyleSheet(CAPTION_STYLE)
        self.expression = QLineEdit(self)
        self.expression.setObjectName("expression")
        self.expression.setToolTip(describe_allowed())
        self.expression.setPlaceholderText("e.g. a * sin(b * x + c)")
        self.ranges = ParameterRangeTable(self)
        self.degree = int_field(TaskConfig, "degree", self)
        self.components = QLabel(self)
        self.components.setWordWrap(True)
        self.x_low = number_field("x_low", -1e6, 1e6, self, "lowest input x", decimals=3, step=0.5)
        self.x_high = number_field("x_high", -1e6, 1e6, self, "highest input x", decimals=3, step=0.5)
        self.noise = float_field(TaskConfig, "noise_std", self, "Gaussian noise added to every y", decimals=4, step=0.05)
        self.shots = int_field(TaskConfig, "shots", self)
        self.queries = int_field(TaskConfig, "queries", self, "query points per task, scored after adaptation")
        for box in (self.x_low, self.x_high):
            box.setMinimumWidth(X_BOX_MIN_WIDTH)  # their ±1e6 range would widen the form past a narrow dock
        x_row = QHBoxLayout()
        x_row.addWidget(self.x_low)
        x_row.addWidget(QLabel("to", self))
        x_row.addWidget(self.x_high)
        self.form = QFormLayout(self)
        self.form.addRow("Family", self.family)
        self.form.addRow("", self.family_caption)
        self.form.addRow("Expression", self.expression)
        self.form.addRow("Degree", self.degree)
        self.form.addRow("Components", self.components)
        self.ranges_label = QLabel("Parameters (ranges drawn from)", self)
        self.form.addRow(self.ranges_label)
        self.form.addRow(self.ranges)  # the whole width: bounds are not cut in a narrow form
        self.form.addRow("Inputs x", x_row)
        self.form.addRow("Noise std", self.noise)
        self.form.addRow("Support points K", self.shots)
        self.form.addRow("Query points", self.queries)
        self.preview = TaskPreviewPlot(self)
        self.form.addRow("Preview", self.preview)
        self.marker = FieldErrorMarker(self.form, self)
        m = self.marker
        self.spots: dict[str, FieldSpot] = {
            "task.family": m.spot(self.family), "task.expression": m.spot(self.expression),
            "task.params": m.spot(self.ranges, self.ranges.table), "task.degree": m.spot(self.degree),
            "task.x_range": m.spot(x_row, self.x_low, self.x_high), "task.noise_std": m.spot(self.noise),
            "task.shots": m.spot(self.shots), "task.queries": m.spot(self.queries),
            "task.components": m.spot(self.components),
        }
        self._components: list[dict] = []
        self._explicit: set[str] = set()  # parameters the loaded config named itself
        self.family.currentIndexChanged.connect(self._on_family_changed)
        self.expression.editingFinished.connect(self._emit_edited)
        self.expression.textEdited.connect(self._emit_edited)  # the parser's verdict shows as one types
        self.ranges.ranges_edited.connect(self._emit_edited)
        for box in (self.degree, self.x_low, self.x_high, self.noise, self.shots, self.queries):
            box.valueChanged.connect(self._emit_edited)

    # -- config <-> widgets -----------------------------------------------------------------------
    def load(self, task: TaskConfig) -> None:
        widgets = (self.family, self.expression, self.ranges, self.degree, self.x_low, self.x_high, self.noise,
                   self.shots, self.queries)
        for widget in widgets:
            widget.blockSignals(True)
        try:
            set_choice(self.family, task.family)
            self.expression.setText(task.expression)
            self.ranges.set_ranges(self._ranges_for(task.family, task.params))
            self.degree.setValue(task.degree)
            self.x_low.setValue(task.x_range[0])
            self.x_high.setValue(task.x_range[1])
            self.noise.setValue(task.noise_std)
            self.shots.setValue(task.shots)
            self.queries.setValue(task.queries)
            self._components = [c.model_dump(mode="json") for c in task.components]
            self._explicit = set(task.params)
        finally:
            for widget in widgets:
                widget.blockSignals(False)
        self._show_family_fields(task.family)

    def values(self) -> dict:
        family = self.family.currentData()
        data = {
            "family": family,
            "params": self._params(family),
            "x_range": [self.x_low.value(), self.x_high.value()],
            "noise_std": self.noise.value(),
            "shots": self.shots.value(),
            "queries": self.queries.value(),
            "degree": self.degree.value(),
            "expression": self.expression.text().strip(),
            "components": self._components if family == "mixture" else [],
        }
        return data

    def _params(self, family: str) -> dict:
        """The table's ranges, leaving out built-in defaults the loaded config did not spell out,
        so that loading and saving a config changes nothing."""
        if family == "mixture":
            return {}
        defaults = FAMILY_CLASSES[family].default_ranges if family in FAMILY_CLASSES else {}
        return {name: list(bounds) for name, bounds in self.ranges.ranges().items()
                if name in self._explicit or tuple(defaults.get(name, ())) != tuple(bounds)}

    def table_error(self) -> str:
        """A problem in the ranges table that ``values`` had to leave out, or ''."""
        self.ranges.ranges()
        return self.ranges.error

    # -- family switching ---------------------------------------------------------------------------
    def _ranges_for(self, family: str, params: dict) -> dict:
        if family == "formula":
            return {k: tuple(v) for k, v in params.items()}
        if family == "mixture":
            return {}
        defaults = FAMILY_CLASSES[family].default_ranges
        return {k: tuple(params.get(k, v)) for k, v in defaults.items()}

    def _show_family_fields(self, family: str) -> None:
        self.family_caption.setText(FAMILY_DESCRIPTIONS.get(family, ""))
        self.form.setRowVisible(self.expression, family == "formula")
        self.form.setRowVisible(self.degree, family == "polynomial")
        self.form.setRowVisible(self.components, family == "mixture")
        self.form.setRowVisible(self.ranges, family != "mixture")
        self.form.setRowVisible(self.ranges_label, family != "mixture")
        self.ranges.set_names_editable(family == "formula")
        parts = [f"{c['family']} (weight {c.get('weight', 1.0):g})" for c in self._components]
        self.components.setText(", ".join(parts) + " — change them in Edit as TOML" if parts else "none")

    @Slot(int)
    def _on_family_changed(self, _index: int) -> None:
        family = self.family.currentData()
        self._explicit = set()
        if family == "formula":
            self.ranges.set_ranges(DEFAULT_FORMULA_RANGES)
            if not self.expression.text().strip():
                self.expression.setText("a * sin(b * x + c)")
        else:
            self.ranges.set_ranges(self._ranges_for(family, {}))
        if family == "mixture" and not self._components:
            self._components = [dict(c) for c in DEFAULT_MIXTURE]
        self._show_family_fields(family)
        self.edited.emit()

    @Slot()
    def _emit_edited(self) -> None:
        self.edited.emit()
