"""Generator and discriminator builders: the PLAYERS registry.

A player spec (pydantic) builds an ``nn.Module``. Discriminators return *logits* (one per
row); losses apply the sigmoid in log space so a confident D never produces log(0).
Nothing here draws pictures.
"""
from __future__ import annotations

from typing import Annotated, Callable, Literal

import torch
from pydantic import BaseModel, ConfigDict, Field, Strict
from torch import nn

from .data import Real

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

# d(activation)/d(input) from (module, input, output), for chaining gradients by hand. The
# 0/1 step of ReLU is sign(relu(x)): on this machine's torch a comparison (x > 0) took 18 us on a
# 512 x 64 batch and torch.where 120 us, sign 4 us
SLOPES: dict[type[nn.Module], Callable[[nn.Module, torch.Tensor, torch.Tensor], torch.Tensor]] = {
    nn.Tanh: lambda m, x, y: 1 - y * y,
    nn.ReLU: lambda m, x, y: torch.sign(y),
    nn.LeakyReLU: lambda m, x, y: torch.relu(x).sign_().mul_(1 - m.negative_slope).add_(m.negative_slope),
    nn.ELU: lambda m, x, y: torch.where(x > 0, 1.0, y + m.alpha),
    nn.Sigmoid: lambda m, x, y: y * (1 - y),
}
PIECEWISE_LINEAR = (nn.ReLU, nn.LeakyReLU)
# d2(activation)/d(input)2 from (module, input, output), for Hessian-vector products chained by
# hand (hessian.ChainedHVP); None where it is zero (the piecewise-linear ones, between kinks)
CURVATURES: dict[type[nn.Module], Callable[[nn.Module, torch.Tensor, torch.Tensor], torch.Tensor] | None] = {
    nn.Tanh: lambda m, x, y: -2 * y * (1 - y * y),
    nn.ReLU: None,
    nn.LeakyReLU: None,
    nn.ELU: lambda m, x, y: torch.where(x > 0, 0.0, y + m.alpha),
    nn.Sigmoid: lambda m, x, y: y * (1 - y) * (1 - 2 * y),
}


def chain_layers(module: nn.Module) -> list[nn.Module] | None:
    """The module's layers when it is affine layers (with biases) and activations of known slope
    and curvature (every player in PLAYERS), so that its derivatives can be chained by hand;
    else None. Exact types only: a subclass may have its own forward, and a parametrised layer
    (spectral norm makes one) may order or use its parameters differently."""
    if type(module) not in (nn.Sequential, nn.Linear):
        return None
    layers = list(module) if isinstance(module, nn.Sequential) else [module]
    ok = all(m.bias is not None if type(m) is nn.Linear else type(m) in SLOPES and type(m) in CURVATURES
             for m in layers)
    return layers if ok else None


def affine_forward(layers: list[nn.Module], params: list[torch.Tensor], x: torch.Tensor) -> torch.Tensor:
    """Affine layers and activations at S parameter sets at once: params (S, ...) per parameter
    in the layers' order, x (S, B, d_in) -> (S, B, d_out), one batched product per layer."""
    k = 0
    for layer in layers:
        if isinstance(layer, nn.Linear):
            x = torch.baddbmm(params[k + 1].unsqueeze(1), x, params[k].transpose(1, 2))
            k += 2
        else:
            x = layer(x)
    return x


class Stack:
    """One player per seed, trained side by side: each parameter of the players is stacked on
    a leading seed axis (weights (S, out, in), biases (S, out)) and one call maps x (S, B, d_in)
    to (S, B, d_out), each seed's rows through its own parameters only.

    Networks of affine layers and elementwise activations (every player in PLAYERS) run as
    batched matrix products (torch.baddbmm): one call for all seeds, about the cost of one
    seed for the tutorial's tiny players. Any other module runs under torch.func.vmap over
    functional_call (the same numbers, more overhead per call).
    """

    def __init__(self, modules: list[nn.Module]):
        self.template = modules[0]
        names = [name for name, _ in self.template.named_parameters()]
        self.names = names
        stacked = [torch.stack([dict(m.named_parameters())[n].detach() for m in modules]) for n in names]
        # every parameter lives in one flat buffer (parameter by parameter, each (S, ...) in
        # order), so an optimiser updates a player with a few calls on `data`, not a few per
        # parameter; the parameters are leaves that share its memory
        self.data = torch.cat([t.reshape(-1) for t in stacked])
        sizes = [t.numel() for t in stacked]
        self.params = [chunk.view(t.shape).detach().requires_grad_(True)
                       for chunk, t in zip(torch.split(self.data, sizes), stacked)]
        layers = list(self.template) if isinstance(self.template, nn.Sequential) else [self.template]
        # exact types: a subclass (or a parametrised layer, which is one) may compute differently
        self.affine = (type(self.template) in (nn.Sequential, nn.Linear)
                       and all(type(m) in (nn.Linear, *ACTIVATIONS.values()) for m in layers))
        self.layers = layers
        self._vmapped = None

    def __len__(self) -> int:
        return self.params[0].shape[0]

    def parameters(self) -> list[torch.Tensor]:
        return self.params

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        if not self.affine:
            return self._vmap(x)
        return affine_forward(self.layers, self.params, x)

    def _vmap(self, x: torch.Tensor) -> torch.Tensor:
        if self._vmapped is None:
            from torch.func import functional_call, vmap

            template, names = self.template, self.names
            self._vmapped = vmap(lambda ps, xs: functional_call(template, dict(zip(names, ps)), (xs,)))
        return self._vmapped(tuple(self.params), x)

    @property
    def chainable(self) -> bool:
        """Affine layers and activations with known derivatives (every player in PLAYERS): its
        gradients can be chained by hand (`trace`, `backprop`)."""
        return chain_layers(self.template) is not None

    @property
    def piecewise_linear(self) -> bool:
        """Chainable with piecewise-linear activations only (ReLU, leaky ReLU, or none): its input
        gradient is constant between kinks, so gradient penalties chain by hand too."""
        return self.chainable and all(isinstance(m, (nn.Linear, *PIECEWISE_LINEAR)) for m in self.layers)

    def trace(self, x: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """The output for x (S, B, d_in) and, per layer, what backprop needs: an affine layer's
        input, an activation's derivative at its input."""
        saved, k = [], 0
        for layer in self.layers:
            if isinstance(layer, nn.Linear):
                saved.append(x)
                x = torch.baddbmm(self.params[k + 1].unsqueeze(1), x, self.params[k].transpose(1, 2))
                k += 2
            else:
                y = layer(x)
                saved.append(SLOPES[type(layer)](layer, x, y))
                x = y
        return x, saved

    def backprop(self, saved: list[torch.Tensor], dout: torch.Tensor, *, params: bool = True,
                 input_grad: bool = False, outputs: list | None = None) -> tuple[list[torch.Tensor], torch.Tensor | None]:
        """The gradients of sum(dout * output) with respect to the parameters (each (S, ...), in
        order; when `params`) and to the input (when `input_grad`), from a `trace`. `outputs`
        (one slot per layer) receives the gradient with respect to each affine layer's output."""
        grads: list[torch.Tensor] = []
        k = len(self.params)
        for i in reversed(range(len(self.layers))):
            if isinstance(self.layers[i], nn.Linear):
                k -= 2
                if outputs is not None:
                    outputs[i] = dout
                if params:
                    grads[:0] = [torch.bmm(dout.transpose(1, 2), saved[i]), dout.sum(dim=1)]
                if i == 0 and not input_grad:
                    return grads, None
                dout = torch.bmm(dout, self.params[k])
            else:
                dout = dout * saved[i]
        return grads, dout

    def input_gradient(self, x: torch.Tensor) -> tuple[torch.Tensor, tuple]:
        """The gradient of each row's output with respect to its input, (S, B, d_in), for a
        piecewise-linear player with one output; and what `input_gradient_backprop` needs."""
        _, saved = self.trace(x)
        chain: list[torch.Tensor | None] = [None] * len(self.layers)
        _, g = self.backprop(saved, x.new_ones(*x.shape[:-1], 1), params=False, input_grad=True, outputs=chain)
        return g, (saved, chain)

    def input_gradient_backprop(self, memo: tuple, gamma: torch.Tensor) -> list[torch.Tensor]:
        """The gradients of sum(gamma * input_gradient(x)) with respect to the parameters. The
        input gradient of a piecewise-linear network is a product of its weights and of 0/slope
        masks that do not move under small changes: the biases get no gradient."""
        saved, chain = memo
        grads: list[torch.Tensor] = []
        k = 0
        for i, layer in enumerate(self.layers):
            if isinstance(layer, nn.Linear):
                grads += [torch.bmm(chain[i].transpose(1, 2), gamma), torch.zeros_like(self.params[k + 1])]
                if i + 1 == len(self.layers):
                    break
                gamma = torch.bmm(gamma, self.params[k].transpose(1, 2))
                k += 2
            else:
                gamma = gamma * saved[i]
        return grads

    @staticmethod
    def flat_grad(grads: tuple[torch.Tensor, ...]) -> torch.Tensor:
        """Gradients of the parameters laid out like `data`."""
        return torch.cat([g.reshape(-1) for g in grads])

    def flat(self, s: int) -> torch.Tensor:
        """Seed s's parameters as one detached vector (in the template's parameter order)."""
        return torch.cat([p[s].detach().reshape(-1) for p in self.params])

    def load(self, s: int) -> nn.Module:
        """The template module, loaded with seed s's current parameters (for probes, which take
        ordinary modules). One module serves every seed: the next load overwrites it."""
        with torch.no_grad():
            for p, own in zip(self.params, self.template.parameters()):
                own.copy_(p[s])
        return self.template
