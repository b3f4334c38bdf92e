"""Several runs side by side in one synchronised animation: one column per run (its main
panel over its objective strip), frames aligned by game, one game counter for all. The columns
share their scales (share_scales), so a difference seen between them is one in the data."""
from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Callable, Optional

import numpy as np
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from ..run import Run
from . import style
from .animate import Progress, canvas_rgb
from .panels import PANELS, ObjectiveStrip

MAX_FRAMES = 200


def frame_games(runs: list[Run]) -> np.ndarray:
    """The games shown: every snapshot game of every run (at most MAX_FRAMES of them)."""
    games = np.unique(np.concatenate([r.snap_game for r in runs]))
    if len(games) > MAX_FRAMES:
        games = games[np.linspace(0, len(games) - 1, MAX_FRAMES).round().astype(int)]
    return games


def snapshot_at(run: Run, game: int) -> int:
    """The run's latest snapshot at or before `game` (its last one once it has finished)."""
    return int(np.searchsorted(run.snap_game, game, side="right") - 1)


def _union(axes: list[Axes], which: str) -> None:
    """Give every axes in `axes` the range spanning all of theirs along `which` ('x' or 'y')."""
    limits = [getattr(ax, f"get_{which}lim")() for ax in axes]
    lo, hi = min(lim[0] for lim in limits), max(lim[1] for lim in limits)
    for ax in axes:
        getattr(ax, f"set_{which}lim")(lo, hi)


def share_scales(runs: list[Run], mains: list, strips: list[ObjectiveStrip]) -> None:
    """One game axis for every strip; one y range for the strips that plot the same quantity
    (the same value label and reference: every strip when the runs share a loss); and, when every
    main panel is a 1D one, one x range for the main panels (both ranges for Dirac-GAN fields)."""
    games = max(len(r.game) for r in runs)
    for strip in strips:
        strip.ax.set_xlim(0, games)
    quantity: dict[tuple[str, float], list[Axes]] = {}
    for run, strip in zip(runs, strips):
        quantity.setdefault((run.meta["value_label"], float(run.meta["reference"])), []).append(strip.ax)
    for axes in quantity.values():
        _union(axes, "y")
    if all(r.domain == "line" for r in runs):
        _union([main.ax for main in mains], "x")
    if all(r.domain == "dirac" for r in runs):  # one (theta, psi) plane: the trajectories' sizes compare
        _union([main.ax for main in mains], "x")
        _union([main.ax for main in mains], "y")


Column = tuple[Run, object, ObjectiveStrip]  # a run, its main panel, its objective strip


def compare_figure(runs: list[Run], dpi: int) -> tuple[Figure, list[Column], Callable[[int], None]]:
    """The figure, its columns (scales shared: share_scales) and update(game), which moves every
    column to its latest snapshot at or before that game."""
    n = len(runs)
    fig = Figure(figsize=(4.6 * n + 0.6, 6.8), dpi=dpi, layout="constrained")
    FigureCanvasAgg(fig)
    grid = fig.add_gridspec(2, n, height_ratios=[3.2, 1])
    columns = []
    for k, run in enumerate(runs):
        main = PANELS[run.domain](fig.add_subplot(grid[0, k]), run)
        main.ax.set_title(textwrap.fill(run.title, 34), fontsize=12)
        strip = ObjectiveStrip(fig.add_subplot(grid[1, k]), run)
        columns.append((run, main, strip))
    share_scales(runs, [main for _, main, _ in columns], [strip for _, _, strip in columns])
    handles = {h.get_label(): h for _, main, strip in columns for h in main.handles() + strip.handles()}
    fig.legend(handles=list(handles.values()), loc="outside lower center", ncol=min(5, len(handles)),
               fontsize=10, frameon=False)
    counter = fig.suptitle("", fontsize=15, fontweight="bold")

    def update(game: int) -> None:
        for run, main, strip in columns:
            i = snapshot_at(run, game)
            main.update(i)
            strip.update(i)
        counter.set_text(f"game {int(game)}")

    return fig, columns, update


def compare_frames(runs: list[Run], dpi: int, progress: Optional[Progress] = None) -> list[np.ndarray]:
    fig, _, update = compare_figure(runs, dpi)
    games = frame_games(runs)
    frames = []
    for j, game in enumerate(games):
        update(game)
        fig.canvas.draw()
        if j == 0:
            fig.set_layout_engine("none")
        frames.append(canvas_rgb(fig.canvas.buffer_rgba()))
        if progress is not None:
            progress(j + 1, len(games))
    return frames


def render_compare(runs: list[Run], out: str | Path, video: str = "gif", fps: int = 8, dpi: int = 80,
                   progress: Optional[Progress] = None) -> list[Path]:
    """Write OUT/compare.gif (and/or .mp4)."""
    from .animate import WRITERS, check_video

    if video != "gif":
        check_video()
    with style.theme():
        frames = compare_frames(runs, dpi, progress)
    kinds = ["gif", "mp4"] if video == "both" else [video]
    return [WRITERS[k](frames, Path(out) / f"compare.{k}", fps) for k in kinds]
