"""Generator and discriminator builders: the PLAYERS registry.

A player spec (pydantic) builds an ``nn.Module``. Discriminators return *logits* (one per
row); losses apply the sigmoid in log space so a confident D never produces log(0).
Nothing here draws pictures.
"""
from __future__ import annotations

from typing import Annotated, Literal

import torch
from pydantic import BaseModel, ConfigDict, Field, Strict, model_serializer
from torch import nn

from .data import Real
from .engines.chained import affine_forward, layers_of

ACTIVATIONS: dict[str, type[nn.Module]] = {
    "tanh": nn.Tanh,
    "relu": nn.ReLU,
    "leaky_relu": nn.LeakyReLU,
    "elu": nn.ELU,
    "sigmoid": nn.Sigmoid,
}


class _Player(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    init: Literal["default", "normal"] = "default"
    init_std: Real = Field(0.02, gt=0.0)

    def _layers(self, d_in: int, d_out: int) -> nn.Module:
        raise NotImplementedError

    def widths(self, d_in: int, d_out: int) -> list[int]:
        """Layer widths from input to output (affine layers between consecutive ones)."""
        raise NotImplementedError

    def parameter_count(self, d_in: int, d_out: int) -> int:
        w = self.widths(d_in, d_out)
        return sum((a + 1) * b for a, b in zip(w, w[1:]))

    def build(self, d_in: int, d_out: int, rng: torch.Generator) -> nn.Module:
        """Build the module; every draw (PyTorch's default init included) comes from `rng`."""
        seed = int(torch.randint(0, 2**31 - 1, (1,), generator=rng))
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            module = self._layers(d_in, d_out)
        if self.init == "normal":  # weights N(0, init_std^2), biases 0
            with torch.no_grad():
                for layer in module.modules():
                    if isinstance(layer, nn.Linear):
                        layer.weight.copy_(torch.randn(layer.weight.shape, generator=rng) * self.init_std)
                        layer.bias.zero_()
        return module


class Linear(_Player):
    """One affine map: G(z) = W z + b, or D(x) = sigmoid(w . x + b) (logistic regression)."""

    kind: Literal["linear"] = "linear"
    init: Literal["default", "normal"] = "normal"
    init_std: Real = Field(0.1, gt=0.0)

    def widths(self, d_in: int, d_out: int) -> list[int]:
        return [d_in, d_out]

    def _layers(self, d_in: int, d_out: int) -> nn.Module:
        return nn.Linear(d_in, d_out)


class MLP(_Player):
    """Fully connected network: hidden layers with one activation, then a linear output."""

    kind: Literal["mlp"] = "mlp"
    hidden: list[Annotated[int, Strict(), Field(ge=1, le=65_536)]] = Field(
        default_factory=lambda: [32, 32], min_length=1, max_length=16)
    activation: Literal[tuple(ACTIVATIONS)] = "tanh"  # type: ignore[valid-type]
    # tanh: the output squashed into (-1, 1), the range of image pixels (a generator of images)
    output: Literal["linear", "tanh"] = "linear"

    @model_serializer(mode="wrap")
    def _output_when_set(self, handler) -> dict:
        """`output` is written only when it is not the default: the resolved scenarios (and so
        the cache keys) of players from before it stay as they were."""
        dumped = handler(self)
        return dumped if self.output != "linear" else {k: v for k, v in dumped.items() if k != "output"}

    def widths(self, d_in: int, d_out: int) -> list[int]:
        return [d_in, *self.hidden, d_out]

    def _layers(self, d_in: int, d_out: int) -> nn.Module:
        layers: list[nn.Module] = []
        width = d_in
        for h in self.hidden:
            layers += [nn.Linear(width, h), ACTIVATIONS[self.activation]()]
            width = h
        layers.append(nn.Linear(width, d_out))
        if self.output == "tanh":
            layers.append(nn.Tanh())
        return nn.Sequential(*layers)


PLAYERS: dict[str, type[_Player]] = {"linear": Linear, "mlp": MLP}

class Stack:
    """One player per seed, trained side by side: each parameter and buffer of the players is
    stacked on a leading seed axis (weights (S, out, in), biases (S, out), batch norm's running
    statistics (S, features)) and one call maps x (S, B, d_in) to (S, B, d_out), each seed's rows
    through its own parameters only.

    A player that chains (engines.chained.layers_of: affine layers and elementwise activations,
    every player in PLAYERS) runs as batched matrix products (torch.baddbmm): one call for all
    seeds. Any other module runs through torch.func.functional_call with its parameters and
    buffers, under torch.func.vmap when there is more than one seed (random layers such as
    dropout draw differently for each seed).

    Modes: a call is a training forward (batch norm normalises by the batch and updates its
    running statistics; dropout drops); `measure` is the same function without moving the
    statistics (the recorded V); `loaded` gives the module in eval mode (running statistics, no
    dropout) for the probes, which show what the players do, not what a training step sees.
    """

    def __init__(self, modules: list[nn.Module]):
        self.template = modules[0]
        self.names = [name for name, _ in self.template.named_parameters()]
        stacked = [torch.stack([dict(m.named_parameters())[n].detach() for m in modules]) for n in self.names]
        # every parameter lives in one flat buffer (parameter by parameter, each (S, ...) in
        # order), so an optimiser updates a player with a few calls on `data`, not a few per
        # parameter; the parameters are leaves that share its memory
        self.data = torch.cat([t.reshape(-1) for t in stacked])
        sizes = [t.numel() for t in stacked]
        self.params = [chunk.view(t.shape).detach().requires_grad_(True)
                       for chunk, t in zip(torch.split(self.data, sizes), stacked)]
        self.buffers = {n: torch.stack([dict(m.named_buffers())[n].detach().clone() for m in modules])
                        for n, _ in self.template.named_buffers()}
        self.layers = layers_of(self.template)  # None: not a chain of affine layers and activations
        self._call = None

    def __len__(self) -> int:
        return self.params[0].shape[0]

    def parameters(self) -> list[torch.Tensor]:
        return self.params

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        if self.layers is not None:
            return affine_forward(self.layers, self.params, x)
        return self._functional(x)

    def sample(self, x: torch.Tensor) -> torch.Tensor:
        """A training forward without a gradient graph (G's fakes for D's step)."""
        with torch.no_grad():
            return self(x)

    def measure(self, x: torch.Tensor) -> torch.Tensor:
        """The training forward's output without a gradient graph and without moving buffers."""
        with torch.no_grad():
            if self.layers is not None:
                return affine_forward(self.layers, self.params, x)
            return self._functional(x, {name: b.clone() for name, b in self.buffers.items()})

    def _functional(self, x: torch.Tensor, buffers: dict[str, torch.Tensor] | None = None) -> torch.Tensor:
        from torch.func import functional_call, vmap

        template, names, buffer_names = self.template, self.names, list(self.buffers)
        template.train()  # a training forward (probes leave it in eval mode: `loaded`)

        def one(ps, bs, xs):  # one seed's parameters and buffers (batch norm updates its own in place)
            return functional_call(template, {**dict(zip(names, ps)), **dict(zip(buffer_names, bs))}, (xs,))

        stacked = tuple((self.buffers if buffers is None else buffers).values())
        if len(self) == 1:
            return one(tuple(p[0] for p in self.params), tuple(b[0] for b in stacked), x[0]).unsqueeze(0)
        if self._call is None:
            self._call = vmap(one, randomness="different")
        return self._call(tuple(self.params), stacked, x)

    @staticmethod
    def flat_grad(grads: tuple[torch.Tensor, ...]) -> torch.Tensor:
        """Gradients of the parameters laid out like `data`."""
        return torch.cat([g.reshape(-1) for g in grads])

    def flat(self, s: int) -> torch.Tensor:
        """Seed s's parameters as one detached vector (in the template's parameter order)."""
        return torch.cat([p[s].detach().reshape(-1) for p in self.params])

    def loaded(self, s: int) -> nn.Module:
        """The template module, loaded with seed s's current parameters and buffers and in eval
        mode (for probes, which take ordinary modules). One module serves every seed: the next
        load overwrites it; a training forward puts it back in training mode."""
        with torch.no_grad():
            for p, own in zip(self.params, self.template.parameters()):
                own.copy_(p[s])
            for name, own in self.template.named_buffers():
                own.copy_(self.buffers[name][s])
        return self.template.eval()
