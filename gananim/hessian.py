"""Spectra of the Hessian of the game value V with respect to all parameters of both players,
and of each player's own block: D's block of V (D maximises V: negative semi-definite near a
local Nash equilibrium) and G's block of G's own loss (G minimises it: positive semi-definite).

The trainer stores the flat parameter vector theta = [theta_D, theta_G] and the batch V was
evaluated on at each Hessian game; ``spectra`` then returns eigenvalues in ascending order
(column k is always the k-th smallest, so plotted lines never swap):

- exact (P <= MAX_EXACT_PARAMS): every Hessian, all P eigenvalues and both blocks'
  eigenvalues. Games of players that chain (affine layers and elementwise activations: every
  shipped player) stack many points on a leading axis and take P double-backward passes per
  chunk (engines.chained); any other function runs under torch.func.vmap(torch.func.hessian)
  (engines.autograd);
- Lanczos (larger P): Hessian-vector products (the R-operator by hand for players that chain,
  double backward otherwise: the engine's ``hvp``) behind a scipy.sparse.linalg.LinearOperator,
  and Lanczos (`lanczos_extremes`; ARPACK's eigsh if it has not converged) for the k most
  negative and k most positive eigenvalues of the whole Hessian and of each block.

The derivatives themselves come from the engines (engines/): this module holds the game
functions and the spectral algorithms. Nothing here draws pictures. torch, scipy and the
engines are imported inside the functions: the schema reads MAX_EXACT_PARAMS without them.
"""
from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Callable

import numpy as np

from . import losses

if TYPE_CHECKING:
    import torch
    from scipy.sparse.linalg import LinearOperator
    from torch import nn

MAX_EXACT_PARAMS = 400
# relative accuracy of the Ritz values (ARPACK's test): on the shipped 2D games 1e-4 gives the
# same extreme eigenvalues as 1e-6 to about 1e-9 relative, with a third fewer products
LANCZOS_TOL = 1e-4
LANCZOS_STEPS = 400  # Lanczos products before ARPACK takes over (the shipped 2D games need 24-150)
LANCZOS_BASIS = 2**25  # at most this many floats (128 MB) of Lanczos basis: fewer steps for huge players
LANCZOS_CHECK = 5  # products between convergence checks
EXACT_CHUNK = 2**22  # Hessian entries per chunk of exact Hessians
STACKED_MIN_POINTS = 16  # exact Hessians of this many points or more are taken stacked (see eigenvalues)


def flat_params(*modules: nn.Module) -> torch.Tensor:
    """All parameters of the modules, in order, as one detached vector."""
    import torch

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
        import torch

        chunks = torch.split(theta, sizes)
        d = {n: c.reshape(s) for n, c, s, o in zip(names, chunks, shapes, owners) if o == "D"}
        g = {n: c.reshape(s) for n, c, s, o in zip(names, chunks, shapes, owners) if o == "G"}
        return d, g

    return split


def _stateless(module: nn.Module) -> nn.Module:
    """The module, or for one that does not chain (engines.chained.layers_of) a copy whose
    forward is a deterministic function that changes nothing: batch norm normalises by the
    batch's statistics, as in training, without updating running ones (the function transforms
    refuse in-place updates, and a Hessian must not move the player); dropout is off."""
    from .engines.chained import layers_of

    if layers_of(module) is not None:
        return module
    from torch.func import replace_all_batch_norm_modules_

    return replace_all_batch_norm_modules_(copy.deepcopy(module)).eval()


class GameFunction:
    """f(theta, x, z, eps_real, eps_fake) = outputs(D(x + eps_real), D(G(z) + eps_fake)) with
    theta = [theta_D, theta_G] flat: V, or G's own loss (which ignores the real batch:
    `uses_real` False, and outputs gets None for it). `outputs` is a batch mean of a function
    of one output per row, as every loss in losses.LOSSES is."""

    def __init__(self, D: nn.Module, G: nn.Module, outputs: Callable[..., torch.Tensor], uses_real: bool = True):
        self.D, self.G, self.outputs, self.uses_real = _stateless(D), _stateless(G), outputs, uses_real
        self.split = _unflatten(D, G)

    def __call__(self, theta, x, z, eps_real, eps_fake):
        from torch.func import functional_call

        d_params, g_params = self.split(theta)
        fake = functional_call(self.G, g_params, (z,)) + eps_fake
        real = functional_call(self.D, d_params, (x + eps_real,)) if self.uses_real else None
        return self.outputs(real, functional_call(self.D, d_params, (fake,)))


def value_function(D: nn.Module, G: nn.Module,
                   value: Callable[[torch.Tensor, torch.Tensor], torch.Tensor] = losses.value) -> GameFunction:
    """V(theta, x, z, eps_real, eps_fake) with theta = [theta_D, theta_G] flat; `value` maps
    D's outputs on real and fake to the game value (the minimax V by default)."""
    return GameFunction(D, G, value)


def generator_loss_function(D: nn.Module, G: nn.Module, g_loss: Callable[[torch.Tensor], torch.Tensor]) -> GameFunction:
    """G's own loss as a function of the same (theta, batch): its theta_G block is what G's
    local optimality is about (for the non-zero-sum losses it differs from V's block)."""
    return GameFunction(D, G, lambda real, fake: g_loss(fake), uses_real=False)


def eigenvalues(V: Callable[..., torch.Tensor], thetas: torch.Tensor, *batches: torch.Tensor,
                p_d: int | None = None, g_own: Callable[..., torch.Tensor] | None = None
                ) -> np.ndarray | tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Exact eigenvalues (ascending) of the Hessian of V at each row of `thetas`: (n, P).

    `batches` are stacked like `thetas` (first dimension n). With `p_d` (D's parameter count)
    also return the eigenvalues of D's block of V and of G's block (of `g_own`, G's own loss,
    when given; of V otherwise).
    """
    import torch

    from . import engines

    n, p = thetas.shape
    # Stacked points (the chained engine) pay P backward passes per chunk, whatever its size: they
    # win with many points, torch.func (the autograd engine) with few. Each function asks its own
    # engine: G's own loss may not chain where V does
    many = p <= MAX_EXACT_PARAMS and n >= STACKED_MIN_POINTS

    def hessians(f, sl):
        return (engines.for_function(f) if many else engines.Autograd).hessians(f, thetas, batches, sl)

    # points per chunk: bounded by memory (P x P per point); with torch.func's vmap at most 128,
    # beyond which a point costs more
    cap = max(1, EXACT_CHUNK // max(1, p * p))
    chunk = min(n, cap if many and engines.for_function(V) is engines.Chained else min(128, cap))
    full, d_block, g_block = np.empty((n, p)), np.empty((n, p_d or 0)), np.empty((n, p - (p_d or 0)))
    for start in range(0, n, chunk):
        sl = slice(start, start + chunk)
        h = hessians(V, sl)
        full[sl] = torch.linalg.eigvalsh(h).numpy()
        if p_d is not None:
            d_block[sl] = torch.linalg.eigvalsh(h[:, :p_d, :p_d]).numpy()
            hg = h if g_own is None else hessians(g_own, sl)
            g_block[sl] = torch.linalg.eigvalsh(hg[:, p_d:, p_d:]).numpy()
    return full if p_d is None else (full, d_block, g_block)


def hvp(f: Callable[..., torch.Tensor], theta: torch.Tensor, *batch: torch.Tensor):
    """Hessian-vector products of f at theta (an object with ``__call__(v)`` and
    ``operator(part)``): chained by hand when f is a GameFunction of players that chain, by
    double backward otherwise."""
    from . import engines

    return engines.for_function(f).hvp(f, theta, *batch)


def eigsh(*args, **kwargs) -> np.ndarray:
    """scipy's ARPACK eigsh (scipy.sparse.linalg), imported when a spectrum needs it."""
    from scipy.sparse.linalg import eigsh

    return eigsh(*args, **kwargs)


def extremes(op: LinearOperator, k: int, seed: int = 0) -> np.ndarray:
    """The k most negative and k most positive eigenvalues (ascending, 2k values) by Lanczos;
    the whole spectrum when the operator is too small for that."""
    n = op.shape[0]
    if 2 * k >= n:
        dense = np.stack([op.matvec(e) for e in np.eye(n)], axis=1)
        vals = np.linalg.eigvalsh(0.5 * (dense + dense.T))
        return np.concatenate([vals[:k], vals[-k:]]) if 2 * k <= n else vals
    v0 = np.random.default_rng(seed).standard_normal(n)  # fixed start: same run, same numbers
    vals = lanczos_extremes(op.matvec, n, k, v0)
    if vals is None:  # not converged in LANCZOS_STEPS products: ARPACK's restarted Lanczos finishes
        vals = eigsh(op, k=2 * k, which="BE", v0=v0, tol=LANCZOS_TOL, maxiter=20 * n, return_eigenvectors=False)
    return np.sort(vals)


def lanczos_extremes(matvec: Callable[[np.ndarray], np.ndarray], n: int, k: int, v0: np.ndarray,
                     tol: float = LANCZOS_TOL, steps: int | None = None) -> np.ndarray | None:
    """The k smallest and k largest eigenvalues of a symmetric operator by Lanczos with full
    reorthogonalisation (twice, in float32 like the products), without restarts; None when
    they have not converged in `steps` products (LANCZOS_STEPS).

    Converged means ARPACK's test: each of the 2k Ritz values theta has a residual |beta_m s_m|
    (the Lanczos bound on |A y - theta y| for its unit Ritz vector y) at most tol |theta|. Keeping
    the whole Krylov basis costs memory (steps x n floats) but no product is thrown away: on
    ring8's nine Hessians (8,899 parameters; whole and both blocks) it takes 1.5x fewer products
    than eigsh (1,780 against 2,748), whose restarts (ncv = 20) discard most of its basis, for the
    same eigenvalues (1e-6 relative). It is not faster there: products that cheap leave the
    reorthogonalisation against the whole basis dearer than the products saved, and eigsh took
    0.64-0.83x its time (benchmarks/bench.py, section l)."""
    from scipy.linalg import eigh_tridiagonal

    steps = max(2 * k + 1, min(n, steps or LANCZOS_STEPS, LANCZOS_BASIS // n))
    basis = np.empty((steps + 1, n), dtype=np.float32)
    alpha, beta = np.empty(steps), np.empty(steps)
    basis[0] = v0 / np.linalg.norm(v0)
    floor = np.finfo(float).eps ** (2 / 3)  # ARPACK's floor for Ritz values near 0
    for m in range(1, steps + 1):
        q = basis[m - 1]
        w = np.asarray(matvec(q), dtype=np.float32).ravel()
        alpha[m - 1] = q.astype(float) @ w
        for _ in range(2):  # against the whole basis, which holds q and its predecessor
            w -= basis[:m].T @ (basis[:m] @ w)
        beta[m - 1] = np.linalg.norm(w.astype(float))
        # the Krylov space is complete (m = n) or invariant (beta ~ 0, at float32's rounding of the
        # products): its Ritz values are eigenvalues
        complete = m == n or beta[m - 1] <= 1e-6 * np.abs(alpha[:m]).max(initial=1e-300)
        if m >= 2 * k and (complete or m == steps or m % LANCZOS_CHECK == 0):
            theta, s = eigh_tridiagonal(alpha[:m], beta[:m - 1])
            pick = np.r_[0:k, m - k:m]
            if complete or np.all(np.abs(beta[m - 1] * s[-1, pick]) <= tol * np.maximum(np.abs(theta[pick]), floor)):
                return theta[pick]
        if complete or m == steps:
            return None
        basis[m] = w / beta[m - 1]
    return None


def lanczos_spectra(V: Callable[..., torch.Tensor], thetas: torch.Tensor, *batches: torch.Tensor,
                    p_d: int, k: int, g_own: Callable[..., torch.Tensor] | None = None
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Extreme eigenvalues (ascending) of the whole Hessian, of D's block of V and of G's
    block (of `g_own` when given), per point."""
    rows: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    for i, theta in enumerate(thetas):
        batch = tuple(b[i] for b in batches)
        h = hvp(V, theta, *batch)
        h_g = h if g_own is None else hvp(g_own, theta, *batch)
        rows.append((extremes(h.operator(slice(None)), k), extremes(h.operator(slice(0, p_d)), k),
                     extremes(h_g.operator(slice(p_d, None)), k)))
    return tuple(np.stack(col) for col in zip(*rows))  # type: ignore[return-value]


def spectra(V: Callable[..., torch.Tensor], thetas: torch.Tensor, *batches: torch.Tensor,
            p_d: int, k: int, g_own: Callable[..., torch.Tensor] | None = None
            ) -> tuple[str, np.ndarray, np.ndarray, np.ndarray]:
    """('exact' | 'lanczos', full, D block, G block), each (n, ·) ascending."""
    if thetas.shape[1] <= MAX_EXACT_PARAMS:
        return ("exact", *eigenvalues(V, thetas, *batches, p_d=p_d, g_own=g_own))
    return ("lanczos", *lanczos_spectra(V, thetas, *batches, p_d=p_d, k=k, g_own=g_own))
