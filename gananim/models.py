"""Generator and discriminator builders: the PLAYERS registry.

A player spec (pydantic) builds an ``nn.Module``. Discriminators return *logits* (one per
row); losses apply the sigmoid in log space so a confident D never produces log(0).
Nothing here draws pictures.
"""
from __future__ import annotations

from typing import Annotated, Literal

import torch
from pydantic import BaseModel, ConfigDict, Field, Strict
from torch import nn

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
    init_std: float = Field(0.02, gt=0.0)

    def _layers(self, d_in: int, d_out: int) -> nn.Module:
        raise NotImplementedError

    def widths(self, d_in: int, d_out: int) -> list[int]:
        """Layer widths from input to output (affine layers between consecutive ones)."""
        raise NotImplementedError

    def parameter_count(self, d_in: int, d_out: int) -> int:
        w = self.widths(d_in, d_out)
        return sum((a + 1) * b for a, b in zip(w, w[1:]))

    def build(self, d_in: int, d_out: int, gen: torch.Generator) -> nn.Module:
        """Build the module; every draw (PyTorch's default init included) comes from `gen`."""
        seed = int(torch.randint(0, 2**31 - 1, (1,), generator=gen))
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            module = self._layers(d_in, d_out)
        if self.init == "normal":  # weights N(0, init_std^2), biases 0
            with torch.no_grad():
                for layer in module.modules():
                    if isinstance(layer, nn.Linear):
                        layer.weight.copy_(torch.randn(layer.weight.shape, generator=gen) * self.init_std)
                        layer.bias.zero_()
        return module


class Linear(_Player):
    """One affine map: G(z) = W z + b, or D(x) = sigmoid(w . x + b) (logistic regression)."""

    kind: Literal["linear"] = "linear"
    init: Literal["default", "normal"] = "normal"
    init_std: float = Field(0.1, gt=0.0)

    def widths(self, d_in: int, d_out: int) -> list[int]:
        return [d_in, d_out]

    def _layers(self, d_in: int, d_out: int) -> nn.Module:
        return nn.Linear(d_in, d_out)


class MLP(_Player):
    """Fully connected network: hidden layers with one activation, then a linear output."""

    kind: Literal["mlp"] = "mlp"
    hidden: list[Annotated[int, Strict(), Field(ge=1)]] = Field(default_factory=lambda: [32, 32], min_length=1)
    activation: Literal[tuple(ACTIVATIONS)] = "tanh"  # type: ignore[valid-type]

    def widths(self, d_in: int, d_out: int) -> list[int]:
        return [d_in, *self.hidden, d_out]

    def _layers(self, d_in: int, d_out: int) -> nn.Module:
        layers: list[nn.Module] = []
        width = d_in
        for h in self.hidden:
            layers += [nn.Linear(width, h), ACTIVATIONS[self.activation]()]
            width = h
        layers.append(nn.Linear(width, d_out))
        return nn.Sequential(*layers)


PLAYERS: dict[str, type[_Player]] = {"linear": Linear, "mlp": MLP}
