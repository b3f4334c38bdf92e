"""Spectra of the game Jacobian: the Jacobian of the joint gradient field the players follow.

With theta = [theta_D, theta_G] flat, D minimising its loss L_D (its regularizer included) and G
its loss L_G, gradient descent follows the field

    v(theta) = (-grad_{theta_D} L_D(theta), -grad_{theta_G} L_G(theta))

and J = dv/dtheta (not symmetric: its eigenvalues are complex). At a fixed point (v = 0) the flow
is locally stable when every eigenvalue has a negative real part; imaginary parts are rotation
(Mescheder, Nowozin & Geiger 2017, "The Numerics of GANs"; Mescheder, Geiger & Nowozin 2018,
"Which Training Methods for GANs do actually Converge?"; Berard et al. 2020). Gradient descent
with step h converges locally iff its update operator (I + hJ for simultaneous steps, the
product of the two half-steps for alternating ones: `update_matrix`) has spectral radius < 1.

This module holds the field (built on hessian.py's game functions), its dense Jacobian and
spectrum (torch.func, float64), Arnoldi's extreme eigenvalues from Jacobian-vector products
(a Krylov-Schur space shared by the groups wanted; ARPACK where it does not converge), the
discrete update spectra, and the Dirac-GAN's closed forms (Mescheder et al. 2018,
Sections 2-3) that the tests check the numerics against. Nothing here draws pictures; torch and
scipy are imported inside the functions, so the module imports without them.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Callable, Optional, Sequence

import numpy as np

from . import losses
from .hessian import GameFunction, generator_loss_function

if TYPE_CHECKING:
    import torch
    from scipy.sparse.linalg import LinearOperator
    from torch import Tensor, nn

# The relative accuracy of the Ritz values (ARPACK's `tol`). On the 2D MLP game of the tests
# (P = 219, k = 6) 1e-10 matches the dense spectrum to ~5e-15 relative
ARNOLDI_TOL = 1e-10
# The Krylov space's size (scipy's default for ARPACK: max(2k + 1, 20)). On ring8 (P = 8,899, k = 6,
# its 9 points) ARPACK took about a third of the products of 20 with 60 (the largest real parts
# cluster: LR took up to 4,172 products with 20, 475 with 60); one Krylov-Schur space of 60 for
# all three groups takes 108-206 a point. Where a group's k-th place is a tie the subspace
# decides: at game 1 only two conjugate pairs have a large imaginary part, and the LI group's
# last two places go to real eigenvalues (Im = 0), which ones depending on the subspace (the
# next pair, -0.0054 ± 0.0385i, lies inside the spectrum: ARPACK with 120 finds it, and so does
# the shared space when each group keeps fewer Ritz values, KS_EXTRA 10, at 1,018 products)
ARNOLDI_NCV = 60

# A penalty on D: (d, real, fake) -> scalar, where d maps inputs (B, dx) to D's outputs (B, 1) at
# the current theta_D, real = x + eps_real and fake = G(z) + eps_fake (depending on theta_G)
Penalty = Callable[[Callable[["Tensor"], "Tensor"], "Tensor", "Tensor"], "Tensor"]


# --- penalties on D, written so that torch.func can differentiate them twice ----------------


def input_grad_sq(d: Callable[[Tensor], Tensor], points: Tensor) -> Tensor:
    """|grad_x d(x)|^2 per row (B,) by torch.func (losses._input_grad_sq takes autograd's graph,
    which the function transforms refuse). Rows of d's output depend on their own row only."""
    import torch
    from torch.func import vjp

    out, pull = vjp(d, points)
    (grad,) = pull(torch.ones_like(out))
    return (grad**2).sum(dim=-1)


def _penalty_points(reg, real: Tensor, fake: Tensor, alpha: Optional[Tensor]) -> Tensor:
    """Where `reg` penalises D's input gradient. Unlike reg.points, the fake points are not
    detached: through them D's penalised gradient depends on theta_G (a block of J)."""
    if isinstance(reg, losses.R2):  # before R1: R2 is a subclass of R1
        return fake
    if isinstance(reg, losses.R1):
        return real
    if isinstance(reg, losses.GradientPenalty):
        if alpha is None:
            raise ValueError("gradient_penalty: the Jacobian needs fixed interpolation weights `alpha` (B, 1)")
        return alpha * real + (1 - alpha) * fake
    raise ValueError(f"regularizer: must be one of r1, r2, gradient_penalty (got {reg.kind!r})")


def regularizer_penalty(reg, alpha: Optional[Tensor] = None) -> Optional[Penalty]:
    """The penalty of a regularizer of losses.REGULARIZERS as a `Penalty` (None when it adds
    none): per-row values from ``reg.per_row``, averaged over the batch like ``reg.penalty``.
    `alpha` (B, 1): the fixed interpolation weights of gradient_penalty's points."""
    if not reg.penalises:
        return None

    def penalty(d, real, fake):
        return reg.per_row(input_grad_sq(d, _penalty_points(reg, real, fake, alpha))).mean(dim=-1)

    return penalty


def r1(gamma: float) -> Penalty:
    """R1: gamma/2 E |grad_x D(x)|^2 on the real batch."""
    return regularizer_penalty(losses.R1(gamma=gamma))  # type: ignore[return-value]


def r2(gamma: float) -> Penalty:
    """R2: gamma/2 E |grad_x D(x)|^2 on the fake batch."""
    return regularizer_penalty(losses.R2(gamma=gamma))  # type: ignore[return-value]


# --- the field ----------------------------------------------------------------------------


class GameField:
    """v(theta, x, z, eps_real, eps_fake) = (-grad_D L_D, -grad_G L_G), flat (P,), with
    L_D = d_loss(D(x + eps_real), D(G(z) + eps_fake)) + d_penalty and L_G = g_loss(D(G(z) + eps_fake));
    with `consensus` gamma both losses get gamma/2 |v|^2 (Mescheder et al. 2017):
    v_c = v - gamma J^T v. Composable with torch.func (jacrev, jvp, vmap)."""

    def __init__(self, D: nn.Module, G: nn.Module, d_loss: Callable[[Tensor, Tensor], Tensor],
                 g_loss: Callable[[Tensor], Tensor], d_penalty: Optional[Penalty] = None, consensus: float = 0.0):
        self.d_game = GameFunction(D, G, d_loss)
        self.g_game = generator_loss_function(D, G, g_loss)
        self.d_penalty, self.consensus = d_penalty, float(consensus)
        self.p_d = sum(p.numel() for p in D.parameters())
        self.p = self.p_d + sum(p.numel() for p in G.parameters())

    def d_loss(self, theta, x, z, eps_real, eps_fake):
        """D's loss at theta, its penalty included."""
        loss = self.d_game(theta, x, z, eps_real, eps_fake)
        if self.d_penalty is None:
            return loss
        from torch.func import functional_call

        D, G = self.d_game.D, self.d_game.G
        d_params, g_params = self.d_game.split(theta)  # hessian._unflatten's split
        fake = functional_call(G, g_params, (z,)) + eps_fake
        return loss + self.d_penalty(lambda inp: functional_call(D, d_params, (inp,)), x + eps_real, fake)

    def plain(self, theta, *batch):
        """The field without consensus: each player's negative gradient of its own loss."""
        import torch
        from torch.func import grad

        t_d, t_g = theta[:self.p_d], theta[self.p_d:]
        g_d = grad(lambda a: self.d_loss(torch.cat([a, t_g]), *batch))(t_d)
        g_g = grad(lambda b: self.g_game(torch.cat([t_d, b]), *batch))(t_g)
        return -torch.cat([g_d, g_g])

    def graph(self, theta, x, z, eps_real, eps_fake):
        """v at `theta` (which requires grad) with autograd's graph kept for products with J^T.
        Without a penalty or consensus both players' gradients share one forward pass (G(z) and D
        on the fakes once), each a backward pass with create_graph: the same numbers as
        __call__ (to rounding), with products about 1.5x cheaper on ring8 than through the
        nested transforms. With a penalty or consensus: __call__ under autograd."""
        import torch

        if self.d_penalty is not None or self.consensus:
            return self(theta, x, z, eps_real, eps_fake)
        from torch.func import functional_call

        game = self.d_game
        d_params, g_params = game.split(theta)
        fake = functional_call(game.G, g_params, (z,)) + eps_fake
        on_fake = functional_call(game.D, d_params, (fake,))
        d_loss = game.outputs(functional_call(game.D, d_params, (x + eps_real,)), on_fake)
        g_loss = self.g_game.outputs(None, on_fake)
        grads = (torch.autograd.grad(d_loss, list(d_params.values()), create_graph=True,
                                     materialize_grads=True)
                 + torch.autograd.grad(g_loss, list(g_params.values()), create_graph=True,
                                       materialize_grads=True))
        return -torch.cat([g.reshape(-1) for g in grads])

    def __call__(self, theta, x, z, eps_real, eps_fake):
        batch = (x, z, eps_real, eps_fake)
        if not self.consensus:
            return self.plain(theta, *batch)
        from torch.func import vjp

        # grad (1/2 |v|^2) = J^T v: one vector-Jacobian product with v itself as the cotangent
        v, pull = vjp(lambda t: self.plain(t, *batch), theta)
        return v - self.consensus * pull(v)[0]


def field_function(D: nn.Module, G: nn.Module, d_loss: Callable[[Tensor, Tensor], Tensor],
                   g_loss: Callable[[Tensor], Tensor], d_penalty: Optional[Penalty] = None,
                   consensus: float = 0.0) -> GameField:
    """The game's gradient field v(theta, x, z, eps_real, eps_fake) -> (P,) (see GameField).
    d_loss, g_loss: as losses.LOSSES[name].d and .g; d_penalty: r1(gamma), r2(gamma) or
    regularizer_penalty(reg)."""
    return GameField(D, G, d_loss, g_loss, d_penalty, consensus)


ARNOLDI_GROUPS = ("LM", "LR", "LI")  # the recorded extremes of a large game's spectrum, in column order


def scenario_field(sc, D: nn.Module, G: nn.Module, seed: int = 0) -> GameField:
    """The field a scenario's players follow: its loss, its regularizer's penalty on D (gradient
    penalty: interpolation weights drawn once from `seed`, so the field is one fixed function) and
    consensus; weight clipping is a projection, not part of the field."""
    import torch

    loss, reg = losses.LOSSES[sc.loss], sc.regularizer
    alpha = None
    if isinstance(reg, losses.GradientPenalty):
        alpha = torch.rand(sc.training.batch_size, 1, generator=torch.Generator().manual_seed(seed))
    return field_function(D, G, loss.d, loss.g, regularizer_penalty(reg, alpha),
                          reg.gamma if reg.joint else 0.0)


def spectra(v: Callable[..., Tensor], thetas: Sequence[Tensor], batches: Sequence[Sequence[Tensor]],
            exact: bool, k: int = 6) -> np.ndarray:
    """The game Jacobian's eigenvalues at each point (thetas[i] with batches[i]), one row each:
    all P (exact: the dense Jacobian) sorted by (real, imag), or Arnoldi's k largest in magnitude,
    then its k largest in real part, then its k largest in imaginary part (3k columns; an
    eigenvalue may be in more than one group). The last group is the rotation: on ring8 the
    largest-magnitude and largest-real eigenvalues are all real, the rotation is smaller."""
    if exact:
        return np.stack([eigenvalues_exact(v, t, *b) for t, b in zip(thetas, batches)])
    return np.stack([arnoldi_row(v, t, *b, k=k) for t, b in zip(thetas, batches)])


def arnoldi_row(v: Callable[..., Tensor], theta: Tensor, *batch: Tensor, k: int = 6) -> np.ndarray:
    """One point's row of `spectra` (not exact): the ARNOLDI_GROUPS' k eigenvalues each (3k)."""
    found = eigenvalues_arnoldi(v, theta, *batch, k=k, which=ARNOLDI_GROUPS)
    return np.concatenate([found[w] for w in ARNOLDI_GROUPS])


# --- spectra --------------------------------------------------------------------------------


def _double(theta: Tensor, batch: Sequence[Tensor]) -> tuple[Tensor, tuple[Tensor, ...]]:
    """Float64 copies: D and G run on the parameters given, so the whole computation is float64."""
    import torch

    return theta.detach().to(torch.float64), tuple(b.detach().to(torch.float64) for b in batch)


def jacobian(v: Callable[..., Tensor], theta: Tensor, *batch: Tensor) -> np.ndarray:
    """The dense Jacobian dv/dtheta (P, P), float64, by torch.func.jacfwd (rows: components of v;
    forward mode over the field's reverse mode, the usual order for second derivatives; jacrev
    gives the same to rounding)."""
    from torch.func import jacfwd

    theta, batch = _double(theta, batch)
    return jacfwd(lambda t: v(t, *batch))(theta).numpy()


def sort_complex(vals: np.ndarray) -> np.ndarray:
    """Complex values sorted by real part, then imaginary part."""
    vals = np.asarray(vals, dtype=complex)
    return vals[np.lexsort((vals.imag, vals.real))]


def eigenvalues_exact(v: Callable[..., Tensor], theta: Tensor, *batch: Tensor) -> np.ndarray:
    """All P eigenvalues of the Jacobian (complex), sorted by (real, imag)."""
    return sort_complex(np.linalg.eigvals(jacobian(v, theta, *batch)))


def jacobian_operator(v: Callable[..., Tensor], theta: Tensor, *batch: Tensor,
                      transpose: bool = False) -> LinearOperator:
    """J as a scipy LinearOperator (float64), matvec u -> J u by the double-vjp trick: v is
    evaluated once with autograd's graph, g(w) = J^T w is one backward pass kept as a graph
    (linear in w), and J u = grad_w (g(w) . u) is one more backward pass per product. That reuses
    the graph, where torch.func.jvp would re-run v's nested transforms at every product.

    transpose: J^T instead, u -> J^T u, one backward pass through v's kept graph per product
    (about 3/4 of J u's cost on ring8); J^T has J's eigenvalues (the same characteristic
    polynomial), which is all Arnoldi needs. ``op.products`` counts the products taken."""
    import torch
    from scipy.sparse.linalg import LinearOperator

    theta, batch = _double(theta, batch)
    theta.requires_grad_(True)
    with torch.enable_grad():
        out = v.graph(theta, *batch) if isinstance(v, GameField) else v(theta, *batch)
        if not transpose:
            w = torch.zeros_like(out, requires_grad=True)
            (jt_w,) = torch.autograd.grad(out, theta, grad_outputs=w, create_graph=True)

    def matvec(u: np.ndarray) -> np.ndarray:
        op.products += 1
        u = torch.as_tensor(np.ravel(u), dtype=torch.float64)
        if transpose:
            (prod,) = torch.autograd.grad(out, theta, grad_outputs=u, retain_graph=True)
        else:
            (prod,) = torch.autograd.grad(jt_w, w, grad_outputs=u, retain_graph=True)
        return prod.detach().numpy()

    op = LinearOperator((theta.numel(),) * 2, matvec=matvec, dtype=np.float64)
    op.products = 0
    return op


ORDER = {"LM": lambda z: -np.abs(z), "LR": lambda z: -z.real, "SR": lambda z: z.real, "LI": lambda z: -z.imag,
         "SM": np.abs}  # sort keys of the values returned, best first (the imaginary part breaks ties)
# ARPACK's selection (scipy.sparse.linalg.eigs' `which`): LI and LM by magnitude, so that a conjugate
# pair is wanted or not as a whole
SELECT = ORDER | {"LI": lambda z: -np.abs(z.imag)}

# Krylov-Schur's restarts before ARPACK takes over (ring8's points need 2 to 18); each group keeps
# its k + KS_EXTRA best Ritz values at a restart, all groups together at most KS_KEEP of the space
KS_MAX_RESTARTS = 200
KS_EXTRA = 14
KS_KEEP = 0.8


def _ranked(vals: np.ndarray, which: str) -> np.ndarray:
    """Indices of `vals` best first by ARPACK's criterion `which` (ties: larger imaginary part)."""
    return np.lexsort((-vals.imag, SELECT[which](vals)))


def _schur_values(T: np.ndarray) -> np.ndarray:
    """The eigenvalues of a real quasi-triangular Schur form in the order of its diagonal (a 2x2
    block: its conjugate pair, positive imaginary part first)."""
    m, i = T.shape[0], 0
    out = np.empty(m, dtype=complex)
    while i < m:
        if i + 1 < m and T[i + 1, i] != 0.0:
            a, b, c, d = T[i, i], T[i, i + 1], T[i + 1, i], T[i + 1, i + 1]
            disc = ((a - d) / 2) ** 2 + b * c
            im = np.sqrt(-disc) if disc < 0 else 0.0
            out[i], out[i + 1] = (a + d) / 2 + 1j * im, (a + d) / 2 - 1j * im
            i += 2
        else:
            out[i] = T[i, i]
            i += 1
    return out


def krylov_schur(matvec: Callable[[np.ndarray], np.ndarray], n: int, k: int, which: Sequence[str], tol: float,
                 v0: np.ndarray, m: int, max_restarts: Optional[int] = None) -> tuple[Optional[dict], int]:
    """The k eigenvalues of a real operator (n x n, given by `matvec`) that each criterion of
    `which` selects (ARPACK's: LM, LR, SR, LI, SM), all from one Krylov space of at most m vectors
    restarted in Krylov-Schur form (Stewart 2002, "A Krylov-Schur algorithm for large
    eigenproblems"). Where ARPACK runs once per criterion and rebuilds its space each time, the
    groups here share every product: a restart keeps, in a reordered real Schur form of the
    Rayleigh quotient, the k + KS_EXTRA best Ritz values of each group (conjugate pairs whole).

    A Ritz value theta with unit Ritz vector y of the quotient counts as converged when its
    residual |b^T y| <= tol max(eps^(2/3), |theta|), ARPACK's test; the run stops when every
    group's k best have converged. Orthogonalisation: classical Gram-Schmidt with a second pass
    where the first cancelled (DGKS). Returns ({which: values, best first by ARPACK's criterion},
    products), or (None, products) when `max_restarts` restarts (KS_MAX_RESTARTS) were not enough."""
    from scipy.linalg import lapack, schur

    V = np.zeros((m + 1, n))  # the basis as rows: each vector contiguous
    H = np.zeros((m + 1, m))
    V[0] = v0 / np.linalg.norm(v0)
    p = products = 0
    eps23 = np.finfo(float).eps ** (2 / 3)
    fresh = np.random.default_rng(0)  # a new direction where the space became invariant
    keep_at_most = max(k * len(which), int(KS_KEEP * m))
    for _ in range((KS_MAX_RESTARTS if max_restarts is None else max_restarts) + 1):
        for j in range(p, m):
            w = matvec(V[j])
            products += 1
            basis = V[:j + 1]
            h = basis @ w
            before = np.linalg.norm(w)
            w = w - h @ basis
            beta = np.linalg.norm(w)
            if beta < 0.7071 * before:  # cancellation: orthogonalise once more
                again = basis @ w
                w -= again @ basis
                h += again
                beta = np.linalg.norm(w)
            H[:j + 1, j] = h
            if beta <= 1e-12 * before:  # an invariant subspace: its Ritz values are exact
                for _ in range(2):
                    w = fresh.standard_normal(n)
                    w -= (basis @ w) @ basis
                beta, H[j + 1, j] = np.linalg.norm(w), 0.0
            else:
                H[j + 1, j] = beta
            V[j + 1] = w / beta
        S, b = H[:m, :m], H[m, :m]
        theta, Y = np.linalg.eig(S)
        residual = np.abs(b @ (Y / np.linalg.norm(Y, axis=0)))
        converged = residual <= tol * np.maximum(eps23, np.abs(theta))
        best = {w: _ranked(theta, w)[:k] for w in which}
        if all(converged[i].all() for i in best.values()):
            return {w: theta[i] for w, i in best.items()}, products
        # restart: keep each group's best Ritz values (a Schur basis of them) and expand again
        T, Z = schur(S, output="real")
        values = _schur_values(T)
        pairs = np.zeros(m, dtype=bool)
        pairs[:-1] = np.diag(T, -1) != 0.0  # i starts a 2x2 block
        for extra in range(KS_EXTRA, -1, -1):
            select = np.zeros(m, dtype=bool)
            for w in which:
                select[_ranked(values, w)[:k + extra]] = True
            select[1:] |= select[:-1] & pairs[:-1]  # a pair kept whole
            select[:-1] |= select[1:] & pairs[:-1]
            if select.sum() <= keep_at_most:
                break
        T, Z, *_, p, _, _, info = lapack.dtrsen(select.astype(np.int32), T, Z, job="N")
        if info != 0 or not 0 < p < m:
            break
        V[:p] = Z[:, :p].T @ V[:m]
        V[p] = V[m]
        b = b @ Z[:, :p]
        H[:] = 0.0
        H[:p, :p], H[p, :p] = T[:p, :p], b
    return None, products


def eigenvalues_arnoldi(v: Callable[..., Tensor], theta: Tensor, *batch: Tensor, k: int = 6,
                        which: Sequence[str] = ("LM", "LR"), tol: float = ARNOLDI_TOL, seed: int = 0,
                        info: Optional[dict] = None) -> dict[str, np.ndarray]:
    """For each `which` (ARPACK's: LM largest magnitude, LR largest real part, SR, LI largest
    imaginary part in magnitude, SM) the k eigenvalues of J it selects, best first (LI: by
    imaginary part, a pair's positive member first), from products with J^T
    (`jacobian_operator`, transpose: one vjp each; J^T has J's eigenvalues), float64, from a fixed
    start: all groups from one Krylov-Schur space of ARNOLDI_NCV vectors (`krylov_schur`), or where
    that has not converged in KS_MAX_RESTARTS restarts, scipy.sparse.linalg.eigs (ARPACK's
    implicitly restarted Arnoldi) group by group.

    `tol` is the relative accuracy of the Ritz values (ARNOLDI_TOL = 1e-10). On the 2D MLP
    game of tests/test_jacobian.py (P = 219, k = 6) the values match the dense spectrum to
    about 1e-14 relative to its largest |λ|. On ring8's nine points (P = 8,899) the shared space
    takes 1,267 products where ARPACK took 3,877 for the three groups (LR alone up to 509), with
    the same values to 2e-12 relative. One product is one backward pass through the kept graph
    (after one evaluation of v with its graph); the dense Jacobian takes P vector-Jacobian
    products. A k too large for a restarted space (k >= P - 1, or P <= 2 ARNOLDI_NCV) takes the
    dense spectrum from P products. `info`, when given, receives ``products`` (the total) and
    ``method`` ("krylov-schur", "arpack" or "dense").
    """
    for w in which:
        if w not in ORDER:
            raise ValueError(f"which: must be one of {', '.join(ORDER)} (got {w!r})")
    op = jacobian_operator(v, theta, *batch, transpose=True)
    n = op.shape[0]
    v0 = np.random.default_rng(seed).standard_normal(n)  # fixed start: same point, same numbers
    if k >= n - 1 or n <= 2 * ARNOLDI_NCV:
        dense = np.linalg.eigvals(np.stack([op.matvec(e) for e in np.eye(n)], axis=1))
        found, method = {w: dense[_ranked(dense, w)[:k]] for w in which}, "dense"
    else:
        found, _ = krylov_schur(op.matvec, n, k, which, tol, v0, min(n - 1, max(2 * k + 1, ARNOLDI_NCV)))
        method = "krylov-schur"
        if found is None:
            from scipy.sparse.linalg import eigs

            found, method = {w: eigs(op, k=k, which=w, tol=tol, v0=v0, maxiter=100 * n, return_eigenvectors=False,
                                     ncv=min(n, max(2 * k + 1, ARNOLDI_NCV))) for w in which}, "arpack"
    if info is not None:
        info |= {"products": op.products, "method": method}
    return {w: vals[np.lexsort((-vals.imag, ORDER[w](vals)))][:k] for w, vals in found.items()}


# --- discrete updates -----------------------------------------------------------------------

UPDATE_MODES = ("simultaneous", "alternating")


def update_mode(sc) -> Optional[str]:
    """The scenario's update mode ('simultaneous' or 'alternating') where its discrete update is
    `update_matrix` (plain SGD, one step size for both players, one D and one G step per game when
    alternating); None where the unit-circle picture does not apply (Adam, momentum, ...)."""
    tr = sc.training
    opts = [sc.optimizer.for_player(p) for p in ("discriminator", "generator")]
    plain = all(o.kind == "sgd" and not o.momentum for o in opts) and opts[0].lr == opts[1].lr
    return tr.update if plain and (tr.update == "simultaneous" or tr.d_steps == tr.g_steps == 1) else None


def update_matrix(J: np.ndarray, h: float, mode: str, p_d: Optional[int] = None) -> np.ndarray:
    """The Jacobian of one gradient step with step h at a fixed point of the field.

    simultaneous: theta <- theta + h v(theta): I + hJ.
    alternating: theta_D' = theta_D + h v_D(theta), then theta_G' = theta_G + h v_G(theta_D', theta_G):
    [[I + h J_DD, h J_DG], [h J_GD (I + h J_DD), I + h J_GG + h^2 J_GD J_DG]] (at a fixed point
    theta_D' = theta_D, so G's blocks are J's). `p_d`: D's parameter count (alternating only)."""
    J = np.asarray(J, dtype=float)
    n = J.shape[0]
    if mode == "simultaneous":
        return np.eye(n) + h * J
    if mode != "alternating":
        raise ValueError(f"mode: must be one of {', '.join(UPDATE_MODES)} (got {mode!r})")
    if p_d is None or not 0 <= p_d <= n:
        raise ValueError(f"p_d: alternating updates need D's parameter count in [0, {n}] (got {p_d!r})")
    dd, dg, gd, gg = J[:p_d, :p_d], J[:p_d, p_d:], J[p_d:, :p_d], J[p_d:, p_d:]
    step_d = np.eye(p_d) + h * dd
    return np.block([[step_d, h * dg], [h * gd @ step_d, np.eye(n - p_d) + h * gg + h * h * gd @ dg]])


def discrete_update_eigenvalues(J: np.ndarray, h: float, mode: str, p_d: Optional[int] = None) -> np.ndarray:
    """Eigenvalues of `update_matrix` sorted by (real, imag); the iteration converges locally iff
    all have modulus < 1 (their largest modulus is the spectral radius)."""
    return sort_complex(np.linalg.eigvals(update_matrix(J, h, mode, p_d)))


# --- the Dirac-GAN's closed forms (Mescheder et al. 2018, Sections 2-3) -----------------------
# Real data delta_0, G = delta_theta, D(x) = psi x. D maximises f(-psi theta) + f(0) in gananim's
# sign convention (the paper writes f(psi theta) + f(0); the spectra are the same), f(t) =
# log sigmoid(t) = -log(1 + e^-t) for the GAN (minimax and non-saturating G: same Jacobian at the
# equilibrium), f(t) = t for WGAN. Order (psi, theta): D first, as theta = [theta_D, theta_G].

# f'(0), f''(0); hinge: relu(1 + psi theta) = 1 + psi theta while |psi theta| < 1, WGAN's form near 0
DIRAC_F = {"minimax": (0.5, -0.25), "non_saturating": (0.5, -0.25), "wasserstein": (1.0, 0.0), "hinge": (1.0, 0.0)}
DIRAC_REGULARIZERS = ("none", "r1", "r2")


def dirac_jacobian(f_prime0: float, reg: str = "none", gamma: float = 0.0, consensus: float = 0.0,
                   noise_std: float = 0.0, f_second0: float = 0.0) -> np.ndarray:
    """J at the equilibrium theta = psi = 0, order (psi, theta): [[-c, -a], [a, 0]] with a = f'(0)
    and c = gamma (R1 or R2: gamma/2 psi^2 on D) - 2 sigma^2 f''(0) (instance noise N(0, sigma^2) on
    real and fake); with consensus mu, J - mu J^T J (v = 0 there, so v's curvature drops out)."""
    if reg not in DIRAC_REGULARIZERS:
        raise ValueError(f"reg: must be one of {', '.join(DIRAC_REGULARIZERS)} (got {reg!r})")
    a = f_prime0
    c = (gamma if reg != "none" else 0.0) - 2 * noise_std**2 * f_second0
    J = np.array([[-c, -a], [a, 0.0]])
    return J - consensus * J.T @ J


def dirac_equilibrium_eigenvalues(f_prime0: float, reg: str = "none", gamma: float = 0.0, consensus: float = 0.0,
                                  noise_std: float = 0.0, f_second0: float = 0.0) -> np.ndarray:
    """Closed-form eigenvalues of `dirac_jacobian`, sorted by (real, imag): (t +- sqrt(t^2 - 4 d)) / 2
    with t = -c - mu (c^2 + 2 a^2), d = a^2 (1 + mu c + mu^2 a^2). Special cases: +- i f'(0)
    unregularised; (-gamma +- sqrt(gamma^2 - 4 f'(0)^2)) / 2 with R1/R2 (the paper's Lemma);
    f''(0) sigma^2 +- sqrt(f''(0)^2 sigma^4 - f'(0)^2) with instance noise (the paper's Lemma);
    -mu f'(0)^2 +- i f'(0) with consensus mu alone."""
    if reg not in DIRAC_REGULARIZERS:
        raise ValueError(f"reg: must be one of {', '.join(DIRAC_REGULARIZERS)} (got {reg!r})")
    a, mu = f_prime0, consensus
    c = (gamma if reg != "none" else 0.0) - 2 * noise_std**2 * f_second0
    t = -c - mu * (c * c + 2 * a * a)
    d = a * a * (1 + mu * c + mu * mu * a * a)
    root = np.sqrt(complex(t * t - 4 * d))
    return sort_complex(np.array([(t - root) / 2, (t + root) / 2]))


def dirac_simgd_radius(f_prime0: float, h: float) -> float:
    """Spectral radius of simultaneous GD on the unregularised Dirac-GAN: |1 +- i h f'(0)| =
    sqrt(1 + h^2 f'(0)^2) > 1: it diverges for every step size."""
    return float(np.sqrt(1 + h * h * f_prime0**2))


def dirac_altgd_matrix(f_prime0: float, h: float) -> np.ndarray:
    """Alternating GD's update on the unregularised Dirac-GAN, order (psi, theta):
    psi' = psi - h a theta, theta' = theta + h a psi' -> [[1, -h a], [h a, 1 - h^2 a^2]] (det 1)."""
    a = f_prime0
    return np.array([[1.0, -h * a], [h * a, 1 - (h * a) ** 2]])


def dirac_altgd_eigenvalues(f_prime0: float, h: float) -> np.ndarray:
    """Eigenvalues of `dirac_altgd_matrix`: 1 - (ha)^2/2 +- i ha sqrt(1 - (ha)^2/4), modulus 1 for
    h |f'(0)| <= 2 (det 1, trace 2 - (ha)^2 in [-2, 2]): it neither converges nor diverges."""
    x = h * f_prime0
    t = 2 - x * x
    root = np.sqrt(complex(t * t - 4))
    return sort_complex(np.array([(t - root) / 2, (t + root) / 2]))
