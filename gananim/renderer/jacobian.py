"""The dynamics figures: field.png (a two-parameter game's gradient field at the end of the run,
with the distance to the equilibrium over games) and jacobian.png (the eigenvalues of the game
Jacobian in the complex plane at a few snapshots, the discrete update's eigenvalues against the
unit circle, and the extremes over games). Both read only the Run (gananim/jacobian.py records
the spectra); each builds its own Figure (no pyplot)."""
from __future__ import annotations

import numpy as np
from matplotlib import colormaps
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Circle
from matplotlib.ticker import FuncFormatter

from ..run import Run
from . import style
from .figures import _new
from .panels.vector_field import VectorField, radius_digits

SNAPSHOTS = 5  # complex planes: at most this many snapshots, evenly spaced from the first to the last
GAME_COLOURS = colormaps["cividis"]  # sequential and colour-blind safe; its light yellow end is left out
RING_SIZES = (15, 6)  # marker sizes of the first and the last snapshot: rings that coincide stay apart


def _bold_header(ax: Axes, title: str, subtitle: str) -> None:
    """A header row (axes off): the run's title in bold and a line under it."""
    ax.axis("off")
    ax.text(0, 1, title, transform=ax.transAxes, ha="left", va="top", fontsize=16, fontweight="bold")
    ax.text(0, 0, subtitle, transform=ax.transAxes, ha="left", va="bottom", fontsize=13)


def _legend_right(ax: Axes, **kw) -> None:
    ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), frameon=False, borderaxespad=0, **kw)


def field_figure(run: Run, dpi: int) -> Figure:
    """The Dirac-GAN's field and trajectory at the end of the run (the animation's panel, larger),
    and the distance to the equilibrium over games on a log scale: spiralling out, circling and
    converging read as a rising, flat and falling line."""
    fig = _new(style.FIELD_SIZE, dpi)
    outer = fig.add_gridspec(2, 2, width_ratios=[1.35, 1], height_ratios=[0.55, 9], wspace=0.04)
    head = fig.add_subplot(outer[0, :])
    games = len(run.theta) - 1
    _bold_header(head, run.title, f"The gradient field and the trajectory after {games} games")
    panel = VectorField(fig.add_subplot(outer[1, 0]), run)
    panel.update(len(run.snap_game) - 1)
    side = outer[1, 1].subgridspec(3, 1, height_ratios=[1.5, 1.3, 2.2])
    key = fig.add_subplot(side[0])
    key.axis("off")
    key.legend(handles=panel.handles(), loc="center left", frameon=False, borderaxespad=0, handlelength=1.8,
               fontsize=13)
    panel.draw_note(fig.add_subplot(side[1]), fontsize=12)
    _distance(fig.add_subplot(side[2]), run)
    return fig


def _distance(ax: Axes, run: Run) -> None:
    """sqrt(θ² + ψ²) from the equilibrium over games (log y), and where the closed form gives the
    update's spectral radius ρ, the linearised prediction r₀·ρⁿ."""
    eq = run.equilibrium
    r = np.hypot(run.theta - eq[0], run.psi - eq[1])
    games = np.arange(len(r))
    ax.plot(games, r, color=style.TRAJECTORY, lw=2, label="measured")
    rho = (run.meta.get("dirac") or {}).get("update_radius_closed")
    if rho is not None and r[0] > 0:
        with np.errstate(over="ignore"):  # ρ > 1 over many games: past any float, clipped by the axes anyway
            predicted = r[0] * float(rho) ** games
        ax.plot(games, predicted, color=style.BLACK, lw=1.5, ls="--",
                label=f"r₀·ρⁿ, ρ = {rho:.{radius_digits(rho)}f}\n(linearised at the equilibrium)")
    ax.set_yscale("log")
    positive = r[r > 0]
    if positive.size:  # a run that lands exactly on the equilibrium: its zeros are left out of the scale
        ax.set_ylim(positive.min() / 1.5, positive.max() * 1.5)
    _plain_log(ax)
    ax.set_xlim(0, games[-1])
    ax.set_xlabel("game")
    ax.set_ylabel("distance (log scale)")
    change = r[-1] / r[0] if r[0] > 0 else np.nan
    ax.set_title(f"Distance to the equilibrium √(θ² + ψ²)\n{r[0]:.3g} → {r[-1]:.3g} (× {change:.3g})",
                 fontsize=13)
    ax.legend(loc="best", fontsize=11, framealpha=1.0)


def _plain_log(ax: Axes) -> None:
    """A log y axis labelled in plain numbers (0.01, 2, 300; not 2×10⁰), with its 2s, 3s and 5s
    labelled too when it spans less than a decade (else it would show one label or none)."""
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    lo, hi = ax.get_ylim()
    short = hi / lo < 10

    def minor(v: float, _) -> str:
        lead = round(v / 10 ** np.floor(np.log10(v)), 6)
        return f"{v:g}" if short and lead in (2, 3, 5) else ""

    ax.yaxis.set_minor_formatter(FuncFormatter(minor))


def _picks(run: Run) -> np.ndarray:
    """Up to SNAPSHOTS spectra, evenly spaced from the first to the last."""
    n = len(run.jacobian_game)
    return np.unique(np.linspace(0, n - 1, min(SNAPSHOTS, n)).round().astype(int))


def method_line(run: Run) -> str:
    """How the spectrum was taken, in words."""
    count = run.jacobian_eigvals.shape[-1]
    params = sum((run.meta.get("parameters") or {}).values()) or count
    if run.meta.get("jacobian_method", "exact") == "exact":
        return f"exact, all P = {params} eigenvalues"
    k = run.meta.get("jacobian_k") or count // 2
    return f"Arnoldi: the {k} largest |λ|, the {k} largest Re λ and the {k} largest Im λ of P = {params}"


def update_line(run: Run) -> str:
    """What the update's eigenvalues μ are, in words."""
    mode = run.meta.get("jacobian_update") or {}
    h = f"h = {mode.get('h', float('nan')):g}"
    if mode.get("mode") == "alternating":
        return f"alternating steps, {h}: μ = eigenvalues of D's step then G's"
    return f"simultaneous steps, {h}: μ = 1 + hλ"


def _ring(ax: Axes, values: np.ndarray, k: int, count: int, colour, label: str) -> None:
    """One snapshot's eigenvalues as open rings, larger for earlier snapshots."""
    values = values[np.isfinite(values)]
    size = RING_SIZES[0] + (RING_SIZES[1] - RING_SIZES[0]) * k / max(count - 1, 1)
    ax.plot(values.real, values.imag, "o", ms=size, mfc="none", mec=colour, mew=2.2, label=label, zorder=3 + k)


def _view_around_zero(ax: Axes, values: np.ndarray) -> None:
    """Limits that hold every value and 0 with room on both sides of each axis (the half-plane
    Re < 0 and its complement stay visible even when every Re λ is 0)."""
    finite = values[np.isfinite(values)]
    scale = (float(np.abs(finite).max()) if finite.size else 0.0) or 1.0
    pad = 0.15 * scale
    re, im = np.append(finite.real, 0.0), np.append(finite.imag, 0.0)
    ax.set_xlim(re.min() - pad, re.max() + pad)
    ax.set_ylim(im.min() - pad, im.max() + pad)


def _plane(ax: Axes, run: Run, picks: np.ndarray, colours: list) -> None:
    eig = run.jacobian_eigvals
    _view_around_zero(ax, eig[picks].ravel())
    x0, _ = ax.get_xlim()
    ax.axvspan(x0, 0, color=style.LIGHT_GREY, alpha=0.45, lw=0, zorder=0.4,
               label="Re λ < 0: the flow is\nlocally stable there")
    ax.axhline(0, color=style.BLACK, lw=0.9, zorder=2)  # above the grid lines (zorder 1.5)
    ax.axvline(0, color=style.BLACK, lw=0.9, zorder=2)
    for k, (i, colour) in enumerate(zip(picks, colours)):
        _ring(ax, eig[i], k, len(picks), colour, f"game {int(run.jacobian_game[i])}")
    ax.set_xlabel("Re λ")
    ax.set_ylabel("Im λ  (rotation)")
    ax.set_title(f"Eigenvalues λ of the game Jacobian J = ∂v/∂θ\nat {len(picks)} snapshots (colour: game)",
                 fontsize=13)
    _legend_right(ax, fontsize=12)


def _update_view(ax: Axes, mu: np.ndarray) -> None:
    """Around the update's eigenvalues and the nearest points of the unit circle (so the circle's
    arc runs through the view), at one scale: |μ| − 1 of 10⁻³ stays visible."""
    finite = mu[np.isfinite(mu) & (mu != 0)]
    pts = np.concatenate([finite, finite / np.abs(finite)]) if finite.size else np.array([1 + 0j])
    lo, hi = complex(pts.real.min(), pts.imag.min()), complex(pts.real.max(), pts.imag.max())
    half = 0.6 * max(hi.real - lo.real, hi.imag - lo.imag, 0.02)  # one span for both axes: the circle stays round
    mid = (lo + hi) / 2
    ax.set_xlim(mid.real - half, mid.real + half)
    ax.set_ylim(mid.imag - half, mid.imag + half)
    ax.set_aspect("equal", adjustable="box")
    ax.set_anchor("W")  # the square box at the left of its cell: the legend beside it stays where the layout put it


def _unit_circle(ax: Axes, run: Run, picks: np.ndarray, colours: list) -> None:
    mu = run.jacobian_update_eigvals
    _update_view(ax, mu[picks].ravel())
    ax.add_patch(Circle((0, 0), 1, facecolor=style.LIGHT_GREY, alpha=0.45, lw=0, zorder=0.4,
                        label="|μ| < 1: the update\ncontracts there"))
    ax.add_patch(Circle((0, 0), 1, fill=False, edgecolor=style.BLACK, lw=1.4, zorder=1, label="|μ| = 1"))
    for k, (i, colour) in enumerate(zip(picks, colours)):
        radius = float(np.nanmax(np.abs(mu[i])))
        _ring(ax, mu[i], k, len(picks), colour,
              f"game {int(run.jacobian_game[i])}: max|μ| = {radius:.{radius_digits(radius)}f}")
    ax.set_xlabel("Re μ")
    ax.set_ylabel("Im μ")
    ax.set_title(f"The discrete update's eigenvalues μ\n{update_line(run)}", fontsize=13)
    _legend_right(ax, fontsize=12)


def _extremes(ax: Axes, run: Run, picks: np.ndarray, colours: list) -> None:
    games = run.jacobian_game
    dots = len(games) < 60  # few spectra: each one marked
    ax.axhline(0, color=style.BLACK, lw=0.9, zorder=2)
    for i, colour in zip(picks, colours):  # the snapshots of the planes above, in their colours
        ax.axvline(games[i], color=colour, lw=1.2, ls=":", zorder=0.5)
    ax.plot(games, run.jacobian_max_real, color=style.VERMILLION, lw=2, marker="o" if dots else None, ms=4,
            label="largest Re λ\n(> 0: unstable)")
    ax.plot(games, run.jacobian_max_imag, color=style.BLUE, lw=2, ls="--", marker="s" if dots else None, ms=4,
            label="largest |Im λ|\n(rotation)")
    ax.set_xlim(0, max(int(games[-1]), 1))
    ax.set_xlabel("game")
    ax.set_ylabel("eigenvalue part")
    exact = run.meta.get("jacobian_method", "exact") == "exact"
    ax.set_title("Over games: the largest real part and the largest |imaginary part|"
                 + ("" if exact else " of the computed eigenvalues")
                 + "\n(dotted: the snapshots of the planes above)", fontsize=13)
    _legend_right(ax, fontsize=12)


def jacobian_figure(run: Run, dpi: int) -> Figure:
    """The game Jacobian's spectra (record.jacobian): the complex plane at up to SNAPSHOTS
    snapshots (colour = game) with the stable half-plane Re λ < 0 shaded; where the run holds the
    discrete update's eigenvalues, the same snapshots against the unit circle; below, over games,
    the largest real part and the largest |imaginary part|."""
    if "jacobian_eigvals" not in run:
        raise ValueError("jacobian.png draws the game Jacobian's spectra, and this run has none: "
                         "record them with record.jacobian: true")
    fig = _new(style.JACOBIAN_SIZE, dpi)
    update = "jacobian_update_eigvals" in run
    grid = fig.add_gridspec(3, 2 if update else 1, height_ratios=[0.7, 5, 3.6])
    head = fig.add_subplot(grid[0, :])
    _bold_header(head, run.title, f"Game-Jacobian spectra, {method_line(run)}")
    picks = _picks(run)
    colours = [GAME_COLOURS(x) for x in np.linspace(0.0, 0.8, len(picks))]
    _plane(fig.add_subplot(grid[1, 0]), run, picks, colours)
    if update:
        _unit_circle(fig.add_subplot(grid[1, 1]), run, picks, colours)
    _extremes(fig.add_subplot(grid[2, :]), run, picks, colours)
    return fig
