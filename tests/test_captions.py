"""Each shipped scenario's description says only what its committed run shows (issue 15).

CLAIMS ties every number a description quotes from its run to the committed
gallery/<name>/summary.json: a regular expression finds the phrase in the description (it must
be found, so a reworded caption fails here until its entry is updated), its first group is the
number, and the number must equal the summary's value at the precision written. A "game N"
phrase anywhere in a description must lie inside a phrase of this table, so a new timing claim
cannot go unchecked. Reads files only: no training.
"""
from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Callable, NamedTuple, Union

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "scenarios"
GALLERY = ROOT / "gallery"


def summary(name: str) -> dict[str, Any]:
    return json.loads((GALLERY / name / "summary.json").read_text())


def description(name: str) -> str:
    return " ".join(yaml.safe_load((SCENARIOS / f"{name}.yaml").read_text())["description"].split())


Getter = Union[str, tuple, Callable[[dict[str, Any]], Any]]


class Claim(NamedTuple):
    pattern: str  # its first group is the number
    value: Getter  # a key of the scenario's summary.json; (other scenario, key); or a function of the summary
    how: str  # "int": equal as integers; "dp<n>": equal to n decimals; "pct": a percentage of a fraction


def _seed(seed: int, key: str) -> Callable[[dict[str, Any]], Any]:
    return lambda s: next(m for m in s["per_seed"] if m["seed"] == seed)[key]


def _stuck(s: dict[str, Any]) -> list[dict[str, Any]]:
    return [m for m in s["per_seed"] if m["reached_reference_at_game"] is None]


def _cell(label: str, outcome: str) -> Callable[[dict[str, Any]], Any]:
    """A phase diagram's count of seeds with `outcome` in the cell `label` (its summary.json)."""
    return lambda s: s["counts_by_cell"][label][outcome]


def _peak_classes(s: dict[str, Any]) -> int:
    return next(f["numbers"]["peak"] for f in s["diagnosis"] if f["rule"] == "mode_collapse")


REACHED = "reached_reference_at_game"
ED = "final_energy_distance"
# the two claims most captions make: the run settles at -2 log 2 from game N, and ends at energy distance x
SETTLES = Claim(r"-2 log 2 from game (\d+) on", REACHED, "int")
CLOSE = Claim(r"energy distance (0\.\d+) from the data", ED, "dp2")
CLAIMS: dict[str, list[Claim]] = {
    "balanced": [
        Claim(r"energy distance 3\.0 at the start, (0\.\d+) at the end", ED, "dp2"),
        Claim(r"within (0\.03) of 1/2 over the data", "max_abs_d_minus_half_on_data_range", "up2"),
        SETTLES,
    ],
    "balanced_mlp": [
        Claim(r"-2 log 2 from game (\d+) on \(balanced", REACHED, "int"),
        Claim(r"\(balanced: from game (\d+)\)", ("balanced", REACHED), "int"),
        Claim(r"energy distance (0\.\d+) at the end", ED, "dp2"),
        Claim(r"linear G of balanced \((0\.\d+)\)", ("balanced", ED), "dp2"),
    ],
    "noisy_balanced": [
        Claim(r"-2 log 2 from game (\d+) on \(balanced", REACHED, "int"),
        Claim(r"without noise: from game (\d+)\)", ("balanced", REACHED), "int"),
        Claim(r"ends at (-1\.\d+)", "final_objective", "dp3"),
        CLOSE,
        Claim(r"\(balanced: (0\.\d+)\)", ("balanced", ED), "dp2"),
    ],
    "noisy_constant": [
        Claim(r"vary by only (0\.\d+) across the plot", "d_range_on_grid", "dp2"),
        Claim(r"-2 log 2 from game (\d+) on, which strong_discr never", REACHED, "int"),
        Claim(r"strong_discr never (reach)es", ("strong_discr", REACHED), "none"),
    ],
    "noisy_annealed": [
        Claim(r"-2 log 2 from game (\d+) on \(constant", REACHED, "int"),
        Claim(r"constant noise: from game (\d+)\)", ("noisy_constant", REACHED), "int"),
        Claim(r"vary by (0\.\d+) across the plot", "d_range_on_grid", "dp3"),
    ],
    "noisy_strong_discr": [
        Claim(r"vary by (0\.\d+) across the plot", "d_range_on_grid", "dp2"),
        Claim(r"-2 log 2 from game (\d+) on despite", REACHED, "int"),
    ],
    "nonsaturating_strong_discr": [
        SETTLES, CLOSE,
        Claim(r"\(saturating: (\d\.\d+)\)", ("saturating_strong_discr", ED), "dp2"),
    ],
    "saturating_strong_discr": [
        Claim(r"D\(G\(z\)\) averages (0\.\d+)", "mean_d_fake", "dp3"),
        Claim(r"the objective is (-0\.\d+) instead", "final_objective", "dp3"),
        Claim(r"still at energy distance (\d\.\d+)", ED, "dp2"),
        Claim(r"After (\d+) games", "games", "int"),
        Claim(r"(instead of) -2 log 2", REACHED, "none"),
    ],
    "strong_discr": [
        Claim(r"from 0 to (1) across the plot", "d_range_on_grid", "dp0"),
        Claim(r"\((0\.\d+) at the end\)", "mean_d_fake", "dp3"),
        Claim(r"energy distance (\d\.\d+) after 500 games", ED, "dp2"),
        Claim(r"after (\d+) games", "games", "int"),
        Claim(r"sits near 0 \((-0\.\d+)\)", "final_objective", "dp3"),
    ],
    "phase_strong_discr": [
        Claim(r"\(50 D steps, lr 0\.1; outlined\) (\d+) of 16 seeds stay stuck", _cell("d_steps=50,lr=0.1", "stuck"), "int"),
        Claim(r"10 or 20 D steps \((\d+) and \d+ of 16", _cell("d_steps=10,lr=0.1", "settled"), "int"),
        Claim(r"10 or 20 D steps \(\d+ and (\d+) of 16", _cell("d_steps=20,lr=0.1", "settled"), "int"),
        Claim(r"with 1 D step \((\d+) of 16\)", _cell("d_steps=1,lr=0.1", "settled"), "int"),
        Claim(r"20 or more D steps, (\d+) to 16 of 16 seeds stay stuck",
              lambda s: min(s["counts_by_cell"][f"d_steps={d},lr={lr}"]["stuck"] for d in (20, 50) for lr in (0.01, 0.03)),
              "int"),
        Claim(r"20 or more D steps, \d+ to (16) of 16 seeds stay stuck",
              lambda s: max(s["counts_by_cell"][f"d_steps={d},lr={lr}"]["stuck"] for d in (20, 50) for lr in (0.01, 0.03)),
              "int"),
        Claim(r"At lr 0\.3 (no) seed settles in any cell",
              lambda s: sum(c["settled"] for k, c in s["counts_by_cell"].items() if k.endswith("lr=0.3")), "no"),
        Claim(r"10 or 20 D steps (\d+) and \d+ of 16 seeds end close", _cell("d_steps=10,lr=0.3", "close"), "int"),
        Claim(r"10 or 20 D steps \d+ and (\d+) of 16 seeds end close", _cell("d_steps=20,lr=0.3", "close"), "int"),
    ],
    "phase_ring8": [
        Claim(r"outlined\) (\d+) of 4 seeds cover all 8 modes", _cell("lr=0.001,d_steps=1", "covered"), "int"),
        Claim(r"and (\d+) of 4 put most samples near a mode", _cell("lr=0.001,d_steps=1", "high_quality"), "int"),
        Claim(r"At lr 0\.0001 with 1 D step (no) seed covers", _cell("lr=0.0001,d_steps=1", "covered"), "no"),
        Claim(r"with 2 or 5 D steps (\d+) of 4 seeds cover",
              lambda s: min(s["counts_by_cell"][f"lr=0.0001,d_steps={d}"]["covered"] for d in (2, 5)), "int"),
        Claim(r"but (no) seed puts most samples near a mode",
              lambda s: max(s["counts_by_cell"][f"lr=0.0001,d_steps={d}"]["high_quality"] for d in (2, 5)), "no"),
        Claim(r"At lr 0\.01 only (\d+) of 4 seeds cover",
              lambda s: max(s["counts_by_cell"][f"lr=0.01,d_steps={d}"]["covered"] for d in (1, 2, 5)), "int"),
        Claim(r"At lr 0\.01 only (\d+) of 4 seeds cover every mode, whatever",  # every cell of that row
              lambda s: min(s["counts_by_cell"][f"lr=0.01,d_steps={d}"]["covered"] for d in (1, 2, 5)), "int"),
    ],
    "strong_discr_seeds": [
        Claim(r"(\d+) of \d+ seeds stay stuck", lambda s: len(_stuck(s)), "int"),
        Claim(r"\d+ of (\d+) seeds stay stuck", lambda s: len(s["seeds"]), "int"),
        Claim(r"energy distance (\d\.\d+) or more", lambda s: min(m[ED] for m in _stuck(s)), "down2"),
        Claim(r"Seeds (\d+) and \d+ escape", lambda s: s["seeds_reaching_reference"][0], "int"),
        Claim(r"Seeds \d+ and (\d+) escape", lambda s: s["seeds_reaching_reference"][1], "int"),
        Claim(r"Seeds (\d+ and \d+) escape", lambda s: len(s["seeds_reaching_reference"]), "count2"),
        Claim(r"from games (\d+) and \d+ on", _seed(0, REACHED), "int"),
        Claim(r"from games \d+ and (\d+) on", _seed(6, REACHED), "int"),
    ],
    "strong_gen": [
        Claim(r"-2 log 2 from game (\d+) on \(balanced", REACHED, "int"),
        Claim(r"\(balanced: from game (\d+)\)", ("balanced", REACHED), "int"),
        Claim(r"\((0\.\d+) on real", "mean_d_real", "dp2"),
        Claim(r"\((0\.\d+) on real and on fake", "mean_d_fake", "dp2"),
        CLOSE,
        Claim(r"\(balanced: (0\.\d+)\)", ("balanced", ED), "dp2"),
    ],
    "ring8": [
        Claim(r"(\d+) of 8 modes are covered", "final_modes_covered", "int"),
        Claim(r"\d+ of (\d+) modes are covered", "modes_total", "int"),
        Claim(r"with (\d+)% of G's samples", "final_high_quality_fraction", "pct"),
        Claim(r"final (-1\.\d+)", "final_objective", "dp2"),
        Claim(r"(stays away) from -2 log 2", REACHED, "none"),
    ],
    "grid25": [
        Claim(r"all (\d+) of \d+ modes covered", "final_modes_covered", "int"),
        Claim(r"all \d+ of (\d+) modes covered", "modes_total", "int"),
        Claim(r"only (\d+)% of G's samples", "final_high_quality_fraction", "pct"),
        Claim(r"final (-1\.\d+)", "final_objective", "dp2"),
        Claim(r"(drifts away) from -2 log 2", REACHED, "none"),
    ],
    "r1_ring8": [
        Claim(r"gradient norm ends at (0\.\d+)", "median_grad_norm_d_last10pct", "dp2"),
        Claim(r"\(ring8: (\d\.\d+)\);", ("ring8", "median_grad_norm_d_last10pct"), "dp2"),
        SETTLES,
        Claim(r"\(ring8 (never) does\)", ("ring8", REACHED), "none"),
        Claim(r"(\d+) of 8 modes are covered", "final_modes_covered", "int"),
        Claim(r"(\d+)% of the samples", "final_high_quality_fraction", "pct"),
        Claim(r"energy distance (0\.\d+)", ED, "dp2"),
        Claim(r"\(ring8: (\d+)%", ("ring8", "final_high_quality_fraction"), "pct"),
        Claim(r"\(ring8: \d+%, (0\.\d+)\)", ("ring8", ED), "dp2"),
    ],
    "wgan_clip_ring8": [
        Claim(r"\((0\.\d+) at the end\)", "final_objective", "dp3"),
        Claim(r"covers (\d+) of 8 modes", "final_modes_covered", "int"),
        Claim(r"only (\d+)% of its samples", "final_high_quality_fraction", "pct"),
        Claim(r"\(r1_ring8: (\d+)%\)", ("r1_ring8", "final_high_quality_fraction"), "pct"),
    ],
    "wgan_gp_ring8": [
        Claim(r"gap falls to (0\.\d+) at the end", "final_objective", "dp2"),
        Claim(r"covers (\d+) of 8 modes", "final_modes_covered", "int"),
        Claim(r"with (\d+)% of its samples", "final_high_quality_fraction", "pct"),
    ],
    "wgan_gp_1d": [
        Claim(r"turns negative \((-0\.\d+) at the end\)", "final_objective", "dp2"),
        Claim(r"(settling) on it", REACHED, "none"),
    ],
    "sine_latent1": [SETTLES, CLOSE],
    "sine_latent20": [
        SETTLES, CLOSE,
        Claim(r"\(1 input: (0\.\d+)\)", ("sine_latent1", ED), "dp2"),
    ],
    "sine_latent100": [
        SETTLES, CLOSE,
        Claim(r"\(1 input: (0\.\d+);", ("sine_latent1", ED), "dp2"),
        Claim(r"20 inputs: (0\.\d+)\)", ("sine_latent20", ED), "dp2"),
    ],
    "sine_narrow": [SETTLES, CLOSE],
    "sine_medium": [SETTLES, CLOSE],
    "sine_wide": [SETTLES, CLOSE],
    "digits_dcgan": [
        Claim(r"all (\d+) of \d+ classes", "final_classes_covered", "int"),
        Claim(r"all \d+ of (\d+) classes", "classes_total", "int"),
        Claim(r"D gives real and fake (0\.\d+)", "mean_d_real", "dp2"),
        Claim(r"D gives real and fake (0\.\d+)", "mean_d_fake", "dp2"),
    ],
    "digits_mlp": [
        Claim(r"fall in (\d+) of 10 classes", "final_classes_covered", "int"),
        Claim(r"mean D (0\.\d+) on real", "mean_d_real", "dp2"),
        Claim(r"(0\.\d+) on G's images", "mean_d_fake", "dp2"),
    ],
    "digits_mode_collapse": [
        Claim(r"at most (\d+) of 10 digit classes at any snapshot", _peak_classes, "int"),
        Claim(r"at any snapshot \((\d+) at the end\)", "final_classes_covered", "int"),
        Claim(r"\((0\.\d+) and 0\.\d+ at the end\)", "mean_d_real", "dp2"),
        Claim(r"\(0\.\d+ and (0\.\d+) at the end\)", "mean_d_fake", "dp2"),
    ],
    "digits_strong_discr": [
        Claim(r"mean D\(G\(z\)\) (0\.\d+) at the end", "mean_d_fake", "dp3"),
        Claim(r"gradient norm sinks to (0\.\d+)", "median_grad_norm_g_last10pct", "dp4"),
        Claim(r"\((\d+) of 10 at the end", "final_classes_covered", "int"),
        Claim(r"energy distance (\d\.\d+)\)", ED, "dp2"),
    ],
    "digits_strong_discr_ns": [
        Claim(r"mean D\(G\(z\)\) (0\.\d+) at the end", "mean_d_fake", "dp3"),
        Claim(r"gradient norm stays near (\d+)", "median_grad_norm_g_last10pct", "dp0"),
        Claim(r"reach (\d+) of 10 digit classes", "final_classes_covered", "int"),
        Claim(r"energy distance (\d\.\d+);", ED, "dp2"),
        Claim(r"saturating loss: (\d+) classes", ("digits_strong_discr", "final_classes_covered"), "int"),
        Claim(r"saturating loss: \d+ classes, (\d\.\d+)\)", ("digits_strong_discr", ED), "dp2"),
    ],
}


def value_of(name: str, claim: Claim) -> Any:
    if isinstance(claim.value, tuple):
        other, key = claim.value
        return summary(other)[key]
    s = summary(name)
    return claim.value(s) if callable(claim.value) else s[claim.value]


def agrees(text: str, value: Any, how: str) -> bool:
    """Whether the number as written in the caption is the summary's value at that precision."""
    if how == "none":  # a claim that the run never reaches the reference
        return value is None
    if value is None:
        return False
    if how == "int":
        return int(text) == value
    if how == "no":  # "no seed": none
        return text == "no" and value == 0
    if how == "count2":  # "a and b": two of them
        return value == 2
    if how == "pct":
        return int(text) == round(100 * value)
    places = int(how[-1])
    if how.startswith("dp"):
        return round(float(text), places) == round(float(value), places)
    if how.startswith("up"):  # "within x": x is the value rounded up
        return float(text) >= value > float(text) - 10 ** -places
    if how.startswith("down"):  # "x or more": x is the value rounded down
        return float(text) <= value < float(text) + 10 ** -places
    raise ValueError(how)


CASES = [(name, i) for name, claims in CLAIMS.items() for i in range(len(claims))]


@pytest.mark.parametrize("name,i", CASES, ids=[f"{n}-{i}" for n, i in CASES])
def test_caption_number_is_the_committed_runs(name: str, i: int):
    claim = CLAIMS[name][i]
    text = description(name)
    match = re.search(claim.pattern, text)
    assert match, f"{name}: the description no longer says {claim.pattern!r}; update CLAIMS:\n{text}"
    value = value_of(name, claim)
    assert agrees(match.group(1), value, claim.how), (
        f"{name}: the description says {match.group(0)!r} but summary.json has {value!r}")


def shipped() -> list[str]:
    """The scenario files (scenarios/gallery.yaml, the page's sections, is not one)."""
    return sorted(p.stem for p in SCENARIOS.glob("*.yaml")
                  if isinstance(d := yaml.safe_load(p.read_text()), dict) and "description" in d)


def test_every_table_entry_is_a_shipped_scenario_with_a_summary():
    for name in CLAIMS:
        assert name in shipped(), name
        assert (GALLERY / name / "summary.json").exists(), name


GAME_N = re.compile(r"\bgames? \d+(?:(?:,| and| to| or) \d+)*")


@pytest.mark.parametrize("name", shipped())
def test_every_game_number_in_a_description_is_checked(name: str):
    """A 'game N' (or 'games N and M') phrase must fall inside a phrase CLAIMS checks."""
    text = description(name)
    checked = [m.span() for c in CLAIMS.get(name, []) for m in re.finditer(c.pattern, text)]
    for m in GAME_N.finditer(text):
        assert any(a <= m.start() and m.end() <= b for a, b in checked), (
            f"{name}: {m.group(0)!r} is a claim about the run that no CLAIMS entry checks")
