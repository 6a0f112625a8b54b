"""Procedural characters: each class key -> a few strokes, from a counter-based hash (no Python loop).

A character is 2..4 strokes; each stroke is 4 anchor points that a Catmull-Rom spline runs
through. A stroke is a straight line, a circular arc (up to ~290 degrees) or a free curve with
bends, and may start on the previous stroke (so strokes join as in handwriting). The whole
character is centred and scaled to span 1.5 units of the canvas ``[-1, 1]^2``.

The random numbers behind a class come from a 32-bit integer hash of (class key, seed, index)
computed with int64 tensor ops, so any number of classes is defined at once, on any device, and
the same key always gives the same character.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

MAX_STROKES = 4
ANCHORS = 4                 # anchor points per stroke
NUMBERS_PER_STROKE = 16     # hashed uniforms each stroke may use
NUMBERS_PER_CLASS = 2 + MAX_STROKES * NUMBERS_PER_STROKE
_MASK = 0xFFFFFFFF
_MASK30 = (1 << 30) - 1


def mix32(x: Tensor) -> Tensor:
    """A bijective 32-bit integer hash (Wellons' lowbias32) on int64 tensors holding 0..2^32-1."""
    x = x & _MASK
    x = x ^ (x >> 16)
    x = (x * 0x7FEB352D) & _MASK
    x = x ^ (x >> 15)
    x = (x * 0x846CA68B) & _MASK
    return x ^ (x >> 16)


def mix30(x: Tensor) -> Tensor:
    """A bijective scramble of 30-bit integers (int64 tensors holding 0..2^30-1)."""
    x = (x * 0x2C1B3C6D) & _MASK30
    x = x ^ (x >> 15)
    x = (x * 0x297A2D39) & _MASK30
    return x ^ (x >> 13)


def hashed_uniforms(keys: Tensor, seed: int, count: int) -> Tensor:
    """``[*keys.shape, count]`` float32 uniforms in [0, 1), a pure function of (key, seed, index)."""
    salted = mix32(keys.to(torch.int64) ^ mix32(torch.tensor(seed & _MASK, dtype=torch.int64) + 0x5BD1E995))
    index = torch.arange(count, dtype=torch.int64, device=keys.device) * 0x9E3779B9
    bits = mix32(salted[..., None] + index)
    return (bits.to(torch.float64) / 2.0 ** 32).to(torch.float32)


def glyph_anchors(keys: Tensor, seed: int) -> tuple[Tensor, Tensor, Tensor]:
    """The characters of ``keys`` (``[C]`` int64): anchors ``[C, S, 4, 2]``, stroke mask ``[C, S]``
    and a stroke-weight factor ``[C]`` (how bold the character is drawn, 0..1)."""
    u = hashed_uniforms(keys, seed, NUMBERS_PER_CLASS)
    count = keys.shape[0]
    strokes = 2 + (u[:, 0] * 3).long().clamp(max=2)                          # 2..4 strokes
    active = torch.arange(MAX_STROKES, device=keys.device)[None, :] < strokes[:, None]
    boldness = u[:, 1]
    steps = torch.arange(ANCHORS, device=keys.device, dtype=torch.float32) / (ANCHORS - 1)   # 0, 1/3, 2/3, 1
    every = []
    previous = None
    for s in range(MAX_STROKES):
        v = u[:, 2 + s * NUMBERS_PER_STROKE: 2 + (s + 1) * NUMBERS_PER_STROKE]
        start = (v[:, 2:4] - 0.5) * 1.4
        if previous is not None:   # join the previous stroke at one of its anchors, half the time
            joint = previous[torch.arange(count, device=keys.device), (v[:, 4] * ANCHORS).long().clamp(max=3)]
            start = torch.where((v[:, 1] < 0.5)[:, None], joint, start)
        heading = v[:, 5] * 2 * math.pi
        kind = (v[:, 0] * 3).long().clamp(max=2)
        # a straight line
        length = 0.6 + 0.7 * v[:, 6]
        line = start[:, None] + (length[:, None, None] * steps[None, :, None]
                                 * torch.stack([heading.cos(), heading.sin()], -1)[:, None])
        # a circular arc starting at ``start``
        radius = 0.25 + 0.35 * v[:, 7]
        sweep = (0.5 + 1.1 * v[:, 8]) * math.pi * torch.sign(v[:, 9] - 0.5)
        centre = start - radius[:, None] * torch.stack([heading.cos(), heading.sin()], -1)
        angle = heading[:, None] + sweep[:, None] * steps[None]
        arc = centre[:, None] + radius[:, None, None] * torch.stack([angle.cos(), angle.sin()], -1)
        # a free curve: three steps whose heading turns by up to +-70 degrees each
        turns = torch.cumsum((v[:, 10:13] - 0.5) * 2.4, dim=1) + heading[:, None]
        step_length = 0.3 + 0.3 * v[:, 13:16]
        moves = step_length[..., None] * torch.stack([turns.cos(), turns.sin()], -1)
        curve = torch.cat([start[:, None], start[:, None] + torch.cumsum(moves, dim=1)], dim=1)
        anchors = torch.where((kind == 0)[:, None, None], line, torch.where((kind == 1)[:, None, None], arc, curve))
        every.append(anchors)
        previous = anchors
    anchors = torch.stack(every, dim=1)                                         # [C, S, 4, 2]
    # centre the character and scale its larger side to 1.5 (tiny characters at most x2)
    big = torch.finfo(anchors.dtype).max
    mask = active[:, :, None, None]
    low = torch.where(mask, anchors, big).amin(dim=(1, 2))
    high = torch.where(mask, anchors, -big).amax(dim=(1, 2))
    scale = (1.5 / (high - low).amax(dim=1).clamp(min=1e-3)).clamp(max=2.0)
    anchors = (anchors - ((low + high) / 2)[:, None, None]) * scale[:, None, None, None]
    return anchors, active, boldness


def catmull_rom(anchors: Tensor, points_per_span: int) -> Tensor:
    """Points along the Catmull-Rom spline through ``anchors`` ``[..., A, 2]`` -> ``[..., (A-1)*P + 1, 2]``."""
    first = 2 * anchors[..., :1, :] - anchors[..., 1:2, :]
    last = 2 * anchors[..., -1:, :] - anchors[..., -2:-1, :]
    padded = torch.cat([first, anchors, last], dim=-2)                          # [..., A+2, 2]
    windows = padded.unfold(-2, 4, 1).transpose(-1, -2)                         # [..., A-1, 4, 2]
    t = torch.arange(points_per_span, device=anchors.device, dtype=anchors.dtype) / points_per_span
    basis = 0.5 * torch.stack([-t ** 3 + 2 * t ** 2 - t, 3 * t ** 3 - 5 * t ** 2 + 2,
                               -3 * t ** 3 + 4 * t ** 2 + t, t ** 3 - t ** 2], dim=-1)   # [P, 4]
    points = torch.einsum("pk,...skd->...spd", basis, windows)               # [..., A-1, P, 2]
    points = points.reshape(*points.shape[:-3], -1, 2)
    return torch.cat([points, anchors[..., -1:, :]], dim=-2)
