"""Generator and discriminator builders: the PLAYERS registry.

A player spec (pydantic) builds an ``nn.Module``. Discriminators return *logits* (one per
row); losses apply the sigmoid in log space so a confident D never produces log(0).
Nothing here draws pictures. torch is imported where a module is built, not with this module:
the schema takes PLAYERS' names and settings (and parameter counts) without it. The players of
many seeds trained side by side are a Stack (stack.py).
"""
from __future__ import annotations

import contextlib
import functools
import math
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, Strict, model_serializer

from .data import Real

if TYPE_CHECKING:
    import torch
    from torch import nn

PARALLEL_MACS = 250_000  # a dense player with this many multiply-adds per row trains on every core

# an activation's name -> its class in torch.nn (looked up when a player is built)
ACTIVATIONS: dict[str, str] = {
    "tanh": "Tanh",
    "relu": "ReLU",
    "leaky_relu": "LeakyReLU",
    "elu": "ELU",
    "sigmoid": "Sigmoid",
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
        import torch
        from torch import nn

        seed = int(torch.randint(0, 2**31 - 1, (1,), generator=rng))
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            module = self._layers(d_in, d_out)
        if self.init == "normal":  # affine layers: weights N(0, init_std^2), biases 0; convolutions as
            with torch.no_grad():  # the DCGAN weights_init: weights N(0, init_std^2), biases left as
                for layer in module.modules():  # PyTorch's; batch norm: scales N(1, init_std^2), shifts 0
                    if isinstance(layer, (nn.Linear, nn.Conv2d, nn.ConvTranspose2d)):
                        layer.weight.copy_(torch.randn(layer.weight.shape, generator=rng) * self.init_std)
                        if isinstance(layer, nn.Linear) and layer.bias is not None:
                            layer.bias.zero_()
                    elif isinstance(layer, nn.BatchNorm2d):
                        layer.weight.copy_(1 + torch.randn(layer.weight.shape, generator=rng) * self.init_std)
                        layer.bias.zero_()
        return module


class Linear(_Player):
    """One affine map: G(z) = W z + b, or D(x) = sigmoid(w . x + b) (logistic regression);
    ``bias: false`` drops b (the Dirac-GAN's D(x) = psi * x)."""

    kind: Literal["linear"] = "linear"
    init: Literal["default", "normal"] = "normal"
    init_std: Real = Field(0.1, gt=0.0)
    bias: bool = True

    @model_serializer(mode="wrap")
    def _bias_when_dropped(self, handler) -> dict:
        """`bias` is written only when false: the cache keys of the players before it stay."""
        dumped = handler(self)
        return dumped if not self.bias else {k: v for k, v in dumped.items() if k != "bias"}

    def widths(self, d_in: int, d_out: int) -> list[int]:
        return [d_in, d_out]

    def parameter_count(self, d_in: int, d_out: int) -> int:
        return (d_in + self.bias) * d_out

    def _layers(self, d_in: int, d_out: int) -> nn.Module:
        from torch import nn

        return nn.Linear(d_in, d_out, bias=self.bias)


class PointMass(_Player):
    """The Dirac-GAN's generator: every sample is theta (G(z) = theta, whatever z), one
    parameter per data dimension, starting at `start` (Mescheder et al. 2018, Section 2)."""

    kind: Literal["dirac"] = "dirac"
    start: Real = 1.0

    def widths(self, d_in: int, d_out: int) -> list[int]:
        return [d_in, d_out]

    def parameter_count(self, d_in: int, d_out: int) -> int:
        return d_out

    def build(self, d_in: int, d_out: int, rng: torch.Generator) -> nn.Module:
        return _point_module()(d_out, float(self.start))


class DiracCritic(_Player):
    """The Dirac-GAN's discriminator: D(x) = psi . x (a linear map without bias), psi starting
    at `start` in every input dimension; its output is a logit, a score or a critic value as the
    loss reads it."""

    kind: Literal["dirac"] = "dirac"
    start: Real = 1.0

    def widths(self, d_in: int, d_out: int) -> list[int]:
        return [d_in, d_out]

    def parameter_count(self, d_in: int, d_out: int) -> int:
        return d_in * d_out

    def build(self, d_in: int, d_out: int, rng: torch.Generator) -> nn.Module:
        import torch
        from torch import nn

        layer = nn.Linear(d_in, d_out, bias=False)
        with torch.no_grad():
            layer.weight.fill_(float(self.start))
        return layer


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
        from torch import nn

        layers: list[nn.Module] = []
        width = d_in
        for h in self.hidden:
            layers += [nn.Linear(width, h), getattr(nn, ACTIVATIONS[self.activation])()]
            width = h
        layers.append(nn.Linear(width, d_out))
        if self.output == "tanh":
            layers.append(nn.Tanh())
        return nn.Sequential(*layers)


@functools.cache
def _point_module() -> type:
    """The point-mass module (defined on first use: torch is imported with it)."""
    import torch
    from torch import nn

    class Point(nn.Module):
        """theta (d,) for every row: the output ignores its input but keeps its leading axes."""

        def __init__(self, d: int, start: float):
            super().__init__()
            self.theta = nn.Parameter(torch.full((d,), start))

        def forward(self, z: torch.Tensor) -> torch.Tensor:
            return self.theta.expand(*z.shape[:-1], self.theta.shape[-1])

    return Point


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
        return [d_in] + [out for name, _, _, out in self._shapes(d_in, d_out) if name != "BatchNorm2d"]

    def parameter_count(self, d_in: int, d_out: int) -> int:
        return sum(params for _, params, _, _ in self._shapes(d_in, d_out))

    def macs(self, d_in: int, d_out: int) -> int:
        """A convolution uses every weight once per output position, a transposed one once per
        input position."""
        return sum(macs for _, _, macs, _ in self._shapes(d_in, d_out))

    def _shapes(self, d_in: int, d_out: int) -> list[tuple[str, int, int, int]]:
        """(layer, parameters, multiply-adds, numbers out) of each layer with parameters for one
        row, worked out from the plan by the convolution arithmetic: nothing is built, so the
        schema and the cost estimate count without torch (tests/test_startup.py checks the counts
        against the built modules)."""
        seen: list[tuple[str, int, int, int]] = []
        channels, side = 0, 0
        for name, args, kwargs in self._plan(d_in, d_out):
            if name == "Unflatten":
                channels, side, _ = args[1]  # (channels, rows, cols), square
            elif name in ("Conv2d", "ConvTranspose2d"):
                c_in, c_out, kernel, stride, pad = args
                weights = c_in * c_out * kernel * kernel
                if name == "Conv2d":
                    out_side = (side + 2 * pad - kernel) // stride + 1
                    positions = out_side * out_side
                else:
                    out_side = (side - 1) * stride - 2 * pad + kernel
                    positions = side * side
                biases = c_out if kwargs.get("bias", True) else 0
                seen.append((name, weights + biases, weights * positions, c_out * out_side * out_side))
                channels, side = c_out, out_side
            elif name == "BatchNorm2d":
                seen.append((name, 2 * channels, 0, channels * side * side))  # a scale and a shift per channel
        return seen

    def parallel(self, d_in: int, d_out: int) -> bool:
        return True  # convolutions gain from every core even when small (digits_dcgan: 1.2x on 2 cores)

    def _layers(self, d_in: int, d_out: int, meta: bool = False) -> nn.Module:
        import torch
        from torch import nn

        with torch.device("meta") if meta else contextlib.nullcontext():
            return nn.Sequential(*(getattr(nn, name)(*args, **kwargs) for name, args, kwargs in self._plan(d_in, d_out)))

    def _plan(self, d_in: int, d_out: int) -> list[tuple[str, tuple, dict]]:
        """The layers in order, as (class name in torch.nn, arguments, keyword arguments): what
        `_layers` builds and `_shapes` counts."""
        return self._discriminator(d_in) if d_out == 1 else self._generator(d_in, d_out)

    def _generator(self, d_in: int, d_out: int) -> list[tuple[str, tuple, dict]]:
        side = image_side(d_out)
        stages, small = conv_stages(side)
        bias = not self.batch_norm
        channels = [self.width * 2 ** (stages - 1 - k) for k in range(stages)]  # coarse to fine
        first = ("ConvTranspose2d", (d_in, channels[0] if stages else 1, small, 1, 0), {"bias": bias or not stages})
        layers: list[tuple[str, tuple, dict]] = [("Unflatten", (1, (d_in, 1, 1)), {}), first]
        for k in range(stages):
            if self.batch_norm:
                layers.append(("BatchNorm2d", (channels[k],), {}))
            layers.append(("ReLU", (), {}))
            last = k == stages - 1
            layers.append(("ConvTranspose2d", (channels[k], 1 if last else channels[k + 1], 4, 2, 1),
                           {"bias": bias or last}))
        return layers + [("Tanh", (), {}), ("Flatten", (), {})]

    def _discriminator(self, d_in: int) -> list[tuple[str, tuple, dict]]:
        side = image_side(d_in)
        stages, small = conv_stages(side)
        bias = not self.batch_norm
        layers: list[tuple[str, tuple, dict]] = [("Unflatten", (1, (1, side, side)), {})]
        channels = 1
        for k in range(stages):
            out = self.width * 2 ** k
            layers.append(("Conv2d", (channels, out, 4, 2, 1), {"bias": bias or k == 0}))
            if self.batch_norm and k > 0:
                layers.append(("BatchNorm2d", (out,), {}))
            layers.append(("LeakyReLU", (0.2,), {}))
            channels = out
        return layers + [("Conv2d", (channels, 1, small, 1, 0), {}), ("Flatten", (), {})]


PLAYERS: dict[str, type[_Player]] = {"linear": Linear, "mlp": MLP, "conv": Conv}
# kinds for one role only: the Dirac-GAN's point mass G and bias-free linear D share the name "dirac"
GENERATORS: dict[str, type[_Player]] = PLAYERS | {"dirac": PointMass}
DISCRIMINATORS: dict[str, type[_Player]] = PLAYERS | {"dirac": DiracCritic}


def __getattr__(name: str) -> Any:
    if name == "Stack":  # it moved to stack.py (torch at import); `from gananim.models import Stack` still works
        from .stack import Stack

        return Stack
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
