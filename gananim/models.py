"""Generator and discriminator builders: the PLAYERS registry.

A player spec (pydantic) builds an ``nn.Module``. Discriminators return *logits* (one per
row); losses apply the sigmoid in log space so a confident D never produces log(0).
Nothing here draws pictures.
"""
from __future__ import annotations

import contextlib
import copy
import math
from typing import Annotated, Literal

import torch
from pydantic import BaseModel, ConfigDict, Field, Strict, model_serializer
from torch import nn

from .data import Real
from .engines.chained import affine_forward, layers_of

PARALLEL_MACS = 250_000  # a dense player with this many multiply-adds per row trains on every core

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

    def macs(self, d_in: int, d_out: int) -> int:
        """Multiply-adds of one row's forward pass (a dense player's: one per weight)."""
        return self.parameter_count(d_in, d_out)

    def parallel(self, d_in: int, d_out: int) -> bool:
        """Whether training uses every core: for large players (MNIST's MLP: 1.6x faster on 2
        cores); tiny ones run fastest on one thread (benchmarks/bench.py, section i)."""
        return self.macs(d_in, d_out) >= PARALLEL_MACS

    def build(self, d_in: int, d_out: int, rng: torch.Generator) -> nn.Module:
        """Build the module; every draw (PyTorch's default init included) comes from `rng`."""
        seed = int(torch.randint(0, 2**31 - 1, (1,), generator=rng))
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            module = self._layers(d_in, d_out)
        if self.init == "normal":  # affine layers: weights N(0, init_std^2), biases 0; convolutions as
            with torch.no_grad():  # the DCGAN weights_init: weights N(0, init_std^2), biases left as
                for layer in module.modules():  # PyTorch's; batch norm: scales N(1, init_std^2), shifts 0
                    if isinstance(layer, (nn.Linear, nn.Conv2d, nn.ConvTranspose2d)):
                        layer.weight.copy_(torch.randn(layer.weight.shape, generator=rng) * self.init_std)
                        if isinstance(layer, nn.Linear):
                            layer.bias.zero_()
                    elif isinstance(layer, nn.BatchNorm2d):
                        layer.weight.copy_(1 + torch.randn(layer.weight.shape, generator=rng) * self.init_std)
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


def image_side(dim: int) -> int:
    """The side of a square image of `dim` pixels (0 when `dim` is not a square)."""
    side = math.isqrt(dim)
    return side if side * side == dim else 0


def conv_stages(side: int) -> tuple[int, int]:
    """How a side is halved by stride-2 layers: (number of halvings, the smallest side), halving
    while the side is even and the half is at least 4 (8 -> 4: one; 28 -> 14 -> 7: two)."""
    stages = 0
    while side % 2 == 0 and side // 2 >= 4:
        side, stages = side // 2, stages + 1
    return stages, side


class Conv(_Player):
    """DCGAN-style convolutional player for square images (Radford et al. 2016), on flattened
    pixels like every player (rows of side * side numbers in, rows out).

    As the generator (d_out > 1): z -> a transposed convolution to the smallest side, then one
    stride-2 transposed convolution (kernel 4) per halving up to the image, ReLU between them,
    tanh out. As the discriminator (d_out == 1): stride-2 convolutions (kernel 4) down to the
    smallest side, LeakyReLU(0.2) between them, then one convolution to a single logit.
    `width` channels at the finest hidden resolution, doubled at every halving; `batch_norm`
    after every hidden layer but D's first (as in DCGAN), and then the layers have no bias.
    `init: normal` is the lab sheet's weights_init: N(0, 0.02) weights, N(1, 0.02) batch-norm
    scales."""

    kind: Literal["conv"] = "conv"
    width: Annotated[int, Strict(), Field(ge=1, le=1024)] = 32
    batch_norm: Annotated[bool, Strict()] = True
    init: Literal["default", "normal"] = "normal"

    def widths(self, d_in: int, d_out: int) -> list[int]:
        """The numbers each weighted layer outputs for one row, from the input to the output."""
        return [d_in] + [out for _, _, out in self._shapes(d_in, d_out)]

    def parameter_count(self, d_in: int, d_out: int) -> int:
        return sum(p.numel() for p in self._layers(d_in, d_out, meta=True).parameters())

    def macs(self, d_in: int, d_out: int) -> int:
        """A convolution uses every weight once per output position, a transposed one once per
        input position."""
        return sum(macs for _, macs, _ in self._shapes(d_in, d_out))

    def _shapes(self, d_in: int, d_out: int) -> list[tuple[nn.Module, int, int]]:
        """(layer, multiply-adds, numbers out) of each (transposed) convolution for one row: a
        forward pass on the meta device (shapes only, no arithmetic and no random draws)."""
        module, seen = self._layers(d_in, d_out, meta=True), []

        def hook(layer, inputs, output):
            positions = (output if isinstance(layer, nn.Conv2d) else inputs[0]).shape[-2:].numel()
            seen.append((layer, layer.weight.numel() * positions, output[0].numel()))

        for layer in module.modules():
            if isinstance(layer, (nn.Conv2d, nn.ConvTranspose2d)):
                layer.register_forward_hook(hook)
        module(torch.empty(2, d_in, device="meta"))
        return seen

    def parallel(self, d_in: int, d_out: int) -> bool:
        return True  # convolutions gain from every core even when small (digits_dcgan: 1.2x on 2 cores)

    def _layers(self, d_in: int, d_out: int, meta: bool = False) -> nn.Module:
        with torch.device("meta") if meta else contextlib.nullcontext():
            return self._discriminator(d_in) if d_out == 1 else self._generator(d_in, d_out)

    def _generator(self, d_in: int, d_out: int) -> nn.Module:
        side = image_side(d_out)
        stages, small = conv_stages(side)
        bias = not self.batch_norm
        channels = [self.width * 2 ** (stages - 1 - k) for k in range(stages)]  # coarse to fine
        first = nn.ConvTranspose2d(d_in, channels[0] if stages else 1, small, 1, 0, bias=bias or not stages)
        layers: list[nn.Module] = [nn.Unflatten(1, (d_in, 1, 1)), first]
        for k in range(stages):
            if self.batch_norm:
                layers.append(nn.BatchNorm2d(channels[k]))
            layers.append(nn.ReLU())
            last = k == stages - 1
            layers.append(nn.ConvTranspose2d(channels[k], 1 if last else channels[k + 1], 4, 2, 1, bias=bias or last))
        return nn.Sequential(*layers, nn.Tanh(), nn.Flatten())

    def _discriminator(self, d_in: int) -> nn.Module:
        side = image_side(d_in)
        stages, small = conv_stages(side)
        bias = not self.batch_norm
        layers: list[nn.Module] = [nn.Unflatten(1, (1, side, side))]
        channels = 1
        for k in range(stages):
            out = self.width * 2 ** k
            layers.append(nn.Conv2d(channels, out, 4, 2, 1, bias=bias or k == 0))
            if self.batch_norm and k > 0:
                layers.append(nn.BatchNorm2d(out))
            layers.append(nn.LeakyReLU(0.2))
            channels = out
        layers += [nn.Conv2d(channels, 1, small, 1, 0), nn.Flatten()]
        return nn.Sequential(*layers)


PLAYERS: dict[str, type[_Player]] = {"linear": Linear, "mlp": MLP, "conv": Conv}

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
        self._runner: tuple[nn.Module, list] | None = None

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
            if buffers is None:  # a training forward: the same numbers without functional_call's rebinding
                return self._single(x)
            return one(tuple(p[0] for p in self.params), tuple(b[0] for b in stacked), x[0]).unsqueeze(0)
        if self._call is None:
            self._call = vmap(one, randomness="different")
        return self._call(tuple(self.params), stacked, x)

    def _single(self, x: torch.Tensor) -> torch.Tensor:
        """One seed's training forward through a copy of the template that holds this call's
        views of the stacked parameters and, as its buffers, views of the stacked buffers (batch
        norm moves them in place): what functional_call computes, without its per-call cost
        (0.1 ms, a tenth of a 8x8 DCGAN's step; benchmarks/bench.py, section i)."""
        if self._runner is None:
            runner, slots = copy.deepcopy(self.template).train(), []
            for name in self.names:
                owner, _, attr = name.rpartition(".")
                module = runner.get_submodule(owner)
                del module._parameters[attr]  # the attribute set below is found before Module.__getattr__
                slots.append((module, attr))
            for name, stacked in self.buffers.items():
                owner, _, attr = name.rpartition(".")
                runner.get_submodule(owner)._buffers[attr] = stacked[0]
            self._runner = (runner, slots)
        runner, slots = self._runner
        for (module, attr), p in zip(slots, self.params):
            module.__dict__[attr] = p[0]
        return runner(x[0]).unsqueeze(0)

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
