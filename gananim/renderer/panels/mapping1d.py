"""The 1D game: noise points on a lower line, a segment from each to its image G(z) on the
data line, the real samples and density, G's density, and D's curve with its 1/2 level."""
from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection

from ...run import Run
from .. import style
from .fakes import FakeMarkers

NOISE_Y = -0.55  # where the noise line is drawn
TOP = 1.12


class Mapping1D:
    def __init__(self, ax: Axes, run: Run):
        self.ax, self.run = ax, run
        x = run.x_grid
        ax.set_xlim(x[0], x[-1])
        ax.set_ylim(NOISE_Y - 0.2, TOP)
        ax.set_yticks([0, 0.5, 1])
        ax.set_ylabel("D(x)  and  density")
        ax.set_xlabel("x  (data)  ·  z  (noise, same axis)" if run.z_fixed.shape[1] == 1 else "x  (data)")
        ax.grid(axis="y", visible=False)
        ax.axhline(0, color=style.BLACK, lw=1, zorder=1)
        self.critic = run.meta.get("d_output") == "critic"
        if not self.critic:  # a critic has no 1/2 level: its values get their own axis
            ax.axhline(0.5, color=style.GREY, lw=1.4, ls=(0, (2, 3)), zorder=1)
            # named by its tick label, not a legend entry: outside the data, so no curve runs through it
            ax.set_yticks([0, 0.5, 1], ["0", "D = ½", "1"])
        ax.plot(x, run.real_pdf, color=style.REAL, lw=2, label="real density", zorder=3)
        real = run.real_samples[:, 0]
        if len(real) <= 200:
            ax.plot(real, np.zeros_like(real), "o", ms=8, color=style.REAL, mec="white", mew=0.8,
                    label="real samples", zorder=5)
        # under the moving artists (zorder 2): a static label then stays in the animation's cached
        # background instead of being redrawn on every frame
        # at the right end: G's samples and the noise draws start at the left
        text = dict(transform=ax.get_yaxis_transform(), color="#555555", ha="right", va="bottom", zorder=1.5)
        ax.text(0.995, 0.02, "data x", **text)
        self.mapping = run.z_fixed.shape[1] == 1  # noise drawn on the x axis only when it is 1D
        if self.mapping:
            z = run.z_fixed[:, 0]
            ax.axhline(NOISE_Y, color=style.BLACK, lw=1, zorder=1)
            ax.text(0.995, NOISE_Y + 0.02, "noise z", **text)
            ax.plot(z, np.full_like(z, NOISE_Y), "o", ms=6, color=style.BLACK, zorder=5)
            ax.text(0.995, NOISE_Y - 0.03, "lines: z → G(z)", **(text | {"va": "top"}))
            self.lines = LineCollection([], colors=style.GREY, linewidths=1.1, zorder=2)
            ax.add_collection(self.lines)
        edges = run.density_edges
        self.density = ax.stairs(np.zeros(len(edges) - 1), edges, baseline=0, fill=True,
                                 color=style.FAKE, alpha=0.22, label="G density", zorder=2)
        self.outline = ax.stairs(np.zeros(len(edges) - 1), edges, baseline=None, color=style.FAKE, lw=1.2, zorder=2)
        self.peak = ax.text(0, TOP, "", ha="center", va="top", color=style.FAKE, zorder=7, clip_on=True)
        d_ax = ax
        if self.critic:
            d_ax = ax.twinx()
            d_ax.spines["right"].set_visible(True)
            d_ax.grid(False)
            lo, hi = float(run.d_on_grid.min()), float(run.d_on_grid.max())
            span = hi - lo or 1.0
            # critic values fill the band above the data line, like D's [0, 1] would
            d_ax.set_ylim(lo + (NOISE_Y - 0.2) * span, hi + (TOP - 1) * span)
            d_ax.set_ylabel("critic f(x)", color=style.DISC)
            d_ax.tick_params(axis="y", colors=style.DISC)
            ax.set_ylabel("density")
        (self.d_curve,) = d_ax.plot([], [], color=style.DISC, lw=2.5, label="critic f(x)" if self.critic else "D(x)",
                                    zorder=4)
        self.axes = [ax] + ([d_ax] if self.critic else [])
        self.fakes = FakeMarkers(ax, run, size=10, zorder=4.5)  # under the real samples (5): never hides them

    def handles(self) -> list:
        """Legend handles of every artist with a label (both y axes)."""
        return [h for a in self.axes for h in a.get_legend_handles_labels()[0]]

    def update(self, i: int) -> list:
        run = self.run
        g = run.g_of_z[i][:, 0]
        self.d_curve.set_data(run.x_grid, run.d_on_grid[i])
        density = run.g_density[i]
        self.density.set_data(np.minimum(density, TOP))  # a collapsed G is taller than the axes ...
        self.outline.set_data(np.minimum(density, TOP))
        top = int(density.argmax())
        clipped = density[top] > TOP  # ... so say how tall it really is
        self.peak.set_text(f"↑ peak {density[top]:.1f}" if clipped else "")
        x0, x1 = run.x_grid[0], run.x_grid[-1]  # kept inside the axes, clear of the tick labels
        self.peak.set_x(np.clip(0.5 * (run.density_edges[top] + run.density_edges[top + 1]),
                                x0 + 0.08 * (x1 - x0), x1 - 0.08 * (x1 - x0)))
        artists = [self.d_curve, self.density, self.outline, self.peak]
        artists += self.fakes.update(i, np.stack([g, np.zeros_like(g)], axis=1))
        if self.mapping:
            z = run.z_fixed[:, 0]
            self.lines.set_segments([[(zi, NOISE_Y + 0.02), (gi, -0.02)] for zi, gi in zip(z, g)])
            artists.append(self.lines)
        return artists
