"""G's samples, told apart by what D says of them: by marker and by colour, never colour alone.

fools D: D(G(z)) > 1/2 + margin (orange ▲); caught: D(G(z)) < 1/2 - margin (purple ▼); and,
so that a game at equilibrium does not read as "D wins", undecided: within the margin of 1/2
(hollow grey ○). A critic has no 1/2: its fakes are split by the run's ``fooled`` (f above its
mean on real data), with no undecided class.
"""
from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes

from ...run import Run
from .. import style

MARGIN = 0.05


class FakeMarkers:
    def __init__(self, ax: Axes, run: Run, size: float, zorder: float = 6):
        self.run = run
        self.critic = run.meta.get("d_output") == "critic"
        common = dict(ms=size, mec=style.BLACK, mew=0.6, zorder=zorder, ls="none")
        self.fooled, = ax.plot([], [], "^", color=style.FOOLED, **common,
                               label="G(z), f above real mean" if self.critic else f"G(z), fools D (D > {0.5 + MARGIN:g})")
        self.caught, = ax.plot([], [], "v", color=style.NOT_FOOLED, **common,
                               label="G(z), f below real mean" if self.critic else f"G(z), caught (D < {0.5 - MARGIN:g})")
        self.undecided, = ax.plot([], [], "o", color="none", **(common | {"mec": style.GREY, "mew": 1.2,
                                                                                   "ms": 0.8 * size}),
                                  label=None if self.critic else "G(z), D ≈ 1/2 (±0.05)")

    def classes(self, i: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Masks (fooled, caught, undecided) of snapshot i's fixed fakes."""
        fooled = self.run.fooled[i].astype(bool)
        if self.critic or "d_of_fakes" not in self.run:
            return fooled, ~fooled, np.zeros_like(fooled)
        d = self.run.d_of_fakes[i]
        undecided = np.abs(d - 0.5) <= MARGIN
        return fooled & ~undecided, ~fooled & ~undecided, undecided

    def update(self, i: int, xy: np.ndarray) -> list:
        """Place snapshot i's fakes at `xy` (N, 2)."""
        for artist, mask in zip((self.fooled, self.caught, self.undecided), self.classes(i)):
            artist.set_data(xy[mask, 0], xy[mask, 1])
        return [self.fooled, self.caught, self.undecided]
