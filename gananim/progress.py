"""Progress on stderr for one task (``--quiet`` turns it off), drawn by click's progress bar.

On a terminal: one redrawn line per task. Anywhere else (a CI log, ``2>&1 | cat``): no
carriage returns, only two plain lines per task, its label when it starts and
``label: done N units in X s`` when it ends, never a line per update.
"""
from __future__ import annotations

import sys
import time
from typing import Optional, TextIO

import click

OPEN: list["Bar"] = []  # a bar whose terminal line is not finished (a warning printed now starts a new line)
REDRAW_SECONDS = 0.1  # at most 10 redraws a second: a fast loop must not spend its time drawing


def break_line() -> None:
    """End an unfinished progress line, so that the next message starts on a line of its own."""
    while OPEN:
        OPEN.pop()._end_line()


def _isatty(stream: TextIO) -> bool:
    try:
        return bool(stream.isatty())
    except Exception:  # a closed or odd stream: not a terminal (click's own rule)
        return False


class Bar:
    """``bar(done, total)`` shows the progress of one task; ``close()`` ends it. Nothing is
    written while disabled, nor before the first call."""

    def __init__(self, label: str, unit: str, enabled: bool = True, stream: Optional[TextIO] = None):
        self.label, self.unit, self.enabled = label, unit, enabled
        self.stream = stream or sys.stderr
        self.on_terminal = _isatty(self.stream)  # as click decides it: a redrawn line, or plain lines
        self.start = time.perf_counter()
        self.last = 0.0
        self.done = self.total = 0
        self._bar = None  # click's ProgressBar, made at the first call (it needs the total)

    def _info(self, _item) -> str:
        bar = self._bar
        eta = f", {bar.format_eta()} left" if bar is not None and bar.eta_known and not bar.finished else ""
        return f"{self.done}/{self.total} {self.unit}{eta}"

    def __call__(self, done: int, total: int) -> None:
        if not self.enabled:
            return
        self.done, self.total = done, total
        if self._bar is None:
            self._bar = click.progressbar(length=max(total, 1), label=self.label, file=self.stream, width=28,
                                          bar_template="%(label)-28s [%(bar)s] %(info)s", fill_char="#",
                                          empty_char=".", show_eta=False, show_percent=False, show_pos=False,
                                          item_show_func=self._info)
            self._bar.__enter__()  # draws the empty bar (on a terminal) or the label alone (elsewhere)
        now = time.perf_counter()
        if done < total and now - self.last < REDRAW_SECONDS:
            return
        self.last = now
        self._draw()

    def _draw(self) -> None:
        """Bring click's bar to `done` of `total`: it redraws its line on a terminal and writes
        nothing elsewhere."""
        bar = self._bar
        bar.length = max(self.total, 1)
        if self.done > bar.pos:
            bar.update(self.done - bar.pos)
        else:
            bar.render_progress()
        if self.on_terminal and self not in OPEN:
            OPEN.append(self)

    def _end_line(self) -> None:
        self._bar.render_finish()  # ends the line (and shows the cursor again)

    def close(self) -> None:
        if self._bar is None:
            return
        if self.on_terminal:
            if self.done != self._bar.pos:
                self._draw()  # the last count, if its redraw was skipped
            if self in OPEN:
                OPEN.remove(self)
                self._end_line()
        else:
            seconds = time.perf_counter() - self.start
            self.stream.write(f"{self.label}: done {self.done} {self.unit} in {seconds:.1f} s\n")
            self.stream.flush()
        self._bar = None
