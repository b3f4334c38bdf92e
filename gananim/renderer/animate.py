"""The animation: one persistent figure whose artists move from snapshot to snapshot, and a
GIF writer that quantizes every frame to one shared palette (no dithering: plots are flat
colours, and a shared palette keeps colours steady across frames and the file small)."""
from __future__ import annotations

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
HOLD_LAST_MS = 1500  # the final state stays on screen before the loop restarts
TITLE_CHARS = 52  # longer titles wrap, so they never run into the game counter


def animation_figure(run: Run, dpi: int) -> tuple[Figure, Callable[[int], list]]:
    """Build the figure once; return it and update(i) that moves it to snapshot i."""
    layout = LAYOUTS[run.domain]
    beside = layout.legend_beside
    fig = Figure(figsize=layout.animation_size, dpi=dpi, layout="constrained")
    FigureCanvasAgg(fig)
    grid = fig.add_gridspec(2, 1, height_ratios=[3.2, 1])
    main = PANELS[run.domain](fig.add_subplot(grid[0]), run)
    strip = ObjectiveStrip(fig.add_subplot(grid[1]), run)
    fig.suptitle(textwrap.fill(run.title, TITLE_CHARS), fontsize=15, fontweight="bold", x=0.02, ha="left")
    handles = main.handles() + strip.handles()
    where = dict(loc="outside right upper", ncol=1) if beside else dict(loc="outside lower center", ncol=3)
    fig.legend(**where, fontsize=11, frameon=False, handlelength=1.6, columnspacing=1.2, handles=handles)
    # the game counter: top right, or under the title when the legend takes the right side
    counter = (fig.text(0.02, 0.935, "", ha="left", va="top", fontsize=15, fontweight="bold") if beside
               else fig.text(0.98, 0.985, "", ha="right", va="top", fontsize=15, fontweight="bold"))
    n_games = len(run.game)

    def update(i: int) -> list:
        counter.set_text(f"game {int(run.snap_game[i])} / {n_games}")
        return main.update(i) + strip.update(i) + [counter]

    return fig, update


def progress_figure(run: Run, dpi: int) -> tuple[Figure, Callable[[int], list]]:
    """Images: G's images of the fixed noise vectors, the epoch (or game) counter, the classes
    G's samples cover, and a strip of both players' losses with a marker at this frame."""
    from .panels.images import ImageGrid
    from .panels.losses import LossStrip, time_axis, when

    fig = Figure(figsize=(7.6, 9.8), dpi=dpi, layout="constrained")
    FigureCanvasAgg(fig)
    grid = fig.add_gridspec(3, 1, height_ratios=[0.42, 3.4, 1])
    head = fig.add_subplot(grid[0])  # the title left; the counter and the classes covered right
    head.axis("off")
    main = ImageGrid(fig.add_subplot(grid[1]), run)
    strip = LossStrip(fig.add_subplot(grid[2]), run)
    head.text(0.0, 1.0, textwrap.fill(run.title, 30), ha="left", va="top", fontsize=15, fontweight="bold",
              transform=head.transAxes)
    fig.legend(loc="outside lower center", ncol=2, fontsize=12, frameon=False, handles=strip.handles())
    counter = head.text(1.0, 1.0, "", ha="right", va="top", fontsize=15, fontweight="bold", transform=head.transAxes)
    covered = head.text(1.0, 0.0, "", ha="right", va="bottom", fontsize=14, color=style.BLUE,
                        transform=head.transAxes)
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
                progress: Optional[Progress] = None) -> list[np.ndarray]:
    """Frames 0..n-1 of a persistent figure by blitting: everything that never changes is drawn
    once into a cached background; each frame restores it and draws only the changing artists
    (and, to keep the stacking order, the static ones of their axes that lie above them where
    they can overlap)."""
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
    background = fig.canvas.copy_from_bbox(fig.bbox)
    frames = []
    for i in range(n):
        if i:
            update(i)
        fig.canvas.restore_region(background)
        for artist in redraw:
            fig.draw_artist(artist)
        frames.append(canvas_rgb(fig.canvas.buffer_rgba()))
        if progress is not None:
            progress(i + 1, n)
    return frames


def canvas_rgb(rgba: memoryview) -> np.ndarray:
    """An RGB copy of the canvas: Pillow drops the alpha channel in one contiguous pass, where
    numpy's strided copy (rgba[..., :3].copy()) walks the buffer with a stride."""
    h, w = rgba.shape[:2]
    return np.asarray(Image.frombuffer("RGBA", (w, h), rgba, "raw", "RGBA", 0, 1).convert("RGB"))


def render_frames(run: Run, dpi: int, progress: Optional[Progress] = None) -> list[np.ndarray]:
    """Every snapshot as an RGB array (H, W, 3)."""
    fig, update = animation_figure(run, dpi)
    return blit_frames(fig, update, len(run.snap_game), progress)


def shared_palette(frames: list[np.ndarray], colours: int = GIF_COLOURS, heat: bool = True) -> Image.Image:
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


class VideoUnavailable(RuntimeError):
    """MP4 output was asked for but the optional video extra is not installed."""


VIDEO_HINT = "mp4 output needs the optional video extra: pip install 'gananim[video]' (imageio-ffmpeg)"


def check_video() -> None:
    """Raise VideoUnavailable with an install hint when imageio-ffmpeg is missing."""
    try:
        import imageio_ffmpeg  # noqa: F401
    except ImportError:
        raise VideoUnavailable(VIDEO_HINT) from None


def write_mp4(frames: list[np.ndarray], path: str | Path, fps: int) -> Path:
    """Write frames as an H.264 MP4 (yuv420p, plays in browsers and slide software), atomically.
    The last frame is repeated so it is held like in the GIF."""
    check_video()
    import imageio_ffmpeg

    hold = max(1, round(HOLD_LAST_MS / 1000 * fps))
    h, w = frames[0].shape[:2]
    with atomic_path(path) as tmp:
        writer = imageio_ffmpeg.write_frames(
            str(tmp), (w, h), fps=fps, codec="libx264", pix_fmt_out="yuv420p", macro_block_size=2,
            ffmpeg_log_level="error", output_params=["-f", "mp4", "-fflags", "+bitexact", "-flags:v", "+bitexact",
                                                     "-map_metadata", "-1", "-threads", "1"])
        writer.send(None)
        for frame in frames + [frames[-1]] * hold:
            writer.send(np.ascontiguousarray(frame))
        writer.close()
    return Path(path)


UNCHANGED = 255  # palette index of "same as the previous frame" (transparent; the palette has < 255 colours)


def write_gif(frames: list[np.ndarray], path: str | Path, fps: int) -> Path:
    """Write frames as a looping GIF, atomically: one shared palette, no dithering, and each
    frame after the first stores only what changed (unchanged pixels are transparent over the
    kept previous frame, disposal 1), which LZW compresses to almost nothing."""
    palette = shared_palette(frames)
    indices = [np.asarray(Image.fromarray(f).quantize(palette=palette, dither=Image.Dither.NONE)) for f in frames]
    images = []
    for k, cur in enumerate(indices):
        delta = cur if k == 0 else np.where(cur == indices[k - 1], UNCHANGED, cur).astype(np.uint8)
        image = Image.fromarray(delta, mode="P")
        image.putpalette(palette.getpalette())
        images.append(image)
    durations = [round(1000 / fps)] * len(images)
    durations[-1] = max(durations[-1], HOLD_LAST_MS)
    with atomic_open(path) as fh:
        images[0].save(fh, format="GIF", save_all=True, append_images=images[1:], duration=durations,
                       loop=0, optimize=False, disposal=1, transparency=UNCHANGED)
    return Path(path)


WRITERS = {"gif": write_gif, "mp4": write_mp4}  # the animation's video formats
