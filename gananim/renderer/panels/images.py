"""Image GANs: G's images for the same noise vectors at every snapshot, tiled into a grid
(ink dark on a white page, tiles separated by grey lines)."""
from __future__ import annotations

import math

import numpy as np
from matplotlib.axes import Axes
from matplotlib.colors import LinearSegmentedColormap
from matplotlib.image import AxesImage
from matplotlib.transforms import Bbox, TransformedBbox

from ...run import Run
from .. import style

# pixel -1 -> white, 1 -> black; the lines between tiles (NaN) light grey
PAGE = LinearSegmentedColormap.from_list("page", ["#FFFFFF", "#000000"]).with_extremes(bad=style.LIGHT_GREY)


def tile(images: np.ndarray, columns: int) -> np.ndarray:
    """(N, h, w) images -> one (rows (h + 1) - 1, columns (w + 1) - 1) array, NaN between tiles."""
    n, h, w = images.shape
    rows = math.ceil(n / columns)
    out = np.full((rows * (h + 1) - 1, columns * (w + 1) - 1), np.nan)
    for k, image in enumerate(images):
        r, c = divmod(k, columns)
        out[r * (h + 1): r * (h + 1) + h, c * (w + 1): c * (w + 1) + w] = image
    return out


def coloured(grid: np.ndarray) -> np.ndarray:
    """A tiled grid (tile) as RGBA bytes in PAGE's colours. An image artist given colours
    resamples them as they are; given numbers with NaN gaps it resamples the numbers and the
    mask and then colours them, twice the drawing time of a frame."""
    return PAGE(np.clip((grid + 1) / 2, 0, 1), bytes=True)


class NearestImage(AxesImage):
    """An image of RGBA bytes scaled to the screen by repeating its pixels in numpy: the pixels
    of AxesImage with interpolation='nearest' (tested; only a partly covered pixel on the
    image's edge is painted whole, where matplotlib blends it), in an eighth of the time of
    matplotlib's resampler, which an animation pays on every frame."""

    def make_image(self, renderer, magnification=1.0, unsampled=False):
        if unsampled or magnification != 1.0 or self._A.ndim != 3 or self._A.dtype != np.uint8:
            return super().make_image(renderer, magnification, unsampled)
        x1, x2, y1, y2 = self.get_extent()
        to_screen = self.get_transform()
        clip = Bbox.intersection(TransformedBbox(Bbox([[x1, y1], [x2, y2]]), to_screen),
                                 self.get_clip_box() or self.axes.bbox)
        if clip is None:
            return None, 0, 0, None
        rows, cols = self._A.shape[:2]
        c0, r0, c1, r1 = int(np.floor(clip.x0)), int(np.floor(clip.y0)), int(np.ceil(clip.x1)), int(np.ceil(clip.y1))
        # the data point under each screen pixel's centre: columns left to right, rows bottom up (the
        # returned array's first row is drawn at the bottom)
        to_data = to_screen.inverted()
        u = to_data.transform(np.column_stack([np.arange(c0, c1) + 0.5, np.full(c1 - c0, clip.y0)]))[:, 0]
        v = to_data.transform(np.column_stack([np.full(r1 - r0, clip.x0), np.arange(r0, r1) + 0.5]))[:, 1]
        top = y2 if self.origin == "upper" else y1  # where row 0 lies
        xs = np.clip(np.floor((u - x1) / (x2 - x1) * cols).astype(int), 0, cols - 1)
        ys = np.clip(np.floor((v - top) / ((y1 + y2 - top) - top) * rows).astype(int), 0, rows - 1)
        return np.take(np.take(self._A, ys, axis=0), xs, axis=1), c0, r0, None  # take: 10x fancy indexing


class ImageGrid:
    def __init__(self, ax: Axes, run: Run):
        self.ax, self.run = ax, run
        n = run.g_grid.shape[1]
        self.columns = math.ceil(math.sqrt(n))
        grid = coloured(tile(run.g_grid[0], self.columns))
        self.image = NearestImage(ax, interpolation="nearest")
        self.image.set_data(grid)
        ax.add_image(self.image)  # then as imshow does: the pixels' box and the axes limits, clipped to the axes
        self.image.set_extent(self.image.get_extent())
        self.image.set_clip_path(ax.patch)
        ax.set_aspect("equal")
        ax.set_xticks([])
        ax.yaxis.set_visible(False)  # no ticks, no label: nothing for blitting to redraw over the image
        ax.set_xlabel(f"G(z) for the same {n} noise vectors z at every game")

    def handles(self) -> list:
        return []

    def update(self, i: int) -> list:
        self.image.set_data(coloured(tile(self.run.g_grid[i], self.columns)))
        return [self.image]
