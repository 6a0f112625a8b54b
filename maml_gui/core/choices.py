"""Lists of named choices that several modules offer, each written once.

The config validates against them, the CLI offers them, the form lists them, the engine and
the exporters map them to code. (Algorithm and task-family names live in :mod:`.config`.)
"""

from __future__ import annotations

# activation name -> the torch.nn module class of the same function (exports name it)
ACTIVATION_MODULES = {"relu": "ReLU", "tanh": "Tanh", "gelu": "GELU", "silu": "SiLU"}
ACTIVATIONS = tuple(ACTIVATION_MODULES)

# where training runs; "auto" picks CUDA, then MPS, then the CPU (see :mod:`.device`)
DEVICE_CHOICES = ("auto", "cpu", "cuda", "mps")
