"""What became of one seed's game, for a phase diagram: named outcomes, each a rule in words
(written into phase.json and under phase.png) and a test on that seed's numbers, which are the
numbers summary.json reports for it (metrics.headline). Standard library only: the scenario
schema imports the names.

A new outcome is one entry in OUTCOMES.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

STUCK_VALUE = 0.1  # |final V| below this: V sits near its maximum 0 ...
STUCK_CONFIDENT = 0.9  # ... with D confident: mean D(x) above this and mean D(G(z)) below 1 - this
ENERGY_BELOW = 0.1  # the default threshold of "close": the final energy distance to the data
QUALITY_ABOVE = 0.5  # the default threshold of "high_quality": the fraction of G's samples near a mode


@dataclass(frozen=True)
class Outcome:
    label: str  # a short heading for the heat map
    rule: Callable[[dict], str]  # the rule in words, given the phase settings
    applies: Callable[[dict], bool]  # whether a seed's numbers can answer it (a critic has no 1/2, ...)
    test: Callable[[dict, dict], bool]  # (the seed's numbers, the phase settings) -> this outcome


def _classifier(r: dict) -> bool:
    return not r.get("critic", False)


def _settled(r: dict, settings: dict) -> bool:
    return not r["diverged"] and r["reached_reference_at_game"] is not None


def _settled_rule() -> str:
    from .metrics import TOLERANCE, WINDOW  # numpy and scipy: only when a rule is written

    return (f"V settles at the reference: from some game to the end, every {WINDOW}-game rolling mean of "
            f"|V - reference| stays below {TOLERANCE} (summary.json's reached_reference_at_game)")


def _stuck(r: dict, settings: dict) -> bool:
    return (not r["diverged"] and abs(r["final_objective"]) < STUCK_VALUE and r["mean_d_real"] > STUCK_CONFIDENT
            and r["mean_d_fake"] < 1 - STUCK_CONFIDENT)


def _covered(r: dict, settings: dict) -> bool:
    return not r["diverged"] and r["final_modes_covered"] == r["modes_total"]


def _high_quality(r: dict, settings: dict) -> bool:
    return not r["diverged"] and r["final_high_quality_fraction"] >= settings["quality_above"]


def _close(r: dict, settings: dict) -> bool:
    return not r["diverged"] and r["final_energy_distance"] < settings["energy_below"]


OUTCOMES: dict[str, Outcome] = {
    "settled": Outcome(
        "V settles at the reference",
        lambda s: _settled_rule(),
        lambda r: True, _settled),
    "stuck": Outcome(
        "stuck: D wins",
        lambda s: (f"stuck: at the end |V| < {STUCK_VALUE} with D confident (mean D(x) > {STUCK_CONFIDENT} and "
                   f"mean D(G(z)) < {1 - STUCK_CONFIDENT:.1f} on the last game's batches)"),
        _classifier, _stuck),
    "diverged": Outcome(
        "diverged",
        lambda s: "diverged: training stopped at a number that was not finite or a parameter beyond the limit",
        lambda r: True, lambda r, s: bool(r["diverged"])),
    "covered": Outcome(
        "all modes covered",
        lambda s: ("all modes covered: at the end every mode of the mixture has a high-quality sample "
                   "(within 3 standard deviations of its mean)"),
        lambda r: "modes_total" in r, _covered),
    "high_quality": Outcome(
        "most samples near a mode",
        lambda s: (f"most samples near a mode: at the end at least {s['quality_above']:.0%} of G's samples lie within "
                   "3 standard deviations of a mode's mean"),
        lambda r: "modes_total" in r, _high_quality),
    "close": Outcome(
        "close to the data",
        lambda s: f"close to the data: the final energy distance between G's samples and the data is below {s['energy_below']:g}",
        lambda r: True, _close),
}


def applicable(record: dict) -> list[str]:
    """The outcomes a (non-diverged) seed's numbers can answer, in OUTCOMES order."""
    return [name for name, o in OUTCOMES.items() if o.applies(record)]


def classify(record: dict, settings: dict, names: list[str]) -> dict[str, bool]:
    """Which of the named outcomes one seed's game had (False where its numbers cannot answer
    one: a critic is never "stuck", a diverged seed only "diverged")."""
    return {name: bool((record["diverged"] or OUTCOMES[name].applies(record)) and OUTCOMES[name].test(record, settings))
            for name in names}


def rules(settings: dict, names: list[str]) -> dict[str, str]:
    return {name: OUTCOMES[name].rule(settings) for name in names}


MIXTURE_ONLY = ("covered", "high_quality")  # outcomes that need data with modes (a mixture, a ring, a grid)


def default_outcomes(records: list[dict]) -> list[str]:
    """Outcomes drawn when the scenario names none: those some non-diverged seed can answer (a
    diagram over losses keeps "stuck" for its classifier cells), diverged always."""
    alive = [r for r in records if not r["diverged"]]
    names = [n for n in OUTCOMES if any(OUTCOMES[n].applies(r) for r in alive)] if alive else list(OUTCOMES)
    return names if "diverged" in names else names + ["diverged"]

