"""The objective V over games, with the loss's equilibrium reference (-2 log 2)."""
from __future__ import annotations

from matplotlib.axes import Axes
from matplotlib.ticker import MaxNLocator

from ...run import Run
from .. import style


def draw_objective(ax: Axes, run: Run, **line) -> None:
    """Static: V per game and the reference line, labelled."""
    ref = run.meta["reference"]
    ax.plot(run.game, run.objective, **({"color": style.BLACK, "lw": 1.2} | line))
    ax.axhline(ref, color=style.REFERENCE, lw=1.8, ls="--", label="−2 log 2 (equilibrium)")
    lo, hi = min(run.objective.min(), ref), max(run.objective.max(), ref)
    pad = 0.08 * (hi - lo or 1.0)
    ax.set_ylim(lo - pad, hi + pad)
    ax.set_xlim(0, run.game[-1])
    ax.set_xlabel("game")
    ax.set_ylabel("V(D, G)")


class ObjectiveStrip:
    """A small strip: the whole curve faint, the part played so far dark, a moving marker."""

    def __init__(self, ax: Axes, run: Run):
        self.ax, self.run = ax, run
        draw_objective(ax, run, color=style.LIGHT_GREY, lw=1.2)
        (self.past,) = ax.plot([], [], color=style.BLACK, lw=1.4)
        (self.marker,) = ax.plot([], [], "o", ms=8, color=style.VERMILLION, mec=style.BLACK, zorder=5)
        ax.legend(loc="upper right", fontsize=10, framealpha=0.9)
        ax.yaxis.set_major_locator(MaxNLocator(3))

    def update(self, i: int) -> list:
        g = int(self.run.snap_game[i])
        self.past.set_data(self.run.game[:g], self.run.objective[:g])
        if g > 0:
            self.marker.set_data([g], [self.run.objective[g - 1]])
        else:
            self.marker.set_data([], [])
        return [self.past, self.marker]
