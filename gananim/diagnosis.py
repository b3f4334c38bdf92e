"""The failure-mode diagnosis of a GAN run: rules that read a run's recorded numbers and say
what they show, each with the numbers that triggered it.

The rules follow from the definitions, not from folklore: D's loss going to 0 means D wins, not
that G collapsed; a collapse shows in what G makes (the classes its samples fall in), not in the
losses. Each rule also says what it cannot tell (README, "Diagnosis"). Plain numpy on arrays:
nothing here imports torch or draws pictures.

Inputs (one value per game unless noted):
- ``d_real``, ``d_fake``: the batch means of D(x) and D(G(z)) as probabilities;
- ``d_loss``, ``g_loss``: the losses the players minimised, with their equilibrium values
  (``d_reference``: 2 log 2 for D's two BCE terms summed; ``g_reference``: log 2 for the
  non-saturating G loss, -log 2 for the minimax one) when the loss has them;
- ``covered`` (per snapshot, with ``snap_game``) and ``classes``: the classes G's samples cover
  (imagemetrics.classes_covered) out of how many the data have.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Optional

import numpy as np

TAIL_SHARE = 0.2  # "the end of the run": its last 20 % of games
STARVED = 0.05  # mean D(G(z)) below this: D rejects every fake
EQUILIBRIUM_D = 0.1  # D on real and on fake within this of 1/2
EQUILIBRIUM_LOSS = 0.10  # losses within 10 % of their equilibrium values
COLLAPSE_SHARE = 0.5  # G covers at most half of the classes
SWING = 0.3  # D(G(z)) moving over more than this (5th to 95th percentile of its smoothed curve) ...
CROSSINGS = 4  # ... and crossing its median at least this often in the second half: oscillation


@dataclass(frozen=True)
class History:
    game: np.ndarray
    d_real: np.ndarray
    d_fake: np.ndarray
    d_loss: np.ndarray
    g_loss: np.ndarray
    d_reference: Optional[float] = None
    g_reference: Optional[float] = None
    snap_game: Optional[np.ndarray] = None
    covered: Optional[np.ndarray] = None
    classes: Optional[int] = None
    time_unit: Callable[[int], str] = field(default=lambda g: f"game {g}")  # names a game (or its epoch)
    # D's outputs are on a 0..1 scale with 1/2 at the equilibrium (probabilities, least-squares
    # scores); a critic's are not, and the rules that read D's level stay silent for it
    levels: bool = True
    # the players' own Hessian blocks at the last spectrum (record.hessian): the largest
    # eigenvalue of D's block of the objective, the smallest of G's block of its loss, the
    # largest magnitude of the whole spectrum (the tolerance's scale) and the game
    nash: Optional[dict[str, float]] = None
    loss: Optional[str] = None  # the scenario's loss (losses.LOSSES): what a starved G still gets
    grad_norm_g: Optional[np.ndarray] = None  # G's gradient norm, every game
    unit: str = "classes"  # what `covered` counts: the classes of images, the modes of a mixture


@dataclass(frozen=True)
class Finding:
    rule: str  # the RULES key
    says: str  # one sentence, with the numbers
    numbers: dict[str, Any]  # the values that triggered it (for summary.json)


def _tail(h: History) -> slice:
    n = len(h.game)
    return slice(n - max(1, int(round(TAIL_SHARE * n))), n)


def d_overpowers_g(h: History) -> Optional[Finding]:
    if not h.levels:
        return None
    tail = _tail(h)
    fake = float(np.mean(h.d_fake[tail]))
    if fake >= STARVED:
        return None
    first, last = int(h.game[tail][0]), int(h.game[-1])
    numbers: dict[str, Any] = {"mean_d_fake": fake, "threshold": STARVED, "games": [first, last]}
    grad = ""
    if h.grad_norm_g is not None:  # what G's gradient measured there: the claim below can be checked
        numbers["median_grad_norm_g"] = float(np.median(h.grad_norm_g[tail]))
        grad = f" (G's gradient norm there: median {numbers['median_grad_norm_g']:.2g})"
    then = {"minimax": "; the saturating G loss log(1 - D(G(z))) is flat where D(G(z)) is near 0",
            "non_saturating": "; the non-saturating G loss -log D(G(z)) is steep there"}.get(h.loss, "")
    return Finding("d_overpowers_g",
                   f"D overpowers G: mean D(G(z)) = {fake:.3f} < {STARVED} over the last {TAIL_SHARE:.0%} of games "
                   f"({first}-{last}); D rejects every fake{then}{grad}", numbers)


def mode_collapse(h: History) -> Optional[Finding]:
    if h.covered is None or h.classes is None:
        return None
    covered = np.asarray(h.covered)
    final, peak = int(covered[-1]), int(covered.max())
    if final > COLLAPSE_SHARE * h.classes or peak == 0:  # never any: G has learned nothing yet, not collapsed
        return None
    numbers = {f"{h.unit}_covered": final, h.unit: h.classes, "peak": peak}
    if peak > final:  # it had more: say when it first fell to the final count after the peak
        after = int(np.argmax(covered))
        fell = after + int(np.argmax(covered[after:] <= final))
        when = h.time_unit(int(h.snap_game[fell]))
        numbers |= {"peak_at": int(h.snap_game[after]), "fell_at": int(h.snap_game[fell])}
        says = f"mode collapse: {h.unit} covered fell from {peak} to {final} of {h.classes} ({when})"
    else:
        says = f"mode collapse: G's samples cover {final} of {h.classes} {h.unit}, never more"
    if h.levels and float(np.mean(h.d_fake[_tail(h)])) < STARVED:  # D rejects every fake (d_overpowers_g)
        numbers["d_overpowers_g"] = True
        says += "; but D rejects every fake, so G may not have learned the data at all rather than collapsed onto part of it"
    return Finding("mode_collapse", says, numbers)


def oscillation(h: History) -> Optional[Finding]:
    if not h.levels:
        return None
    n = len(h.game)
    half = np.asarray(h.d_fake[n // 2:], dtype=float)
    window = max(1, n // 50)
    if len(half) < 2 * window + 2:
        return None
    smooth = np.convolve(half, np.ones(window) / window, mode="valid")
    lo, hi = np.percentile(smooth, [5, 95])
    sign = np.sign(smooth - np.median(smooth))
    sign = sign[sign != 0]
    crossings = int(np.count_nonzero(sign[1:] != sign[:-1]))
    if hi - lo <= SWING or crossings < CROSSINGS:
        return None
    return Finding("oscillation",
                   f"oscillation: D(G(z)) swings between {lo:.2f} and {hi:.2f} (5th-95th percentile, moving mean of "
                   f"{window} games), crossing its median {crossings} times in the second half: the players chase "
                   "each other instead of settling",
                   {"low": float(lo), "high": float(hi), "crossings": crossings, "window": window})


def near_equilibrium(h: History) -> Optional[Finding]:
    if not h.levels:
        return None
    tail = _tail(h)
    real, fake = float(np.mean(h.d_real[tail])), float(np.mean(h.d_fake[tail]))
    if abs(real - 0.5) > EQUILIBRIUM_D or abs(fake - 0.5) > EQUILIBRIUM_D:
        return None
    numbers: dict[str, Any] = {"mean_d_real": real, "mean_d_fake": fake}
    losses = []
    for who, values, ref in (("D", h.d_loss, h.d_reference), ("G", h.g_loss, h.g_reference)):
        if ref is None:
            continue
        mean = float(np.mean(values[tail]))
        if abs(mean - ref) > EQUILIBRIUM_LOSS * abs(ref):
            return None
        numbers[f"mean_{who.lower()}_loss"] = mean
        losses.append(f"{who}'s loss {mean:.3f} (equilibrium {ref:.3f})")
    said = f"; {', '.join(losses)}" if losses else ""
    return Finding("near_equilibrium",
                   f"near equilibrium: over the last {TAIL_SHARE:.0%} of games D gives real {real:.2f} and fake "
                   f"{fake:.2f}, within {EQUILIBRIUM_D} of 1/2{said}. This says D cannot tell them apart, not that "
                   "G covers the data",
                   numbers)


from .metrics import blocks_where, local_nash_check, zero_rule  # noqa: E402  (the Hessian figure's rule: the two verdicts agree)


def local_nash(h: History) -> Optional[Finding]:
    """The second-order local Nash conditions at the last recorded spectrum: D maximises the
    objective, so its own block must be negative semi-definite; G minimises its loss, so its
    block must be positive semi-definite. "≈ 0" as everywhere (metrics.zero_tolerance). Only
    with record.hessian (the blocks are recorded)."""
    if h.nash is None:
        return None
    d_max, g_min, game = h.nash["d_max"], h.nash["g_min"], int(h.nash["game"])
    check = local_nash_check(d_max, g_min, h.nash["scale"])
    d_ok, g_ok, tol = check["d_ok"], check["g_ok"], check["tolerance"]
    verdict = "hold" if d_ok and g_ok else "do not hold"
    why = [] if d_ok else [f"D's block has a positive eigenvalue ({d_max:.2g}): D can still gain"]
    why += [] if g_ok else [f"G's block has a negative eigenvalue ({g_min:.2g}): G can still gain"]
    within = blocks_where(check, "within")
    return Finding("local_nash",
                   f"local Nash check ({h.time_unit(game)}): the second-order conditions {verdict}; largest eigenvalue "
                   f"of D's block {d_max:.2g} (want <= 0), smallest of G's block {g_min:.2g} (want >= 0), "
                   f"counting {zero_rule()} = {tol:.2g} as 0"
                   + (f" ({' and '.join(within)} only within it)" if within else "")
                   + (f"; {'; '.join(why)}" if why else ". A necessary condition only, at one point of the run"),
                   {"d_block_max": d_max, "g_block_min": g_min, "tolerance": tol, "game": game,
                    "holds": bool(d_ok and g_ok)})


RULES: dict[str, Callable[[History], Optional[Finding]]] = {
    "d_overpowers_g": d_overpowers_g,
    "mode_collapse": mode_collapse,
    "oscillation": oscillation,
    "near_equilibrium": near_equilibrium,
    "local_nash": local_nash,
}


def history_of(run) -> History:
    """The History of a Run (one seed): per-game D means, the classes (images) or modes (mixtures
    in the plane) covered, and the players' Hessian blocks where recorded."""
    meta = run.meta
    if "classes_covered" in run:
        covered, total = run.classes_covered, meta.get("classes_total")
    elif "modes_covered" in run:
        covered, total = run.modes_covered, meta.get("modes_total")
    else:
        covered, total = None, None
    nash = None
    if "hessian_eigvals_d" in run:
        nash = {"d_max": float(run.hessian_eigvals_d[-1].max()), "g_min": float(run.hessian_eigvals_g[-1].min()),
                "scale": float(np.abs(run.hessian_eigvals[-1]).max()), "game": float(run.hessian_game[-1])}
    per = meta.get("games_per_epoch")
    name = (lambda g: f"game {g}") if meta.get("time_unit") != "epoch" else (lambda g: _epoch(g / per))
    return History(run.game, run.d_real, run.d_fake, run.d_loss, run.g_loss, meta.get("d_loss_reference"),
                   meta.get("g_loss_reference"), run.snap_game, covered, total, time_unit=name,
                   levels=meta.get("d_output") != "critic", nash=nash, loss=run.scenario.get("loss"),
                   grad_norm_g=run.grad_norm_g, unit="classes" if "classes_covered" in run else "modes")


def _epoch(e: float) -> str:
    return f"epoch {e:.0f}" if abs(e - round(e)) < 1e-9 else f"epoch {e:.1f}"


def diagnose(h: History) -> list[Finding]:
    """Every rule that fires, in RULES order (several can: a collapsed G can sit at equilibrium)."""
    return [f for f in (rule(h) for rule in RULES.values()) if f is not None]
