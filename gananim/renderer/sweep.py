"""A seed sweep drawn: small multiples (one tile per seed, animated game by game, over a strip
with every seed's objective so far) and the spread of the objective and of G's distance to the
data across seeds. Reads only the Run; each tile is the scenario's own main panel."""
from __future__ import annotations

import math
import textwrap
from typing import Callable, Optional

import matplotlib as mpl
import numpy as np
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from ..metrics import TAIL, games_to_reference
from ..run import Run
from . import style
from .panels import LAYOUTS, PANELS
from .panels.objective import objective_label

TILE_RC = {"font.size": 10, "axes.titlesize": 11, "axes.labelsize": 10, "xtick.labelsize": 9, "ytick.labelsize": 9,
           "lines.markersize": 4}
REACHED, MISSED = style.BLUE, style.VERMILLION  # also told apart by line style and marker


def reference_name(run: Run) -> str:
    """'−2 log 2' out of '−2 log 2 (equilibrium)'."""
    return run.meta["reference_label"].split(" (")[0]


def reached(run: Run) -> list[Optional[int]]:
    """For each seed, the game from which its objective stays at the reference (None: never)."""
    ref = float(run.meta["reference"])
    return [games_to_reference(obj, ref) for obj in run.objective]


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
    live = [strip.plot([], [], color=REACHED if g else MISSED, lw=1.3, ls="-" if g else (0, (4, 2)))[0] for g in games]
    strip.set_title(f"{objective_label(run)} of every seed so far  ·  {_count(games)}", fontsize=12)
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
    under the animated ones); returns the legend handles of the seeds' lines."""
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
    return [Line2D([], [], color=style.REFERENCE, lw=1.6, ls="--", label=run.meta["reference_label"]),
            Line2D([], [], color=REACHED, lw=1.5, label="a seed that settles at the reference"),
            Line2D([], [], color=MISSED, lw=1.5, ls=(0, (4, 2)), label="a seed that never does")]


def _band(ax: Axes, x: np.ndarray, values: np.ndarray, games: list[Optional[int]]) -> None:
    """Each seed (by verdict), the median across seeds and the 10-90 % band."""
    lo, mid, hi = np.percentile(values, [10, 50, 90], axis=0)
    ax.fill_between(x, lo, hi, color=style.SKY, alpha=0.3, lw=0, label="10–90 % of seeds")
    for g, row in zip(games, values):
        ax.plot(x, row, color=REACHED if g else MISSED, lw=0.9, alpha=0.7, ls="-" if g else (0, (4, 2)))
    ax.plot(x, mid, color=style.BLACK, lw=2.4, label="median of seeds")


def spread_figure(run: Run, dpi: int) -> Figure:
    """The objective and G's distance to the data across seeds, and where each seed ended."""
    games, seeds = reached(run), run.seeds
    ref = float(run.meta["reference"])
    fig = Figure(figsize=(18.0, 6.4), dpi=dpi, layout="constrained")
    FigureCanvasAgg(fig)
    left, mid, right = fig.subplots(1, 3, width_ratios=[1.4, 1.1, 1.0])
    handles = _objective_lines(left, run, preview=False)
    _band(left, run.game[0], run.objective, games)
    left.set_title(f"Objective across seeds\n{_count(games)}")
    _band(mid, run.snap_game[0], run.energy_distance, games)
    mid.set_ylim(bottom=0)
    mid.set_xlim(0, run.game[0][-1])
    mid.set_xlabel("game")
    mid.set_ylabel("energy distance")
    mid.set_title("Distance from G's samples to the data")

    final = run.objective[:, -TAIL:].mean(axis=1)
    x = np.arange(len(seeds))
    hit = np.array([g is not None for g in games])
    right.plot(x[hit], final[hit], "^", ms=11, color=REACHED, mec=style.BLACK, label="settles at the reference")
    right.plot(x[~hit], final[~hit], "v", ms=11, color=MISSED, mec=style.BLACK, label="never does")
    right.axhline(ref, color=style.REFERENCE, lw=1.6, ls="--")
    right.set_xticks(x, [str(s) for s in seeds], rotation=90 if len(seeds) > 20 else 0)
    right.set_xlabel("seed")
    right.set_ylabel(f"final {run.meta['value_label']}")
    right.set_title(f"Where each seed ended\n(mean of the last {min(TAIL, run.objective.shape[1])} games)")
    right.legend(loc="best", fontsize=11)
    fig.legend(handles=[*handles, *left.get_legend_handles_labels()[0]], loc="outside lower center", ncol=5,
               fontsize=11, frameon=False)
    fig.suptitle(run.title, fontsize=16, fontweight="bold")
    return fig
