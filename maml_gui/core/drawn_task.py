"""A task drawn by hand: K examples of each of N characters, plus test drawings.

Drawings are kept as strokes (points in pad coordinates [0, 1], y down), not pixels, so they
are re-rendered at whatever size and polarity a model reads (``stroke_raster``). The run
directory stores them as ``drawing.json``::

    {"format": "maml-gui-drawing", "format_version": 1, "ways": N, "shots": K,
     "support": [[example, ... K], ... N],    example = [stroke, ...], stroke = [[x, y], ...]
     "tests": [example, ...]}

:func:`parse_drawn_task` checks everything (types, counts, sizes, coordinates in [0, 1]) and
raises :class:`~maml_gui.core.run_validation.RunError` with one line.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from .run_validation import RunError, number, shown, whole_number
from .stroke_raster import DrawingStyle, rasterise_all

Stroke = tuple[tuple[float, float], ...]
Example = tuple[Stroke, ...]

DRAWING_FORMAT = 1
MAX_WAYS, MAX_SHOTS, MAX_TESTS = 50, 20, 50
MAX_STROKES = 200          # per example
MAX_POINTS = 200_000       # in the whole task


@dataclass(frozen=True)
class DrawnTask:
    """``support[n][k]`` is the k-th example of class n; empty examples are not drawn yet."""

    ways: int
    shots: int
    support: tuple[tuple[Example, ...], ...] = ()
    tests: tuple[Example, ...] = ()

    @classmethod
    def empty(cls, ways: int, shots: int, tests: int = 1) -> "DrawnTask":
        return cls(ways, shots, tuple(((),) * shots for _ in range(ways)), ((),) * tests)

    def example(self, cell: "Cell") -> Example:
        kind, row, column = cell
        return self.tests[column] if kind == "test" else self.support[row][column]

    def with_example(self, cell: "Cell", example: Example) -> "DrawnTask":
        kind, row, column = cell
        if kind == "test":
            tests = list(self.tests)
            tests[column] = example
            return DrawnTask(self.ways, self.shots, self.support, tuple(tests))
        support = [list(r) for r in self.support]
        support[row][column] = example
        return DrawnTask(self.ways, self.shots, tuple(tuple(r) for r in support), self.tests)

    def resized(self, ways: int, shots: int, tests: int) -> "DrawnTask":
        """The same drawings in an ``ways`` × ``shots`` grid with ``tests`` test slots (cut or padded)."""
        rows = [tuple(self.support[n][k] if n < len(self.support) and k < len(self.support[n]) else ()
                      for k in range(shots)) for n in range(ways)]
        tested = tuple(self.tests[t] if t < len(self.tests) else () for t in range(tests))
        return DrawnTask(ways, shots, tuple(rows), tested)

    def missing(self) -> list[tuple[int, int]]:
        """``(class, shot)`` of every support example not drawn yet."""
        return [(n, k) for n, row in enumerate(self.support) for k, ex in enumerate(row) if not ex]

    def drawn_tests(self) -> list[int]:
        return [t for t, ex in enumerate(self.tests) if ex]

    def refuses(self, cell: "Cell", stroke: Stroke) -> str:
        """Why ``stroke`` may not be added to ``cell`` within the file's limits ("" when it may)."""
        if len(self.example(cell)) >= MAX_STROKES:
            return f"At most {MAX_STROKES} strokes per drawing: erase this one (Delete) to start again."
        drawn = [ex for row in self.support for ex in row] + list(self.tests)
        if sum(len(s) for ex in drawn for s in ex) + len(stroke) > MAX_POINTS:
            return f"At most {MAX_POINTS:,} points in a drawn task: erase a drawing to go on."
        return ""

    def is_empty(self) -> bool:
        return not any(ex for row in self.support for ex in row) and not any(self.tests)

    def tensors(self, style: DrawingStyle) -> tuple[Tensor, Tensor, Tensor]:
        """``x_support [N*K, C, H, W]``, ``y_support [N*K]`` (class index) and ``x_query [T, C, H, W]``
        of the drawn examples (missing support examples and empty tests left out)."""
        drawn = [(n, ex) for n, row in enumerate(self.support) for ex in row if ex]
        x_support = rasterise_all([ex for _, ex in drawn], style)
        y_support = torch.tensor([n for n, _ in drawn], dtype=torch.int64)
        x_query = rasterise_all([self.tests[t] for t in self.drawn_tests()], style)
        return x_support, y_support, x_query

    def to_json(self) -> dict:
        def example(ex: Example) -> list:
            return [[[float(x), float(y)] for x, y in stroke] for stroke in ex]

        return {"format": "maml-gui-drawing", "format_version": DRAWING_FORMAT, "ways": self.ways,
                "shots": self.shots, "support": [[example(ex) for ex in row] for row in self.support],
                "tests": [example(ex) for ex in self.tests]}


Cell = tuple[str, int, int]  # ("support", class, shot) or ("test", 0, index)


def parse_drawn_task(document, name: str = "drawing.json") -> DrawnTask:
    """A :class:`DrawnTask` from parsed JSON; RunError (one line) for anything malformed."""
    if not isinstance(document, dict) or document.get("format") != "maml-gui-drawing":
        raise RunError(f"{name} was not written by MAML Studio (no \"format\": \"maml-gui-drawing\")")
    version = whole_number(document.get("format_version", 0), f"{name}: format_version", 0, 2**31)
    if version > DRAWING_FORMAT:
        raise RunError(f"{name} was written by a newer MAML Studio (drawing format {version})")
    ways = whole_number(document.get("ways"), f"{name}: ways", 1, MAX_WAYS)
    shots = whole_number(document.get("shots"), f"{name}: shots", 1, MAX_SHOTS)
    support, tests = document.get("support"), document.get("tests")
    if not isinstance(support, list) or len(support) != ways:
        raise RunError(f"{name}: support must be a list of {ways} classes")
    if not isinstance(tests, list) or len(tests) > MAX_TESTS:
        raise RunError(f"{name}: tests must be a list of at most {MAX_TESTS} drawings")
    budget = [MAX_POINTS]
    rows = []
    for n, row in enumerate(support):
        if not isinstance(row, list) or len(row) != shots:
            raise RunError(f"{name}: class {n} must hold {shots} examples")
        rows.append(tuple(_example(ex, f"{name}: class {n}, example {k}", budget) for k, ex in enumerate(row)))
    tested = tuple(_example(ex, f"{name}: test {t}", budget) for t, ex in enumerate(tests))
    return DrawnTask(ways, shots, tuple(rows), tested)


def _example(value, where: str, budget: list[int]) -> Example:
    if not isinstance(value, list) or len(value) > MAX_STROKES:
        raise RunError(f"{where} must be a list of at most {MAX_STROKES} strokes, not {shown(value)}")
    strokes = []
    for s, stroke in enumerate(value):
        if not isinstance(stroke, list) or not stroke:
            raise RunError(f"{where}, stroke {s} must be a non-empty list of [x, y] points")
        budget[0] -= len(stroke)
        if budget[0] < 0:
            raise RunError(f"{where}: more than {MAX_POINTS:,} points in the drawing")
        points = []
        for point in stroke:
            if not isinstance(point, list) or len(point) != 2:
                raise RunError(f"{where}, stroke {s}: a point must be [x, y], not {shown(point)}")
            x, y = (number(v, f"{where}, stroke {s}") for v in point)
            if not (0.0 <= x <= 1.0 and 0.0 <= y <= 1.0):
                raise RunError(f"{where}, stroke {s}: point {shown(point)} is outside the pad [0, 1]")
            points.append((x, y))
        strokes.append(tuple(points))
    return tuple(strokes)
