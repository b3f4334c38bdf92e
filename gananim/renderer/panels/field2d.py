"""The 2D game: D's output as a heat map with its 1/2 level line, the real samples, G's
samples split by whether they fool D (marker and colour), G's manifold (a grid in noise
space mapped through G, for 1D and 2D noise) and arrows of the push G receives."""
from __future__ import annotations

import contourpy
import matplotlib as mpl
import numpy as np
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection
from matplotlib.colors import LinearSegmentedColormap

from ...run import Run
from .. import style
from .fakes import FakeMarkers

HEAT = LinearSegmentedColormap.from_list("d_heat", style.HEAT)
ARROW_FRACTION = 0.08  # a typical push is drawn this long, as a fraction of the view's width


class Field2D:
    def __init__(self, ax: Axes, run: Run):
        self.ax, self.run = ax, run
        gx, gy = run.grid_x, run.grid_y
        self.critic = run.meta.get("d_output") == "critic"
        if self.critic:
            # a critic is defined up to a constant, and its level drifts (WGAN's to about +3):
            # each frame is drawn relative to the critic's mean on the real data then, so the
            # colours show what the critic separates, and 0 is the fools / caught line
            self.offset = np.asarray(run.d_real_mean, dtype=float).reshape(-1)
            top = float(np.percentile(np.abs(run.d_on_grid - self.offset[:, None, None]), 99)) or 1.0
            cmap, vmin, vmax, ticks, label = HEAT, -top, top, None, "f(x) − f̄(real)"
        else:
            self.offset = np.zeros(len(run.d_on_grid))
            cmap, vmin, vmax, ticks, label = HEAT, 0, 1, [0, 0.5, 1], "D(x)"
        self.heat = ax.imshow(run.d_on_grid[0] - self.offset[0], extent=(gx[0], gx[-1], gy[0], gy[-1]),
                              origin="lower", cmap=cmap, vmin=vmin, vmax=vmax, interpolation="bilinear",
                              aspect="equal", zorder=0)
        cbar = ax.figure.colorbar(self.heat, ax=ax, shrink=0.8, pad=0.02, ticks=ticks, fraction=0.05, aspect=25)
        cbar.ax.set_title(label, loc="left", fontsize=mpl.rcParams["axes.labelsize"], pad=8)  # above: not a y label
        self.level = LineCollection([], colors=style.DISC, linewidths=2, linestyles=(0, (5, 3)),
                                    label=None if self.critic else "D = 1/2", zorder=2)
        ax.add_collection(self.level)
        real = run.real_samples[:600]
        # above G's samples (4): hundreds of fakes on a mode must not hide that the mode is there
        ax.plot(real[:, 0], real[:, 1], "o", ms=4.5, color=style.REAL, mec="white", mew=0.5, alpha=0.9,
                label="real samples", zorder=4.6)
        self.has_manifold = "manifold" in run
        if self.has_manifold:
            self.manifold = LineCollection([], colors=style.BLACK, linewidths=0.7, alpha=0.3,
                                           label="G's manifold", zorder=2)
            ax.add_collection(self.manifold)
        self.fakes = FakeMarkers(ax, run, size=7.5 if len(run.z_fixed) > 100 else 9, zorder=4)
        # fakes outside the view: drawn on its border as small crosses, and counted
        (x0, x1), (y0, y1) = (gx[0], gx[-1]), (gy[0], gy[-1])
        pts = run.g_of_z
        ever = bool(((pts[..., 0] < x0) | (pts[..., 0] > x1) | (pts[..., 1] < y0) | (pts[..., 1] > y1)).any())
        (self.outside,) = ax.plot([], [], "x", ms=6, mew=1.5, color=style.GREY, clip_on=False, zorder=5,
                                  label="G(z) off the view (at its edge)" if ever else None)
        self.outside.set_in_layout(False)  # unclipped artists must not stretch the layout
        self.outside_count = ax.text(0.01, 0.01, "", transform=ax.transAxes, color="#555555", zorder=6)
        push = run.g_push
        norms = np.linalg.norm(push, axis=-1)
        typical = np.percentile(norms[norms > 0], 90) if (norms > 0).any() else 1.0
        width = gx[-1] - gx[0]
        self.arrow_scale = typical / (ARROW_FRACTION * width)  # data units of push per unit of length
        self.arrows = ax.quiver(np.zeros(len(push[0])), np.zeros(len(push[0])), np.zeros(len(push[0])),
                                np.zeros(len(push[0])), angles="xy", scale_units="xy", scale=self.arrow_scale,
                                color=style.BLACK, width=0.004, zorder=5, label="push on G(z)")
        ax.set_xlim(gx[0], gx[-1])
        ax.set_ylim(gy[0], gy[-1])
        ax.set_xlabel("x₁")
        ax.set_ylabel("x₂")
        ax.grid(False)

    def handles(self) -> list:
        return self.ax.get_legend_handles_labels()[0]

    def update(self, i: int) -> list:
        run = self.run
        d = run.d_on_grid[i]
        self.heat.set_data(d - self.offset[i])
        if not self.critic:
            self.level.set_segments(contourpy.contour_generator(run.grid_x, run.grid_y, d).lines(0.5))
        g = run.g_of_z[i]
        (x0, x1), (y0, y1) = self.ax.get_xlim(), self.ax.get_ylim()
        edge = np.stack([np.clip(g[:, 0], x0, x1), np.clip(g[:, 1], y0, y1)], axis=1)
        out = np.any(edge != g, axis=1)
        self.outside.set_data(edge[out, 0], edge[out, 1])
        self.outside_count.set_text(f"{out.sum()} of {len(g)} fakes outside the view" if out.any() else "")
        artists = [self.heat, self.level, self.outside, self.outside_count, self.arrows]
        artists += self.fakes.update(i, g)
        if self.has_manifold:
            self.manifold.set_segments(list(run.manifold[i]))
            artists.append(self.manifold)
        push = run.g_push[i]
        n = len(push)
        self.arrows.set_offsets(g[:n])
        lengths = np.linalg.norm(push, axis=1, keepdims=True)
        cap = 2.5 * self.arrow_scale * ARROW_FRACTION * (run.grid_x[-1] - run.grid_x[0])
        push = np.where(lengths > cap, push * cap / np.maximum(lengths, 1e-30), push)  # very long: capped
        self.arrows.set_UVC(push[:, 0], push[:, 1])
        return artists
