"""The static figures: summary (final state, objective, gradient magnitudes) and the
Hessian spectrum over games. Each builds its own Figure (no pyplot) and saves atomically."""
from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from ..fileio import atomic_open
from ..metrics import spectrum_signs
from ..run import Run
from . import style
from .panels import PANELS
from .panels.objective import draw_objective


def save(fig: Figure, path: Path, dpi: int) -> Path:
    fmt = path.suffix.lstrip(".")
    with atomic_open(path) as fh:
        fig.savefig(fh, format=fmt, dpi=dpi, metadata={"Software": None} if fmt == "png" else None)
    return path


def summary_figure(run: Run, dpi: int) -> Figure:
    fig = Figure(figsize=style.SUMMARY_SIZE, dpi=dpi, layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(2, 2)
    state = PANELS[run.meta["data_dim"]](axes[0, 0], run)
    state.update(len(run.snap_game) - 1)
    axes[0, 0].set_title(f"Final state (game {int(run.snap_game[-1])})")

    ax = axes[0, 1]
    draw_objective(ax, run)
    ref = run.meta["reference"]
    final = float(np.mean(run.objective[-10:]))
    ax.set_title("Objective V vs games")
    ax.legend(loc="best", fontsize=11)
    ax.text(0.98, 0.04, f"final V = {final:.3f}   |V + 2 log 2| = {abs(final - ref):.3f}",
            transform=ax.transAxes, ha="right", va="bottom", fontsize=11,
            bbox=dict(boxstyle="round", fc="white", ec=style.LIGHT_GREY))

    for ax, key, who, colour in ((axes[1, 0], "grad_norm_d", "Discriminator", style.DISC),
                                 (axes[1, 1], "grad_norm_g", "Generator", style.FAKE)):
        values = run.arrays[key]
        ax.plot(run.game, values, color=colour, lw=1.2)
        ax.set_yscale("log")
        ax.set_xlim(0, run.game[-1])
        ax.set_title(f"Gradient magnitude: {who}")
        ax.set_xlabel("game")
        sub = who[0]
        ax.set_ylabel(rf"$\|\nabla_{{\theta_{sub}}} L_{sub}\|$ (log scale)")
    lo = min(run.grad_norm_d[run.grad_norm_d > 0].min(initial=1), run.grad_norm_g[run.grad_norm_g > 0].min(initial=1))
    hi = max(run.grad_norm_d.max(), run.grad_norm_g.max())
    for ax in axes[1]:  # one scale for both players, so their magnitudes compare at a glance
        ax.set_ylim(lo / 1.5, hi * 1.5)
    fig.legend(loc="outside lower center", ncol=5, fontsize=11, frameon=False,
               handles=axes[0, 0].get_legend_handles_labels()[0])
    fig.suptitle(run.meta["title"], fontsize=16, fontweight="bold")
    return fig


def _linthresh(eig: np.ndarray) -> float:
    mags = np.abs(eig[np.abs(eig) > 0])
    if mags.size == 0:
        return 1e-3
    return float(np.clip(10 ** np.floor(np.log10(np.percentile(mags, 20))), 1e-4, 1.0))


def hessian_figure(run: Run, dpi: int) -> Figure:
    eig = run.hessian_eigvals  # (G, P), ascending in each row: column k is the k-th smallest
    games = run.hessian_game
    fig = Figure(figsize=style.HESSIAN_SIZE, dpi=dpi, layout="constrained")
    FigureCanvasAgg(fig)
    top, bottom = fig.subplots(2, 1, sharex=True, height_ratios=[3, 1.1])
    p = eig.shape[1]
    alpha = 1.0 if p <= 12 else max(0.15, 12 / p)
    for k in range(p):
        col = eig[:, k]
        top.plot(games, np.where(col < 0, col, np.nan), color=style.NEGATIVE, lw=1.4, alpha=alpha,
                 label="λ < 0" if k == 0 else None)
        top.plot(games, np.where(col >= 0, col, np.nan), color=style.POSITIVE, lw=1.4, alpha=alpha,
                 label="λ ≥ 0" if k == 0 else None)
        if p <= 12:
            top.annotate(f"λ{k + 1}", (games[-1], col[-1]), xytext=(6, 0), textcoords="offset points",
                         va="center", fontsize=11, color=style.NEGATIVE if col[-1] < 0 else style.POSITIVE)
    thresh = _linthresh(eig)
    top.set_yscale("symlog", linthresh=thresh)
    top.axhline(0, color=style.BLACK, lw=0.8)
    top.set_ylabel(f"eigenvalue (symlog, linear within ±{thresh:g})")
    top.set_title("Eigenvalues of the Hessian of V w.r.t. all parameters (θ_D, θ_G), ranked: λ1 smallest")
    top.legend(loc="lower right", fontsize=11)
    final = spectrum_signs(eig[-1])
    top.text(0.01, 0.97, f"final: {final['negative']} negative, {final['positive']} positive"
             f"{', ' + str(final['zero']) + ' ~zero' if final['zero'] else ''} → {final['kind']}",
             transform=top.transAxes, va="top", fontsize=12,
             bbox=dict(boxstyle="round", fc="white", ec=style.LIGHT_GREY))

    tol = 1e-6 * np.maximum(np.abs(eig).max(axis=1), 1e-12)
    bottom.plot(games, (eig < -tol[:, None]).sum(axis=1), color=style.NEGATIVE, lw=2, drawstyle="steps-post",
                label="# negative")
    bottom.plot(games, (eig > tol[:, None]).sum(axis=1), color=style.POSITIVE, lw=2, ls="--",
                drawstyle="steps-post", label="# positive")
    near_zero = p - (eig < -tol[:, None]).sum(axis=1) - (eig > tol[:, None]).sum(axis=1)
    if near_zero.any():
        bottom.plot(games, near_zero, color=style.GREY, lw=1.5, ls=":", drawstyle="steps-post", label="# ≈ 0")
    bottom.set_ylim(-0.3, p + 0.3)
    bottom.set_yticks(sorted({0, p // 2, p}))
    bottom.set_ylabel("count")
    bottom.set_xlabel("game")
    bottom.set_xlim(0, games[-1])
    bottom.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=11, frameon=False)
    fig.suptitle(run.meta["title"], fontsize=16, fontweight="bold")
    return fig
