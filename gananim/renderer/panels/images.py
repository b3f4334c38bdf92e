"""Image GANs: G's images for the same noise vectors at every snapshot, tiled into a grid
(ink dark on a white page, tiles separated by grey lines)."""
from __future__ import annotations

import math

import numpy as np
from matplotlib.axes import Axes
from matplotlib.colors import LinearSegmentedColormap

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


class ImageGrid:
    def __init__(self, ax: Axes, run: Run):
        self.ax, self.run = ax, run
        n = run.g_grid.shape[1]
        self.columns = math.ceil(math.sqrt(n))
        self.image = ax.imshow(tile(run.g_grid[0], self.columns), cmap=PAGE, vmin=-1, vmax=1,
                               interpolation="nearest", aspect="equal")
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_xlabel(f"G(z) for the same {n} noise vectors z at every game")

    def handles(self) -> list:
        return []

    def update(self, i: int) -> list:
        self.image.set_data(tile(self.run.g_grid[i], self.columns))
        return [self.image]
