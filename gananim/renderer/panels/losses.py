"""Both players' losses over time: the time axis (games, or epochs where the scenario counts
epochs), the equilibrium lines, and a strip with a moving marker for the animations."""
from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes
from matplotlib.ticker import MaxNLocator

from ...run import Run
from .. import style

PLAYERS = (("d_loss", "D's loss", style.DISC, "-"), ("g_loss", "G's loss", style.FAKE, "--"))


def time_axis(run: Run) -> tuple[float, str]:
    """(games per unit, unit): epochs where the scenario gives training.epochs, else games."""
    if run.meta.get("time_unit") == "epoch":
        return float(run.meta["games_per_epoch"]), "epoch"
    return 1.0, "game"


def when(run: Run, game: int) -> str:
    """A point in the run as its figures name it: 'game 300', or 'epoch 5' (game 300)."""
    per, unit = time_axis(run)
    if unit == "game":
        return f"game {game}"
    epoch = game / per
    return f"epoch {epoch:.0f}" if abs(epoch - round(epoch)) < 1e-9 else f"epoch {epoch:.1f}"


def smoothed(values: np.ndarray, window: int) -> np.ndarray:
    """The moving mean over `window` games (the first games: over those played so far)."""
    sums = np.cumsum(np.concatenate([[0.0], values]))
    i = np.arange(len(values))
    start = np.maximum(i + 1 - window, 0)
    return (sums[i + 1] - sums[start]) / (i + 1 - start)


def references(run: Run) -> list[tuple[str, float, str]]:
    """(key, value, label) of each player's loss at the equilibrium, where the loss fixes it."""
    out = []
    for key, who, _, _ in PLAYERS:
        ref = run.meta.get(f"{key}_reference")
        if ref is not None:
            out.append((key, float(ref), f"{who} at equilibrium ({ref:.3f})"))
    return out


class LossStrip:
    """Both losses, smoothed: the whole run faint, the part played so far dark, a marker on each
    at this frame's game; the equilibrium values dotted.

    What moves (the dark part and the markers) lives on a bare twin of the strip, drawn over
    it: the strip's axes, ticks and labels then never lie above a moving artist, and blitting
    (animate.blit_frames) keeps them in the cached background instead of redrawing their text
    on every frame."""

    def __init__(self, ax: Axes, run: Run):
        self.ax, self.run = ax, run
        per, unit = time_axis(run)
        self.per = per
        window = max(1, len(run.game) // 50)
        self.curves = {key: smoothed(run.arrays[key], window) for key, *_ in PLAYERS}
        x = run.game / per
        over = ax.twinx()
        over.patch.set_visible(False)
        for part in (*over.spines.values(), over.xaxis, over.yaxis):
            part.set_visible(False)
        self.past, self.markers = {}, {}
        for key, who, colour, ls in PLAYERS:
            ax.plot(x, self.curves[key], color=colour, alpha=0.25, lw=1.2, ls=ls)
            (self.past[key],) = over.plot([], [], color=colour, lw=1.8, ls=ls, label=who)
            (self.markers[key],) = over.plot([], [], "o", ms=8, color=colour, mec=style.BLACK, zorder=5, clip_on=False)
            self.markers[key].set_in_layout(False)
        for key, ref, label in references(run):
            ax.axhline(ref, color=dict((k, c) for k, _, c, _ in PLAYERS)[key], lw=1.0, ls=":")
        values = np.concatenate(list(self.curves.values()) + [[r for _, r, _ in references(run)]])
        lo, hi = float(values.min()), float(values.max())
        pad = 0.08 * (hi - lo or 1.0)
        for axes in (ax, over):
            axes.set_ylim(lo - pad, hi + pad)
        ax.set_xlim(0, x[-1])
        ax.set_xlabel(unit)
        ax.set_ylabel(f"loss (moving mean, {window} games)" if window > 1 else "loss")
        ax.yaxis.set_major_locator(MaxNLocator(4))

    def handles(self) -> list:
        return list(self.past.values())

    def update(self, i: int) -> list:
        g = int(self.run.snap_game[i])
        for key in self.past:
            self.past[key].set_data(self.run.game[:g] / self.per, self.curves[key][:g])
            self.markers[key].set_data(([g / self.per], [self.curves[key][g - 1]]) if g > 0 else ([], []))
        return list(self.past.values()) + list(self.markers.values())
