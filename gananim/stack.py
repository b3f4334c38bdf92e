"""Stack: the players of many seeds trained side by side, as one set of stacked tensors.

The game loop (trainer.py) trains a Stack of each player; the engines (engines/) compute its
gradients. The player specs that build the modules are models.PLAYERS. Nothing here draws
pictures.
"""
from __future__ import annotations

import copy

import torch
from torch import nn

from .engines.chained import affine_forward, layers_of


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
