"""The Dirac-GAN's two parameters (Mescheder, Geiger & Nowozin 2018): the continuous-time field
v = (dθ/dt, dψ/dt) over (θ, ψ) as streamlines over its magnitude |v|, the trajectory the players
took (the whole of it faint, the part played solid, the current point) and the equilibrium;
and, on an axes a figure gives it (draw_note), a table of the game Jacobian's eigenvalues at the
equilibrium and of the discrete update's spectral radius there, measured and in closed form.
Reads the Run's field_*, theta, psi, equilibrium, eq_eigvals and meta["dirac"]."""
from __future__ import annotations

import re
import textwrap

import matplotlib as mpl
import numpy as np
from matplotlib.axes import Axes
from matplotlib.colors import LinearSegmentedColormap
from matplotlib.lines import Line2D

from ...run import Run
from .. import style

SPEED = LinearSegmentedColormap.from_list("speed", style.SPEED)
STREAM = "#4D4D4D"  # the streamlines: dark grey, apart from the black-edged markers and the vermillion path
SQUARE = 3.0  # (θ, ψ) drawn at one scale (rotation looks round) unless one range is this many times the other


def _num(x: float, digits: int = 4) -> str:
    """A number with a real minus sign."""
    return f"{x:.{digits}g}".replace("-", "−")


def eigen_pair(values) -> str:
    """Two eigenvalues as the box writes them (4 significant digits): '±0.5i', '−0.25 ± 0.433i'
    (a conjugate pair) or '−0.1, −0.9' (two real ones); 'undefined' when not finite."""
    v = np.asarray(values, dtype=complex).ravel()
    if not np.isfinite(v).all():
        return "undefined"
    # below what 4 digits show: a double root's numerical split (~1e-8) is no imaginary part
    tiny = 5e-5 * max(float(np.abs(v).max()), 1e-300)
    if np.abs(v.imag).max() <= tiny:
        return ", ".join(_num(x) for x in np.sort(v.real)[::-1])
    real, imag = float(v.real.mean()), float(np.abs(v.imag).max())
    return f"±{_num(imag)}i" if abs(real) <= tiny else f"{_num(real)} ± {_num(imag)}i"


def radius_digits(*radii: float | None) -> int:
    """Decimals that show how far a spectral radius is from 1 (1.00125 is not 1.001); a radius
    within rounding of 1 (alternating steps' measured 1 + 2e-16) is 1, shown with 4."""
    gaps = [abs(r - 1) for r in radii if r is not None and np.isfinite(r) and abs(r - 1) > 1e-9]
    return 4 if not gaps else int(min(max(4, np.ceil(-np.log10(min(gaps))) + 2), 9))


def radius_verdict(r: float) -> str:
    """What the update's spectral radius ρ means near the equilibrium (> 1, = 1, < 1)."""
    if abs(r - 1) <= 1e-9:
        return "circles"
    return "spirals out" if r > 1 else "converges"


NOTE_WIDTH = 36  # characters per line of the note (monospace): 4.8 in at 16 pt, the slide animation's side column


def eigen_text(run: Run) -> str:
    """The note: a table of the game Jacobian's eigenvalues λ at the equilibrium and of the
    discrete update's spectral radius ρ there, measured and in closed form (meta["dirac"]), then
    the closed form's formula, the update and what ρ means, and the trainer's note."""
    info = run.meta.get("dirac") or {}
    eq = run.equilibrium
    where = f"λ at ({_num(float(eq[0]), 3)},{_num(float(eq[1]), 3)})"
    closed = info.get("closed_form")
    rows = [("", "measured", "closed form"),
            (where, eigen_pair(run.eq_eigvals),
             "—" if closed is None else eigen_pair([complex(*z) for z in closed]))]
    measured, predicted = info.get("update_radius_measured"), info.get("update_radius_closed")
    if measured is not None or predicted is not None:
        digits = radius_digits(measured, predicted)
        rows.append(("update ρ", "—" if measured is None else f"{measured:.{digits}f}",
                     "—" if predicted is None else f"{predicted:.{digits}f}"))
    widths = [max(len(row[k]) for row in rows) for k in range(3)]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows]
    said = []
    if info.get("closed_form_formula"):
        said.append(f"λ = {info['closed_form_formula']}")  # the table's closed form, as a formula
    if measured is not None or predicted is not None:
        said.append(f"{info.get('update', 'simultaneous')}, h = {_num(float(info.get('h', np.nan)))}: "
                    + radius_verdict(predicted if predicted is not None else measured))
    if info.get("note"):
        said.append(info["note"])
    glued = [re.sub(r" ([=<>±−/]) ", "\u00a0\\1\u00a0", s) for s in said]  # never "f′(0)" / "= 1/2" apart
    return "\n".join(lines + [textwrap.fill(s, NOTE_WIDTH, subsequent_indent="  ") for s in glued])


class VectorField:
    def __init__(self, ax: Axes, run: Run):
        self.ax, self.run = ax, run
        tx, py = run.field_theta, run.field_psi
        u, w = run.field_dtheta, run.field_dpsi  # (Q, T): rows ψ, columns θ
        extent = (tx[0], tx[-1], py[0], py[-1])
        speed = ax.imshow(np.hypot(u, w), extent=extent, origin="lower", cmap=SPEED, interpolation="bilinear",
                          aspect="auto", zorder=0)
        cbar = ax.figure.colorbar(speed, ax=ax, shrink=0.8, pad=0.02, fraction=0.05, aspect=25)
        cbar.ax.set_title("|v|", loc="left", fontsize=mpl.rcParams["axes.labelsize"], pad=8)  # above: not a y label
        ax.streamplot(tx, py, u, w, color=STREAM, linewidth=0.9, density=1.1, arrowsize=1.3, zorder=1)
        theta, psi = run.theta, run.psi
        ax.plot(theta, psi, color=style.TRAJECTORY, lw=1.4, ls=(0, (3, 2)), alpha=0.6, label="whole trajectory",
                zorder=2)
        ax.plot(theta[:1], psi[:1], "o", ms=9, mfc="white", mec=style.BLACK, mew=1.5, label="start", zorder=3)
        eq = run.equilibrium
        ax.plot(eq[:1], eq[1:], "*", ms=24, mfc=style.EQUILIBRIUM, mec=style.BLACK, mew=1.2,
                label=f"equilibrium ({_num(float(eq[0]), 3)}, {_num(float(eq[1]), 3)})", zorder=4)
        # above the star: a trajectory that arrives shows its point on it, the star still around it
        (self.past,) = ax.plot([], [], color=style.TRAJECTORY, lw=2.6, label="trajectory so far", zorder=5)
        (self.now,) = ax.plot([], [], "o", ms=13, color=style.TRAJECTORY, mec=style.BLACK, mew=1.5,
                              label="now (θ, ψ)", zorder=6, clip_on=False)
        self.now.set_in_layout(False)  # unclipped (pinned to the edge when outside), so kept out of the layout
        ax.set_xlim(tx[0], tx[-1])
        ax.set_ylim(py[0], py[-1])
        spans = (tx[-1] - tx[0], py[-1] - py[0])
        if max(spans) <= SQUARE * min(spans):
            ax.set_aspect("equal", adjustable="box")
        ax.set_xlabel("θ (G's point mass)")
        ax.set_ylabel("ψ (D's slope)")
        ax.grid(False)

    def handles(self) -> list:
        stream = Line2D([], [], color=STREAM, lw=0.9, marker=">", ms=6, label="gradient field")
        return [stream] + self.ax.get_legend_handles_labels()[0]

    def draw_note(self, ax: Axes, fontsize: float | None = None) -> None:
        """The eigenvalues' table (eigen_text) on an axes of its own beside the field (a figure
        that has room for it asks): over the field it would hide the trajectory somewhere. In
        monospace, so that its columns line up; by default at the theme's tick-label size."""
        ax.axis("off")
        ax.text(0, 0.5, eigen_text(self.run), transform=ax.transAxes, ha="left", va="center",
                family="DejaVu Sans Mono", fontsize=fontsize or mpl.rcParams["xtick.labelsize"],
                linespacing=1.3,
                bbox=dict(boxstyle="round,pad=0.5", fc="white", ec=style.GREY, lw=0.8))

    def update(self, i: int) -> list:
        g = int(self.run.snap_game[i])
        theta, psi = self.run.theta[: g + 1], self.run.psi[: g + 1]
        self.past.set_data(theta, psi)
        (x0, x1), (y0, y1) = self.ax.get_xlim(), self.ax.get_ylim()
        # a point that left the field's grid stays on its edge, where it left: never silently gone
        self.now.set_data(np.clip(theta[-1:], x0, x1), np.clip(psi[-1:], y0, y1))
        return [self.past, self.now]
