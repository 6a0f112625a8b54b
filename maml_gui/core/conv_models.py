"""Conv-4, the few-shot image classifier of Finn et al. (2017), as a plain ``torch.nn.Module``.

Four blocks of 3×3 convolution (``filters`` channels, 64 in the paper, 32 for 84×84 RGB
mini-ImageNet), batch norm, ReLU and 2×2 max-pooling, then a linear head with one output per
way. The strided variant (the paper's Omniglot network) uses stride-2 convolutions instead of
pooling and averages the last feature map over space.

Batch norm is *transductive*, as in the paper: it always normalises with the statistics of the
batch it is given (``F.batch_norm(training=True)``) and keeps no running statistics, at
meta-training and at test time alike. One task's support set is one batch, its query set
another; the engine runs every task under ``vmap``, so statistics are never shared across
tasks. Its scale and shift are ordinary parameters that the inner loop adapts.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

BLOCKS = 4


@dataclass(frozen=True)
class Conv4Spec:
    """Architecture of Conv-4: input channels and side, filters, outputs (ways), strided or pooled."""

    channels: int = 1
    image_size: int = 28
    filters: int = 64
    outputs: int = 5
    strided: bool = False

    def __post_init__(self) -> None:
        if self.channels < 1 or self.filters < 1 or self.outputs < 1:
            raise ValueError("conv4: channels, filters and outputs must be >= 1")
        if not self.strided and self.image_size < 2 ** BLOCKS:
            raise ValueError(f"conv4 with max-pooling needs images of at least {2 ** BLOCKS}×{2 ** BLOCKS} "
                             f"(got {self.image_size}); use the strided variant for smaller images")
        if self.image_size < 1:
            raise ValueError("conv4: image_size must be >= 1")

    @property
    def input_shape(self) -> tuple[int, int, int]:
        return (self.channels, self.image_size, self.image_size)

    def parameter_count(self) -> int:
        convs = sum((self.channels if i == 0 else self.filters) * self.filters * 9 + self.filters
                    for i in range(BLOCKS))
        return convs + 2 * self.filters * BLOCKS + (self.feature_size + 1) * self.outputs

    def describe(self) -> str:
        return (f"conv4 of {self.filters} filters{' (strided)' if self.strided else ''} on {self.channels}×"
                f"{self.image_size}×{self.image_size} images, {self.outputs} outputs")

    @property
    def feature_size(self) -> int:
        """Length of the feature vector the head sees."""
        if self.strided:
            return self.filters
        side = self.image_size
        for _ in range(BLOCKS):
            side //= 2
        return self.filters * side * side


class TransductiveBatchNorm(nn.Module):
    """Batch norm with the current batch's statistics at train and test time; no running stats."""

    def __init__(self, features: int, eps: float = 1e-5) -> None:
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(features))
        self.bias = nn.Parameter(torch.zeros(features))

    def forward(self, x: Tensor) -> Tensor:
        return F.batch_norm(x, None, None, self.weight, self.bias, training=True, eps=self.eps)


class Conv4(nn.Module):
    """Conv-4 on ``[N, C, H, W]`` images; ``head`` is the last layer (the part ANIL adapts)."""

    def __init__(self, spec: Conv4Spec) -> None:
        super().__init__()
        self.spec = spec
        stride = 2 if spec.strided else 1
        self.convs = nn.ModuleList(
            nn.Conv2d(spec.channels if i == 0 else spec.filters, spec.filters, 3, stride=stride, padding=1)
            for i in range(BLOCKS))
        self.norms = nn.ModuleList(TransductiveBatchNorm(spec.filters) for _ in range(BLOCKS))
        self.head = nn.Linear(spec.feature_size, spec.outputs)

    def features(self, x: Tensor) -> Tensor:
        for conv, norm in zip(self.convs, self.norms):
            x = F.relu(norm(conv(x)))
            if not self.spec.strided:
                x = F.max_pool2d(x, 2)
        return x.mean((-2, -1)) if self.spec.strided else x.flatten(-3)

    def forward(self, x: Tensor) -> Tensor:
        return self.head(self.features(x))


def batched_forward(spec: Conv4Spec, params, x: Tensor, per_task) -> Tensor:
    """Conv-4 for a whole meta-batch without ``vmap``: ``x`` ``[B, N, C, H, W]`` -> logits ``[B, N, outputs]``.

    ``params`` are in ``Conv4.named_parameters()`` order (4 conv weight/bias pairs, 4 batch-norm
    scale/shift pairs, the head); ``per_task[i]`` says whether ``params[i]`` has a leading task
    axis. The tasks sit side by side in the channel axis (``[N, B*C, H, W]``): each conv is one
    grouped convolution (``groups=B``) and batch norm over that layout normalises each task's
    channels with that task's own statistics. Same results as ``vmap`` over ``Conv4`` (tested),
    about 3x faster on a CPU, where the activations are kept channels-last.
    """
    tasks, count = x.shape[:2]
    h = x.transpose(0, 1).reshape(count, tasks * x.shape[2], *x.shape[3:])
    if h.device.type == "cpu":  # oneDNN's grouped convolutions: fwd + bwd 2.8x faster channels-last (32 tasks)
        h = h.contiguous(memory_format=torch.channels_last)

    def side_by_side(i: int) -> Tensor:
        p = params[i]
        return p.reshape(tasks * p.shape[1], *p.shape[2:]) if per_task[i] else p.repeat(tasks, *([1] * (p.dim() - 1)))

    stride = 2 if spec.strided else 1
    for block in range(BLOCKS):
        conv, norm = 2 * block, 2 * BLOCKS + 2 * block
        h = F.conv2d(h, side_by_side(conv), side_by_side(conv + 1), stride=stride, padding=1, groups=tasks)
        h = F.relu(F.batch_norm(h, None, None, side_by_side(norm), side_by_side(norm + 1), training=True))
        if not spec.strided:
            h = F.max_pool2d(h, 2)
    if spec.strided:
        h = h.mean((-2, -1))
    features = h.reshape(count, tasks, -1).transpose(0, 1)  # [B, N, features]
    weight, bias = params[-2], params[-1]
    if per_task[-2]:
        logits = torch.bmm(features, weight.transpose(1, 2))
    else:
        logits = features @ weight.t()
    return logits + (bias.unsqueeze(1) if per_task[-1] else bias)
