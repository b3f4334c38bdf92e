"""The flat optimisers do torch.optim's arithmetic, element for element."""
import pytest
import torch

from gananim.optim import OPTIMIZERS
from gananim.scenario import OptimizerSettings

TORCH = {"sgd": lambda ps, o: torch.optim.SGD(ps, lr=o.lr, momentum=o.momentum),
         "adam": lambda ps, o: torch.optim.Adam(ps, lr=o.lr, betas=o.betas),
         "rmsprop": lambda ps, o: torch.optim.RMSprop(ps, lr=o.lr, momentum=o.momentum)}


@pytest.mark.parametrize("settings", [
    OptimizerSettings(kind="sgd", lr=0.1),
    OptimizerSettings(kind="sgd", lr=0.05, momentum=0.9),
    OptimizerSettings(kind="adam", lr=1e-3, betas=(0.5, 0.999)),
    OptimizerSettings(kind="adam", lr=1e-2, betas=(0.0, 0.9)),
    OptimizerSettings(kind="rmsprop", lr=5e-4),
    OptimizerSettings(kind="rmsprop", lr=1e-3, momentum=0.5),
], ids=lambda s: f"{s.kind}-{s.momentum}-{s.betas[0]}")
def test_flat_optimiser_equals_torch_optim(settings):
    rng = torch.Generator().manual_seed(3)
    # a seed axis of 3, like models.Stack; sizes that are and are not multiples of a vector width
    shapes = [(3, 64, 2), (3, 64), (3, 1, 64), (3, 1), (3, 5, 2), (3, 5), (3, 1, 5), (3, 7)]
    params = [torch.randn(s, generator=rng) for s in shapes]
    flat = torch.cat([p.reshape(-1) for p in params])
    leaves = [p.clone().requires_grad_(True) for p in params]
    reference = TORCH[settings.kind](leaves, settings)
    step = OPTIMIZERS[settings.kind](flat, settings)
    for _ in range(25):
        grads = [torch.randn(s, generator=rng) for s in shapes]
        for leaf, g in zip(leaves, grads):
            leaf.grad = g
        reference.step()
        step(torch.cat([g.reshape(-1) for g in grads]))
    expected = torch.cat([leaf.detach().reshape(-1) for leaf in leaves])
    assert not torch.equal(expected, torch.cat([p.reshape(-1) for p in params]))  # it moved
    assert torch.equal(flat, expected)
