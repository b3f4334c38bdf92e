"""G's samples, told apart by what D says of them: by marker and by colour, never colour alone.

What "fools D" means is relative to how D rates the real data at that snapshot (under instance
noise or early in a game D may give real samples 0.45, not 1): a fake fools D when D rates it
at least as real as the real samples, less a margin: D(G(z)) >= mean D(real) - MARGIN (orange
▲); it is caught below that (purple ▼). The legend says so. A critic has no 1/2 either: its
fakes are split by the run's ``fooled`` (f above its mean on real data), the same rule with no
margin.
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
        self.by_fooled = self.critic or "d_of_fakes" not in run  # a critic, or a run that kept only `fooled`
        common = dict(ms=size, mec=style.BLACK, mew=0.6, zorder=zorder, ls="none")
        if self.critic:
            fooled, caught = "G(z) fools f: f ≥ f̄(real)", "G(z) caught: f < f̄(real)"
        else:  # D̄(real): D's mean on the real samples at this frame
            fooled = f"G(z) fools D: D ≥ D̄(real) − {MARGIN:g}"
            caught = f"G(z) caught: D < D̄(real) − {MARGIN:g}"
        self.fooled, = ax.plot([], [], "^", color=style.FOOLED, **common, label=fooled)
        self.caught, = ax.plot([], [], "v", color=style.NOT_FOOLED, **common, label=caught)

    def classes(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        """Masks (fooled, caught) of snapshot i's fixed fakes."""
        if self.by_fooled:
            fooled = self.run.fooled[i].astype(bool)
        else:
            fooled = self.run.d_of_fakes[i] >= self.run.d_real_mean[i] - MARGIN
        return fooled, ~fooled

    def update(self, i: int, xy: np.ndarray) -> list:
        """Place snapshot i's fakes at `xy` (N, 2)."""
        for artist, mask in zip((self.fooled, self.caught), self.classes(i)):
            artist.set_data(xy[mask, 0], xy[mask, 1])
        return [self.fooled, self.caught]
