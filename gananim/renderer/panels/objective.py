"""The value D maximises over games (V for the minimax losses), with the loss's equilibrium
reference (-2 log 2 for minimax and non-saturating) and, for a loss whose value estimates W1
(the Wasserstein critic's) on data where the true W1 is recorded (a line), that W1 between G's
samples and the data. What to draw comes from the loss, through the Run's header."""
from __future__ import annotations

from matplotlib.axes import Axes
from matplotlib.lines import Line2D
from matplotlib.ticker import MaxNLocator

from ...run import Run
from .. import style


def true_w1(run: Run) -> bool:
    """Draw the true W1 next to the loss's estimate of it (losses.Loss.estimates_w1), where recorded."""
    return run.meta["estimates_w1"] and "w1" in run


def objective_label(run: Run) -> str:
    """The objective curve's legend label (losses.Loss.curve_label)."""
    return run.meta["objective_label"]


def draw_objective(ax: Axes, run: Run, **line) -> Line2D:
    """Static: the objective per game, the reference line (returned) and (WGAN, 1D) the true W1."""
    ref = run.meta["reference"]
    ax.plot(run.game, run.objective, **({"color": style.BLACK, "lw": 1.2, "label": objective_label(run)} | line))
    reference = ax.axhline(ref, color=style.REFERENCE, lw=1.8, ls="--", label=run.meta["reference_label"])
    lo, hi = min(run.objective.min(), ref), max(run.objective.max(), ref)
    if true_w1(run):
        ax.plot(run.snap_game, run.w1, "s", ms=4, color=style.BLUE, label="W1 from samples (scipy)", zorder=4)
        lo, hi = min(lo, run.w1.min()), max(hi, run.w1.max())
    pad = 0.08 * (hi - lo or 1.0)
    ax.set_ylim(lo - pad, hi + pad)
    ax.set_xlim(0, run.game[-1])
    ax.set_xlabel("game")
    ax.set_ylabel(run.meta["value_label"])
    return reference


class ObjectiveStrip:
    """A small strip: the whole curve faint, the part played so far dark, a moving marker."""

    def __init__(self, ax: Axes, run: Run):
        self.ax, self.run = ax, run
        # the whole run faint (a preview), the part played dark, a marker at this frame: read
        # from the picture, so no legend entries
        reference = draw_objective(ax, run, color=style.LIGHT_GREY, lw=1.2, label="_whole run")
        reference.set_label(f"_{reference.get_label()}")  # named above the strip instead: never on the curve
        ax.text(1, 1.02, f"- - {run.meta['reference_label']}", transform=ax.transAxes, ha="right", va="bottom",
                color=style.REFERENCE, zorder=1.5)  # under the moving lines: stays in the blitted background
        (self.past,) = ax.plot([], [], color=style.BLACK, lw=1.4)
        (self.marker,) = ax.plot([], [], "o", ms=8, color=style.VERMILLION, mec=style.BLACK, zorder=5,
                                 clip_on=False)
        self.marker.set_in_layout(False)  # unclipped (a marker at the last game), so kept out of the layout
        ax.yaxis.set_major_locator(MaxNLocator(4))

    def handles(self) -> list:
        """What the strip cannot name itself: the true W1's points (a Wasserstein game on a line)."""
        return self.ax.get_legend_handles_labels()[0]

    def update(self, i: int) -> list:
        g = int(self.run.snap_game[i])
        self.past.set_data(self.run.game[:g], self.run.objective[:g])
        if g > 0:
            self.marker.set_data([g], [self.run.objective[g - 1]])
        else:
            self.marker.set_data([], [])
        return [self.past, self.marker]
