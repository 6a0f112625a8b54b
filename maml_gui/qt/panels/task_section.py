"""The task-distribution part of the experiment form: the task kind, then for regression the family,
parameter ranges, inputs and K; for classification the rows of :mod:`.classification_fields`
(family, N ways, images, dataset folder) with K shots and Q queries per class."""

from __future__ import annotations

import math

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import QFormLayout, QGroupBox, QHBoxLayout, QLabel, QLineEdit, QStackedWidget, QWidget

from maml_gui.core.config import FAMILIES, TASK_KINDS, TaskConfig
from maml_gui.core.tasks import FAMILY_CLASSES
from maml_gui.core.tasks.formula import describe_allowed
from maml_gui.qt.panels.classification_fields import ClassificationFields
from maml_gui.qt.panels.classification_preview import ClassificationPreview
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
KIND_LABELS = {"regression": "regression", "classification": "classification"}  # short: never cut
COUNT_LABELS = {"regression": ("Support points K", "Query points"),
                "classification": ("K shots (per class)", "Q queries (per class)")}
# K and Q a kind starts with when the form switches to it (the points-3way-5shot preset's, Finn et al.'s K=10)
FIRST_COUNTS = {"regression": (10, 10), "classification": (5, 10)}


class TaskSection(QGroupBox):
    """Emits ``edited`` after any committed change (and as the formula is typed);
    :meth:`values` gives the ``task`` table."""

    edited = Signal()
    input_changed = Signal(str)  # before ``edited``: the input turned "regression", "points" or "images"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Task distribution", parent)
        self.kind = choice_field(TASK_KINDS, "task_kind", self, "regression: fit curves y(x); classification: "
                                 "tell N classes apart from K examples each")
        for index, name in enumerate(TASK_KINDS):
            self.kind.setItemText(index, KIND_LABELS[name])
        self.classification = ClassificationFields(self)
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
        self.form.addRow("Task kind", self.kind)
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
        self.class_preview = ClassificationPreview(self)
        self.previews = QStackedWidget(self)
        self.previews.addWidget(self.preview)
        self.previews.addWidget(self.class_preview)
        self.form.addRow("Preview", self.previews)
        self.classification.add_rows(self.form, 1)
        self.marker = FieldErrorMarker(self.form, self)
        m = self.marker
        self.spots: dict[str, FieldSpot] = {
            "task.family": m.spot(self.family), "task.expression": m.spot(self.expression),
            "task.params": m.spot(self.ranges, self.ranges.table), "task.degree": m.spot(self.degree),
            "task.x_range": m.spot(x_row, self.x_low, self.x_high), "task.noise_std": m.spot(self.noise),
            "task.shots": m.spot(self.shots), "task.queries": m.spot(self.queries),
            "task.components": m.spot(self.components), "task.kind": m.spot(self.kind),
            **self.classification.spots(m),
        }
        self._allowed = {box: box.toolTip().splitlines()[-1] for box in (self.shots, self.queries)}  # "allowed: …"
        self._regression_rows = (self.family, self.family_caption, self.expression, self.degree, self.components,
                                 self.ranges_label, self.ranges, x_row, self.noise)
        self._shown_kind = "regression"
        self._counts = dict(FIRST_COUNTS)  # K and Q of the kind not shown, for switching back
        self._input = "regression"
        self._components: list[dict] = []
        self._explicit: set[str] = set()  # parameters the loaded config named itself
        self.family.currentIndexChanged.connect(self._on_family_changed)
        self.expression.editingFinished.connect(self._emit_edited)
        self.expression.textEdited.connect(self._emit_edited)  # the parser's verdict shows as one types
        self.ranges.ranges_edited.connect(self._emit_edited)
        for box in (self.degree, self.x_low, self.x_high, self.noise, self.shots, self.queries):
            box.valueChanged.connect(self._emit_edited)
        self.kind.currentIndexChanged.connect(self._on_kind_changed)
        self.classification.edited.connect(self._emit_edited)
        self._show_family_fields(self.family.currentData())

    # -- config <-> widgets -----------------------------------------------------------------------
    def load(self, task: TaskConfig) -> None:
        widgets = (self.kind, self.family, self.expression, self.ranges, self.degree, self.x_low, self.x_high,
                   self.noise, self.shots, self.queries)
        for widget in widgets:
            widget.blockSignals(True)
        try:
            set_choice(self.kind, task.kind)
            if task.kind == "regression":
                set_choice(self.family, task.family)
            self.expression.setText(task.expression)
            shown = task.family if task.kind == "regression" else self.family.currentData()
            self.ranges.set_ranges(self._ranges_for(shown, task.params if task.kind == "regression" else {}))
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
        self.classification.load(task)
        self._shown_kind = task.kind
        self._input = self._current_input()
        self._show_family_fields(self.family.currentData())

    def values(self) -> dict:
        if self.kind.currentData() == "classification":
            return {"kind": "classification", "shots": self.shots.value(), "queries": self.queries.value(),
                    **self.classification.values()}
        family = self.family.currentData()
        data = {
            "kind": "regression",
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
        if self.kind.currentData() == "classification":
            return ""
        self.ranges.ranges()
        return self.ranges.error

    def folder_error(self) -> str:
        """What is wrong with the chosen dataset folder for the asked episodes (classification), or ''."""
        if self.kind.currentData() != "classification":
            return ""
        return self.classification.folder_problem(self.shots.value(), self.queries.value())

    def show_preview(self, task: TaskConfig) -> None:
        """Redraw the preview of the kind of ``task`` (a sampled task for classification, off the UI thread)."""
        classification = task.kind == "classification"
        self.previews.setCurrentWidget(self.class_preview if classification else self.preview)
        if classification:
            self.class_preview.show_task(task)
        else:
            self.preview.show_task(task)

    def shutdown(self) -> None:
        self.class_preview.shutdown()
        self.classification.folder.shutdown()

    # -- family switching ---------------------------------------------------------------------------
    def _ranges_for(self, family: str, params: dict) -> dict:
        if family == "formula":
            return {k: tuple(v) for k, v in params.items()}
        if family == "mixture":
            return {}
        defaults = FAMILY_CLASSES[family].default_ranges
        return {k: tuple(params.get(k, v)) for k, v in defaults.items()}

    def _current_input(self) -> str:
        return "regression" if self.kind.currentData() != "classification" else self.classification.input_kind()

    def _show_family_fields(self, family: str) -> None:
        classification = self.kind.currentData() == "classification"
        for row in self._regression_rows:
            self.form.setRowVisible(row, not classification)
        self.classification.show_rows(classification)
        shots_label, queries_label = COUNT_LABELS["classification" if classification else "regression"]
        self.form.labelForField(self.shots).setText(shots_label)
        self.form.labelForField(self.queries).setText(queries_label)
        for box, text in ((self.shots, "support examples of each class per task (K)" if classification
                           else "support points per task (K)"),
                          (self.queries, "query examples of each class per task, scored after adaptation"
                           if classification else "query points per task, scored after adaptation")):
            box.setToolTip(f"{text}\n{self._allowed[box]}")
        if classification:
            return
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

    @Slot(int)
    def _on_kind_changed(self, _index: int) -> None:
        kind = self.kind.currentData()
        if kind == self._shown_kind:
            return
        self._counts[self._shown_kind] = (self.shots.value(), self.queries.value())
        self._shown_kind = kind
        for box, value in zip((self.shots, self.queries), self._counts[kind]):
            box.blockSignals(True)
            box.setValue(value)
            box.blockSignals(False)
        self._show_family_fields(self.family.currentData())
        self._emit_edited()

    @Slot()
    def _emit_edited(self) -> None:
        current = self._current_input()
        if current != self._input:
            self._input = current
            self.input_changed.emit(current)
        self.edited.emit()
