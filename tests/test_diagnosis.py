"""The diagnosis rules on constructed histories: each fires on its sign, with its numbers, and
stays silent on the others."""
import math

import numpy as np
import pytest

from gananim.diagnosis import RULES, History, diagnose

G = 1000
LOG2 = math.log(2)


def history(d_real, d_fake, d_loss=None, g_loss=None, covered=None, **kw):
    game = np.arange(1, G + 1)
    full = lambda v: np.broadcast_to(np.asarray(v, float), (G,)).copy()  # noqa: E731
    snap = np.arange(0, G + 1, 50)
    return History(game, full(d_real), full(d_fake), full(2 * LOG2 if d_loss is None else d_loss),
                   full(LOG2 if g_loss is None else g_loss), d_reference=2 * LOG2, g_reference=LOG2,
                   snap_game=snap, covered=None if covered is None else np.asarray(covered), classes=10, **kw)


def rules(h):
    return [f.rule for f in diagnose(h)]


def test_a_run_at_equilibrium_is_only_near_equilibrium():
    rng = np.random.default_rng(0)
    h = history(0.5 + 0.02 * rng.standard_normal(G), 0.48 + 0.02 * rng.standard_normal(G), covered=np.full(21, 10))
    (finding,) = diagnose(h)
    assert finding.rule == "near_equilibrium"
    assert abs(finding.numbers["mean_d_fake"] - 0.48) < 0.01 and "not that G covers the data" in finding.says


def test_d_winning_is_d_overpowering_g_not_mode_collapse():
    """D's loss near 0 and D(G(z)) near 0: D wins. Every class still covered: no collapse
    (reading 'D loss -> 0' as mode collapse is the error this rule avoids)."""
    d_fake = np.r_[np.linspace(0.5, 0.01, G // 2), np.full(G // 2, 0.01)]
    h = history(0.99, d_fake, d_loss=0.02, g_loss=4.6, covered=np.full(21, 10))
    assert rules(h) == ["d_overpowers_g"]
    finding = diagnose(h)[0]
    assert abs(finding.numbers["mean_d_fake"] - 0.01) < 1e-12 and finding.numbers["games"] == [801, 1000]


def test_mode_collapse_says_when_coverage_fell():
    covered = np.r_[[2, 6, 9, 10, 10, 10, 10, 10], [8, 5, 3, 2], np.full(9, 2)]  # peak at snapshot 3, 2 at 11
    h = history(0.52, 0.47, covered=covered, time_unit=lambda g: f"epoch {g // 100}")
    assert rules(h) == ["mode_collapse", "near_equilibrium"]  # a collapsed G can fool D: both are said
    finding = diagnose(h)[0]
    assert finding.says == "mode collapse: classes covered fell from 10 to 2 of 10 (epoch 5)"
    assert finding.numbers["fell_at"] == 550 and finding.numbers["peak_at"] == 150
    never = history(0.52, 0.47, covered=np.full(21, 3))
    assert diagnose(never)[0].says == "mode collapse: G's samples cover 3 of 10 classes, never more"
    assert "mode_collapse" not in rules(history(0.52, 0.47, covered=np.full(21, 6)))  # more than half covered
    assert "mode_collapse" not in rules(history(0.52, 0.47))  # no coverage recorded: no claim


def test_oscillation_needs_a_wide_swing_and_repeated_crossings():
    t = np.arange(G)
    swinging = 0.5 + 0.35 * np.sin(2 * np.pi * t / 100)
    h = history(0.6, swinging, d_loss=1.0, g_loss=1.0)
    assert rules(h) == ["oscillation"]
    f = diagnose(h)[0]
    assert f.numbers["crossings"] >= 8 and f.numbers["low"] < 0.2 and f.numbers["high"] > 0.8
    narrow = 0.5 + 0.05 * np.sin(2 * np.pi * t / 100)  # crosses often, swings little
    assert "oscillation" not in rules(history(0.6, narrow, d_loss=1.0, g_loss=1.0))
    one_drift = np.linspace(0.9, 0.1, G)  # swings widely, once
    assert "oscillation" not in rules(history(0.6, one_drift, d_loss=1.0, g_loss=1.0))


def test_equilibrium_needs_the_losses_at_their_values_too():
    assert "near_equilibrium" not in rules(history(0.5, 0.5, d_loss=2.0))  # D's loss 44 % above 2 log 2
    assert "near_equilibrium" in rules(history(0.5, 0.5, d_loss=1.05 * 2 * LOG2))
    assert set(RULES) == {"d_overpowers_g", "mode_collapse", "oscillation", "near_equilibrium", "local_nash"}


def test_a_starved_g_is_not_called_a_plain_collapse():
    """Few classes covered while D rejects every fake: G may never have learned; the finding says so."""
    h = history(0.99, 0.01, d_loss=0.02, g_loss=4.6, covered=np.full(21, 2))
    assert rules(h) == ["d_overpowers_g", "mode_collapse"]
    finding = diagnose(h)[1]
    assert finding.says.startswith("mode collapse: G's samples cover 2 of 10 classes, never more; but D rejects")
    assert finding.numbers["d_overpowers_g"] is True
    nothing = history(0.99, 0.01, d_loss=0.02, g_loss=4.6, covered=np.zeros(21, int))
    assert rules(nothing) == ["d_overpowers_g"]  # no class at all: G learned nothing, it did not collapse
    lost = history(0.52, 0.47, covered=np.r_[np.full(10, 10), np.zeros(11, int)])
    assert diagnose(lost)[0].says == "mode collapse: classes covered fell from 10 to 0 of 10 (game 500)"


def test_d_overpowering_g_says_what_g_s_gradient_measured():
    for loss, clause in (("minimax", "is flat where D(G(z)) is near 0"), ("non_saturating", "is steep there")):
        h = history(0.99, 0.01, d_loss=0.02, g_loss=4.6, loss=loss, grad_norm_g=np.full(G, 3e-4))
        finding = diagnose(h)[0]
        assert clause in finding.says and "(G's gradient norm there: median 0.0003)" in finding.says
        assert finding.numbers["median_grad_norm_g"] == pytest.approx(3e-4)


def test_the_local_nash_check_reads_the_players_blocks():
    """D maximises: its block must be <= 0; G minimises: its block must be >= 0 (to a tolerance
    relative to the spectrum's size)."""
    holds = history(0.5, 0.5, nash={"d_max": -0.2, "g_min": 1e-9, "scale": 3.0, "game": 400.0})
    (finding,) = [f for f in diagnose(holds) if f.rule == "local_nash"]
    assert finding.numbers["holds"] is True and "conditions hold" in finding.says and "game 400" in finding.says
    fails = history(0.5, 0.5, nash={"d_max": 0.05, "g_min": -0.3, "scale": 3.0, "game": 400.0})
    (finding,) = [f for f in diagnose(fails) if f.rule == "local_nash"]
    assert finding.numbers["holds"] is False and "D's block has a positive eigenvalue (0.05)" in finding.says
    assert "G's block has a negative eigenvalue (-0.3)" in finding.says
    assert "local_nash" not in rules(history(0.5, 0.5))  # no Hessian recorded: no claim


@pytest.mark.parametrize("d_max, g_min", [(2e-6, 1.0), (5e-7, -5e-7), (-1.0, -4e-6), (0.0, 0.0)])
def test_the_nash_finding_agrees_with_the_hessian_figure_near_the_tolerance(d_max, g_min):
    from gananim.renderer.figures import _verdict

    h = history(0.5, 0.5, nash={"d_max": d_max, "g_min": g_min, "scale": 3.0, "game": 10.0})
    (finding,) = [f for f in diagnose(h) if f.rule == "local_nash"]
    assert finding.numbers["holds"] == _verdict(d_max, g_min, 3.0).endswith("local Nash equilibrium: yes")
