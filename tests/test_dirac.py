"""The Dirac-GAN as a game kind (data, generator and discriminator kind `dirac`), consensus
optimization, and the game Jacobian's spectra recorded into the Run (record.jacobian)."""
import numpy as np
import pytest
import torch

from gananim import hessian, jacobian
from gananim.scenario import ScenarioError, parse_scenario
from gananim.trainer import train

from .conftest import tiny


def dirac(**changes) -> dict:
    raw = {"data": {"kind": "dirac"}, "generator": {"kind": "dirac", "start": 1.0},
           "discriminator": {"kind": "dirac", "start": 1.0}, "loss": "minimax",
           "optimizer": {"kind": "sgd", "lr": 0.2},
           "training": {"games": 40, "d_steps": 1, "g_steps": 1, "batch_size": 1, "update": "simultaneous"},
           "record": {"every": 10, "jacobian": True}, "render": {"outputs": ["summary"]}}
    for key, value in changes.items():
        merge = isinstance(value, dict) and key in ("optimizer", "training", "record", "render")
        raw[key] = raw[key] | value if merge else value  # a player or regularizer: replaced whole
    return raw


def run_of(**changes):
    return train(parse_scenario(dirac(**changes), "dirac.yaml", "dirac"))


# --- the game kind --------------------------------------------------------------------------


def test_the_dirac_players_are_a_point_mass_and_a_slope():
    sc = parse_scenario(dirac(generator={"kind": "dirac", "start": 0.7}, discriminator={"kind": "dirac", "start": -0.3}))
    assert sc.parameter_count() == 2
    G = sc.generator.build(sc.noise.dim, 1, torch.Generator())
    D = sc.discriminator.build(1, 1, torch.Generator())
    z = torch.rand(5, 1)
    assert torch.equal(G(z), torch.full((5, 1), 0.7))  # every sample at theta, whatever z
    x = torch.tensor([[2.0], [-1.0]])
    assert torch.allclose(D(x), -0.3 * x)  # psi x, no bias
    assert torch.equal(sc.data.sample(3, torch.Generator()), torch.zeros(3, 1))


@pytest.mark.parametrize("change, message", [
    ({"generator": {"kind": "linear"}}, "generator.kind: must be 'dirac'"),
    ({"discriminator": {"kind": "linear"}}, "discriminator.kind: must be 'dirac' (or 'linear' with bias: false)"),
    ({"discriminator": {"kind": "mlp"}}, "discriminator.kind: must be 'dirac'"),
    ({"regularizer": {"kind": "consensus", "gamma": -1}}, "regularizer.gamma"),
])
def test_a_dirac_game_names_what_does_not_fit(change, message):
    with pytest.raises(ScenarioError) as info:
        parse_scenario(dirac(**change), "d.yaml")
    assert str(info.value).startswith("d.yaml: ") and message in str(info.value)


def test_a_bias_free_linear_discriminator_is_the_dirac_one():
    """discriminator {kind: linear, bias: false} is D(x) = psi x too (its start drawn, not set);
    `bias` is written into the scenario only when false (older cache keys stay)."""
    sc = parse_scenario(dirac(discriminator={"kind": "linear", "bias": False}, training={"games": 3}))
    assert sc.parameter_count() == 2
    run = train(sc)
    assert run.psi.shape == (4,) and run.psi[0] != run.psi[-1] and abs(run.psi[0]) < 1  # init N(0, 0.1^2)
    np.testing.assert_allclose(run.eq_eigvals, [-0.5j, 0.5j], atol=1e-6)
    assert "bias" in sc.recorded()["discriminator"]
    assert "bias" not in parse_scenario(tiny()).recorded()["discriminator"]


CASES = [(loss, reg) for loss in ("minimax", "non_saturating", "wasserstein", "least_squares", "hinge")
         for reg in ({"kind": "none"}, {"kind": "r1", "gamma": 0.5}, {"kind": "r2", "gamma": 0.3},
                     {"kind": "gradient_penalty", "weight": 1.0}, {"kind": "consensus", "gamma": 0.7})]


@pytest.mark.parametrize("loss, reg", CASES, ids=[f"{loss}-{reg['kind']}" for loss, reg in CASES])
def test_one_simultaneous_step_is_h_times_the_field(loss, reg):
    """The trainer's step (the engine's gradients, consensus's double backward included) equals
    h v(psi, theta), with v the field torch.func builds independently (jacobian.GameField)."""
    raw = dirac(loss=loss, regularizer=reg, generator={"kind": "dirac", "start": 0.7},
                discriminator={"kind": "dirac", "start": -0.4}, training={"games": 1}, record={"every": 1})
    sc = parse_scenario(raw)
    run = train(sc)
    D = sc.discriminator.build(1, 1, torch.Generator()).double()
    G = sc.generator.build(1, 1, torch.Generator()).double()
    v = jacobian.scenario_field(sc, D, G)
    zero = torch.zeros(1, 1, dtype=torch.float64)
    step = 0.2 * v(torch.tensor([-0.4, 0.7], dtype=torch.float64), zero, zero, zero, zero).numpy()
    np.testing.assert_allclose([run.psi[1] - run.psi[0], run.theta[1] - run.theta[0]], step, atol=2e-7)
    assert np.abs(step).max() > 1e-3  # it moved


# --- the closed forms at the equilibrium ------------------------------------------------------

EQUILIBRIA = [
    ("minimax", {"kind": "none"}, {}),
    ("non_saturating", {"kind": "none"}, {}),
    ("wasserstein", {"kind": "none"}, {}),
    ("hinge", {"kind": "none"}, {}),
    ("minimax", {"kind": "r1", "gamma": 0.5}, {}),
    ("minimax", {"kind": "r1", "gamma": 3.0}, {}),  # gamma > 2 f'(0): two real eigenvalues
    ("wasserstein", {"kind": "r2", "gamma": 0.8}, {}),
    ("minimax", {"kind": "consensus", "gamma": 1.0}, {}),
    ("wasserstein", {"kind": "consensus", "gamma": 0.3}, {}),
    ("minimax", {"kind": "none"}, {"std": 1.0}),
    ("non_saturating", {"kind": "none"}, {"std": 0.5}),
]


@pytest.mark.parametrize("loss, reg, noise", EQUILIBRIA, ids=[f"{a}-{b['kind']}-{c.get('std', 0)}"
                                                             for a, b, c in EQUILIBRIA])
@pytest.mark.parametrize("update", ["simultaneous", "alternating"])
def test_measured_equilibrium_spectra_equal_the_closed_forms(loss, reg, noise, update):
    run = run_of(loss=loss, regularizer=reg, instance_noise=noise or {"std": 0.0}, training={"games": 2, "update": update},
                 record={"every": 1})
    meta = run.meta["dirac"]
    closed = np.array([complex(*z) for z in meta["closed_form"]])
    np.testing.assert_allclose(run.eq_eigvals, jacobian.sort_complex(closed), atol=1e-6)
    update_closed = np.array([complex(*z) for z in meta["update_closed_form"]])
    np.testing.assert_allclose(run.eq_update_eigvals, jacobian.sort_complex(update_closed), atol=1e-6)
    assert meta["update_radius_measured"] == pytest.approx(meta["update_radius_closed"], abs=1e-6)
    a = jacobian.DIRAC_F[loss][0]
    if reg["kind"] == "none" and not noise:  # the forms, written out
        np.testing.assert_allclose(run.eq_eigvals, [-a * 1j, a * 1j], atol=1e-6)
        radius = np.sqrt(1 + 0.2**2 * a**2) if update == "simultaneous" else 1.0
        assert meta["update_radius_measured"] == pytest.approx(radius, abs=1e-6)
    if reg["kind"] in ("r1", "r2"):
        g = reg["gamma"]
        root = np.sqrt(complex(g * g - 4 * a * a))
        np.testing.assert_allclose(run.eq_eigvals, jacobian.sort_complex(np.array([(-g - root) / 2, (-g + root) / 2])),
                                   atol=1e-6)


def test_no_closed_form_is_claimed_where_there_is_none():
    ls = run_of(loss="least_squares", training={"games": 2})
    assert ls.meta["dirac"]["closed_form"] is None and "least_squares" in ls.meta["dirac"]["note"]
    assert np.isfinite(ls.eq_eigvals).all()  # measured all the same
    gp = run_of(loss="wasserstein", regularizer={"kind": "gradient_penalty", "weight": 1.0}, training={"games": 2})
    assert gp.meta["dirac"]["closed_form"] is None and np.isnan(gp.eq_eigvals).all()
    assert gp.meta["dirac"]["update_radius_measured"] is None
    adam = run_of(optimizer={"kind": "adam", "lr": 0.01}, training={"games": 2})
    assert adam.meta["dirac"]["update_closed_form"] is None and np.isnan(adam.eq_update_eigvals).all()
    assert adam.meta["dirac"]["closed_form"] is not None  # the flow's spectrum does not depend on the optimiser


# --- trajectories ------------------------------------------------------------------------------


def radius(run) -> np.ndarray:
    return np.hypot(run.theta, run.psi)


def test_trajectories_spiral_out_circle_and_converge():
    """Near the equilibrium (start (0.1, 0.1), where the linearisation holds): simultaneous GD's
    distance grows by the closed-form radius per step, alternating GD's stays, R1's shrinks."""
    start = {"kind": "dirac", "start": 0.1}
    sim = run_of(generator=start, discriminator=start, training={"games": 200})
    alt = run_of(generator=start, discriminator=start, training={"games": 200, "update": "alternating"})
    r1 = run_of(generator=start, discriminator=start, regularizer={"kind": "r1", "gamma": 0.5},
                training={"games": 200})
    growth = (radius(sim)[-1] / radius(sim)[0]) ** (1 / 200)
    assert growth == pytest.approx(sim.meta["dirac"]["update_radius_closed"], abs=5e-4)
    assert 0.9 < radius(alt)[100:].min() / radius(alt)[0] and radius(alt)[100:].max() / radius(alt)[0] < 1.1
    assert radius(r1)[-1] < 1e-3 * radius(r1)[0]


# --- recorded Jacobian spectra ----------------------------------------------------------------


def test_recorded_spectra_are_the_jacobian_at_the_recorded_parameters():
    run = run_of(training={"games": 30}, record={"every": 10})
    sc = parse_scenario(dirac())
    assert list(run.jacobian_game) == [1, 10, 20, 30]
    D = sc.discriminator.build(1, 1, torch.Generator()).double()
    G = sc.generator.build(1, 1, torch.Generator()).double()
    v = jacobian.scenario_field(sc, D, G)
    zero = torch.zeros(1, 1)
    for game, eig in zip(run.jacobian_game, run.jacobian_eigvals):
        at = torch.tensor([run.psi[game], run.theta[game]])
        np.testing.assert_allclose(eig, jacobian.eigenvalues_exact(v, at, zero, zero, zero, zero), atol=1e-6)
    np.testing.assert_allclose(run.jacobian_update_eigvals, 1 + 0.2 * run.jacobian_eigvals)
    np.testing.assert_allclose(run.jacobian_max_real, run.jacobian_eigvals.real.max(axis=1))
    assert run.meta["jacobian_method"] == "exact" and run.meta["jacobian_update"] == {"mode": "simultaneous", "h": 0.2}


def ring(**changes) -> dict:
    """A small game on a ring of 4 Gaussians in the plane (the tiny game's data replaced whole)."""
    return tiny(**changes) | {"data": {"kind": "ring", "k": 4, "radius": 1.0, "std": 0.1},
                              "noise": {"kind": "normal", "dim": 2}}


def test_arnoldi_spectra_are_the_dense_extremes(monkeypatch):
    """A 2D MLP game (P = 219) recorded twice: densely, and by Arnoldi (the exact path's limit
    lowered): Arnoldi's k largest |lambda|, k largest Re lambda and k largest Im lambda are the
    dense spectrum's."""
    raw = ring(generator={"kind": "mlp", "hidden": [8, 8]}, discriminator={"kind": "mlp", "hidden": [8, 8]},
               optimizer={"kind": "adam", "lr": 0.01}, training={"games": 6, "d_steps": 1, "batch_size": 32},
               record={"every": 3, "hessian": False, "jacobian": True, "jacobian_k": 4})
    dense = train(parse_scenario(raw))
    monkeypatch.setattr(hessian, "MAX_EXACT_PARAMS", 10)
    sparse = train(parse_scenario(raw))
    assert dense.meta["jacobian_method"] == "exact" and sparse.meta["jacobian_method"] == "arnoldi"
    assert sparse.jacobian_eigvals.shape == (3, 12) and sparse.meta["jacobian_k"] == 4
    assert "jacobian_update_eigvals" not in sparse  # Adam: no unit-circle picture
    for full, found in zip(dense.jacobian_eigvals, sparse.jacobian_eigvals):
        scale = np.abs(full).max()
        np.testing.assert_allclose(np.sort(np.abs(found[:4]))[::-1], np.sort(np.abs(full))[::-1][:4], atol=1e-8 * scale)
        np.testing.assert_allclose(np.sort(found[4:8].real)[::-1], np.sort(full.real)[::-1][:4], atol=1e-8 * scale)
        # conjugate pairs: ARPACK's largest imaginary parts of a real matrix are the largest |Im|, both signs
        np.testing.assert_allclose(np.sort(np.abs(found[8:].imag))[::-1], np.sort(np.abs(full.imag))[::-1][:4],
                                   atol=1e-8 * scale)
    np.testing.assert_allclose(sparse.jacobian_max_real, dense.jacobian_max_real, atol=1e-8)
    np.testing.assert_allclose(sparse.jacobian_max_imag, dense.jacobian_max_imag, atol=1e-8)


def test_consensus_trains_a_two_dimensional_game_and_is_recorded():
    raw = ring(generator={"kind": "mlp", "hidden": [8]}, discriminator={"kind": "mlp", "hidden": [8]},
               regularizer={"kind": "consensus", "gamma": 0.5}, optimizer={"kind": "sgd", "lr": 0.05},
               training={"games": 20, "d_steps": 1, "batch_size": 32, "update": "simultaneous"},
               record={"every": 10, "hessian": False, "jacobian": True})
    run = train(parse_scenario(raw))
    assert np.isfinite(run.objective).all() and run.objective[0] != run.objective[-1]
    assert "jacobian_update_eigvals" in run and run.meta["jacobian_update"]["mode"] == "simultaneous"


# --- the headline numbers and the shipped scenarios --------------------------------------------


@pytest.mark.parametrize("distance, starts", [
    (np.geomspace(1.0, 3.0, 101), "moves away: its distance to (0, 0) ends at 3.00"),
    (1 + 0.05 * np.sin(np.arange(101)), "circles: over the last half of the games its distance to (0, 0) stays within 0.95-1.05"),
    (np.geomspace(1.0, 1e-4, 101), "converges: its distance to (0, 0) ends at 0.0001"),
    (np.geomspace(1.0, 0.3, 101), "spirals in, not yet converged: its distance to (0, 0) ends at 0.3"),
    (np.r_[1.0, np.geomspace(0.5, 1.2, 100)], "spirals out, not yet far: its distance to (0, 0) ends at 1.20"),
    (np.r_[1.0, np.full(100, 0.05)], "settles near (0, 0): over the last half of the games its distance stays within 0.05-0.05"),
])
def test_the_verdict_rule(distance, starts):
    from gananim.metrics import dirac_verdict

    assert dirac_verdict(distance).startswith(starts)


SHIPPED = {"dirac_simgd": "moves away", "dirac_altgd": "circles", "dirac_r1": "converges",
           "dirac_consensus": "converges", "dirac_instance_noise": "settles near", "dirac_wgan": "circles"}


@pytest.mark.parametrize("name", sorted(SHIPPED))
def test_shipped_dirac_scenarios_do_what_their_descriptions_say(name):
    """The full shipped games (each trains in about a second): simultaneous GD's distance to the
    equilibrium grows, alternating GD's and WGAN's stay, R1's and consensus's shrink to ~0,
    instance noise's stays near 0; the measured spectra equal the closed forms to 1e-6."""
    from gananim.builtin import resolve
    from gananim.metrics import headline
    from gananim.scenario import load_scenario

    sc = load_scenario(resolve(name))
    run = train(sc)
    head = headline(run)["dirac"]
    assert head["verdict"].startswith(SHIPPED[name]), head["verdict"]
    np.testing.assert_allclose(head["equilibrium_eigenvalues"], head["equilibrium_eigenvalues_closed_form"], atol=1e-6)
    assert head["update_spectral_radius"] == pytest.approx(head["update_spectral_radius_closed_form"], abs=1e-6)
    ratio = head["final_distance"] / head["start_distance"]
    if name == "dirac_simgd":
        assert head["update_spectral_radius"] > 1 and ratio > 1.5
    elif name in ("dirac_altgd", "dirac_wgan"):
        assert head["update_spectral_radius"] == pytest.approx(1.0, abs=1e-9) and 0.9 < ratio < 1.1
    elif name in ("dirac_r1", "dirac_consensus"):
        assert head["update_spectral_radius"] < 1 and ratio < 1e-3
    else:
        assert head["update_spectral_radius"] < 1 and ratio < 0.1


def test_a_combined_closed_form_names_every_term():
    run = run_of(regularizer={"kind": "r1", "gamma": 0.5}, instance_noise={"std": 0.5}, training={"games": 2})
    meta = run.meta["dirac"]
    assert meta["closed_form_formula"].startswith("(t ± √(t² − 4d)) / 2") and "γ = 0.5" in meta["closed_form_formula"]
    closed = np.array([complex(*z) for z in meta["closed_form"]])
    np.testing.assert_allclose(run.eq_eigvals, jacobian.sort_complex(closed), atol=1e-6)
