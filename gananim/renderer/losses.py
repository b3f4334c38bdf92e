"""The players' losses and D's verdicts: losses.png (both losses per game and per epoch, the
equilibrium values, the statistics table) and dhist.png (histograms of D on real and on
generated images at a few snapshots). Reads only the Run."""
from __future__ import annotations

import textwrap

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from ..metrics import loss_statistics
from ..run import Run
from . import style
from .figures import _new
from .panels.losses import PLAYERS, references, smoothed, time_axis, when

DHIST_PANELS = 4  # snapshots shown: evenly spaced, the first and the last among them
DHIST_BINS = 25


def losses_figure(run: Run, dpi: int) -> Figure:
    per, unit = time_axis(run)
    fig = _new((15.0, 7.5), dpi)
    curves, table = fig.subplots(1, 2, width_ratios=[2.4, 1])
    x = run.game / per
    epochs = "epoch_d_loss" in run and len(run.epoch_d_loss) >= 2
    window = max(1, len(run.game) // 50)
    for key, who, colour, ls in PLAYERS:
        values = run.arrays[key]
        curves.plot(x, values, color=colour, lw=0.6, alpha=0.3)
        if epochs:
            count = len(run.arrays[f"epoch_{key}"])
            ends = np.arange(1, count + 1) * run.meta["games_per_epoch"] / per
            curves.plot(ends, run.arrays[f"epoch_{key}"], ls=ls, marker="o", ms=5, color=colour, lw=2.2,
                        label=f"{who}: mean of each epoch")
        else:
            curves.plot(x, smoothed(values, window), ls=ls, color=colour, lw=2.2,
                        label=f"{who}: moving mean of {window} games")
    for key, ref, label in references(run):
        colour = dict((k, c) for k, _, c, _ in PLAYERS)[key]
        curves.axhline(ref, color=colour, lw=1.4, ls=":", label=label)
    curves.plot([], [], color=style.GREY, lw=0.6, label="every game (faint)")
    curves.set_xlim(0, x[-1])
    curves.set_xlabel(unit)
    curves.set_ylabel("loss")
    curves.set_title("Both players' losses")
    curves.legend(loc="best", fontsize=11, framealpha=0.95)

    stats = loss_statistics(run)
    columns = ("initial", "final", "min", "max", "mean")
    table.axis("off")
    cells = [[f"{stats[key][c]:.3f}".replace("-0.000", "0.000") for c in columns] for key, *_ in PLAYERS]
    drawn = table.table(cellText=cells, rowLabels=[who for _, who, _, _ in PLAYERS], colLabels=columns,
                        loc="upper center", cellLoc="center", bbox=[0.12, 0.55, 0.88, 0.3])
    drawn.auto_set_font_size(False)
    drawn.set_fontsize(13)
    refs = "; ".join(label for _, _, label in references(run)) or "this loss fixes no equilibrium value"
    table.set_title("Loss statistics over the run", fontsize=14)
    note = (f"initial: the first game's loss; final: the last game's ({when(run, int(run.game[-1]))}); min, max "
            f"and mean over all {len(run.game):,} games. {refs}.")
    table.text(0.0, 0.45, textwrap.fill(note, 48), transform=table.transAxes, va="top", fontsize=12)
    fig.suptitle(run.title, fontsize=16, fontweight="bold")
    return fig


def dhist_figure(run: Run, dpi: int) -> Figure:
    count = len(run.snap_game)
    picks = np.unique(np.linspace(0, count - 1, min(DHIST_PANELS, count)).round().astype(int))
    critic = run.meta.get("d_output") == "critic"
    what = "critic f" if critic else "D"
    real, fake = run.d_on_real[picks], run.d_on_fake[picks]
    # the bins span the values shown (a D near 1/2 everywhere would fill one bin of 0..1)
    lo, hi = float(min(real.min(), fake.min())), float(max(real.max(), fake.max()))
    pad = max(0.05 * (hi - lo), 0.01 if not critic else 1e-3)
    bins = np.linspace(lo - pad, hi + pad, DHIST_BINS + 1)
    fig = _new((4.2 * len(picks) + 0.8, 5.2), dpi)
    axes = fig.subplots(1, len(picks), sharey=True, squeeze=False)[0]
    for ax, i, r, f in zip(axes, picks, real, fake):
        ax.hist(r, bins=bins, color=style.REAL, alpha=0.55, label="real images")
        ax.hist(f, bins=bins, histtype="step", color=style.FAKE, lw=2.2, hatch="//", label="G's images")
        ax.axvline(float(np.mean(r)), color=style.REAL, lw=2, ls="-")
        ax.axvline(float(np.mean(f)), color=style.FAKE, lw=2, ls="--")
        if not critic and bins[0] < 0.5 < bins[-1]:
            ax.axvline(0.5, color=style.BLACK, lw=1.2, ls=":", label="D = 1/2")
        ax.set_title(f"{when(run, int(run.snap_game[i]))}\nmean real {np.mean(r):.2f}, fake {np.mean(f):.2f}",
                     fontsize=13)
        ax.xaxis.set_major_locator(MaxNLocator(5))
        ax.set_xlabel(what + (" (probability real)" if run.meta.get("d_output") == "probability" else ""))
    axes[0].set_ylabel(f"images (of {real.shape[1]} each)")
    handles = axes[0].get_legend_handles_labels()[0]
    fig.legend(handles=handles, loc="outside lower center", ncol=3, fontsize=12, frameon=False)
    fig.suptitle(f"{run.title}: what {what} says about real and generated images", fontsize=16, fontweight="bold")
    return fig
