import pytest
import torch

from gananim.models import MLP, PLAYERS, Linear


def test_linear_tutorial_init():
    rng = torch.Generator().manual_seed(0)
    ws = torch.cat([Linear(init="normal", init_std=0.1).build(1, 1, rng).weight.detach().reshape(-1)
                    for _ in range(4000)])
    assert abs(ws.std().item() - 0.1) < 0.005 and abs(ws.mean().item()) < 0.005
    m = Linear().build(1, 1, rng)
    assert m.bias.item() == 0.0
    assert sum(p.numel() for p in m.parameters()) == 2


def test_mlp_shapes_and_activation():
    m = MLP(hidden=[8, 4], activation="relu").build(3, 2, torch.Generator().manual_seed(0))
    assert m(torch.zeros(5, 3)).shape == (5, 2)
    assert sum(p.numel() for p in m.parameters()) == (3 * 8 + 8) + (8 * 4 + 4) + (4 * 2 + 2)
    assert isinstance(m[1], torch.nn.ReLU)


@pytest.mark.parametrize("name", sorted(PLAYERS))
@pytest.mark.parametrize("init", ["default", "normal"])
def test_build_is_reproducible_and_leaves_global_rng_alone(name, init):
    spec = PLAYERS[name](init=init)
    d_in, d_out = (4, 64) if name == "conv" else (2, 3)  # a convolutional player draws square images
    torch.manual_seed(123)
    before = torch.rand(1)
    torch.manual_seed(123)
    a = spec.build(d_in, d_out, torch.Generator().manual_seed(5))
    after = torch.rand(1)
    b = spec.build(d_in, d_out, torch.Generator().manual_seed(5))
    assert before == after  # building draws from its own generator only
    for p, q in zip(a.parameters(), b.parameters()):
        assert torch.equal(p, q)


def test_a_stack_maps_each_seed_through_its_own_parameters():
    from gananim.models import Stack

    rngs = [torch.Generator().manual_seed(s) for s in range(3)]
    players = [MLP(hidden=[8, 8], activation="elu").build(3, 2, g) for g in rngs]
    stack = Stack(players)
    x = torch.randn(3, 5, 3)
    batched = stack(x)
    for s, player in enumerate(players):
        torch.testing.assert_close(batched[s], player(x[s]), rtol=1e-6, atol=1e-6)
    stack.layers = None  # the generic path: torch.func.vmap over functional_call
    torch.testing.assert_close(stack(x), batched, rtol=1e-6, atol=1e-6)
    assert stack.loaded(2) is stack.template and torch.equal(stack.flat(2), torch.cat(
        [p.detach().reshape(-1) for p in players[2].parameters()]))
