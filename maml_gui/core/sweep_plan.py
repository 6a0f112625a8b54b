"""A whole sweep planned from the user's text (Qt-free): the CLI's options and the app's dialog.

:func:`plan_sweep` parses the grid, the ranges of a random search and the seeds, draws the
random points and expands every trial (each config validated), raising :class:`SweepError`
with one line naming the first culprit. The dialog also checks each field on its own with
:func:`check_grid_field` and :func:`check_range_field`, to show the error beside that field.
"""

from __future__ import annotations

from dataclasses import dataclass

from .config import ExperimentConfig
from .sweep import SweepError, Trial, expand, parse_grid, parse_seeds, sweep_record
from .sweep_random import parse_ranges, range_ends, sample_points


@dataclass(frozen=True)
class SweepPlan:
    base: ExperimentConfig
    grid: list[tuple[str, list[object]]]
    seeds: list[int]
    trials: list[Trial]
    random: dict | None = None  # {"count", "seed", "ranges"} of a random search

    def record(self) -> dict:
        """What the sweep directory's ``sweep.json`` holds."""
        return sweep_record(self.base, self.grid, self.seeds, self.random)


def check_grid_field(base: ExperimentConfig, assignment: str) -> list[object]:
    """The values of one ``section.key=v1,v2`` assignment, each accepted by the config."""
    grid = parse_grid([assignment])
    expand(base, grid, [0])
    return grid[0][1]


def check_range_field(base: ExperimentConfig, assignment: str) -> tuple[str, str, float, float]:
    """One ``section.key=KIND:LOW:HIGH`` range whose both ends the config accepts."""
    ranges = parse_ranges([assignment])
    for key, ends in range_ends(ranges):
        try:
            expand(base, [(key, ends)], [0])
        except SweepError as err:
            raise SweepError(str(err).replace("--grid", "--range", 1)) from None
    return ranges[0]


def plan_sweep(base: ExperimentConfig, grid: list[str], seeds: str, ranges: list[str] = (),
               random_count: int | None = None, random_seed: int = 0) -> SweepPlan:
    """Every trial of the sweep; ``ranges`` and ``random_count`` together make a random search."""
    parsed_grid, parsed_seeds = parse_grid(list(grid)), parse_seeds(seeds)
    points, random = None, None
    if random_count is not None or ranges:
        if random_count is None or not ranges:
            raise SweepError("random search needs both --random K and at least one --range KEY=KIND:LOW:HIGH")
        parsed_ranges = parse_ranges(list(ranges))
        clash = {k for k, _ in parsed_grid} & {k for k, *_ in parsed_ranges}
        if clash:
            raise SweepError(f"{', '.join(sorted(clash))}: give a field with --grid or --range, not both")
        for assignment in ranges:  # both ends must be values the config accepts
            check_range_field(base, assignment)
        points = sample_points(parsed_ranges, random_count, random_seed)
        random = {"count": random_count, "seed": random_seed, "ranges": [list(r) for r in parsed_ranges]}
    trials = expand(base, parsed_grid, parsed_seeds, points)
    return SweepPlan(base, parsed_grid, parsed_seeds, trials, random)
