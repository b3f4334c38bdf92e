"""Spectra of the Hessian of the game value V with respect to all parameters of both players,
and of each player's own block: D's block of V (D maximises V: negative semi-definite near a
local Nash equilibrium) and G's block of G's own loss (G minimises it: positive semi-definite).

The trainer stores the flat parameter vector theta = [theta_D, theta_G] and the batch V was
evaluated on at each Hessian game; ``spectra`` then returns eigenvalues in ascending order
(column k is always the k-th smallest, so plotted lines never swap):

- exact (P <= MAX_EXACT_PARAMS): every Hessian, all P eigenvalues and both blocks'
  eigenvalues. Games of chainable players (affine layers and elementwise activations: every
  shipped player) stack the points on a leading axis and take P double-backward passes per
  chunk; any other function runs under torch.func.vmap(torch.func.hessian);
- Lanczos (larger P): Hessian-vector products (ChainedHVP, the R-operator by hand, for
  chainable players; double backward otherwise) behind a scipy.sparse.linalg.LinearOperator,
  and Lanczos (`lanczos_extremes`; ARPACK's eigsh if it has not converged) for the k most
  negative and k most positive eigenvalues of the whole Hessian and of each block.

Nothing here draws pictures.
"""
from __future__ import annotations

import warnings
from typing import Callable

import numpy as np
import torch
from scipy.linalg import eigh_tridiagonal
from scipy.sparse.linalg import LinearOperator, eigsh
from torch import nn
from torch.func import functional_call, hessian, vmap

from . import losses
from .models import CURVATURES, SLOPES, affine_forward, chain_layers

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


class GameFunction:
    """f(theta, x, z, eps_real, eps_fake) = outputs(D(x + eps_real), D(G(z) + eps_fake)) with
    theta = [theta_D, theta_G] flat: V, or G's own loss (which ignores the real batch:
    `uses_real` False, and outputs gets None for it). `outputs` is a batch mean of a function
    of one output per row, as every loss in losses.LOSSES is."""

    def __init__(self, D: nn.Module, G: nn.Module, outputs: Callable[..., torch.Tensor], uses_real: bool = True):
        self.D, self.G, self.outputs, self.uses_real = D, G, outputs, uses_real
        self.split = _unflatten(D, G)

    def __call__(self, theta, x, z, eps_real, eps_fake):
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


def _stacked_hessians(f: "GameFunction", thetas: torch.Tensor, batches: tuple, sl: slice) -> torch.Tensor:
    """The Hessians of f at the points thetas[sl] of a chainable game by double backward: the
    points are stacked on a leading axis (they share nothing, so the gradient of the sum is
    each one's gradient) and each backward pass of one gradient component gives that column of
    every point's Hessian: P passes in all, no torch.func (whose first call imports about 800
    modules, 0.9 s, in every process)."""
    shapes = [p.shape for m in (f.D, f.G) for p in m.parameters()]
    theta = thetas[sl].detach().clone().requires_grad_(True)
    n, size = theta.shape
    params = [c.reshape(n, *s) for c, s in zip(torch.split(theta, [s.numel() for s in shapes], dim=1), shapes)]
    d_count = len(list(f.D.parameters()))
    x, z, eps_real, eps_fake = (b[sl] for b in batches)
    d_layers = chain_layers(f.D)
    with torch.enable_grad():
        fake = affine_forward(chain_layers(f.G), params[d_count:], z) + eps_fake
        real = affine_forward(d_layers, params[:d_count], x + eps_real) if f.uses_real else None
        value = f.outputs(real, affine_forward(d_layers, params[:d_count], fake))  # (n,)
        (grad,) = torch.autograd.grad(value.sum(), theta, create_graph=True)
        columns = [torch.autograd.grad(grad[:, j].sum(), theta, retain_graph=True)[0] for j in range(size)]
    h = torch.stack(columns, dim=2).double()
    return 0.5 * (h + h.transpose(1, 2))  # symmetric up to float rounding


def _hessians(f: Callable[..., torch.Tensor], thetas: torch.Tensor, batches: tuple, sl: slice,
              stacked: bool) -> torch.Tensor:
    if stacked and _chainable(f):
        return _stacked_hessians(f, thetas, batches, sl)
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
    # points per batch: bounded by memory (P x P per point); with torch.func's vmap at 128, beyond
    # which a point cost more (1.3 ms at 128 against 1.9 ms at 480 for P = 98 here)
    # stacked points pay P backward passes per chunk, whatever its size: they win with many points
    # (at 50 points, 5 against 10 ms a point for P = 147, 44 against 64 for P = 484), torch.func
    # with few (13 against 62 ms for one point of P = 147)
    stacked = _chainable(V) and p <= MAX_EXACT_PARAMS and n >= STACKED_MIN_POINTS
    cap = max(1, EXACT_CHUNK // max(1, p * p))
    chunk = min(n, cap if stacked else min(128, cap))
    full, d_block, g_block = np.empty((n, p)), np.empty((n, p_d or 0)), np.empty((n, p - (p_d or 0)))
    for start in range(0, n, chunk):
        sl = slice(start, start + chunk)
        h = _hessians(V, thetas, batches, sl, stacked)
        full[sl] = torch.linalg.eigvalsh(h).numpy()
        if p_d is not None:
            d_block[sl] = torch.linalg.eigvalsh(h[:, :p_d, :p_d]).numpy()
            hg = h if g_own is None else _hessians(g_own, thetas, batches, sl, stacked)
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


def _chainable(f: Callable) -> bool:
    return isinstance(f, GameFunction) and chain_layers(f.D) is not None and chain_layers(f.G) is not None


class _Pass:
    """One network applied to a batch at a fixed theta, with what the R-operator needs: each
    affine layer's input, each activation's slope and curvature and (after `backward`) the
    gradient of f with respect to every layer's output. The R methods can run on a range of
    rows only (`rows`), when the others' directional derivatives are zero."""

    def __init__(self, layers: list[nn.Module], weights: list[torch.Tensor], h: torch.Tensor):
        self.layers, self.weights, self.saved = layers, weights, []
        k = 0
        for layer in layers:
            if isinstance(layer, nn.Linear):
                self.saved.append(h)
                h = torch.addmm(weights[k + 1], h, weights[k].t())
                k += 2
            else:
                y = layer(h)
                curve = CURVATURES[type(layer)]
                self.saved.append((SLOPES[type(layer)](layer, h, y), None if curve is None else curve(layer, h, y)))
                h = y
        self.out = h

    def backward(self, delta: torch.Tensor) -> torch.Tensor:
        """Record d f / d(each layer's output) from d f / d out; return d f / d input."""
        self.deltas: list[torch.Tensor] = [delta] * len(self.layers)
        k = len(self.weights)
        for i in reversed(range(len(self.layers))):
            self.deltas[i] = delta
            if isinstance(self.layers[i], nn.Linear):
                k -= 2
                delta = delta @ self.weights[k]
            else:
                delta = delta * self.saved[i][0]
        return delta

    def r_forward(self, r: torch.Tensor | None, r_weights: list[torch.Tensor] | None, rows: slice) -> torch.Tensor | None:
        """The directional derivative of the output along (input direction r, weight direction);
        None stands for zero. Keeps what `r_backward` needs."""
        self.r_saved: list[torch.Tensor | None] = []
        k = 0
        for i, layer in enumerate(self.layers):
            self.r_saved.append(r)
            if isinstance(layer, nn.Linear):
                if r_weights is not None:
                    moved = torch.addmm(r_weights[k + 1], self.saved[i][rows], r_weights[k].t())
                    r = moved if r is None else torch.addmm(moved, r, self.weights[k].t())
                elif r is not None:
                    r = r @ self.weights[k].t()
                k += 2
            elif r is not None:
                r = r * self.saved[i][0][rows]
        return r

    def r_backward(self, r_delta: torch.Tensor | None, r_weights: list[torch.Tensor] | None, rows: slice,
                   params: bool, input_grad: bool) -> tuple[list[torch.Tensor], torch.Tensor | None]:
        """The directional derivative of (d f / d weights when `params`, d f / d input when
        `input_grad`), after `r_forward`."""
        grads: list[torch.Tensor] = []
        k = len(self.weights)
        for i in reversed(range(len(self.layers))):
            delta, r_in = self.deltas[i][rows], self.r_saved[i]
            if isinstance(self.layers[i], nn.Linear):
                k -= 2
                if params:
                    gw = (r_delta.t() @ self.saved[i][rows] if r_delta is not None
                          else torch.zeros_like(self.weights[k]))
                    if r_in is not None:
                        gw = torch.addmm(gw, delta.t(), r_in)
                    gb = r_delta.sum(0) if r_delta is not None else torch.zeros_like(self.weights[k + 1])
                    grads[:0] = [gw, gb]
                if i == 0 and not input_grad:
                    return grads, None
                if r_weights is not None:
                    moved = delta @ r_weights[k]
                    r_delta = moved if r_delta is None else torch.addmm(moved, r_delta, self.weights[k])
                elif r_delta is not None:
                    r_delta = r_delta @ self.weights[k]
            else:
                slope, curve = self.saved[i]
                r_next = None if r_delta is None else r_delta * slope[rows]
                if curve is not None and r_in is not None:  # delta here is d f / d(activation output)
                    bent = delta * curve[rows] * r_in
                    r_next = bent if r_next is None else r_next.add_(bent)
                r_delta = r_next
        return grads, r_delta


class ChainedHVP:
    """Hessian-vector products of a GameFunction whose players are affine layers and
    elementwise activations, by the R-operator (Pearlmutter 1994) chained by hand. The forward
    and backward passes at theta run once (D sees the real and the fake rows in one pass); each
    product then runs only their directional derivatives, and a block's product skips what the
    block does not need (D's block: G's backward; G's block: the real rows and D's weight
    gradients). Tests compare it with `HVP`."""

    def __init__(self, f: GameFunction, theta: torch.Tensor, x, z, eps_real, eps_fake):
        d_layers, g_layers = chain_layers(f.D), chain_layers(f.G)
        d_params, g_params = f.split(theta.detach())
        d_w, g_w = list(d_params.values()), list(g_params.values())
        self.d_sizes, self.g_sizes = [t.numel() for t in d_w], [t.numel() for t in g_w]
        self.d_shapes, self.g_shapes = [t.shape for t in d_w], [t.shape for t in g_w]
        self.p_d, self.p, self.dtype = sum(self.d_sizes), theta.numel(), theta.dtype
        with torch.no_grad():
            self.g = _Pass(g_layers, g_w, z)
            fake = self.g.out + eps_fake
            self.n_real = len(x) if f.uses_real else 0
            self.d = _Pass(d_layers, d_w, torch.cat([x + eps_real, fake]) if f.uses_real else fake)
        outs = [o.detach().requires_grad_(True) for o in torch.split(self.d.out, [self.n_real, len(fake)])]
        with torch.enable_grad():  # f is a batch mean of a function of each output: its Hessian in them is diagonal
            firsts = torch.autograd.grad(f.outputs(outs[0] if f.uses_real else None, outs[1]), outs,
                                         create_graph=True, allow_unused=True)
            firsts = [torch.zeros_like(o) if g is None else g for o, g in zip(outs, firsts)]
            total = sum(g.sum() for g in firsts)
            seconds = (torch.autograd.grad(total, outs, allow_unused=True) if total.requires_grad
                       else [None, None])  # a loss linear in the outputs (wasserstein)
        with torch.no_grad():
            self.curv = torch.cat([torch.zeros_like(o) if s is None else s for o, s in zip(outs, seconds)])
            self.g.backward(self.d.backward(torch.cat(firsts).detach())[self.n_real:])

    def product(self, v_d: torch.Tensor | None, v_g: torch.Tensor | None, want_d: bool, want_g: bool
                ) -> tuple[torch.Tensor | None, torch.Tensor | None]:
        """(H v)'s D part (when want_d) and G part (when want_g) for v = (v_d, v_g); None: zero
        (G's part needs v_g: its backward reuses G's forward along v_g)."""
        if want_g and v_g is None:
            raise ValueError("G's part of H v needs v_g (pass zeros for a zero direction)")
        with torch.no_grad():
            rd = None if v_d is None else [c.view(s) for c, s in zip(torch.split(v_d, self.d_sizes), self.d_shapes)]
            rg = None if v_g is None else [c.view(s) for c, s in zip(torch.split(v_g, self.g_sizes), self.g_shapes)]
            r_fake = None if rg is None else self.g.r_forward(None, rg, slice(None))
            if rd is None:  # D's weights do not move: the real rows' derivatives are zero
                rows, r_in = slice(self.n_real, None), r_fake
            else:
                rows = slice(None)
                r_in = (r_fake if r_fake is None or not self.n_real
                        else torch.cat([r_fake.new_zeros(self.n_real, r_fake.shape[1]), r_fake]))
            r_out = self.d.r_forward(r_in, rd, rows)
            d_grads, r_x = self.d.r_backward(None if r_out is None else self.curv[rows] * r_out, rd, rows,
                                             params=want_d, input_grad=want_g)
            hd = torch.cat([g.reshape(-1) for g in d_grads]) if want_d else None
            hg = None
            if want_g:
                r_x = None if r_x is None else r_x[self.n_real - (rows.start or 0):]
                g_grads, _ = self.g.r_backward(r_x, rg, slice(None), params=True, input_grad=False)
                hg = torch.cat([g.reshape(-1) for g in g_grads])
        return hd, hg

    def __call__(self, v: torch.Tensor) -> torch.Tensor:
        hd, hg = self.product(v[:self.p_d], v[self.p_d:], True, True)
        return torch.cat([hd, hg])

    def operator(self, part: slice) -> LinearOperator:
        """The Hessian block part x part (all, D's block or G's block) as a LinearOperator."""
        start, stop, step = part.indices(self.p)
        if step != 1 or (start, stop) not in ((0, self.p), (0, self.p_d), (self.p_d, self.p)):
            raise ValueError(f"ChainedHVP.operator takes the whole Hessian or one player's block, not {part}")
        want_d, want_g = start < self.p_d, stop > self.p_d
        size = stop - start

        def matvec(v: np.ndarray) -> np.ndarray:
            t = torch.as_tensor(np.ravel(v), dtype=self.dtype)
            hd, hg = self.product(t[:self.p_d - start] if want_d else None, t[-(stop - self.p_d):] if want_g else None,
                                  want_d, want_g)
            return torch.cat([h for h in (hd, hg) if h is not None]).double().numpy()

        return LinearOperator((size, size), matvec=matvec, dtype=np.float64)


def hvp(f: Callable[..., torch.Tensor], theta: torch.Tensor, *batch: torch.Tensor) -> "HVP | ChainedHVP":
    """Hessian-vector products of f at theta: chained by hand when f is a GameFunction of
    chainable players, by double backward otherwise."""
    if _chainable(f):
        return ChainedHVP(f, theta, *batch)
    return HVP(f, theta, *batch)


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
    the whole Krylov basis costs memory (steps x n floats) but no product is thrown away: on the
    2D games this takes about 1.5x fewer products than eigsh, whose restarts (ncv = 20) discard
    most of its basis, for the same eigenvalues (1e-6 relative)."""
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
