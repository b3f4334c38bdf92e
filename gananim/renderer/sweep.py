"""A seed sweep drawn: small multiples (one tile per seed, animated game by game, over a strip
with every seed's objective so far) and the spread of the objective and of G's distance to the
data across seeds. Reads only the Run; each tile is the scenario's own main panel.

The seeds fall into groups by outcome (those that settle at the reference and those that never
do: the summary's seeds_reaching_reference). A band across seeds is drawn only within a group:
across a split (14 seeds stuck, 2 escaped) a 10-90 % band would describe no seed at all."""
from __future__ import annotations

import math
import textwrap
from dataclasses import dataclass
from typing import Callable, Optional

import matplotlib as mpl
import numpy as np
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.legend_handler import HandlerTuple
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from ..metrics import TAIL, games_to_reference
from ..run import Run
from . import style
from .panels import LAYOUTS, PANELS
from .panels.objective import objective_label

TILE_RC = {"font.size": 10, "axes.titlesize": 11, "axes.labelsize": 10, "xtick.labelsize": 9, "ytick.labelsize": 9,
           "lines.markersize": 4}
REACHED, MISSED = style.BLUE, style.VERMILLION  # also told apart by line style and marker
SETTLED_LS, MISSED_LS = "-", (0, (4, 2))
BAND_MIN = 5  # a group of fewer seeds is drawn seed by seed, not as a median and a band


def reference_name(run: Run) -> str:
    """'−2 log 2' out of '−2 log 2 (equilibrium)'."""
    return run.meta["reference_label"].split(" (")[0]


def reached(run: Run) -> list[Optional[int]]:
    """For each seed, the game from which its objective stays at the reference (None: never)."""
    ref = float(run.meta["reference"])
    return [games_to_reference(obj, ref) for obj in run.objective]


@dataclass(frozen=True)
class Group:
    """Seeds of one outcome: rows (indices into the sweep's seed axis), their seeds, whether
    they settle at the reference, and how they are drawn."""
    rows: list[int]
    seeds: list[int]
    settles: bool
    label: str

    @property
    def colour(self) -> str:
        return REACHED if self.settles else MISSED

    @property
    def ls(self) -> str | tuple:
        return SETTLED_LS if self.settles else MISSED_LS

    @property
    def banded(self) -> bool:
        return len(self.rows) >= BAND_MIN


def groups(run: Run) -> list[Group]:
    """The seeds by outcome, the larger group first (ties: the settling one); one group when
    every seed has the same outcome. A small group (drawn seed by seed) names its seeds."""
    games, ref = reached(run), reference_name(run)
    out = []
    for settles in (True, False):
        rows = [k for k, g in enumerate(games) if (g is not None) == settles]
        if not rows:
            continue
        n = len(rows)
        seeds = [run.seeds[k] for k in rows]
        verb = ("settles" if n == 1 else "settle") if settles else ("never settles" if n == 1 else "never settle")
        label = f"{n} seed{'s' if n > 1 else ''} that {verb} at {ref}"
        if n < BAND_MIN:
            label += f" (seed{'s' if n > 1 else ''} {', '.join(map(str, seeds))})"
        out.append(Group(rows, seeds, settles, label))
    return sorted(out, key=lambda grp: -len(grp.rows))


def _layout(k: int) -> tuple[int, int]:
    cols = math.ceil(math.sqrt(k))
    return math.ceil(k / cols), cols


def _tile_title(seed: int, game: Optional[int], ref: str) -> tuple[str, str]:
    if game is None:
        return f"seed {seed} · never settles at {ref}", MISSED
    return f"seed {seed} · at {ref} from game {game}", REACHED


def seeds_figure(run: Run, dpi: int) -> tuple[Figure, Callable[[int], list]]:
    """The small multiples: a persistent figure and update(i) that moves every tile to snapshot i."""
    seeds, games = run.seeds, reached(run)
    rows, cols = _layout(len(seeds))
    w, h = LAYOUTS[run.domain].tile
    ref = reference_name(run)
    with mpl.rc_context(TILE_RC):
        fig = Figure(figsize=(cols * w, rows * h + 2.9), dpi=dpi, layout="constrained")
        FigureCanvasAgg(fig)
        grid = fig.add_gridspec(rows + 1, cols, height_ratios=[h] * rows + [1.9])
        panels = []
        for k, seed in enumerate(seeds):
            ax = fig.add_subplot(grid[k // cols, k % cols])
            panel = PANELS[run.domain](ax, run.member(k))
            if k + cols < len(seeds):  # a tile below carries the x label
                ax.set_xlabel("")
            if k % cols:
                ax.set_ylabel("")
            text, colour = _tile_title(seed, games[k], ref)
            ax.set_title(text, color=colour, fontweight="bold")
            panels.append(panel)
        for k in range(len(seeds), rows * cols):  # empty cells of the last row
            fig.add_subplot(grid[k // cols, k % cols]).set_visible(False)
        strip = fig.add_subplot(grid[rows, :])
    lines = _objective_lines(strip, run, preview=True)
    live = [strip.plot([], [], color=REACHED if g else MISSED, lw=1.3, ls=SETTLED_LS if g else MISSED_LS)[0]
            for g in games]
    strip.set_title(f"{objective_label(run)} of every seed so far  ·  {_count(games)}", fontsize=12)
    lines += [Line2D([], [], color=grp.colour, lw=1.5, ls=grp.ls, label=grp.label) for grp in groups(run)]
    handles = panels[0].handles() + lines
    fig.legend(handles=handles, loc="outside lower center", ncol=min(len(handles), 5), fontsize=11, frameon=False)
    fig.suptitle(textwrap.fill(run.title, 70), fontsize=16, fontweight="bold",
                 x=0.01, ha="left")
    counter = fig.text(0.99, 0.995, "", ha="right", va="top", fontsize=15, fontweight="bold")
    n_games = run.objective.shape[1]

    def update(i: int) -> list:
        g = int(run.snap_game[0][i])
        counter.set_text(f"game {g} / {n_games}")
        artists = [counter]
        for panel in panels:
            artists += panel.update(i)
        for line, obj in zip(live, run.objective):
            line.set_data(run.game[0][:g], obj[:g])
        return artists + live

    return fig, update


def _count(games: list[Optional[int]]) -> str:
    hit = sum(g is not None for g in games)
    return f"{hit} of {len(games)} seeds settle at the reference"


def _objective_lines(ax: Axes, run: Run, preview: bool) -> list:
    """The objective's axes and reference line (preview: every seed's whole curve, light grey,
    under the animated ones); returns the reference line's legend handle."""
    game, ref = run.game[0], float(run.meta["reference"])
    if preview:
        for obj in run.objective:
            ax.plot(game, obj, color=style.LIGHT_GREY, lw=0.9)
    ax.axhline(ref, color=style.REFERENCE, lw=1.6, ls="--")
    lo, hi = min(run.objective.min(), ref), max(run.objective.max(), ref)
    pad = 0.08 * (hi - lo or 1.0)
    ax.set_ylim(lo - pad, hi + pad)
    ax.set_xlim(0, game[-1])
    ax.set_xlabel("game")
    ax.set_ylabel(run.meta["value_label"])
    return [Line2D([], [], color=style.REFERENCE, lw=1.6, ls="--", label=run.meta["reference_label"])]


def _band(ax: Axes, x: np.ndarray, values: np.ndarray, split: list[Group]) -> list[tuple]:
    """The seeds' curves by group: one group (every seed the same outcome) as each seed, the
    median across seeds and the 10-90 % band; several groups each on its own, as its median and
    10-90 % band (BAND_MIN seeds or more) or seed by seed. Returns the legend's (handle, label)s."""
    if len(split) == 1:
        (grp,) = split
        lo, mid, hi = np.percentile(values, [10, 50, 90], axis=0)
        band = ax.fill_between(x, lo, hi, color=style.SKY, alpha=0.3, lw=0, label="10–90 % of seeds")
        for row in values:
            ax.plot(x, row, color=grp.colour, lw=0.9, alpha=0.7, ls=grp.ls)
        (median,) = ax.plot(x, mid, color=style.BLACK, lw=2.4, label="median of seeds")
        return [(Line2D([], [], color=grp.colour, lw=1.5, ls=grp.ls), grp.label),
                (band, band.get_label()), (median, median.get_label())]
    handles = []
    for grp in split:
        rows = values[grp.rows]
        if grp.banded:
            lo, mid, hi = np.percentile(rows, [10, 50, 90], axis=0)
            ax.fill_between(x, lo, hi, color=grp.colour, alpha=0.22, lw=0)
            ax.plot(x, mid, color=grp.colour, lw=2.4, ls=grp.ls)
            handles.append(((Patch(color=grp.colour, alpha=0.22, lw=0), Line2D([], [], color=grp.colour, lw=2.4,
                                                                             ls=grp.ls)),
                            f"{grp.label}: median and 10–90 %"))
        else:
            for row in rows:
                ax.plot(x, row, color=grp.colour, lw=1.4, ls=grp.ls)
            handles.append((Line2D([], [], color=grp.colour, lw=1.4, ls=grp.ls), grp.label))
    return handles


def spread_figure(run: Run, dpi: int) -> Figure:
    """The objective and G's distance to the data across seeds (by group, see _band), and
    where each seed ended."""
    games, seeds, split = reached(run), run.seeds, groups(run)
    ref = float(run.meta["reference"])
    fig = Figure(figsize=(18.0, 6.4), dpi=dpi, layout="constrained")
    FigureCanvasAgg(fig)
    left, mid, right = fig.subplots(1, 3, width_ratios=[1.4, 1.1, 1.0])
    handles = _objective_lines(left, run, preview=False)
    drawn = _band(left, run.game[0], run.objective, split)
    left.set_title(f"Objective across seeds\n{_count(games)}")
    _band(mid, run.snap_game[0], run.energy_distance, split)
    mid.set_ylim(bottom=0)
    mid.set_xlim(0, run.game[0][-1])
    mid.set_xlabel("game")
    mid.set_ylabel("energy distance")
    mid.set_title("Distance from G's samples to the data")

    final = run.objective[:, -TAIL:].mean(axis=1)
    x = np.arange(len(seeds))
    for grp in split:
        right.plot(x[grp.rows], final[grp.rows], "^" if grp.settles else "v", ms=11, color=grp.colour,
                   mec=style.BLACK, ls="none", label=f"{'settles' if grp.settles else 'never settles'} ({len(grp.rows)})")
    right.axhline(ref, color=style.REFERENCE, lw=1.6, ls="--")
    right.set_xticks(x, [str(s) for s in seeds], rotation=90 if len(seeds) > 20 else 0)
    right.set_xlabel("seed")
    right.set_ylabel(f"final {run.meta['value_label']}")
    right.set_title(f"Where each seed ended\n(mean of the last {min(TAIL, run.objective.shape[1])} games)")
    right.legend(loc="best", fontsize=11)
    labels = [h.get_label() for h in handles] + [label for _, label in drawn]
    handles = handles + [h for h, _ in drawn]
    fig.legend(handles=handles, labels=labels, loc="outside lower center", ncol=min(len(handles), 5), fontsize=11,
               frameon=False, handler_map={tuple: HandlerTuple(ndivide=1)})
    fig.suptitle(run.title, fontsize=16, fontweight="bold")
    return fig
