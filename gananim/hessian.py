"""Spectra of the Hessian of the game value V with respect to all parameters of both players.

The trainer stores, per game, the flat parameter vector theta = [theta_D, theta_G] and the
batch V was evaluated on; ``eigenvalues`` then evaluates every Hessian in vectorised chunks
(torch.func.vmap over torch.func.hessian) and returns them ascending, so row k is always the
k-th smallest eigenvalue and plotted lines never swap. Exact: meant for small parameter
counts (MAX_EXACT_PARAMS). Nothing here draws pictures.
"""
from __future__ import annotations

import warnings
from typing import Callable

import numpy as np
import torch
from torch import nn
from torch.func import functional_call, hessian, vmap

from . import losses

MAX_EXACT_PARAMS = 400


def flat_params(*modules: nn.Module) -> torch.Tensor:
    """All parameters of the modules, in order, as one detached vector."""
    return torch.cat([p.detach().reshape(-1) for m in modules for p in m.parameters()])


def value_function(D: nn.Module, G: nn.Module) -> Callable[..., torch.Tensor]:
    """V(theta, x, z, eps_real, eps_fake) with theta = [theta_D, theta_G] flat."""
    names, shapes, owners = [], [], []
    for owner, module in (("D", D), ("G", G)):
        for name, p in module.named_parameters():
            names.append(name)
            shapes.append(p.shape)
            owners.append(owner)
    sizes = [int(np.prod(s)) for s in shapes]

    def V(theta, x, z, eps_real, eps_fake):
        chunks = torch.split(theta, sizes)
        d_params = {n: c.reshape(s) for n, c, s, o in zip(names, chunks, shapes, owners) if o == "D"}
        g_params = {n: c.reshape(s) for n, c, s, o in zip(names, chunks, shapes, owners) if o == "G"}
        fake = functional_call(G, g_params, (z,)) + eps_fake
        return losses.value(functional_call(D, d_params, (x + eps_real,)), functional_call(D, d_params, (fake,)))

    return V


def eigenvalues(V: Callable[..., torch.Tensor], thetas: torch.Tensor, *batches: torch.Tensor) -> np.ndarray:
    """Eigenvalues (ascending) of the Hessian of V at each row of `thetas`: (G, P) float64.

    `batches` are stacked per game like `thetas` (first dimension G).
    """
    n, p = thetas.shape
    chunk = max(1, min(n, 2**22 // max(1, p * p)))
    batched = vmap(hessian(V, argnums=0))
    out = np.empty((n, p))
    for start in range(0, n, chunk):
        sl = slice(start, start + chunk)
        with warnings.catch_warnings():  # torch's own deprecation notice from inside vmap's backward
            warnings.filterwarnings("ignore", message="An output with one or more elements was resized")
            h = batched(thetas[sl], *(b[sl] for b in batches)).double()
        h = 0.5 * (h + h.transpose(1, 2))  # symmetric up to float rounding
        out[sl] = torch.linalg.eigvalsh(h).numpy()
    return out
