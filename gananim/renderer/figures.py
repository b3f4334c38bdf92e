"""The static figures: summary (final state, objective, gradient magnitudes, distance to the
data, coverage) and the Hessian spectrum over games. Each builds its own Figure (no pyplot)
and saves atomically."""
from __future__ import annotations

import io
import math
import re
import textwrap
from pathlib import Path

import numpy as np
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.layout_engine import ConstrainedLayoutEngine
from matplotlib.ticker import MaxNLocator, NullLocator
from matplotlib.transforms import ScaledTranslation

from ..fileio import atomic_open
from ..metrics import TAIL, blocks_where, final_signs, local_nash_check, sign_class, zero_rule, zero_tolerance
from ..run import Run
from . import style
from .panels import PANELS
from .panels.objective import draw_objective, true_w1


# no dates or version strings in the files: the same run gives the same bytes
METADATA = {"png": {"Software": None}, "pdf": {"CreationDate": None, "Producer": None, "Creator": None},
            "svg": {"Date": None, "Creator": None}}


def save(fig: Figure, path: Path, dpi: int) -> Path:
    """Save one format atomically. A constrained layout is computed here, once, and the figure's
    layout engine is then removed: later formats reuse that layout."""
    fmt = path.suffix.lstrip(".")
    engine = fig.get_layout_engine()
    if isinstance(engine, ConstrainedLayoutEngine):
        # lay out once, here: savefig would otherwise draw the whole figure twice (once, hidden, to
        # lay it out) for each format; the same pixels, one layout. None, not "none": "none"
        # leaves a placeholder engine, and savefig draws the figure once more, hidden, for any
        # engine (about a fifth of a summary.png's time)
        engine.execute(fig)
        fig.set_layout_engine(None)
    if fmt == "svg":  # ids in drawing order: the same file for the same figure (see stable_ids)
        buffer = io.StringIO()
        fig.savefig(buffer, format=fmt, dpi=dpi, metadata=METADATA[fmt])
        with atomic_open(path, "w") as fh:
            fh.write(stable_ids(buffer.getvalue()))
        return path
    with atomic_open(path) as fh:
        fig.savefig(fh, format=fmt, dpi=dpi, metadata=METADATA[fmt])
    return path


HASHED_ID = re.compile(r"\b([pm])[0-9a-f]{10}\b")  # matplotlib's SVG ids of clip paths (p) and markers (m)


def stable_ids(svg: str) -> str:
    """Name the clip paths clip0, clip1, ... and the markers mark0, ... in the order they first
    appear. Matplotlib hashes each clip box's and tick marker's coordinates at full float
    precision into its id, and a layout can move by 1e-13 px with what the process drew before
    (text metrics of shared font objects): the same picture, to every printed digit, under
    other ids."""
    names: dict[str, str] = {}
    counts = {"p": 0, "m": 0}

    def name(m: re.Match) -> str:
        if m.group(0) not in names:
            names[m.group(0)] = f"{'clip' if m.group(1) == 'p' else 'mark'}{counts[m.group(1)]}"
            counts[m.group(1)] += 1
        return names[m.group(0)]

    return HASHED_ID.sub(name, svg)


def _new(size: tuple[float, float], dpi: int) -> Figure:
    fig = Figure(figsize=size, dpi=dpi, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _gradients(axes: list[Axes], run: Run) -> None:
    for ax, key, who, colour in ((axes[0], "grad_norm_d", "Discriminator", style.DISC),
                                 (axes[1], "grad_norm_g", "Generator", style.FAKE)):
        ax.plot(run.game, run.arrays[key], color=colour, lw=1.2)
        ax.set_yscale("log")
        ax.set_xlim(0, run.game[-1])
        ax.set_title(f"Gradient magnitude: {who}")
        ax.set_xlabel("game")
        ax.set_ylabel(rf"$\|\nabla_{{\theta_{who[0]}}} L_{who[0]}\|$ (log scale)")
    both = np.concatenate([run.grad_norm_d, run.grad_norm_g])
    positive = both[both > 0]
    if positive.size:  # one scale for both players, so their magnitudes compare at a glance
        for ax in axes:
            ax.set_ylim(positive.min() / 1.5, positive.max() * 1.5)


def _distance(ax: Axes, run: Run) -> None:
    ax.plot(run.snap_game, run.energy_distance, "o-", color=style.BLACK, ms=3, lw=1.5)
    ax.set_ylim(bottom=0)
    ax.set_xlim(0, run.game[-1])
    ax.set_title("Distance from G's samples to the data")
    ax.set_xlabel("game")
    ax.set_ylabel("energy distance")


def _image_distance(ax: Axes, run: Run) -> None:
    """Images: the Fréchet distance (left) and the KL divergence of the class histogram (right),
    both in the data classifier's terms (imagemetrics.py)."""
    ax.plot(run.snap_game, run.frechet_distance, "o-", color=style.BLACK, ms=3, lw=1.5, label="Fréchet distance")
    positive = bool((run.frechet_distance > 0).all())
    if positive:
        ax.set_yscale("log")
    ax.set_ylabel("Fréchet distance" + (" (log scale)" if positive else ""))
    twin = ax.twinx()
    twin.plot(run.snap_game, run.class_kl, "s--", color=style.VERMILLION, ms=3, lw=1.5,
              label="KL(generated ‖ real) of the classes")
    twin.set_ylim(bottom=0)
    twin.set_ylabel("KL of the class histogram (nats)", color=style.VERMILLION)
    twin.grid(False)
    twin.spines["right"].set_visible(True)
    ax.set_xlim(0, run.game[-1])
    ax.set_xlabel("game")
    ax.set_title("Distance from G's images to the data")
    lines = ax.get_legend_handles_labels()[0] + twin.get_legend_handles_labels()[0]
    twin.legend(handles=lines, loc="upper right", fontsize=10, framealpha=1.0)


def _covered(ax: Axes, run: Run, counts, what: str, total: int, shares: list[tuple], top: float, share_label: str,
             title: str) -> None:
    """A count of what G's samples cover (steps, left axis) and shares of samples (right axis):
    `shares` holds (values, plot keyword arguments), drawn on 0..`top`."""
    # a marker at every snapshot: the last count shows even where its step falls on the axes' edge
    ax.plot(run.snap_game, counts, color=style.BLUE, lw=2, drawstyle="steps-post", marker="o", ms=3.5,
            label=f"{what} covered")
    ax.set_ylim(-0.3, total + 0.3)
    ax.set_ylabel(f"{what} covered (of {total})", color=style.BLUE)
    twin = ax.twinx()
    for values, line in shares:
        twin.plot(run.snap_game, values, lw=2, **line)
    twin.set_ylim(-0.03 * top, 1.03 * top)
    twin.set_ylabel(share_label, color=style.VERMILLION)
    twin.grid(False)
    twin.spines["right"].set_visible(True)
    ax.set_xlim(0, run.game[-1])
    ax.set_xlabel("game")
    ax.set_title(title)
    lines = ax.get_legend_handles_labels()[0] + twin.get_legend_handles_labels()[0]
    twin.legend(handles=lines, loc="center right", fontsize=10, framealpha=1.0)


def _coverage(ax: Axes, run: Run) -> None:
    _covered(ax, run, run.modes_covered, "modes", int(run.meta["modes_total"]),
             [(100 * run.high_quality, dict(color=style.VERMILLION, ls="--", label="high-quality samples (%)"))],
             100, "high-quality samples (%)", "Mode coverage (within 3 std of a mode)")


PROGRESSION_ROWS = 6  # snapshots shown, evenly spaced from the first to the last
PROGRESSION_COLUMNS = 10  # noise vectors per row


def progression_rows(run: Run) -> np.ndarray:
    """The snapshots progression.png shows. In epochs: the first, then every 5th epoch (every
    10th, 15th, ... when that would give more than 10 rows, or when snapshots fall every 2nd
    epoch) and the last, each at the last snapshot not after it; in games: up to six evenly spaced from the first to the last."""
    count = len(run.snap_game)
    if run.meta.get("time_unit") != "epoch":
        return np.unique(np.linspace(0, count - 1, min(PROGRESSION_ROWS, count)).round().astype(int))
    per = run.meta["games_per_epoch"]
    epochs = len(run.game) // per
    step = 5 * max(1, -(-epochs // 50))  # at most 10 rows of every step-th epoch
    every = int(run.scenario["record"]["every"])
    if every % per == 0:  # a snapshot every few epochs: rows on epochs that have one (5 -> 10 for every 2)
        step = math.lcm(step, every // per)
    games = [0, *range(step * per, epochs * per + 1, step * per), int(run.snap_game[-1])]
    return np.unique([int(np.searchsorted(run.snap_game, g, side="right")) - 1 for g in games])


def progression_figure(run: Run, dpi: int) -> Figure:
    """Images: G's images of the same noise vectors (columns) at evenly spaced snapshots (rows),
    the first to the last: how one set of samples becomes digits, or stops changing."""
    from .panels.images import PAGE, tile

    from .panels.losses import when

    picks = progression_rows(run)
    columns = min(PROGRESSION_COLUMNS, run.g_grid.shape[1])
    fig = _new((1.1 * columns + 1.6, 1.15 * len(picks) + 1.0), dpi)
    axes = fig.subplots(len(picks), 1, squeeze=False)[:, 0]
    for ax, i in zip(axes, picks):
        ax.imshow(tile(run.g_grid[i][:columns], columns), cmap=PAGE, vmin=-1, vmax=1, interpolation="nearest")
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_ylabel(when(run, int(run.snap_game[i])), rotation=0, ha="right", va="center", fontsize=13)
    axes[-1].set_xlabel(f"G(z) for the same {columns} noise vectors z in every row", fontsize=13)
    fig.suptitle(run.title, fontsize=16, fontweight="bold")
    return fig


def _classes(ax: Axes, run: Run) -> None:
    """Images: the classes G's samples cover (by the data's classifier) and precision / recall."""
    _covered(ax, run, run.classes_covered, "classes", int(run.meta["classes_total"]),
             [(run.precision, dict(color=style.VERMILLION, ls="--", label="precision")),
              (run.recall, dict(color=style.GREEN, ls=":", marker="o", ms=3, label="recall"))],
             1, "precision, recall", "Classes covered; precision and recall")


def _d_means(ax: Axes, run: Run) -> None:
    critic = run.meta.get("d_output") == "critic"
    what = "f" if critic else "D"
    ax.plot(run.snap_game, run.d_real_mean, "o-", ms=3, color=style.REAL, label=f"mean {what} on real")
    ax.plot(run.snap_game, run.d_fake_mean, "^--", ms=4, color=style.FAKE, label=f"mean {what} on G(z)")
    if not critic:  # a critic's values are unbounded: no 1/2 level, its own scale
        ax.axhline(0.5, color=style.GREY, lw=1, ls=":", label="D = 1/2")
        ax.set_ylim(-0.03, 1.03)
    ax.set_xlim(0, run.game[-1])
    ax.set_xlabel("game")
    ax.set_ylabel("critic f" if critic else "D")
    ax.set_title(f"What {'the critic' if critic else 'D'} says about real and fake")
    ax.legend(loc="best", fontsize=10)


def _diagnosis(ax: Axes, run: Run) -> None:
    """The diagnosis (diagnosis.py): each rule that fired, with its numbers, as a line of text."""
    from ..diagnosis import diagnose, history_of

    ax.axis("off")
    findings = diagnose(history_of(run))
    lines = [textwrap.fill(f"• {f.says}", 150, subsequent_indent="   ") for f in findings] or [
        "• no rule fired (D overpowers G, mode collapse, oscillation, near equilibrium)"]
    ax.set_title("Diagnosis (rules on the recorded numbers; README, Diagnosis)", loc="left", fontsize=14,
                 fontweight="bold")
    ax.text(0.0, 1.0, "\n".join(lines), transform=ax.transAxes, va="top", ha="left", fontsize=13, linespacing=1.4)


def summary_figure(run: Run, dpi: int) -> Figure:
    images = run.domain == "image"  # images: the diagnosis under the panels
    fig = _new((style.SUMMARY_SIZE[0], style.SUMMARY_SIZE[1] + 1.6) if images else style.SUMMARY_SIZE, dpi)
    if images:
        top, bottom = fig.subfigures(2, 1, height_ratios=[9, 1.6])
        axes = top.subplots(2, 3)
        _diagnosis(bottom.subplots(), run)
    else:
        axes = fig.subplots(2, 3)
    state = PANELS[run.domain](axes[0, 0], run)
    state.update(len(run.snap_game) - 1)
    axes[0, 0].set_title(f"Final state (game {int(run.snap_game[-1])})")

    ax = axes[0, 1]
    draw_objective(ax, run)
    ref = run.meta["reference"]
    final = float(np.mean(run.objective[-TAIL:]))
    if true_w1(run):
        tail = f"final gap {final:.3f}, W1 from samples {float(run.w1[-1]):.3f}"
    else:
        tail = f"final {final:.3f}, |final − reference| = {abs(final - ref):.3f}"
    ax.set_title(f"Objective vs games\n{tail}", fontsize=13)
    ax.legend(loc="best", fontsize=10)
    (_image_distance if images else _distance)(axes[0, 2], run)
    _gradients([axes[1, 0], axes[1, 1]], run)
    (_coverage if "modes_covered" in run else _classes if "classes_covered" in run else _d_means)(axes[1, 2], run)
    (top if images else fig).legend(loc="outside lower center", ncol=5, fontsize=11, frameon=False,
                                    handles=state.handles())
    if run.meta.get("time_unit") == "epoch":  # the scenario counts epochs: each time axis says them too
        per = float(run.meta["games_per_epoch"])
        for ax in axes.flat[1:]:
            top_axis = ax.secondary_xaxis("top", functions=(lambda g: g / per, lambda e: e * per))
            top_axis.set_xlabel("epoch", fontsize=11)
            top_axis.tick_params(labelsize=10)
            top_axis.xaxis.set_major_locator(MaxNLocator(integer=True))
    fig.suptitle(run.title, fontsize=16, fontweight="bold")
    return fig


ZERO_SUM = ("minimax", "wasserstein")  # losses.LOSSES with g_is_value (G's loss is V's part in G): no torch here
BAND = style.YELLOW  # the ≈ 0 band (metrics.zero_tolerance), on both Hessian panels
SIGN_COLOUR = {-1: style.NEGATIVE, 0: style.GREY, 1: style.POSITIVE}  # by metrics.sign_class


def _num(x: float) -> str:
    """A number in a figure's text, with a real minus sign."""
    return f"{x:.2g}".replace("-", "−")


def _linthresh(values: np.ndarray, tol: np.ndarray) -> float:
    """symlog's linear range: the last game's ≈ 0 band (the verdicts' tolerance), so that band
    fills the linear part (values inside it sit at 0, visibly) and values counted as non-zero
    lie on the log part; a game with a wider band draws it into the log part, as it is."""
    final = float(np.asarray(tol).ravel()[-1])
    if final > 0 and np.abs(values).max() > final:
        return final
    mags = np.abs(values[np.abs(values) > 0])  # all of it inside the band (or all 0): the old rule
    return 1e-3 if mags.size == 0 else float(np.clip(10 ** np.floor(np.log10(np.percentile(mags, 20))), 1e-5, 1.0))


def _symlog_ticks(ax: Axes, linthresh: float) -> None:
    """0 and whole decades, none crowding 0 (at least 3 × linthresh out), at most about 5 a side."""
    lo, hi = ax.get_ylim()
    first = math.ceil(math.log10(3 * linthresh))
    last = math.floor(math.log10(max(abs(lo), abs(hi), 3 * linthresh)))
    stride = max(1, math.ceil((last - first + 1) / 5))
    decades = [10.0 ** k for k in range(last, first - 1, -stride)]
    ax.set_yticks(sorted([-d for d in decades if -d >= lo] + [0.0] + [d for d in decades if d <= hi]))
    ax.yaxis.set_minor_locator(NullLocator())
    ax.set_ylim(lo, hi)


def _fill(text: str, width: int) -> str:
    """textwrap.fill that never breaks "≤ 0", "= 1.3e−05" or "→ local" apart."""
    glued = re.sub(r" ([≤≥=→]) ", "\u00a0\\1\u00a0", text)
    return textwrap.fill(glued, width)


def _band(ax: Axes, games: np.ndarray, tol: np.ndarray) -> None:
    """The ≈ 0 band, ±tol per game (behind the data), and the 0 line."""
    ax.fill_between(games, -tol, tol, color=BAND, alpha=0.45, lw=0, zorder=0.5, step="mid",
                    label=f"≈ 0 band: {zero_rule()}\n(max over V's spectrum, per game)")
    ax.axhline(0, color=style.BLACK, lw=0.8, zorder=0.6)


def _ranked(ax: Axes, games: np.ndarray, eig: np.ndarray, tol: np.ndarray, signs: np.ndarray) -> None:
    """Each column (rank) as a line, split by sign with the counting rule (`signs`: metrics.sign_class
    with the per-game `tol`): negative vermillion, positive blue, ≈ 0 grey. Few points (Lanczos at
    snapshots) get markers."""
    p = eig.shape[1]
    alpha = 1.0 if p <= 12 else max(0.15, 12 / p)
    style_ = "o-" if len(games) < 40 else "-"
    labelled: set[str] = set()
    for k in range(p):
        col = eig[:, k]
        for sign, label in ((-1, "λ < 0"), (1, "λ > 0"), (0, "λ ≈ 0")):
            mask = signs[:, k] == sign
            if mask.any():
                ax.plot(games, np.where(mask, col, np.nan), style_, color=SIGN_COLOUR[sign], lw=1.4, ms=4,
                        alpha=alpha, label=None if label in labelled else label)
                labelled.add(label)
    linthresh = _linthresh(eig, tol)
    ax.set_yscale("symlog", linthresh=linthresh)
    _band(ax, games, tol)
    _symlog_ticks(ax, linthresh)


def _legend_right(ax: Axes, clear: float = 0.0) -> None:
    """The legend right of the axes, `clear` points further out (past labels at the lines' ends)."""
    handles = {h.get_label(): h for h in ax.get_legend_handles_labels()[0]}
    shift = ScaledTranslation(clear / 72, 0, ax.figure.dpi_scale_trans)
    legend = ax.legend(handles=list(handles.values()), loc="upper left", bbox_to_anchor=(1.01, 1.0),
                       bbox_transform=ax.transAxes + shift, fontsize=11, frameon=False)
    for h in legend.legend_handles:
        h.set_alpha(1.0)


def _verdict(d_max: float, g_min: float, scale: float) -> str:
    """The block check in words, with the rule for "≈ 0" (metrics.local_nash_check, as the
    diagnosis); scale: the full spectrum's largest |λ|. Ends "local Nash equilibrium: yes/no"."""
    check = local_nash_check(d_max, g_min, scale)
    yes = lambda ok, within: ("yes, within the tolerance" if within else "yes") if ok else "no"  # noqa: E731
    return (f"final, counting {zero_rule()} = {_num(check['tolerance'])} as 0: "
            f"D's block ≤ 0: {yes(check['d_ok'], check['d_within'])} (largest {_num(d_max)}); "
            f"G's block ≥ 0: {yes(check['g_ok'], check['g_within'])} (smallest {_num(g_min)}) "
            f"→ local Nash equilibrium: {'yes' if check['holds'] else 'no'}")


def _link(kind: str, d_max: float, g_min: float, scale: float, zero_sum: bool) -> str:
    """One sentence joining the two verdicts: V's whole spectrum (saddle or not) and each
    player's own block (local Nash or not)."""
    check = local_nash_check(d_max, g_min, scale)
    if not zero_sum:
        return ("G's block here is of G's own loss, not of V, so V's spectrum above does not decide the check: "
                "only the blocks do.")
    saddle = kind.startswith("indefinite")
    failing = " and ".join(blocks_where(check, "ok", False))
    failing += " blocks have" if " and " in failing else " block has"
    if saddle and check["holds"]:
        within = " and ".join(blocks_where(check, "within"))
        return ("Both agree: every local Nash equilibrium of this zero-sum game (D maximises V, G minimises it) "
                "is a saddle of V, and here each player's own block has the right sign"
                + (f" ({within} only within the tolerance)." if within else "."))
    if saddle:
        return ("No contradiction: every local Nash equilibrium of this zero-sum game (D maximises V, G minimises "
                f"it) is a saddle of V, but not every saddle is one: here {failing} the wrong sign.")
    if check["holds"]:
        return ("V is no saddle here beyond the tolerance: the blocks pass only because one of them is ≈ 0 "
                "(a flat, degenerate case).")
    return ("No saddle, no equilibrium: at a local Nash equilibrium of this zero-sum game D's block ≤ 0 and "
            f"G's ≥ 0 give V directions of both signs; here {failing} the wrong sign.")


def hessian_figure(run: Run, dpi: int) -> Figure:
    eig = run.hessian_eigvals  # (H, P) or (H, 2k), ascending per row
    games = run.hessian_game
    exact = run.meta.get("hessian_method", "exact") == "exact"
    fig = _new(style.HESSIAN_SIZE, dpi)
    top, blocks, bottom = fig.subplots(3, 1, sharex=True, height_ratios=[3, 2.2, 1.1] if exact else [3, 2.2, 0.01])
    p = eig.shape[1]
    params = run.meta.get("parameters", {})
    tol = zero_tolerance(eig)  # one per game: the rule for ≈ 0 in every panel, label and verdict
    signs = sign_class(eig, tol[:, None])  # (H, P): -1, 0 or +1 by that rule
    _ranked(top, games, eig, tol, signs)
    if p <= 12:
        last = signs[-1]
        for k in range(p):
            top.annotate(f"λ{k + 1}" if exact else ("min" if k == 0 else "max" if k == p - 1 else ""),
                         (games[-1], eig[-1, k]), xytext=(6, 0), textcoords="offset points", va="center",
                         fontsize=11, color=SIGN_COLOUR[int(last[k])])
    what = (f"all {p} eigenvalues, ranked (λ1 smallest)" if exact
            else f"the {p // 2} most negative and {p // 2} most positive (Lanczos)")
    every = int(run.scenario["record"].get("hessian_every") or 1)
    when = "every game" if every == 1 else f"every {every} games"
    final = final_signs(eig[-1], run.meta.get("hessian_method", "exact"))
    counts = (f"{final['negative']} negative, {final['positive']} positive"
              f"{', ' + str(final['zero']) + ' ≈ 0' if final['zero'] else ''} → " if exact else "extremes → ")
    head = f"Hessian of V w.r.t. all {sum(params.values()) or p} parameters (θ_D, θ_G): {what}, {when}"
    top.set_title(f"{textwrap.fill(head, 105)}\nV's whole spectrum, final: {counts}{final['kind']}", fontsize=12)
    top.set_ylabel("eigenvalue (symlog)")
    _legend_right(top, clear=34 if p <= 12 else 0)  # clear of the "λ12" / "max" labels

    # each player's own block: at a local Nash equilibrium D's block is <= 0 and G's >= 0
    d_max, g_min = run.hessian_eigvals_d.max(axis=1), run.hessian_eigvals_g.min(axis=1)
    marker = "o" if len(games) < 40 else None
    both = np.concatenate([d_max, g_min])
    linthresh = _linthresh(both, tol)
    blocks.set_yscale("symlog", linthresh=linthresh)
    top_lim = 1.5 * max(np.abs(both).max(), float(np.max(tol)))
    blocks.set_ylim(-top_lim, top_lim)  # symmetric: both halves, and so both targets, are visible
    # where each block belongs: named in the legend, never as text over the data
    zones = ["G's block belongs here (≥ 0)", "D's block belongs here (≤ 0)"]
    blocks.axhspan(0, top_lim, color=style.LIGHT_GREY, alpha=0.35, lw=0, zorder=0.4, label=zones[0])
    blocks.axhspan(-top_lim, 0, facecolor="white", edgecolor=style.LIGHT_GREY, lw=0, zorder=0.4, label=zones[1])
    _band(blocks, games, tol)
    zero_sum = run.scenario.get("loss") in ZERO_SUM
    g_of = "V" if zero_sum else "G's loss"
    lines = ["D's block (of V):\nits largest eigenvalue", f"G's block (of {g_of}):\nits smallest eigenvalue"]
    blocks.plot(games, d_max, color=style.BLACK, lw=1.8, marker=marker, ms=4, label=lines[0])
    blocks.plot(games, g_min, color=style.GREY, lw=1.8, marker=marker, ms=4, ls="--", label=lines[1])
    _symlog_ticks(blocks, linthresh)
    blocks.set_ylabel("eigenvalue (symlog)")
    scale = float(np.abs(eig[-1]).max())
    verdict = _verdict(float(d_max[-1]), float(g_min[-1]), scale)
    link = _link(final["kind"], float(d_max[-1]), float(g_min[-1]), scale, zero_sum)
    blocks.set_title("Each player's own block of the Hessian: the local Nash test\n"
                     + _fill(verdict, 100) + "\n" + _fill(link, 100), fontsize=12)
    handles = {h.get_label(): h for h in blocks.get_legend_handles_labels()[0]}
    order = lines + zones
    legend = blocks.legend(handles=[handles[k] for k in order] + [h for k, h in handles.items() if k not in order],
                           loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=11, frameon=False)
    white = legend.legend_handles[order.index(zones[1])]  # D's zone: a white patch needs an outline to be seen
    white.set_edgecolor(style.GREY)
    white.set_linewidth(0.8)

    if exact:
        neg, pos = (signs < 0).sum(axis=1), (signs > 0).sum(axis=1)
        bottom.plot(games, neg, color=style.NEGATIVE, lw=2, drawstyle="steps-post", label="# negative")
        bottom.plot(games, pos, color=style.POSITIVE, lw=2, ls="--", drawstyle="steps-post", label="# positive")
        if (p - neg - pos).any():
            bottom.plot(games, p - neg - pos, color=style.GREY, lw=1.5, ls=":", drawstyle="steps-post", label="# ≈ 0")
        bottom.set_ylim(-0.3, p + 0.3)
        bottom.set_yticks(sorted({0, p // 2, p}))
        bottom.set_ylabel("count")
        _legend_right(bottom)
    else:
        bottom.set_visible(False)
        blocks.tick_params(labelbottom=True)
    (bottom if exact else blocks).set_xlabel("game")
    bottom.set_xlim(0, games[-1])
    fig.suptitle(run.title, fontsize=16, fontweight="bold")
    return fig
