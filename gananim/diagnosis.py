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
    return Finding("d_overpowers_g",
                   f"D overpowers G: mean D(G(z)) = {fake:.3f} < {STARVED} over the last {TAIL_SHARE:.0%} of games "
                   f"({first}-{last}); D rejects every fake, and a saturating G loss then gives G almost no gradient",
                   {"mean_d_fake": fake, "threshold": STARVED, "games": [first, last]})


def mode_collapse(h: History) -> Optional[Finding]:
    if h.covered is None or h.classes is None:
        return None
    covered = np.asarray(h.covered)
    final, peak = int(covered[-1]), int(covered.max())
    if final > COLLAPSE_SHARE * h.classes:
        return None
    numbers = {"classes_covered": final, "classes": h.classes, "peak": peak}
    if peak > final:  # it had more: say when it first fell to the final count after the peak
        after = int(np.argmax(covered))
        fell = after + int(np.argmax(covered[after:] <= final))
        when = h.time_unit(int(h.snap_game[fell]))
        numbers |= {"peak_at": int(h.snap_game[after]), "fell_at": int(h.snap_game[fell])}
        says = f"mode collapse: classes covered fell from {peak} to {final} of {h.classes} ({when})"
    else:
        says = f"mode collapse: G's samples cover {final} of {h.classes} classes, never more"
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


RULES: dict[str, Callable[[History], Optional[Finding]]] = {
    "d_overpowers_g": d_overpowers_g,
    "mode_collapse": mode_collapse,
    "oscillation": oscillation,
    "near_equilibrium": near_equilibrium,
}


def history_of(run) -> History:
    """The History of a Run (one seed) with per-game D means and, for images, classes covered."""
    meta = run.meta
    return History(run.game, run.d_real, run.d_fake, run.d_loss, run.g_loss, meta.get("d_loss_reference"),
                   meta.get("g_loss_reference"), run.snap_game,
                   run.classes_covered if "classes_covered" in run else None, meta.get("classes_total"),
                   levels=meta.get("d_output") != "critic")


def diagnose(h: History) -> list[Finding]:
    """Every rule that fires, in RULES order (several can: a collapsed G can sit at equilibrium)."""
    return [f for f in (rule(h) for rule in RULES.values()) if f is not None]
