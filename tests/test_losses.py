import math

import pytest
import torch

from gananim import losses


def test_value_matches_its_formula():
    real, fake = torch.tensor([[2.0], [0.0]]), torch.tensor([[-1.0], [3.0]])
    d = lambda l: 1 / (1 + math.exp(-l))  # noqa: E731
    want = (math.log(d(2)) + math.log(d(0))) / 2 + (math.log(1 - d(-1)) + math.log(1 - d(3))) / 2
    assert losses.value(real, fake).item() == pytest.approx(want, rel=1e-6)
    assert losses.minimax_d(real, fake).item() == pytest.approx(-want, rel=1e-6)


def test_equilibrium_value_is_minus_two_log_two():
    half = torch.zeros(4, 1)  # D = 1/2 everywhere
    assert losses.value(half, half).item() == pytest.approx(-2 * math.log(2))
    for loss in losses.LOSSES.values():
        assert loss.reference == pytest.approx(-2 * math.log(2))


def test_generator_losses():
    fake = torch.tensor([[-2.0], [1.0]])
    d = torch.sigmoid(fake)
    assert losses.minimax_g(fake).item() == pytest.approx(torch.log(1 - d).mean().item(), rel=1e-6)
    assert losses.non_saturating_g(fake).item() == pytest.approx(-torch.log(d).mean().item(), rel=1e-6)


def test_confident_discriminator_stays_finite():
    fake = torch.tensor([[-200.0]], requires_grad=True)  # D(G(z)) = sigmoid(-200) underflows
    g = losses.minimax_g(fake)
    (grad,) = torch.autograd.grad(g, fake)
    assert torch.isfinite(g) and torch.isfinite(grad)
    assert abs(grad.item()) < 1e-80  # the vanishing gradient, exactly as the maths says
