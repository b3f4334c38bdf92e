"""The autograd engine: gradients and second derivatives of any players by torch.autograd.

It takes every ``nn.Module`` player: bias-free layers, batch norm (its running statistics are
buffers, stacked per seed like the parameters; models.Stack), any activation, any loss and any
penalty. A player that chains runs its forward pass as batched matrix products; any other runs
per seed through torch.func.functional_call (vmap over the seeds only when there is more than
one). Hessians: torch.func's vmap(hessian) for exact ones, double backward for products.
Nothing here draws pictures.
"""
from __future__ import annotations

import contextlib
import warnings
from typing import TYPE_CHECKING, Callable, Optional

import numpy as np
import torch

from .. import losses

if TYPE_CHECKING:  # scipy is imported where an operator is made: a small game never needs it
    from scipy.sparse.linalg import LinearOperator

Tensor = torch.Tensor
Step = tuple[Callable[[], Tensor], tuple[Tensor, ...]]


def grads(per_seed_loss: Tensor, params: list[Tensor]) -> tuple[Tensor, ...]:
    """Each seed's gradient (seeds share no parameter, so the gradient of the sum is each one's)."""
    return torch.autograd.grad(per_seed_loss.sum(), params)


class Autograd:
    """The game's gradients by backpropagation through autograd's graph."""

    name = "autograd"
    grad_mode = contextlib.nullcontext

    def __init__(self, G, D, loss: losses.Loss, regularizer, rngs: list[torch.Generator]):
        self.G, self.D, self.loss, self.reg, self.rngs = G, D, loss, regularizer, rngs

    def d_step(self, real: Tensor, fake: Tensor, source: Optional[tuple] = None) -> Step:
        """D's loss and gradients on a real and a fake batch (S, B, d), instance noise included.
        `source`: (z, eps) the fake batch came from, for a joint regularizer (consensus)."""
        B, D, loss = real.shape[1], self.D, self.loss
        if self.reg.joint:
            self.last_real = real
            l_d, _, c, self.d_outputs = self._consensus(real, *source)
            d_loss = l_d + self.reg.gamma * c
            return (lambda: d_loss), grads(d_loss, D.params)
        if D.buffers:  # batch statistics: real and fake rows must not share one batch
            on_real, on_fake = D(real), D(fake)
        else:  # one forward for both batches (row-wise the same numbers)
            out = D(torch.cat([real, fake], dim=1))
            on_real, on_fake = out[:, :B], out[:, B:]
        d_loss = loss.d(on_real, on_fake)  # one loss per seed
        self.d_outputs = (on_real.detach(), on_fake.detach())
        if self.reg.penalises:
            d_loss = d_loss + self.reg.penalty(D, real, fake, self.rngs)
        return (lambda: d_loss), grads(d_loss, D.params)

    def g_step(self, z: Tensor, eps: Optional[Tensor], fake: Optional[Tensor] = None) -> Step:
        """G's loss and gradients: G(z) + eps -> D -> loss, back to G's parameters. `fake`: G(z)
        already computed with its graph (D's step took it detached), so G runs forward once."""
        if self.reg.joint:  # v at D's last real batch and this noise batch
            _, l_g, c, _ = self._consensus(self.last_real, z, eps, fake)
            g_loss = l_g + self.reg.gamma * c
            return (lambda: g_loss), grads(g_loss, self.G.params)
        fake = self.G(z) if fake is None else fake
        g_loss = self.loss.g(self.D(fake if eps is None else fake + eps))
        return (lambda: g_loss), grads(g_loss, self.G.params)

    def _consensus(self, real: Tensor, z: Tensor, eps: Optional[Tensor], fake: Optional[Tensor] = None
                   ) -> tuple[Tensor, Tensor, Tensor, tuple[Tensor, Tensor]]:
        """L_D, L_G and c = 1/2 |v|^2 per seed at the current point, with their graphs, and D's
        outputs on the real and fake batch (without a graph): v =
        (grad_D L_D, grad_G L_G) taken with create_graph, so that c can be differentiated again
        (Mescheder et al. 2017's consensus term; its gradient is J^T v)."""
        D, G, loss = self.D, self.G, self.loss
        fake = G(z) if fake is None else fake
        on_real, on_fake = D(real), D(fake if eps is None else fake + eps)
        l_d, l_g = loss.d(on_real, on_fake), loss.g(on_fake)
        v = (torch.autograd.grad(l_d.sum(), D.params, create_graph=True)
             + torch.autograd.grad(l_g.sum(), G.params, create_graph=True))
        c = 0.5 * sum((g.reshape(len(g), -1) ** 2).sum(dim=1) for g in v)
        return l_d, l_g, c, (on_real.detach(), on_fake.detach())

    @staticmethod
    def hessians(f: Callable[..., Tensor], thetas: Tensor, batches: tuple, sl: slice) -> Tensor:
        """The exact Hessians of f at the points thetas[sl] (torch.func's vmap of hessian)."""
        from torch.func import hessian, vmap

        with warnings.catch_warnings():  # torch's own deprecation notice from inside vmap's backward
            warnings.filterwarnings("ignore", message="An output with one or more elements was resized")
            h = vmap(hessian(f, argnums=0))(thetas[sl], *(b[sl] for b in batches)).double()
        return 0.5 * (h + h.transpose(1, 2))  # symmetric up to float rounding

    @staticmethod
    def hvp(f: Callable[..., Tensor], theta: Tensor, *batch: Tensor) -> "HVP":
        return HVP(f, theta, *batch)


class HVP:
    """Hessian-vector products of f at one point, by double backward (the graph is kept)."""

    def __init__(self, f: Callable[..., Tensor], theta: Tensor, *batch: Tensor):
        self.theta = theta.detach().clone().requires_grad_(True)
        with torch.enable_grad():
            (self.grad,) = torch.autograd.grad(f(self.theta, *batch), self.theta, create_graph=True)

    def __call__(self, v: Tensor) -> Tensor:
        (hv,) = torch.autograd.grad(self.grad, self.theta, grad_outputs=v, retain_graph=True)
        return hv

    def operator(self, part: slice) -> LinearOperator:
        """The Hessian block part x part as a scipy LinearOperator (float64 in and out)."""
        p = len(self.theta)
        size = len(range(p)[part])

        def matvec(v: np.ndarray) -> np.ndarray:
            full = torch.zeros(p)
            full[part] = torch.as_tensor(np.ravel(v), dtype=torch.float32)
            return self(full)[part].double().numpy()

        from scipy.sparse.linalg import LinearOperator

        return LinearOperator((size, size), matvec=matvec, dtype=np.float64)
