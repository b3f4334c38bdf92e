"""Spectra of the Hessian of the game value V with respect to all parameters of both players,
and of each player's own block: D's block of V (D maximises V: negative semi-definite near a
local Nash equilibrium) and G's block of G's own loss (G minimises it: positive semi-definite).

The trainer stores the flat parameter vector theta = [theta_D, theta_G] and the batch V was
evaluated on at each Hessian game; ``spectra`` then returns eigenvalues in ascending order
(column k is always the k-th smallest, so plotted lines never swap):

- exact (P <= MAX_EXACT_PARAMS): every Hessian in vectorised chunks (torch.func.vmap over
  torch.func.hessian), all P eigenvalues and both blocks' eigenvalues;
- Lanczos (larger P): Hessian-vector products by double backward behind a
  scipy.sparse.linalg.LinearOperator, and eigsh (which='BE') for the k most negative and k
  most positive eigenvalues of the whole Hessian and of each block.

Nothing here draws pictures.
"""
from __future__ import annotations

import warnings
from typing import Callable

import numpy as np
import torch
from scipy.sparse.linalg import LinearOperator, eigsh
from torch import nn
from torch.func import functional_call, hessian, vmap

from . import losses

MAX_EXACT_PARAMS = 400
# ARPACK's relative accuracy of the Ritz values: on the shipped 2D games 1e-4 gives the same
# extreme eigenvalues as 1e-6 to about 1e-9 relative, with a third fewer products
LANCZOS_TOL = 1e-4


def flat_params(*modules: nn.Module) -> torch.Tensor:
    """All parameters of the modules, in order, as one detached vector."""
    return torch.cat([p.detach().reshape(-1) for m in modules for p in m.parameters()])


def _unflatten(D: nn.Module, G: nn.Module) -> Callable[[torch.Tensor], tuple[dict, dict]]:
    """theta (flat, [theta_D, theta_G]) -> (D's parameter dict, G's parameter dict)."""
    names, shapes, owners = [], [], []
    for owner, module in (("D", D), ("G", G)):
        for name, p in module.named_parameters():
            names.append(name)
            shapes.append(p.shape)
            owners.append(owner)
    sizes = [int(np.prod(s)) for s in shapes]

    def split(theta):
        chunks = torch.split(theta, sizes)
        d = {n: c.reshape(s) for n, c, s, o in zip(names, chunks, shapes, owners) if o == "D"}
        g = {n: c.reshape(s) for n, c, s, o in zip(names, chunks, shapes, owners) if o == "G"}
        return d, g

    return split


def value_function(D: nn.Module, G: nn.Module,
                   value: Callable[[torch.Tensor, torch.Tensor], torch.Tensor] = losses.value) -> Callable[..., torch.Tensor]:
    """V(theta, x, z, eps_real, eps_fake) with theta = [theta_D, theta_G] flat; `value` maps
    D's outputs on real and fake to the game value (the minimax V by default)."""
    split = _unflatten(D, G)

    def V(theta, x, z, eps_real, eps_fake):
        d_params, g_params = split(theta)
        fake = functional_call(G, g_params, (z,)) + eps_fake
        return value(functional_call(D, d_params, (x + eps_real,)), functional_call(D, d_params, (fake,)))

    return V


def generator_loss_function(D: nn.Module, G: nn.Module,
                            g_loss: Callable[[torch.Tensor], torch.Tensor]) -> Callable[..., torch.Tensor]:
    """G's own loss as a function of the same (theta, batch): its theta_G block is what G's
    local optimality is about (for the non-zero-sum losses it differs from V's block)."""
    split = _unflatten(D, G)

    def L(theta, x, z, eps_real, eps_fake):
        d_params, g_params = split(theta)
        return g_loss(functional_call(D, d_params, (functional_call(G, g_params, (z,)) + eps_fake,)))

    return L


def _hessians(f: Callable[..., torch.Tensor], thetas: torch.Tensor, batches: tuple, sl: slice) -> torch.Tensor:
    with warnings.catch_warnings():  # torch's own deprecation notice from inside vmap's backward
        warnings.filterwarnings("ignore", message="An output with one or more elements was resized")
        h = vmap(hessian(f, argnums=0))(thetas[sl], *(b[sl] for b in batches)).double()
    return 0.5 * (h + h.transpose(1, 2))  # symmetric up to float rounding


def eigenvalues(V: Callable[..., torch.Tensor], thetas: torch.Tensor, *batches: torch.Tensor,
                p_d: int | None = None, g_own: Callable[..., torch.Tensor] | None = None
                ) -> np.ndarray | tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Exact eigenvalues (ascending) of the Hessian of V at each row of `thetas`: (n, P).

    `batches` are stacked like `thetas` (first dimension n). With `p_d` (D's parameter count)
    also return the eigenvalues of D's block of V and of G's block (of `g_own`, G's own loss,
    when given; of V otherwise).
    """
    n, p = thetas.shape
    # points per vmapped batch: bounded by memory (P x P per point) and at 128, beyond which a
    # point costs more (1.3 ms at 128 against 1.9 ms at 480 for P = 98 here)
    chunk = max(1, min(n, 128, 2**22 // max(1, p * p)))
    full, d_block, g_block = np.empty((n, p)), np.empty((n, p_d or 0)), np.empty((n, p - (p_d or 0)))
    for start in range(0, n, chunk):
        sl = slice(start, start + chunk)
        h = _hessians(V, thetas, batches, sl)
        full[sl] = torch.linalg.eigvalsh(h).numpy()
        if p_d is not None:
            d_block[sl] = torch.linalg.eigvalsh(h[:, :p_d, :p_d]).numpy()
            hg = h if g_own is None else _hessians(g_own, thetas, batches, sl)
            g_block[sl] = torch.linalg.eigvalsh(hg[:, p_d:, p_d:]).numpy()
    return full if p_d is None else (full, d_block, g_block)


class HVP:
    """Hessian-vector products of V at one point, by double backward (the graph is kept)."""

    def __init__(self, V: Callable[..., torch.Tensor], theta: torch.Tensor, *batch: torch.Tensor):
        self.theta = theta.detach().clone().requires_grad_(True)
        (self.grad,) = torch.autograd.grad(V(self.theta, *batch), self.theta, create_graph=True)

    def __call__(self, v: torch.Tensor) -> torch.Tensor:
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

        return LinearOperator((size, size), matvec=matvec, dtype=np.float64)


def extremes(op: LinearOperator, k: int, seed: int = 0) -> np.ndarray:
    """The k most negative and k most positive eigenvalues (ascending, 2k values) by Lanczos;
    the whole spectrum when the operator is too small for that."""
    n = op.shape[0]
    if 2 * k >= n:
        dense = np.stack([op.matvec(e) for e in np.eye(n)], axis=1)
        vals = np.linalg.eigvalsh(0.5 * (dense + dense.T))
        return np.concatenate([vals[:k], vals[-k:]]) if 2 * k <= n else vals
    v0 = np.random.default_rng(seed).standard_normal(n)  # fixed start: same run, same numbers
    vals = eigsh(op, k=2 * k, which="BE", v0=v0, tol=LANCZOS_TOL, maxiter=20 * n, return_eigenvectors=False)
    return np.sort(vals)


def lanczos_spectra(V: Callable[..., torch.Tensor], thetas: torch.Tensor, *batches: torch.Tensor,
                    p_d: int, k: int, g_own: Callable[..., torch.Tensor] | None = None
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Extreme eigenvalues (ascending) of the whole Hessian, of D's block of V and of G's
    block (of `g_own` when given), per point."""
    rows: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    for i, theta in enumerate(thetas):
        batch = tuple(b[i] for b in batches)
        hvp = HVP(V, theta, *batch)
        hvp_g = hvp if g_own is None else HVP(g_own, theta, *batch)
        rows.append((extremes(hvp.operator(slice(None)), k), extremes(hvp.operator(slice(0, p_d)), k),
                     extremes(hvp_g.operator(slice(p_d, None)), k)))
    return tuple(np.stack(col) for col in zip(*rows))  # type: ignore[return-value]


def spectra(V: Callable[..., torch.Tensor], thetas: torch.Tensor, *batches: torch.Tensor,
            p_d: int, k: int, g_own: Callable[..., torch.Tensor] | None = None
            ) -> tuple[str, np.ndarray, np.ndarray, np.ndarray]:
    """('exact' | 'lanczos', full, D block, G block), each (n, ·) ascending."""
    if thetas.shape[1] <= MAX_EXACT_PARAMS:
        return ("exact", *eigenvalues(V, thetas, *batches, p_d=p_d, g_own=g_own))
    return ("lanczos", *lanczos_spectra(V, thetas, *batches, p_d=p_d, k=k, g_own=g_own))
