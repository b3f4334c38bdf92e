import math

import numpy as np
import pytest
import torch

from gananim import losses
from gananim.losses import LOSSES, REGULARIZERS

REAL = torch.tensor([[2.0], [0.0], [-0.5]])
FAKE = torch.tensor([[-1.0], [3.0]])
sig = lambda t: 1 / (1 + math.exp(-t))  # noqa: E731
r, f = [2.0, 0.0, -0.5], [-1.0, 3.0]
mean = lambda xs: sum(xs) / len(xs)  # noqa: E731

# D's loss, G's loss and the value, written out from the papers' formulas on the inputs above
FORMULAS = {
    "minimax": (-mean([math.log(sig(a)) for a in r]) - mean([math.log(1 - sig(b)) for b in f]),
                mean([math.log(1 - sig(b)) for b in f]),
                mean([math.log(sig(a)) for a in r]) + mean([math.log(1 - sig(b)) for b in f])),
    "non_saturating": (-mean([math.log(sig(a)) for a in r]) - mean([math.log(1 - sig(b)) for b in f]),
                       -mean([math.log(sig(b)) for b in f]),
                       mean([math.log(sig(a)) for a in r]) + mean([math.log(1 - sig(b)) for b in f])),
    "least_squares": (0.5 * mean([(a - 1) ** 2 for a in r]) + 0.5 * mean([b**2 for b in f]),
                      0.5 * mean([(b - 1) ** 2 for b in f]),
                      -(0.5 * mean([(a - 1) ** 2 for a in r]) + 0.5 * mean([b**2 for b in f]))),
    "wasserstein": (mean(f) - mean(r), -mean(f), mean(r) - mean(f)),
    "hinge": (mean([max(0, 1 - a) for a in r]) + mean([max(0, 1 + b) for b in f]), -mean(f),
              -(mean([max(0, 1 - a) for a in r]) + mean([max(0, 1 + b) for b in f]))),
}


def test_every_loss_has_a_formula_here():
    assert set(FORMULAS) == set(LOSSES)


@pytest.mark.parametrize("name", sorted(LOSSES))
def test_loss_values_match_their_formulas(name):
    loss, (d, g, v) = LOSSES[name], FORMULAS[name]
    assert loss.d(REAL, FAKE).item() == pytest.approx(d, rel=1e-6)
    assert loss.g(FAKE).item() == pytest.approx(g, rel=1e-6)
    assert loss.value(REAL, FAKE).item() == pytest.approx(v, rel=1e-6)
    assert loss.d.__doc__ and loss.g.__doc__


@pytest.mark.parametrize("name", sorted(LOSSES))
def test_reference_is_the_value_at_the_equilibrium(name):
    loss = LOSSES[name]
    # the equilibrium D: 1/2 everywhere (logit 0, least-squares score 1/2) or a zero critic
    out = {"probability": 0.0, "score": 0.5, "critic": 0.0}[loss.output]
    same = torch.full((5, 1), out)
    assert loss.value(same, same).item() == pytest.approx(loss.reference, abs=1e-7)
    if name in ("minimax", "non_saturating"):
        assert loss.reference == pytest.approx(-2 * math.log(2))


def test_confident_discriminator_non_saturating_gradient_is_much_larger():
    fake = torch.full((4, 1), -8.0, requires_grad=True)  # D(G(z)) = sigmoid(-8) = 0.0003
    (sat,) = torch.autograd.grad(LOSSES["minimax"].g(fake), fake)
    (ns,) = torch.autograd.grad(LOSSES["non_saturating"].g(fake), fake)
    assert abs(ns.sum().item()) > 1000 * abs(sat.sum().item())
    assert abs(ns.sum().item()) == pytest.approx(1 - sig(-8), rel=1e-5)  # d/dl -log s(l) = -(1 - s)
    assert abs(sat.sum().item()) == pytest.approx(sig(-8), rel=1e-4)  # d/dl log(1 - s(l)) = -s


def test_confident_discriminator_stays_finite():
    fake = torch.tensor([[-200.0]], requires_grad=True)
    g = losses.minimax_g(fake)
    (grad,) = torch.autograd.grad(g, fake)
    assert torch.isfinite(g) and torch.isfinite(grad) and abs(grad.item()) < 1e-80


class Linear1D(torch.nn.Module):
    def __init__(self, slope):
        super().__init__()
        self.slope = slope

    def forward(self, x):
        return self.slope * x.sum(dim=1, keepdim=True) / math.sqrt(x.shape[1])


def test_gradient_penalty_is_zero_for_a_1_lipschitz_critic_and_positive_for_a_steeper_one():
    gp = REGULARIZERS["gradient_penalty"](weight=10.0)
    rng = torch.Generator().manual_seed(0)
    real, fake = torch.randn(64, 2, generator=rng) + 3, torch.randn(64, 2, generator=rng)
    assert gp.penalty(Linear1D(1.0), real, fake, [rng]).item() == pytest.approx(0.0, abs=1e-6)
    steep = gp.penalty(Linear1D(3.0), real, fake, [rng]).item()
    assert steep == pytest.approx(10.0 * (3.0 - 1.0) ** 2, rel=1e-5)


class Quadratic(torch.nn.Module):
    """f(x) = |x|^2 / 2: grad f(x) = x, so a penalty tells where it was evaluated."""

    def forward(self, x):
        return 0.5 * (x**2).sum(dim=1, keepdim=True)


def test_penalties_are_evaluated_where_their_definitions_say():
    real = torch.tensor([[3.0, 4.0], [0.0, 1.0]])  # |grad|^2 = 25, 1
    fake = torch.tensor([[1.0, 0.0], [0.0, 2.0]])  # |grad|^2 = 1, 4
    D = Quadratic()
    assert REGULARIZERS["r1"](gamma=2.0).penalty(D, real, fake, None).item() == pytest.approx(0.5 * 2.0 * 13.0)
    assert REGULARIZERS["r2"](gamma=2.0).penalty(D, real, fake, None).item() == pytest.approx(0.5 * 2.0 * 2.5)
    rng = torch.Generator().manual_seed(1)
    a = torch.rand(2, 1, generator=torch.Generator().manual_seed(1))  # the same draw the penalty makes
    x_hat = a * real + (1 - a) * fake
    want = 10.0 * ((x_hat.norm(dim=1) - 1) ** 2).mean().item()  # on the interpolates, not on real or fake
    assert REGULARIZERS["gradient_penalty"](weight=10.0).penalty(D, real, fake, [rng]).item() == pytest.approx(want, rel=1e-5)


def test_r1_and_r2_are_gamma_half_mean_squared_gradient():
    D = Linear1D(2.0)  # |grad| = 2 everywhere
    x = torch.randn(8, 2)
    assert REGULARIZERS["r1"](gamma=3.0).penalty(D, x, x * 0, None).item() == pytest.approx(0.5 * 3.0 * 4.0)
    assert REGULARIZERS["r2"](gamma=3.0).penalty(D, x * 0, x, None).item() == pytest.approx(0.5 * 3.0 * 4.0)
    assert REGULARIZERS["none"]().penalty(D, x, x, None).item() == 0.0


def test_weight_clipping_bounds_every_weight_after_each_step():
    from gananim.scenario import parse_scenario
    from gananim.trainer import train

    from .conftest import tiny

    raw = tiny(loss="wasserstein", regularizer={"kind": "weight_clip", "clip": 0.05},
               discriminator={"kind": "mlp", "hidden": [16]}, optimizer={"kind": "rmsprop", "lr": 0.05},
               training={"games": 5, "d_steps": 3}, record={"hessian": False})
    sc = parse_scenario(raw)
    seen = []
    clip = sc.regularizer
    original = type(clip).after_step

    def spy(self, D):
        original(self, D)
        seen.append(max(p.abs().max().item() for p in D.parameters()))

    type(clip).after_step = spy
    try:
        train(sc)
    finally:
        type(clip).after_step = original
    assert len(seen) == 15  # every D step
    assert max(seen) <= 0.05 + 1e-9
    assert min(seen) == pytest.approx(0.05)  # rmsprop at lr 0.05 pushes weights to the bound


def test_instance_noise_anneals_linearly():
    from gananim.scenario import InstanceNoise

    noise = InstanceNoise(std=2.0, anneal="linear")
    assert [noise.std_at(g, 5) for g in range(5)] == [2.0, 1.5, 1.0, 0.5, 0.0]  # the last game has none
    assert InstanceNoise(std=2.0).std_at(3, 4) == 2.0


def test_every_regularizer_builds_with_defaults():
    for name, spec in REGULARIZERS.items():
        assert spec().kind == name
    assert np.isfinite(REGULARIZERS["gradient_penalty"]().weight)
