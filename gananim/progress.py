"""A small progress bar on stderr, one redrawn line per task (``--quiet`` turns it off)."""
from __future__ import annotations

import sys
import time
from typing import Optional, TextIO


OPEN: list["Bar"] = []  # a bar whose line is not finished (a warning printed now starts a new line)


def break_line() -> None:
    """End an unfinished progress line, so that the next message starts on a line of its own."""
    while OPEN:
        bar = OPEN.pop()
        bar.stream.write("\n")
        bar.stream.flush()


class Bar:
    """``bar(done, total)`` redraws one line at most 10 times a second; ``close()`` ends it."""

    def __init__(self, label: str, unit: str, enabled: bool = True, stream: Optional[TextIO] = None):
        self.label, self.unit, self.enabled = label, unit, enabled
        self.stream = stream or sys.stderr
        self.start = time.perf_counter()
        self.last = 0.0
        self.shown = False

    def __call__(self, done: int, total: int) -> None:
        if not self.enabled:
            return
        now = time.perf_counter()
        if done < total and now - self.last < 0.1:
            return
        self.last = now
        width = 28
        filled = int(width * done / max(total, 1))
        self.stream.write(f"\r{self.label:<28} [{'#' * filled}{'.' * (width - filled)}] "
                          f"{done}/{total} {self.unit} {now - self.start:5.1f}s")
        self.stream.flush()
        self.shown = True
        if self not in OPEN:
            OPEN.append(self)

    def close(self) -> None:
        if self in OPEN:
            OPEN.remove(self)
            self.stream.write("\n")
            self.stream.flush()
