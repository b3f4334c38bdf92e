"""The animation: one persistent figure whose artists move from snapshot to snapshot, and a
GIF writer that quantizes every frame to one shared palette (no dithering: plots are flat
colours, and a shared palette keeps colours steady across frames and the file small)."""
from __future__ import annotations

import itertools
import math
import textwrap
from pathlib import Path
from typing import Callable, Optional

import numpy as np
from matplotlib.axis import Axis
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import LinearSegmentedColormap
from matplotlib.figure import Figure
from matplotlib.text import Text
from PIL import Image

from ..fileio import atomic_open, atomic_path
from ..run import Run
from . import style
from .panels import LAYOUTS, PANELS, ObjectiveStrip

Progress = Callable[[int, int], None]
GIF_COLOURS = 128
HOLD_FIRST_MS = 2000  # the start stays on screen long enough to say what is drawn
HOLD_LAST_MS = 3000  # the final state stays on screen before the loop restarts
HOLD_EVENT_MS = 1500  # a frame where something happens (render.hold, or events: auto) ...
LEAD_IN_MS = 500  # ... and, added to the frame before it, a beat to see what it changes from
EVENT_SHARE = 0.2  # events: auto: a change of at least this share of a series' whole range in one frame
MAX_EVENTS = 3  # the largest changes that are held
QUANTUM_MS = 50  # frame times are multiples of this: the MP4 (20 fps) repeats frames to match exactly
FRAME_MS = (60, 1000)  # the range of a plain frame's time when it follows from render.seconds


def _text_width(fig: Figure, text: str, **kw) -> float:
    """Pixels a text would take in this figure."""
    probe = fig.text(0, 0, text, **kw)
    width = probe.get_window_extent(fig.canvas.get_renderer()).width
    probe.remove()
    return width


def fit_title(fig: Figure, title: str, width_px: float, **kw) -> str:
    """The title wrapped to lines no wider than width_px (measured, not counted in characters);
    at worst, lines of 8 characters."""
    whole = _text_width(fig, title, **kw)
    if whole <= width_px:
        return title
    # from well above the wrap the average character width allows, narrower until the lines fit
    for chars in range(min(len(title) - 1, int(1.5 * len(title) * width_px / whole) + 2), 8, -1):
        text = textwrap.fill(title, chars)
        if _text_width(fig, text, **kw) <= width_px:
            return text
    return textwrap.fill(title, 8)


def counter_text(run: Run, i: int) -> str:
    return f"game {int(run.snap_game[i])} / {len(run.game)}"


def place_title(fig: Figure, text: Text, title: str, right_px: Callable[[], float], **kw) -> None:
    """Lay the figure out, then wrap the title (a text left out of the layout, anchored at its
    left edge) to end short of right_px() pixels: measured, so it never runs into the counter."""
    text.set_in_layout(False)
    fig.get_layout_engine().execute(fig)  # the layout only: nothing drawn
    renderer = fig.canvas.get_renderer()
    left = text.get_window_extent(renderer).x0
    text.set_text(fit_title(fig, title, right_px() - left, **kw))


def animation_figure(run: Run, dpi: int) -> tuple[Figure, Callable[[int], list]]:
    """Build the figure once; return it and update(i) that moves it to snapshot i.

    1D: the title and the game counter on one line (the title wraps short of the counter), the
    panel, the objective strip, a compact legend below. 2D: the square field on the left at the
    full height; on the right the title, the counter, the legend, the panel's note (where it has
    one: the Dirac-GAN's eigenvalues) and the strip."""
    size = style.size_of(run.scenario.get("render", {}))
    layout = LAYOUTS[run.domain]
    fig = Figure(figsize=size.inches(run.domain), dpi=dpi, layout="constrained")
    FigureCanvasAgg(fig)
    bold = dict(fontsize=size.title, fontweight="bold")
    longest = counter_text(run, len(run.snap_game) - 1)
    two_lines = textwrap.fill(run.title, max(len(run.title) // 2 + 8, 12))
    if layout.legend_beside:  # 2D
        # a panel with a note of its own (the Dirac-GAN's eigenvalues) gets a row for it, a wider
        # column and a legend in two columns
        noted = hasattr(PANELS[run.domain], "draw_note")
        outer = fig.add_gridspec(1, 2, width_ratios=[0.8, 1] if noted else [1.15, 1], wspace=0.03)
        main = PANELS[run.domain](fig.add_subplot(outer[0]), run)
        side = outer[1].subgridspec(4 if noted else 3, 1,
                                    height_ratios=[1.1, 1.0, 2.0, 1.5] if noted else [1.2, 2.0, 1.8])
        head = fig.add_subplot(side[0])
        head.axis("off")
        title = head.text(0, 1, two_lines, ha="left", va="top", transform=head.transAxes, **bold)
        counter = head.text(0, 0, longest, ha="left", va="bottom", transform=head.transAxes, **bold)
        key = fig.add_subplot(side[1])
        key.axis("off")
        column = [head, key]
        if noted:
            column.append(fig.add_subplot(side[2]))
            main.draw_note(column[-1])
        strip = ObjectiveStrip(fig.add_subplot(side[-1]), run)
        column.append(strip.ax)
        key.legend(handles=main.handles() + strip.handles(), loc="center left", frameon=False, handlelength=1.6,
                   borderaxespad=0, ncol=2 if noted else 1, columnspacing=1.2)
        place_title(fig, title, run.title, lambda: fig.bbox.x1 - 8, **bold)
        if noted:  # the head as tall as the title's lines and the counter (measured): a full column keeps them apart
            renderer = fig.canvas.get_renderer()
            need = sum(t.get_window_extent(renderer).height for t in (title, counter)) + 0.6 * size.title * dpi / 72
            rows = side.get_height_ratios()
            share = need / sum(ax.bbox.height for ax in column)
            side.set_height_ratios([share / (1 - share) * sum(rows[1:])] + rows[1:])
    else:
        grid = fig.add_gridspec(3, 1, height_ratios=[0.3, 3.2, 1])
        head = fig.add_subplot(grid[0])
        head.axis("off")
        title = head.text(0, 1, run.title, ha="left", va="top", transform=head.transAxes, **bold)
        counter = head.text(1, 1, longest, ha="right", va="top", transform=head.transAxes, **bold)
        main = PANELS[run.domain](fig.add_subplot(grid[1]), run)
        strip = ObjectiveStrip(fig.add_subplot(grid[2]), run)
        fig.legend(handles=main.handles() + strip.handles(), loc="outside lower center", ncol=3, frameon=False,
                   handlelength=1.6, columnspacing=1.2)
        gap = 0.6 * size.title * dpi / 72
        place_title(fig, title, run.title,
                    lambda: counter.get_window_extent(fig.canvas.get_renderer()).x0 - gap, **bold)
        # the title's row as tall as its lines (measured): a wrapped title never reaches the panel
        head_px = title.get_window_extent(fig.canvas.get_renderer()).height + 0.3 * size.title * dpi / 72
        share = head_px / (main.ax.bbox.height + strip.ax.bbox.height + head.bbox.height)
        grid.set_height_ratios([4.2 * share / (1 - share), 3.2, 1])
    value_range = run.scenario.get("render", {}).get("value_range")
    if value_range:
        strip.ax.set_ylim(*value_range)

    def update(i: int) -> list:
        counter.set_text(counter_text(run, i))
        return main.update(i) + strip.update(i) + [counter]

    return fig, update


def progress_figure(run: Run, dpi: int) -> tuple[Figure, Callable[[int], list]]:
    """Images: G's images of the fixed noise vectors, the epoch (or game) counter, the classes
    G's samples cover, and a strip of both players' losses with a marker at this frame. web: a
    column (title and counters, grid, strip); slide: the grid on the left at the full height,
    the title, counters and strip on the right."""
    from .panels.images import ImageGrid
    from .panels.losses import LossStrip, time_axis, when

    size = style.size_of(run.scenario.get("render", {}))
    width, height = size.inches("image")
    beside = width > height  # landscape (slide): the grid on the left, the rest beside it
    fig = Figure(figsize=(width, height), dpi=dpi, layout="constrained")
    FigureCanvasAgg(fig)
    bold = dict(fontsize=size.title, fontweight="bold")
    if beside:
        outer = fig.add_gridspec(1, 2, width_ratios=[1.05, 1], wspace=0.03)
        main = ImageGrid(fig.add_subplot(outer[0]), run)
        side = outer[1].subgridspec(3, 1, height_ratios=[1.3, 2.2, 0.5])
        head = fig.add_subplot(side[0])
        strip = LossStrip(fig.add_subplot(side[1]), run)
        key = fig.add_subplot(side[2])
        key.axis("off")
        key.legend(loc="center", ncol=2, frameon=False, handles=strip.handles(), borderaxespad=0)
        anchor = dict(x=0.0, ha="left")
    else:
        grid = fig.add_gridspec(3, 1, height_ratios=[0.42, 3.4, 1])
        head = fig.add_subplot(grid[0])  # the title left; the counter and the classes covered right
        main = ImageGrid(fig.add_subplot(grid[1]), run)
        strip = LossStrip(fig.add_subplot(grid[2]), run)
        fig.legend(loc="outside lower center", ncol=2, frameon=False, handles=strip.handles())
        anchor = dict(x=1.0, ha="right")
    head.axis("off")
    head.text(0.0, 1.0, textwrap.fill(run.title, 30), ha="left", va="top", transform=head.transAxes, **bold)
    counter = head.text(anchor["x"], 0.42 if beside else 1.0, "", ha=anchor["ha"], va="center" if beside else "top",
                        transform=head.transAxes, **bold)
    covered = head.text(anchor["x"], 0.0, "", ha=anchor["ha"], va="bottom", fontsize=size.title - 1,
                        color=style.BLUE, transform=head.transAxes)
    per, unit = time_axis(run)
    total = len(run.game) / per
    classes = int(run.meta["classes_total"])

    def update(i: int) -> list:
        counter.set_text(f"{when(run, int(run.snap_game[i]))} / {total:.0f}" if unit == "epoch"
                         else f"game {int(run.snap_game[i])} / {len(run.game)}")
        covered.set_text(f"{int(run.classes_covered[i])} of {classes} classes covered")
        return main.update(i) + strip.update(i) + [counter, covered]

    return fig, update


def _extent(artist, ax):
    """Where a static artist paints, in pixels; None when that is not known (no extent)."""
    renderer = ax.figure.canvas.get_renderer()
    if isinstance(artist, Axis):  # tick labels and the label; its grid lines and ticks below
        return artist.get_tightbbox(renderer)
    box = artist.get_window_extent(renderer)
    return box if box.width > 0 or box.height > 0 else None


def _paints_inside(artist, ax) -> bool:
    """Whether a static artist of `ax` may put pixels inside the axes box, where the clipped
    changing artists draw."""
    if isinstance(artist, Axis):
        ticks = artist.get_major_ticks() + artist.get_minor_ticks()
        if any(t.gridline.get_visible() or t.get_tickdir() != "out" for t in ticks):
            return True
    box = _extent(artist, ax)
    return box is None or box.overlaps(ax.bbox.padded(2))  # a little margin for anti-aliasing


def _within_axes(artist, ax) -> bool:
    """A changing artist that can only paint inside the axes box."""
    clip = artist.get_clip_box()
    return (artist.get_clip_on() and clip is not None
            and ax.bbox.padded(1).contains(clip.x0, clip.y0) and ax.bbox.padded(1).contains(clip.x1, clip.y1))


def _paints_nothing(artist) -> bool:
    return not artist.get_visible() or (isinstance(artist, Text) and not artist.get_text())


def _stays_in_background(artist, ax, below: list, changing: list) -> bool:
    """A static artist can stay in the cached background when nothing redrawn on every frame
    below it can reach it: the changing artists must be clipped to the axes box, which the
    static one never paints into, and the static ones redrawn must not overlap it."""
    if _paints_nothing(artist):
        return True
    moving = [other for other in below if other in changing]
    if moving and (_paints_inside(artist, ax) or not all(_within_axes(other, ax) for other in moving)):
        return False
    mine = _extent(artist, ax)
    for other in below:
        if other in changing or _paints_nothing(other):
            continue
        theirs = _extent(other, ax)
        if mine is None or theirs is None or mine.overlaps(theirs.padded(2)):
            return False
    return True


def blit_frames(fig: Figure, update: Callable[[int], list], n: int,
                progress: Optional[Progress] = None) -> "Frames":
    """Frames 0..n-1 of a persistent figure by blitting: everything that never changes is drawn
    once into a cached background; each frame restores it and draws only the changing artists
    (and, to keep the stacking order, the static ones of their axes that lie above them where
    they can overlap). The frames are drawn when they are read (`Frames`), not held."""
    changing = update(0)
    fig.draw_without_rendering()  # lays the figure out, so that extents are known
    fig.set_layout_engine("none")  # axes limits never change: lay out once, not on every frame
    redraw: list = []
    for ax in fig.axes:  # in drawing order: axes by axes, then by zorder as Axes.draw does (stable)
        mine = [a for a in changing if a.axes is ax]
        if mine:
            lowest = min(a.get_zorder() for a in mine)
            above = sorted((c for c in ax.get_children() if c is not ax.patch and c.get_zorder() >= lowest),
                           key=lambda a: a.get_zorder())
            drawn: list = []  # what is drawn on every frame, in order
            for c in above:
                if c in mine or not _stays_in_background(c, ax, drawn, mine):
                    drawn.append(c)
            redraw += drawn
    redraw += [a for a in changing if a.axes is None]  # figure-level text: the game counter
    for artist in redraw:
        artist.set_animated(True)  # left out of the background
    fig.canvas.draw()  # the background
    return Frames(fig, update, n, redraw, fig.canvas.copy_from_bbox(fig.bbox), progress)


class Frames:
    """The frames of a blitted figure, drawn when read: memory holds one frame at a time, not
    all n. update(i) moves every changing artist to snapshot i whatever the frame before it was,
    so frames are read in any order: `frames[i]` draws frame i (the GIF palette's few sample
    frames, read first, are kept for the pass that follows), and iterating draws them in order
    (each pass draws them again; `progress` counts the first pass)."""

    KEEP = 8  # frames read by index that are kept (shared_palette reads 8)

    def __init__(self, fig: Figure, update: Callable[[int], list], n: int, redraw: list, background,
                 progress: Optional[Progress] = None):
        self.fig, self.update, self.n, self.redraw, self.background = fig, update, n, redraw, background
        self.progress = progress
        self.kept: dict[int, np.ndarray] = {}
        self.passes = 0

    def __len__(self) -> int:
        return self.n

    def _draw(self, i: int) -> np.ndarray:
        canvas = self.fig.canvas
        self.update(i)
        canvas.restore_region(self.background)
        for artist in self.redraw:
            self.fig.draw_artist(artist)
        return canvas_rgb(canvas.buffer_rgba())

    def __getitem__(self, i: int) -> np.ndarray:
        i = range(self.n)[i]
        if i not in self.kept:
            frame = self._draw(i)
            if len(self.kept) >= self.KEEP:
                return frame
            self.kept[i] = frame
        return self.kept[i]

    def __iter__(self):
        self.passes += 1
        counted = self.passes == 1 and self.progress is not None
        for i in range(self.n):
            frame = self.kept.get(i)
            yield self._draw(i) if frame is None else frame
            if counted:
                self.progress(i + 1, self.n)
        self.kept.clear()  # read in order by now: no need to keep them for another pass


def canvas_rgb(rgba: memoryview) -> np.ndarray:
    """An RGB copy of the canvas: Pillow drops the alpha channel in one contiguous pass, where
    numpy's strided copy (rgba[..., :3].copy()) walks the buffer with a stride."""
    h, w = rgba.shape[:2]
    return np.asarray(Image.frombuffer("RGBA", (w, h), rgba, "raw", "RGBA", 0, 1).convert("RGB"))


def render_frames(run: Run, dpi: int, progress: Optional[Progress] = None) -> list[np.ndarray]:
    """Every snapshot as an RGB array (H, W, 3), all held (the renderer streams them instead)."""
    fig, update = animation_figure(run, dpi)
    return list(blit_frames(fig, update, len(run.snap_game), progress))


def shared_palette(frames, colours: int = GIF_COLOURS, heat: bool = True) -> Image.Image:
    """One palette for all frames: the style's pure colours (so a small marker never turns
    grey) plus median-cut colours of an evenly spaced sample of frames (anti-aliasing blends)."""
    ramp = LinearSegmentedColormap.from_list("heat", style.HEAT)(np.linspace(0, 1, 40))[:, :3] if heat else []
    exact = ([tuple(int(c[k:k + 2], 16) for k in (1, 3, 5)) for c in style.PALETTE] + [(255, 255, 255)]
             + [tuple(int(round(255 * v)) for v in rgb) for rgb in ramp])  # smooth heat maps and colour bars
    pick = np.linspace(0, len(frames) - 1, min(len(frames), 8)).round().astype(int)
    # every other row and column: the same colours to the eye (mean error 2.77 against 2.78 of
    # levels on a 2D game's frames), a third of the median-cut time
    sample = Image.fromarray(np.ascontiguousarray(np.concatenate([frames[i][::2, ::2] for i in pick], axis=0)))
    cut = sample.quantize(colors=colours - len(exact), method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    rgb = exact + [tuple(c) for c in np.array(cut.getpalette()[: 3 * (colours - len(exact))]).reshape(-1, 3)]
    palette = Image.new("P", (1, 1))
    palette.putpalette([v for c in rgb for v in c] + [0] * 3 * (256 - len(rgb)))
    return palette


def _snapshot_series(run: Run) -> list[np.ndarray]:
    """What an event is a change in, per snapshot (rows: seeds): V at the snapshot's game, D's
    means on real and on fake data, G's energy distance to the data."""
    games = np.asarray(run.snap_game)
    objective = np.asarray(run.objective)
    at = np.clip(games - 1, 0, objective.shape[-1] - 1)
    series = [np.take_along_axis(objective, np.broadcast_to(at, objective.shape[:-1] + at.shape[-1:]), -1)]
    series += [np.asarray(getattr(run, key)) for key in ("d_real_mean", "d_fake_mean", "energy_distance") if key in run]
    n = games.shape[-1]
    return [s.reshape(-1, n) for s in series if s.shape[-1] == n]


def event_frames(run: Run, n: int) -> list[int]:
    """Frames (1..n-1) where one of the snapshot series changes by at least EVENT_SHARE of its
    whole range from the frame before: the MAX_EVENTS largest such changes at least n/10 frames
    apart, in order."""
    score = np.zeros(n)
    for rows in _snapshot_series(run):
        span = np.ptp(rows, axis=1, keepdims=True)
        ok = (span[:, 0] > 1e-12) & np.isfinite(rows).all(axis=1)
        if ok.any():
            change = np.abs(np.diff(rows[ok], axis=1)) / span[ok]
            score[1:] = np.maximum(score[1:], change.max(axis=0))
    apart = max(3, n // 10)  # one hold per stretch of frames: a change spread over a few frames is one event
    big: list[int] = []
    for i in np.argsort(-score, kind="stable"):
        if score[i] < EVENT_SHARE or len(big) == MAX_EVENTS:
            break
        if all(abs(int(i) - j) >= apart for j in big):
            big.append(int(i))
    return sorted(big)


def held_frames(run: Run, n: int, settings: dict) -> list[int]:
    """The frames held: those of the games in render.hold (the first snapshot at or after each)
    and, with events: auto, event_frames."""
    games = np.asarray(run.snap_game).reshape(-1, n)[0]
    frames = {int(min(np.searchsorted(games, g), n - 1)) for g in settings.get("hold") or []}
    if settings.get("events", "auto") == "auto":
        frames |= set(event_frames(run, n))
    return sorted(f for f in frames if 0 < f < n - 1)


def _quantum(ms: float) -> int:
    return max(QUANTUM_MS, int(round(ms / QUANTUM_MS)) * QUANTUM_MS)


def frame_durations(run: Run, n: int, settings: dict) -> list[int]:
    """Milliseconds per frame: the first frame held HOLD_FIRST_MS, the last HOLD_LAST_MS, each
    held frame HOLD_EVENT_MS (and the one before it LEAD_IN_MS more); the others take 1/fps, or
    share what is left of render.seconds (within FRAME_MS)."""
    held = held_frames(run, n, settings)
    extra = HOLD_EVENT_MS + LEAD_IN_MS
    if settings.get("fps"):
        base = 1000 / settings["fps"]
    else:
        budget = 1000 * float(settings.get("seconds", 20)) - HOLD_FIRST_MS - HOLD_LAST_MS - extra * len(held)
        base = min(max(budget / max(n - 2, 1), FRAME_MS[0]), FRAME_MS[1])
    return timing(n, base, held)


def timing(n: int, base: float, held: tuple[int, ...] | list[int] = ()) -> list[int]:
    """Frame times of n frames that take `base` ms each, with the first, the last and `held` held."""
    base = _quantum(base)
    durations = [base] * n
    for i in held:
        durations[i] = max(durations[i], _quantum(HOLD_EVENT_MS))
        if i - 1 > 0:
            durations[i - 1] += _quantum(LEAD_IN_MS)
    durations[0] = max(durations[0], HOLD_FIRST_MS)
    durations[-1] = max(durations[-1], HOLD_LAST_MS)
    return durations


def _durations(frames: list, pace) -> list[int]:
    """A writer's `pace`: a list of frame times (ms), or frames per second (then the first
    and last frames are held)."""
    return list(pace) if isinstance(pace, (list, tuple)) else timing(len(frames), 1000 / pace)


class VideoUnavailable(RuntimeError):
    """MP4 output was asked for but the optional video extra is not installed."""


VIDEO_HINT = "mp4 output needs the optional video extra: pip install 'gananim[video]' (imageio, imageio-ffmpeg)"
# ffmpeg's output options: no encoder or muxer version strings, timestamps or metadata in the file
# (the same frames give the same bytes on every run), and one thread (x264's threads split frames
# in ways that depend on the machine's cores)
MP4_OUTPUT = ["-f", "mp4", "-fflags", "+bitexact", "-flags:v", "+bitexact", "-map_metadata", "-1", "-threads", "1"]


def check_video() -> None:
    """Raise VideoUnavailable with an install hint when imageio or imageio-ffmpeg (the ffmpeg
    binary imageio's FFMPEG plugin runs) is missing."""
    try:
        import imageio.v2  # noqa: F401
        import imageio_ffmpeg  # noqa: F401
    except ImportError:
        raise VideoUnavailable(VIDEO_HINT) from None


def mp4_timing(durations: list[int]) -> tuple[float, list[int]]:
    """(frames per second, repeats per frame): each frame repeated for its time at a frame rate
    that divides them all (20 fps for times in multiples of QUANTUM_MS)."""
    unit = math.gcd(*durations)
    if unit < 20:  # times that share no usable unit: the shortest frame is the unit
        unit = min(durations)
    return 1000 / unit, [max(1, round(d / unit)) for d in durations]


def write_mp4(frames: list[np.ndarray], path: str | Path, pace) -> Path:
    """Write frames as an H.264 MP4 (yuv420p, plays in browsers and slide software), atomically,
    with the GIF's timing (mp4_timing: a constant frame rate, frames repeated for their time).

    Through imageio's FFMPEG plugin, which runs imageio-ffmpeg's ffmpeg with the options given
    here: the file is byte for byte what imageio_ffmpeg.write_frames writes with them, in the same
    time within noise (benchmarks/bench.py, section l). Its writer object (imageio.v2.get_writer), not
    imageio.v3.imwrite: imwrite does not close the writer when a frame fails, so ffmpeg runs on
    and writes the temporary file after it has been removed; here the writer is closed first."""
    check_video()
    import imageio.v2

    fps, repeats = mp4_timing(_durations(frames, pace))
    with atomic_path(path) as tmp:
        writer = imageio.v2.get_writer(tmp, format="FFMPEG", fps=fps, codec="libx264", quality=5,
                                       pixelformat="yuv420p", macro_block_size=2, ffmpeg_log_level="error",
                                       output_params=list(MP4_OUTPUT))  # a copy: the plugin extends it
        try:
            for frame, count in zip(frames, repeats):
                frame = np.ascontiguousarray(frame)
                for _ in range(count):
                    writer.append_data(frame)
        finally:
            writer.close()  # ffmpeg has finished with the file before atomic_path renames or removes it
    return Path(path)


UNCHANGED = 255  # palette index of "same as the previous frame" (transparent; the palette has < 255 colours)


def write_gif(frames, path: str | Path, pace) -> Path:
    """Write frames (RGB arrays: a list, or `Frames` drawn as they are read) as a looping GIF,
    atomically: one shared palette, no dithering, and each frame after the first stores only what
    changed (unchanged pixels are transparent over the kept previous frame, disposal 1), which
    LZW compresses to almost nothing. `pace`: frame times in ms, or frames per second.

    Frames are quantized and written one at a time (`_stream_gif`): memory does not grow with the
    number of frames. The file is byte for byte what Pillow's save(save_all=True) writes from
    all the frames at once (tests/test_render.py)."""
    palette = shared_palette(frames)
    durations = _durations(frames, pace)
    colours = palette.getpalette()

    def deltas():
        previous = None
        for frame in frames:
            cur = np.asarray(Image.fromarray(frame).quantize(palette=palette, dither=Image.Dither.NONE))
            delta = cur if previous is None else np.where(cur == previous, UNCHANGED, cur).astype(np.uint8)
            previous = cur
            image = Image.fromarray(delta, mode="P")
            image.putpalette(colours)
            yield image

    params = dict(duration=durations, loop=0, optimize=False, disposal=1, transparency=UNCHANGED)
    with atomic_open(path) as fh:
        _stream_gif(fh, deltas(), params)
    return Path(path)


def _stream_gif(fh, images, params: dict) -> None:
    """Pillow's GIF writer for `images.save(fh, format="GIF", save_all=True, append_images=...,
    **params)` (Pillow's GifImagePlugin._write_multiple_frames, no palette given, optimize off,
    disposal 1), with a look-ahead of one frame instead of every frame: Pillow collects all frames
    before it writes any, and its only look-ahead is to fold a frame identical to the one before
    into that frame's time. Each frame is written as soon as the next one differs from it, with
    Pillow's own header, bbox and frame-data functions, so the bytes are the same. Fewer than two
    distinct frames: Pillow's save itself (one frame, held anyway)."""
    from PIL import GifImagePlugin as gif

    first = next(images)
    first.encoderinfo = {**params, "append_images": []}
    durations = params["duration"]
    pending: Optional[gif._Frame] = None  # the last frame, written when the next differs
    previous = None
    written = 0
    for count, image in enumerate(itertools.chain([first], images)):
        frame = gif._normalize_mode(image.copy())
        if count == 0:
            for k, v in frame.info.items():
                if k != "transparency" and isinstance(k, str):
                    first.encoderinfo.setdefault(k, v)
        info = first.encoderinfo.copy()
        if "transparency" in frame.info:
            info.setdefault("transparency", frame.info["transparency"])
        frame = gif._normalize_palette(frame, None, info)
        info["duration"] = durations[count]
        if pending is not None:
            _, bbox = gif._getbbox(previous, frame)
            if not bbox:  # the same picture: the frame before stays on screen longer
                if info.get("duration"):
                    pending.encoderinfo["duration"] = pending.encoderinfo.get("duration", 0) + info["duration"]
                continue
            _write_gif_frame(fh, pending)
            written += 1
        else:
            bbox = None
        previous = frame
        pending = gif._Frame(frame, bbox, info)
    if written == 0:  # one distinct frame: Pillow writes a single-frame GIF with the frames' whole time
        del first.encoderinfo  # save() would let it override the parameters
        first.save(fh, format="GIF", save_all=True, append_images=[],
                   **(params | {"duration": [pending.encoderinfo["duration"]]}))
        return
    _write_gif_frame(fh, pending)
    fh.write(b";")
    fh.flush()


def _write_gif_frame(fh, frame) -> None:
    """One frame as Pillow's _write_multiple_frames writes it: the first with the global header,
    the others cropped to their bbox with their own colour table."""
    from PIL import GifImagePlugin as gif

    image, info = frame.im, frame.encoderinfo
    if not frame.bbox:
        for chunk in gif._get_global_header(image, info):
            fh.write(chunk)
        offset = (0, 0)
    else:
        info["include_color_table"] = True
        if frame.bbox != (0, 0, *image.size):
            image = image.crop(frame.bbox)
        offset = frame.bbox[:2]
    gif._write_frame_data(fh, image, offset, info)


WRITERS = {"gif": write_gif, "mp4": write_mp4}  # the animation's video formats
