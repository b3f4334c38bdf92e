import math

import numpy as np
import pytest
import torch

from gananim import engines
from gananim.scenario import parse_scenario
from gananim.trainer import train

from .conftest import tiny


def test_run_arrays_have_design_shapes(tiny_run):
    r = tiny_run
    G, S = 30, 7  # snapshots: before game 1, then every 5 games
    assert r.game.tolist() == list(range(1, G + 1))
    for key in ("objective", "d_loss", "g_loss", "grad_norm_d", "grad_norm_g"):
        assert r.arrays[key].shape == (G,) and np.isfinite(r.arrays[key]).all(), key
    assert r.snap_game.tolist() == [0, 5, 10, 15, 20, 25, 30]
    assert r.hessian_eigvals.shape == (G, 4)
    assert np.all(np.diff(r.hessian_eigvals, axis=1) >= 0)
    assert r.d_on_grid.shape == (S, 100) and r.x_grid.shape == (100,)
    assert r.z_fixed.shape == (10, 1) and r.g_of_z.shape == (S, 10, 1)
    assert r.fooled.shape == (S, 10) and r.fooled.dtype == bool
    assert r.real_samples.shape == (10, 1)
    assert ((r.d_on_grid > 0) & (r.d_on_grid < 1)).all()
    assert r.meta["scenario"]["training"]["games"] == G
    assert r.meta["reference"] == pytest.approx(-2 * math.log(2))


def test_recorded_fooled_matches_d_on_the_grid(tiny_run):
    r = tiny_run
    for i in range(len(r.snap_game)):
        d_at_fakes = np.interp(r.g_of_z[i][:, 0], r.x_grid, r.d_on_grid[i])
        sure = np.abs(d_at_fakes - 0.5) > 1e-3
        assert np.array_equal(r.fooled[i][sure], (d_at_fakes > 0.5)[sure])


def test_same_seed_same_numbers_other_seed_other_numbers():
    a = train(parse_scenario(tiny(training={"games": 10})))
    b = train(parse_scenario(tiny(training={"games": 10})))
    c = train(parse_scenario(tiny(seed=4, training={"games": 10})))
    for key in a.arrays:
        assert np.array_equal(a.arrays[key], b.arrays[key]), key
    assert not np.array_equal(a.objective, c.objective)


def test_training_leaves_torch_settings_alone():
    threads = torch.get_num_threads()
    torch.manual_seed(0)
    expected = torch.rand(1)
    torch.manual_seed(0)
    train(parse_scenario(tiny(training={"games": 3})))
    assert torch.rand(1) == expected and torch.get_num_threads() == threads


def test_instance_noise_changes_the_game_and_per_game_differs_from_per_step():
    base = train(parse_scenario(tiny(training={"games": 10}))).objective
    per_game = train(parse_scenario(tiny(training={"games": 10}, instance_noise={"std": 1.0, "draw": "per_game"}))).objective
    per_step = train(parse_scenario(tiny(training={"games": 10}, instance_noise={"std": 1.0, "draw": "per_step"}))).objective
    assert not np.allclose(base, per_game) and not np.allclose(per_game, per_step)


def test_fresh_data_and_mlp_players_and_optimizers_train():
    raw = tiny(data={"samples": None}, generator={"kind": "mlp", "hidden": [8]},
               discriminator={"kind": "mlp", "hidden": [8], "activation": "relu"},
               optimizer={"kind": "adam", "lr": 0.01, "discriminator": {"kind": "rmsprop", "lr": 0.01}},
               training={"games": 8, "batch_size": 16})
    r = train(parse_scenario(raw))
    assert r.real_samples.shape == (1000, 1)  # a fixed probe sample when there is no finite set
    assert r.hessian_eigvals.shape == (8, (8 + 8 + 8 + 1) * 2)
    assert np.isfinite(r.objective).all()


@pytest.mark.parametrize("update, g_noise, value", [("alternating", "fresh", "game_end"),
                                                    ("simultaneous", "fresh", "game_end"),
                                                    ("alternating", "reuse", "game_end"),
                                                    ("alternating", "fresh", "d_step")])
def test_one_game_is_the_sgd_update_by_hand(update, g_noise, value):
    """Replay one game of the tutorial's setting with hand-written gradients (numpy).

    alternating: D steps on batch z1, then G draws z2 and steps against the *updated* D
    (g_noise reuse: G steps on z1, against the updated D).
    simultaneous: one batch z; both gradients at the *same* (old) point; then both step.
    record.value d_step: V is D's step's own, at the old point on D's batch.
    """
    sc = parse_scenario(tiny(training={"games": 1, "d_steps": 1, "g_steps": 1, "update": update, "g_noise": g_noise},
                             record={"hessian": False, "value": value}))
    r = train(sc)
    rng = torch.Generator().manual_seed(sc.seed_list()[0])  # the trainer's draw order: data, G, D, then batches
    x = sc.data.sample(10, rng).double().numpy()[:, 0]
    G = sc.generator.build(1, 1, rng)
    D = sc.discriminator.build(1, 1, rng)
    gw, gb = G.weight.item(), G.bias.item()
    dw, db = D.weight.item(), D.bias.item()
    sig = lambda t: 1 / (1 + np.exp(-t))  # noqa: E731
    z = sc.noise.sample(10, rng).double().numpy()[:, 0]
    f = gw * z + gb
    # D minimises -mean log s(dw x + db) - mean log(1 - s(dw f + db))
    dr, df = sig(dw * x + db), sig(dw * f + db)
    grad_w = np.mean(-(1 - dr) * x) + np.mean(df * f)
    grad_b = np.mean(-(1 - dr)) + np.mean(df)
    assert r.grad_norm_d[0] == pytest.approx(math.hypot(grad_w, grad_b), rel=1e-4)
    if value == "d_step":
        assert r.objective[0] == pytest.approx(np.mean(np.log(dr)) + np.mean(np.log(1 - df)), rel=1e-5)
        assert (r.d_real[0], r.d_fake[0]) == pytest.approx((dr.mean(), df.mean()), rel=1e-5)
    new_dw, new_db = dw - 0.1 * grad_w, db - 0.1 * grad_b
    if update == "alternating":  # G sees the updated D, and a fresh batch unless it reuses D's
        if g_noise == "fresh":
            z = sc.noise.sample(10, rng).double().numpy()[:, 0]
        dw, db = new_dw, new_db
    # G minimises mean log(1 - s(dw (gw z + gb) + db))
    df = sig(dw * (gw * z + gb) + db)
    g_grad_w, g_grad_b = np.mean(-df * dw * z), np.mean(-df * dw)
    assert r.grad_norm_g[0] == pytest.approx(math.hypot(g_grad_w, g_grad_b), rel=1e-4)
    gw, gb = gw - 0.1 * g_grad_w, gb - 0.1 * g_grad_b
    dw, db = new_dw, new_db
    v = np.mean(np.log(sig(dw * x + db))) + np.mean(np.log(1 - sig(dw * (gw * z + gb) + db)))
    if value == "game_end":
        assert r.objective[0] == pytest.approx(v, rel=1e-5)
    else:
        assert r.objective[0] != pytest.approx(v, rel=1e-3)  # the test above can tell them apart


def test_reusing_ds_fake_batch_gives_the_same_gradients_through_autograd():
    """G's step on D's fake batch (g_noise: reuse): autograd goes on from the graph of D's
    step's G(z), the chained engine recomputes G(z); on an MLP game they agree."""
    sc = parse_scenario(tiny(generator={"kind": "mlp", "hidden": [8]}, discriminator={"kind": "mlp", "hidden": [8]},
                             training={"games": 20, "g_noise": "reuse"}, record={"hessian": False, "value": "d_step"}))
    chained, auto = train(sc, engine="chained"), train(sc, engine="autograd")
    for key in ("objective", "grad_norm_g", "grad_norm_d", "g_loss"):
        np.testing.assert_allclose(auto.arrays[key], chained.arrays[key], rtol=1e-4, atol=1e-6)
    assert not np.allclose(train(sc.model_copy(update={"training": sc.training.model_copy(
        update={"g_noise": "fresh"})})).grad_norm_g, chained.grad_norm_g)


def test_alternating_and_simultaneous_differ():
    runs = [train(parse_scenario(tiny(training={"games": 5, "d_steps": 1, "update": u}))) for u in ("alternating", "simultaneous")]
    assert not np.allclose(runs[0].grad_norm_g, runs[1].grad_norm_g)


def test_the_last_game_always_gets_a_hessian():
    r = train(parse_scenario(tiny(training={"games": 7}, record={"hessian_every": 3})))
    assert r.hessian_game.tolist() == [1, 3, 6, 7]


@pytest.mark.parametrize("loss", ["minimax", "non_saturating", "least_squares", "wasserstein", "hinge"])
@pytest.mark.parametrize("update", ["alternating", "simultaneous"])
def test_chained_gradients_equal_autograd(loss, update):
    """The linear players' hand-chained gradients give autograd's numbers, for every loss."""
    raw = tiny(loss=loss, instance_noise={"std": 0.5}, optimizer={"kind": "sgd", "lr": 0.01, "momentum": 0.5},
               training={"games": 25, "d_steps": 1 if update == "simultaneous" else 4, "update": update})
    if update == "simultaneous":  # in the plane, from 3D noise: every shape of the chain rule is exercised
        raw |= {"data": {"kind": "ring", "k": 4}, "noise": {"kind": "normal", "dim": 3},
                "regularizer": {"kind": "weight_clip", "clip": 0.5}}
        raw["record"] |= {"mapping_samples": 32}
    fast = train(parse_scenario(raw))
    slow = train(parse_scenario(raw), engine="autograd")
    for key, value in slow.arrays.items():
        np.testing.assert_allclose(fast.arrays[key], value, rtol=1e-5, atol=1e-6, err_msg=key)


def test_linear_games_step_without_autograd(monkeypatch):
    import gananim.engines.autograd as autograd

    def refuse(*args):
        raise AssertionError("autograd called")

    monkeypatch.setattr(autograd, "grads", refuse)
    sc = parse_scenario(tiny(record={"hessian": False}, training={"games": 5}))
    assert len(train(sc).objective) == 5  # closed form: no autograd step
    with pytest.raises(AssertionError, match="autograd called"):
        train(sc, engine="autograd")
    mlp = parse_scenario(tiny(record={"hessian": False}, training={"games": 5}, discriminator={"kind": "mlp"},
                              regularizer={"kind": "gradient_penalty", "weight": 1.0}, optimizer={"lr": 0.01}))
    with pytest.raises(AssertionError, match="autograd called"):
        train(mlp)  # a gradient penalty on a tanh critic: autograd
    relu = mlp.model_copy(update={"discriminator": mlp.discriminator.model_copy(update={"activation": "relu"})})
    assert len(train(relu).objective) == 5  # on a ReLU critic: chained by hand


MLP = {"kind": "mlp", "hidden": [6, 5]}


@pytest.mark.parametrize("activation, loss, regularizer", [
    ("relu", "non_saturating", "gradient_penalty"),
    ("leaky_relu", "wasserstein", "gradient_penalty"),
    ("relu", "minimax", "r1"),
    ("leaky_relu", "least_squares", "r2"),
    ("tanh", "hinge", "none"),
    ("elu", "non_saturating", "weight_clip"),
    ("sigmoid", "minimax", "none"),
])
def test_hand_chained_mlp_gradients_equal_autograd(activation, loss, regularizer):
    """MLP players' gradients chained by hand (models.Stack.trace/backprop, and the penalty's
    through the input gradient of a piecewise-linear critic) give autograd's numbers. SGD: Adam's
    first steps are the signs of the gradients, which float rounding can flip where one is ~0."""
    reg = {"kind": regularizer} | ({"clip": 0.5} if regularizer == "weight_clip" else {})
    raw = tiny(loss=loss, generator=MLP | {"activation": activation}, discriminator=MLP | {"activation": activation},
               regularizer=reg, optimizer={"kind": "sgd", "lr": 0.02, "momentum": 0.5}, instance_noise={"std": 0.3},
               training={"games": 12, "d_steps": 3}, record={"every": 4, "hessian": False})
    with pytest.MonkeyPatch.context() as patch:  # the default run must take the chained engine
        patch.setattr(engines.autograd, "grads", lambda *a: pytest.fail("the autograd engine ran"))
        fast = train(parse_scenario(raw))
    slow = train(parse_scenario(raw), engine="autograd")
    for key, value in slow.arrays.items():
        np.testing.assert_allclose(fast.arrays[key], value, rtol=1e-4, atol=1e-5, err_msg=key)
    assert not np.allclose(fast.objective[0], fast.objective[-1])  # it trained
