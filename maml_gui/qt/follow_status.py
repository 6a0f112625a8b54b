"""The status line of a followed run: how fresh it is, and whether its writer finished or stopped.

A run records no "done" marker of its own: it is finished when ``run.json`` says it reached the
config's iterations (the last autosave is written at the last iteration). A writer that stops
early (Ctrl-C, killed, a paused torchrun job) is told apart only by silence: no file of the run
changed for a while, "a while" being at least :data:`STALE_MIN_S` and three times the longest
gap seen between two of its saves (a slow run that saves every few minutes is not called stopped).
"""

from __future__ import annotations

from pathlib import Path

STALE_MIN_S = 60.0


def format_age(seconds: float) -> str:
    """``4`` -> ``4 s``, ``130`` -> ``2 min 10 s``, ``7300`` -> ``2 h 1 min``."""
    seconds = max(int(seconds), 0)
    if seconds < 60:
        return f"{seconds} s"
    minutes, secs = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {secs} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min"


class FollowStatus:
    def __init__(self, path: Path, total: int, iteration: int, stale_min_s: float = STALE_MIN_S) -> None:
        self.path, self.total, self.iteration = path, total, iteration
        self.stale_min_s = stale_min_s
        self.last_write_s = 0.0  # newest modification time of the run's files, 0 before the first look
        self.longest_gap_s = 0.0  # between two saves seen

    def saw(self, iteration: int, last_write_s: float) -> None:
        """What a read found: the iteration run.json says and the newest file time."""
        if iteration:
            self.iteration = iteration
        if self.last_write_s and last_write_s > self.last_write_s:
            self.longest_gap_s = max(self.longest_gap_s, last_write_s - self.last_write_s)
        self.last_write_s = max(self.last_write_s, last_write_s)

    @property
    def finished(self) -> bool:
        return self.iteration >= self.total

    def stale_after_s(self) -> float:
        return max(self.stale_min_s, 3 * self.longest_gap_s)

    def stalled(self, now: float) -> bool:
        return not self.finished and self.last_write_s > 0 and now - self.last_write_s > self.stale_after_s()

    def text(self, now: float, name: str | None = None) -> str:
        """The line, naming the run ``name`` (default: its whole path)."""
        name = str(self.path) if name is None else name
        count = f"iteration {self.iteration:,} of {self.total:,}"
        if not self.last_write_s:
            return f"following {name} — {count}"
        age = format_age(now - self.last_write_s)
        if self.finished:
            return f"followed {name} — finished, {count}; last update {age} ago (its writer is done)"
        if self.stalled(now):
            return f"following {name} — no update for {age}, {count}: its writer has stopped or is paused"
        return f"following {name} — last update {age} ago, {count}"
