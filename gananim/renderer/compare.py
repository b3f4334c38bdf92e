"""Several runs side by side in one synchronised animation: one column per run (its main
panel over its objective strip), frames aligned by game, one game counter for all."""
from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Optional

import numpy as np
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


def compare_frames(runs: list[Run], dpi: int, progress: Optional[Progress] = None) -> list[np.ndarray]:
    n = len(runs)
    fig = Figure(figsize=(4.6 * n + 0.6, 6.8), dpi=dpi, layout="constrained")
    FigureCanvasAgg(fig)
    grid = fig.add_gridspec(2, n, height_ratios=[3.2, 1])
    columns = []
    for k, run in enumerate(runs):
        main = PANELS[run.domain](fig.add_subplot(grid[0, k]), run)
        main.ax.set_title(textwrap.fill(run.title, 34), fontsize=12)
        strip = ObjectiveStrip(fig.add_subplot(grid[1, k]), run)
        strip.ax.set_xlim(0, max(len(r.game) for r in runs))  # one game axis for every column
        columns.append((run, main, strip))
    handles = {h.get_label(): h for _, main, strip in columns for h in main.handles() + strip.handles()}
    fig.legend(handles=list(handles.values()), loc="outside lower center", ncol=min(5, len(handles)),
               fontsize=10, frameon=False)
    counter = fig.suptitle("", fontsize=15, fontweight="bold")
    games = frame_games(runs)
    frames = []
    for j, game in enumerate(games):
        for run, main, strip in columns:
            i = snapshot_at(run, game)
            main.update(i)
            strip.update(i)
        counter.set_text(f"game {int(game)}")
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
