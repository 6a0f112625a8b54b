"""The network choice of the Model box: the MLP, or Conv-4 (Finn et al.'s image classifier).

Regression and 2-D points train the MLP; images train Conv-4. When the task's input changes
kind (points <-> images, or to regression), :meth:`NetworkFields.fit` picks the network that
fits it, as the papers set it up: Conv-4 with stride-2 convolutions and 64 filters for small
images (Finn et al.'s Omniglot network, 28x28), max-pooling and 32 filters from 32 pixels up
(their mini-ImageNet network, 84x84). The user may change it afterwards; a network that cannot
take the task's input is marked at the Network field by the config's validator.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt, Signal, Slot
from PySide6.QtWidgets import QCheckBox, QWidget

from maml_gui.core.config import ExperimentConfig, ModelConfig
from maml_gui.qt.panels.field_errors import FieldErrorMarker, FieldSpot
from maml_gui.qt.panels.fields import choice_field, int_field, set_choice

NETWORK_LABELS = {"mlp": "MLP", "conv4": "Conv-4"}
NETWORK_DESCRIPTIONS = {"mlp": "fully connected layers: regression and 2-D points",
                        "conv4": "4 blocks of 3x3 conv, batch norm, ReLU, 2x2 pooling (Finn et al. 2017): images"}
SMALL_IMAGE = 28  # up to this side: Finn et al.'s Omniglot network (strided, 64 filters)


def fitting_network(input_kind: str, image_size: int) -> dict:
    """The model fields that fit a task's input: ``{"kind", "filters", "strided"}`` (only ``kind`` for the MLP)."""
    if input_kind != "images":
        return {"kind": "mlp"}
    small = image_size <= SMALL_IMAGE
    return {"kind": "conv4", "filters": 64 if small else 32, "strided": small}


class NetworkFields(QObject):
    """The network combo, Conv-4's filters and its strided option (widgets placed by the Model box)."""

    edited = Signal()
    kind_shown = Signal()  # the rows to show changed (network or task kind)

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.kind = choice_field(("mlp", "conv4"), "kind", parent, "the network that is meta-learned")
        for index, name in enumerate(("mlp", "conv4")):
            self.kind.setItemText(index, NETWORK_LABELS[name])
            self.kind.setItemData(index, NETWORK_DESCRIPTIONS[name], Qt.ItemDataRole.ToolTipRole)
        self.kind.setObjectName("network")
        self.filters = int_field(ModelConfig, "filters", parent, "channels of each of Conv-4's blocks (64 in Finn "
                                 "et al.'s Omniglot network, 32 for mini-ImageNet)")
        self.strided = QCheckBox("stride-2 convolutions instead of max-pooling", parent)
        self.strided.setObjectName("strided")
        self.strided.setToolTip("Finn et al.'s Omniglot network; max-pooling needs images of at least 16 pixels")
        self.classification = False
        self.kind.currentIndexChanged.connect(self._on_kind_changed)
        self.filters.valueChanged.connect(self.edited)
        self.strided.toggled.connect(self.edited)

    def spots(self, marker: FieldErrorMarker) -> dict[str, FieldSpot]:
        return {"model.kind": marker.spot(self.kind), "model.filters": marker.spot(self.filters),
                "model.strided": marker.spot(self.strided)}

    def is_conv(self) -> bool:
        return self.kind.currentData() == "conv4"

    def load(self, config: ExperimentConfig) -> None:
        with _Blocked(self.kind, self.filters, self.strided):
            set_choice(self.kind, config.model.kind)
            self.filters.setValue(config.model.filters)
            self.strided.setChecked(config.model.strided)
        self.classification = config.task.kind == "classification"
        self.kind_shown.emit()

    def values(self) -> dict:
        return {"kind": self.kind.currentData(), "filters": self.filters.value(), "strided": self.strided.isChecked()}

    def fit(self, input_kind: str, image_size: int) -> None:
        """Show the network that fits ``input_kind`` ("regression", "points", "images"); emits nothing
        (the task's edit that asked for it is emitted next)."""
        fields = fitting_network(input_kind, image_size)
        with _Blocked(self.kind, self.filters, self.strided):
            set_choice(self.kind, fields["kind"])
            if "filters" in fields:
                self.filters.setValue(fields["filters"])
                self.strided.setChecked(fields["strided"])
        self.classification = input_kind != "regression"
        self.kind_shown.emit()

    @Slot(int)
    def _on_kind_changed(self, _index: int) -> None:
        self.kind_shown.emit()
        self.edited.emit()


class _Blocked:
    """Signals of ``widgets`` blocked inside a ``with``."""

    def __init__(self, *widgets: QWidget) -> None:
        self.widgets = widgets

    def __enter__(self) -> None:
        for widget in self.widgets:
            widget.blockSignals(True)

    def __exit__(self, *_exc) -> None:
        for widget in self.widgets:
            widget.blockSignals(False)
