"""A small untrained image classifier snapshot (Conv-4 of 8 filters on 28×28 grey, 5 ways) for
the drawing-pad tests: adaptation works on it without any meta-training."""

from __future__ import annotations

import torch

from maml_gui.core.adaptation import InnerRates
from maml_gui.core.conv_models import Conv4Spec
from maml_gui.core.model_backends import backend_for
from maml_gui.core.snapshot import ModelSnapshot


def small_image_classifier(ways: int = 5, seed: int = 0, lr: float = 0.4) -> ModelSnapshot:
    spec = Conv4Spec(channels=1, image_size=28, filters=8, outputs=ways, strided=True)
    params = backend_for(spec, "classification").initial_parameters(torch.Generator().manual_seed(seed))
    return ModelSnapshot(spec=spec, params=tuple(params), algorithm="maml", rates=InnerRates(lr),
                         task_kind="classification", iteration=7)
