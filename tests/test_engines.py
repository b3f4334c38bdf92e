"""The gradient engines (gananim/engines): one predicate picks the chained engine, the autograd
engine takes any player (bias-free layers, batch norm), and both give the same numbers."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from gananim import engines, losses
from gananim.engines import chained
from gananim.losses import LOSSES, REGULARIZERS
from gananim.models import MLP, PLAYERS, Stack
from gananim.scenario import parse_scenario
from gananim.trainer import train

from .conftest import tiny

RELU = {"kind": "mlp", "hidden": [5], "activation": "relu"}


def _regularizer(name: str):
    return REGULARIZERS[name](**({"clip": 0.5} if name == "weight_clip" else {}))


@pytest.mark.parametrize("player", sorted(set(PLAYERS) - {"conv"}))
def test_every_dense_player_chains(player):
    """Every shipped dense player is affine layers and activations of known slope and curvature."""
    module = PLAYERS[player]().build(2, 1, torch.Generator().manual_seed(0))
    assert chained.layers_of(module) is not None
    assert engines.supports(module, module)


def test_convolutional_players_take_the_autograd_engine():
    rng = torch.Generator().manual_seed(0)
    G, D = PLAYERS["conv"]().build(8, 64, rng), PLAYERS["conv"]().build(64, 1, rng)
    assert chained.layers_of(G) is None and chained.layers_of(D) is None
    assert not engines.supports(G, D)


@pytest.mark.parametrize("loss", sorted(LOSSES))
@pytest.mark.parametrize("regularizer", sorted(REGULARIZERS))
def test_the_predicate_over_every_loss_and_regularizer(loss, regularizer):
    """On ReLU players every shipped loss and regularizer chains but consensus (second
    derivatives in every step: autograd); on a tanh critic a penalty does not either (its input
    gradient moves with the weights between kinks), everything else does."""
    rng = torch.Generator().manual_seed(0)
    relu, tanh = MLP(hidden=[4], activation="relu").build(1, 1, rng), MLP(hidden=[4]).build(1, 1, rng)
    reg = _regularizer(regularizer)
    assert engines.supports(relu, relu, LOSSES[loss], reg) == (regularizer != "consensus")
    assert engines.supports(tanh, tanh, LOSSES[loss], reg) == (not reg.penalises and regularizer != "consensus")


@pytest.mark.parametrize("loss", sorted(LOSSES))
def test_engines_agree_for_every_loss(loss):
    """Both engines on the same game (a gradient penalty on a ReLU critic, instance noise,
    momentum): the same numbers to float rounding."""
    raw = tiny(loss=loss, generator=RELU, discriminator=RELU, regularizer={"kind": "gradient_penalty", "weight": 1.0},
               instance_noise={"std": 0.3}, optimizer={"kind": "sgd", "lr": 0.02, "momentum": 0.5},
               training={"games": 8, "d_steps": 2}, record={"every": 4, "hessian": False})
    slow = train(parse_scenario(raw), engine="autograd")
    with pytest.MonkeyPatch.context() as patch:  # the default run must not touch autograd's gradients
        patch.setattr(engines.autograd, "grads", lambda *a: pytest.fail("the autograd engine ran"))
        fast = train(parse_scenario(raw))
    for key in ("objective", "d_loss", "g_loss", "grad_norm_d", "grad_norm_g", "g_of_z"):
        np.testing.assert_allclose(fast.arrays[key], slow.arrays[key], rtol=1e-4, atol=1e-5, err_msg=key)
    assert not np.allclose(fast.objective[0], fast.objective[-1])  # it trained


def test_a_loss_or_penalty_without_derivatives_runs_on_autograd():
    """A new loss with no entry in the chained engine's D_GRADS / G_GRADS, or a new penalty
    with no slope, is not an error: the predicate sends the game to autograd."""
    rng = torch.Generator().manual_seed(0)
    relu = MLP(hidden=[4], activation="relu").build(1, 1, rng)
    shifted = losses.Loss(lambda r, f: losses.minimax_d(r, f) + 1.0, losses.minimax_g, losses.value, -1.0, "ref",
                          "probability")
    assert not engines.supports(relu, relu, shifted)

    class R1Twice(losses.R1):  # a subclass: its calculus is not known to be R1's
        def per_row(self, sq):
            return self.gamma * sq

    assert not engines.supports(relu, relu, LOSSES["minimax"], R1Twice())
    G, D = Stack([relu]), Stack([MLP(hidden=[4], activation="relu").build(1, 1, rng)])
    engine = engines.engine_for(G, D, LOSSES["minimax"], R1Twice(), [rng])
    assert engine.name == "autograd"
    loss, grads = engine.d_step(torch.randn(1, 6, 1), torch.randn(1, 6, 1))
    assert torch.isfinite(loss()).all() and len(grads) == len(D.params)
    with pytest.raises(ValueError, match="chained engine does not support"):
        engines.engine_for(G, D, LOSSES["minimax"], R1Twice(), [rng], "chained")
    with pytest.raises(ValueError, match="engine must be one of"):
        engines.engine_for(G, D, LOSSES["minimax"], R1Twice(), [rng], "jax")


def _bias_free_bn(d_in: int, d_out: int) -> nn.Module:
    return nn.Sequential(nn.Linear(d_in, 6, bias=False), nn.BatchNorm1d(6), nn.ReLU(), nn.Linear(6, d_out))


@pytest.fixture
def batch_norm_players(monkeypatch):
    """The mlp player built as a bias-free layer, batch norm, ReLU and an output layer."""
    monkeypatch.setattr(MLP, "_layers", lambda self, d_in, d_out: _bias_free_bn(d_in, d_out))


def test_bias_free_and_batch_norm_players_do_not_chain(batch_norm_players):
    module = MLP().build(1, 1, torch.Generator().manual_seed(0))
    assert isinstance(module[1], nn.BatchNorm1d) and module[0].bias is None
    assert chained.layers_of(module) is None
    assert chained.layers_of(nn.Linear(2, 1, bias=False)) is None  # took the fast path and crashed before
    assert not engines.supports(module, module)


def test_batch_norm_players_train_on_autograd_with_their_own_statistics_per_seed(batch_norm_players):
    """A sweep of batch-norm players: each seed keeps its own running statistics (stacked like the
    parameters, updated under vmap), and each seed's numbers are a separate run's; the Hessian of
    V is taken with batch statistics, without moving the players."""
    # SGD: Adam's first steps are the signs of the gradients, which float rounding flips where one is ~0
    raw = tiny(generator={"kind": "mlp"}, discriminator={"kind": "mlp"}, optimizer={"kind": "sgd", "lr": 0.05},
               training={"games": 6, "d_steps": 2}, record={"every": 3, "hessian": True})
    sweep = train(parse_scenario(raw | {"seed": None, "seeds": [3, 4]}))
    assert np.isfinite(sweep.objective).all() and np.isfinite(sweep.hessian_eigvals).all()
    assert sweep.hessian_eigvals.shape[:2] == sweep.hessian_game.shape == (2, 3)  # games 1, 3 and 6
    for k, seed in enumerate([3, 4]):
        alone = train(parse_scenario(raw | {"seed": seed}))
        for key in ("objective", "d_loss", "grad_norm_g", "hessian_eigvals"):
            np.testing.assert_allclose(sweep.member(k).arrays[key], alone.arrays[key], rtol=1e-4, atol=1e-5,
                                       err_msg=key)
    assert not np.allclose(sweep.objective[0], sweep.objective[1])  # two seeds, two games

    rngs = [torch.Generator().manual_seed(s) for s in (0, 1)]
    players = [_bias_free_bn(2, 1) for _ in rngs]
    D = Stack(players)
    before = D.buffers["1.running_mean"].clone()
    out = D(torch.randn(2, 8, 2))
    assert out.shape == (2, 8, 1)
    moved = D.buffers["1.running_mean"]
    assert not torch.equal(moved[0], before[0]) and not torch.equal(moved[0], moved[1])
    assert int(D.buffers["1.num_batches_tracked"][1]) == 1


def test_the_autograd_engine_keeps_real_and_fake_apart_for_batch_statistics():
    """With buffers, D sees the real and the fake batch in separate passes (batch norm must not
    mix them); D's loss is then the loss of those two passes."""
    torch.manual_seed(0)
    module = _bias_free_bn(1, 1)
    D, G = Stack([module]), Stack([nn.Linear(1, 1)])
    engine = engines.engine_for(G, D, LOSSES["minimax"], REGULARIZERS["none"](), [torch.Generator()])
    real, fake = torch.randn(1, 16, 1) + 4, torch.randn(1, 16, 1)
    loss, _ = engine.d_step(real, fake)
    twin = _bias_free_bn(1, 1)
    twin.load_state_dict(module.state_dict())
    want = LOSSES["minimax"].d(twin(real[0]), twin(fake[0]))
    assert float(loss()[0].detach()) == pytest.approx(float(want.detach()), rel=1e-6)


@pytest.mark.parametrize("loss", sorted(LOSSES))
def test_hand_derived_loss_derivatives_equal_autograd(loss):
    """Each loss's hand-derived derivatives with respect to D's outputs (chained.D_GRADS,
    G_GRADS) against autograd, on outputs on both sides of every kink (hinge's at +-1)."""
    spec = LOSSES[loss]
    real = torch.linspace(-3, 3, 13).reshape(1, 13, 1).double().requires_grad_(True)
    fake = torch.linspace(-2.5, 3.5, 13).reshape(1, 13, 1).double().requires_grad_(True)
    want_real, want_fake = torch.autograd.grad(spec.d(real, fake).sum(), (real, fake))
    got_real, got_fake = chained.D_GRADS[spec.d](real.detach(), fake.detach())
    torch.testing.assert_close(got_real, want_real)
    torch.testing.assert_close(got_fake, want_fake)
    (want_g,) = torch.autograd.grad(spec.g(fake).sum(), fake)
    torch.testing.assert_close(chained.G_GRADS[spec.g](fake.detach()), want_g)
    assert want_real.abs().sum() > 0 and want_g.abs().sum() > 0


@pytest.mark.parametrize("regularizer", sorted(chained.PENALTY_SLOPES, key=lambda c: c.__name__))
def test_penalty_slopes_equal_autograd(regularizer):
    reg = regularizer()
    sq = torch.linspace(0.01, 4.0, 9).double().requires_grad_(True)
    (want,) = torch.autograd.grad(reg.per_row(sq).sum(), sq)
    torch.testing.assert_close(chained.PENALTY_SLOPES[regularizer](reg, sq.detach()), want)


def test_every_penalising_regularizer_has_a_slope_or_runs_on_autograd():
    """A registered penalty without a slope would silently lose the fast path: say which."""
    penalising = {cls for cls in REGULARIZERS.values() if cls().penalises}
    assert penalising == set(chained.PENALTY_SLOPES)


def test_only_training_forwards_move_batch_statistics(batch_norm_players, monkeypatch):
    """Batch norm's running statistics move with the training forwards only: per D step G once
    (D's fakes) and D twice (real, fake); per G step G and D once. Recording V and the probes
    (which see the players in eval mode, with running statistics) move nothing."""
    import gananim.trainer as trainer

    kept = {}
    run = trainer._Record.run
    monkeypatch.setattr(trainer._Record, "run", lambda self: kept.update(G=self.G, D=self.D) or run(self))
    games, d_steps, g_steps = 2, 2, 1
    raw = tiny(generator={"kind": "mlp"}, discriminator={"kind": "mlp"}, optimizer={"kind": "sgd", "lr": 0.05},
               training={"games": games, "d_steps": d_steps, "g_steps": g_steps}, record={"every": 1, "hessian": True})
    train(parse_scenario(raw))
    assert int(kept["G"].buffers["1.num_batches_tracked"][0]) == games * (d_steps + g_steps)
    assert int(kept["D"].buffers["1.num_batches_tracked"][0]) == games * (2 * d_steps + g_steps)
    assert not kept["D"].template.training  # the probes' eval mode, left behind harmlessly


def test_dropout_players_train_reproducibly(monkeypatch):
    """A random layer draws from torch's global stream, seeded by train() (the caller's stream is
    left as it was): the same scenario gives the same numbers, sweeps included (vmap draws
    differently per seed); the Hessian of V is taken with dropout off."""
    monkeypatch.setattr(MLP, "_layers", lambda self, a, b: nn.Sequential(nn.Linear(a, 8), nn.Dropout(0.3), nn.ReLU(),
                                                                         nn.Linear(8, b)))
    raw = tiny(generator={"kind": "mlp"}, discriminator={"kind": "mlp"}, optimizer={"kind": "sgd", "lr": 0.05},
               training={"games": 4}, record={"every": 2, "hessian": True})
    state = torch.random.get_rng_state()
    a, b = train(parse_scenario(raw)), train(parse_scenario(raw))
    assert torch.equal(state, torch.random.get_rng_state())
    assert np.array_equal(a.objective, b.objective) and np.array_equal(a.hessian_eigvals, b.hessian_eigvals)
    sweep = train(parse_scenario(raw | {"seed": None, "seeds": [3, 4]}))
    assert np.isfinite(sweep.objective).all() and not np.allclose(sweep.objective[0], sweep.objective[1])
