"""The chained engine: every derivative gananim takes by hand, in one place.

A player "chains" when it is affine layers (with biases) and elementwise activations of known
slope and curvature (every player in models.PLAYERS): its forward pass is a few batched matrix
products and its derivatives follow from the chain rule layer by layer, without autograd's graph.
This module holds that calculus:

- slopes and curvatures of the activations (SLOPES, CURVATURES);
- trace / backprop: a forward pass that keeps what the backward pass needs, and the backward pass;
- input gradients of a piecewise-linear critic and their gradients (the gradient penalties);
- the closed-form derivatives of each loss with respect to D's outputs (D_GRADS, G_GRADS) and of
  each penalty with respect to the squared input-gradient norm (PENALTY_SLOPES);
- the R-operator (Pearlmutter 1994) for Hessian-vector products (ChainedHVP) and the exact
  Hessians of stacked points by double backward (stacked_hessians).

`supports` is the one predicate that says whether a game can run here; engines/__init__.py asks
it. Parameters of a player trained over S seeds are stacked on a leading axis (models.Stack):
weights (S, out, in), biases (S, out), batches (S, B, d). Nothing here draws pictures.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Callable, Optional

import numpy as np
import torch
from torch import nn

from .. import losses

if TYPE_CHECKING:  # scipy is imported where an operator is made: a small game never needs it
    from scipy.sparse.linalg import LinearOperator

Tensor = torch.Tensor
Step = tuple[Callable[[], Tensor], tuple[Tensor, ...]]  # (the loss per seed, when asked for; gradients)

# d(activation)/d(input) from (module, input, output). The 0/1 step of ReLU is written
# sign(relu(x)): one elementwise kernel on the output, no comparison and no boolean mask
SLOPES: dict[type[nn.Module], Callable[[nn.Module, Tensor, Tensor], Tensor]] = {
    nn.Tanh: lambda m, x, y: 1 - y * y,
    nn.ReLU: lambda m, x, y: torch.sign(y),
    nn.LeakyReLU: lambda m, x, y: torch.relu(x).sign_().mul_(1 - m.negative_slope).add_(m.negative_slope),
    nn.ELU: lambda m, x, y: torch.where(x > 0, 1.0, y + m.alpha),
    nn.Sigmoid: lambda m, x, y: y * (1 - y),
}
PIECEWISE_LINEAR = (nn.ReLU, nn.LeakyReLU)
# d2(activation)/d(input)2 from (module, input, output); None where it is zero (the
# piecewise-linear ones, between kinks)
CURVATURES: dict[type[nn.Module], Optional[Callable[[nn.Module, Tensor, Tensor], Tensor]]] = {
    nn.Tanh: lambda m, x, y: -2 * y * (1 - y * y),
    nn.ReLU: None,
    nn.LeakyReLU: None,
    nn.ELU: lambda m, x, y: torch.where(x > 0, 0.0, y + m.alpha),
    nn.Sigmoid: lambda m, x, y: y * (1 - y) * (1 - 2 * y),
}


def layers_of(module: nn.Module) -> list[nn.Module] | None:
    """The module's layers when it chains: an nn.Linear with a bias, or an nn.Sequential of
    those and activations in SLOPES and CURVATURES, and no buffers; else None. Exact types only:
    a subclass may have its own forward, and a parametrised layer (spectral norm makes one) may
    order or use its parameters differently."""
    if type(module) not in (nn.Sequential, nn.Linear) or next(module.buffers(), None) is not None:
        return None
    layers = list(module) if isinstance(module, nn.Sequential) else [module]
    ok = all(m.bias is not None if type(m) is nn.Linear else type(m) in SLOPES and type(m) in CURVATURES
             for m in layers)
    return layers if ok else None


def piecewise_linear(module: nn.Module) -> bool:
    """Chains, with piecewise-linear activations only (ReLU, leaky ReLU, or none): its input
    gradient is constant between kinks, so a gradient penalty's gradient chains by hand too."""
    layers = layers_of(module)
    return layers is not None and all(isinstance(m, (nn.Linear, *PIECEWISE_LINEAR)) for m in layers)


# --- closed-form derivatives of the losses with respect to D's outputs, keyed by the loss
# function they differentiate (per seed, batch mean: the derivative with respect to one output
# carries 1/B). A loss without an entry runs on the autograd engine.

def _per_row(t: Tensor) -> float:
    return 1.0 / t.shape[-2]


def _minimax_d(real: Tensor, fake: Tensor) -> tuple[Tensor, Tensor]:
    return -torch.sigmoid(-real) * _per_row(real), torch.sigmoid(fake) * _per_row(fake)


def _least_squares_d(real: Tensor, fake: Tensor) -> tuple[Tensor, Tensor]:
    return (real - 1) * _per_row(real), fake * _per_row(fake)


def _wasserstein_d(real: Tensor, fake: Tensor) -> tuple[Tensor, Tensor]:
    return torch.full_like(real, -_per_row(real)), torch.full_like(fake, _per_row(fake))


def _hinge_d(real: Tensor, fake: Tensor) -> tuple[Tensor, Tensor]:
    return -(real < 1).to(real.dtype) * _per_row(real), (fake > -1).to(fake.dtype) * _per_row(fake)


D_GRADS: dict[Callable, Callable[[Tensor, Tensor], tuple[Tensor, Tensor]]] = {
    losses.minimax_d: _minimax_d,
    losses.least_squares_d: _least_squares_d,
    losses.wasserstein_d: _wasserstein_d,
    losses.hinge_d: _hinge_d,
}
G_GRADS: dict[Callable, Callable[[Tensor], Tensor]] = {
    losses.minimax_g: lambda fake: -torch.sigmoid(fake) * _per_row(fake),
    losses.non_saturating_g: lambda fake: -torch.sigmoid(-fake) * _per_row(fake),
    losses.least_squares_g: lambda fake: (fake - 1) * _per_row(fake),
    losses.wasserstein_g: lambda fake: torch.full_like(fake, -_per_row(fake)),
}


def _gp_slope(reg, sq: Tensor) -> Tensor:
    norm = (sq + losses.GP_EPS).sqrt()
    return reg.weight * (norm - 1) / norm


# d(per_row penalty)/d(|grad_x D|^2), keyed by the regularizer's class (exact type)
PENALTY_SLOPES: dict[type, Callable[[object, Tensor], Tensor]] = {
    losses.GradientPenalty: _gp_slope,
    losses.R1: lambda reg, sq: torch.full_like(sq, 0.5 * reg.gamma),
    losses.R2: lambda reg, sq: torch.full_like(sq, 0.5 * reg.gamma),
}


def supports(generator: nn.Module, discriminator: nn.Module, loss: Optional[losses.Loss] = None,
             regularizer: Optional[object] = None) -> bool:
    """Whether the chained engine can take this game's derivatives: both players chain, the
    loss (when given) has closed-form derivatives, and a penalty (when given and it penalises)
    has a known slope and sits on a piecewise-linear critic. Without loss and regularizer the
    question is the Hessians' (whose loss derivatives at D's outputs autograd takes)."""
    if layers_of(generator) is None or layers_of(discriminator) is None:
        return False
    if loss is not None and (loss.d not in D_GRADS or loss.g not in G_GRADS):
        return False
    if regularizer is not None and regularizer.joint:  # consensus: second derivatives in every step
        return False
    if regularizer is not None and regularizer.penalises:
        return type(regularizer) in PENALTY_SLOPES and piecewise_linear(discriminator)
    return True


# --- forward and backward passes of a stack of players (one parameter set per seed) --------

def affine_forward(layers: list[nn.Module], params: list[Tensor], x: Tensor) -> Tensor:
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


def trace(layers: list[nn.Module], params: list[Tensor], x: Tensor) -> tuple[Tensor, list[Tensor]]:
    """The output for x (S, B, d_in) and, per layer, what backprop needs: an affine layer's
    input, an activation's derivative at its input."""
    saved, k = [], 0
    for layer in layers:
        if isinstance(layer, nn.Linear):
            saved.append(x)
            x = torch.baddbmm(params[k + 1].unsqueeze(1), x, params[k].transpose(1, 2))
            k += 2
        else:
            y = layer(x)
            saved.append(SLOPES[type(layer)](layer, x, y))
            x = y
    return x, saved


def backprop(layers: list[nn.Module], params: list[Tensor], saved: list[Tensor], dout: Tensor, *,
             weights: bool = True, input_grad: bool = False, outputs: list | None = None
             ) -> tuple[list[Tensor], Tensor | None]:
    """The gradients of sum(dout * output) with respect to the parameters (each (S, ...), in
    order; when `weights`) and to the input (when `input_grad`), from a `trace`. `outputs` (one
    slot per layer) receives the gradient with respect to each affine layer's output."""
    grads: list[Tensor] = []
    k = len(params)
    for i in reversed(range(len(layers))):
        if isinstance(layers[i], nn.Linear):
            k -= 2
            if outputs is not None:
                outputs[i] = dout
            if weights:
                grads[:0] = [torch.bmm(dout.transpose(1, 2), saved[i]), dout.sum(dim=1)]
            if i == 0 and not input_grad:
                return grads, None
            dout = torch.bmm(dout, params[k])
        else:
            dout = dout * saved[i]
    return grads, dout


def input_gradient(layers: list[nn.Module], params: list[Tensor], x: Tensor) -> tuple[Tensor, tuple]:
    """The gradient of each row's output with respect to its input, (S, B, d_in), for a
    piecewise-linear player with one output; and what `input_gradient_backprop` needs."""
    _, saved = trace(layers, params, x)
    chain: list[Tensor | None] = [None] * len(layers)
    _, g = backprop(layers, params, saved, x.new_ones(*x.shape[:-1], 1), weights=False, input_grad=True,
                    outputs=chain)
    return g, (saved, chain)


def input_gradient_backprop(layers: list[nn.Module], params: list[Tensor], memo: tuple, gamma: Tensor
                            ) -> list[Tensor]:
    """The gradients of sum(gamma * input_gradient(x)) with respect to the parameters. The
    input gradient of a piecewise-linear network is a product of its weights and of 0/slope
    masks that do not move under small changes: the biases get no gradient."""
    saved, chain = memo
    grads: list[Tensor] = []
    k = 0
    for i, layer in enumerate(layers):
        if isinstance(layer, nn.Linear):
            grads += [torch.bmm(chain[i].transpose(1, 2), gamma), torch.zeros_like(params[k + 1])]
            if i + 1 == len(layers):
                break
            gamma = torch.bmm(gamma, params[k].transpose(1, 2))
            k += 2
        else:
            gamma = gamma * saved[i]
    return grads


class Chained:
    """The game's gradients chained by hand: G(z) (+ noise) -> D -> the loss's closed-form
    derivative -> back through D (and G). Runs under one torch.no_grad per game (`grad_mode`)."""

    name = "chained"
    grad_mode = torch.no_grad

    def __init__(self, G, D, loss: losses.Loss, regularizer, rngs: list[torch.Generator]):
        if not supports(G.template, D.template, loss, regularizer):
            raise ValueError("the chained engine does not support these players, loss or regularizer")
        self.G, self.D, self.loss, self.reg, self.rngs = G, D, loss, regularizer, rngs
        self.g_layers, self.d_layers = layers_of(G.template), layers_of(D.template)
        self.d_grad, self.g_grad = D_GRADS[loss.d], G_GRADS[loss.g]
        self.slope = PENALTY_SLOPES.get(type(regularizer)) if regularizer.penalises else None

    def d_step(self, real: Tensor, fake: Tensor, source: Optional[tuple] = None) -> Step:
        """D's loss and gradients on a real and a fake batch (S, B, d), instance noise included."""
        B, D, loss = real.shape[1], self.D, self.loss
        out, saved = trace(self.d_layers, D.params, torch.cat([real, fake], dim=1))  # one pass for both
        self.d_outputs = (out[:, :B], out[:, B:])
        d_real, d_fake = self.d_grad(out[:, :B], out[:, B:])
        grads, _ = backprop(self.d_layers, D.params, saved, torch.cat([d_real, d_fake], 1))
        if self.slope is None:
            return (lambda: loss.d(out[:, :B], out[:, B:])), tuple(grads)
        # the penalty's gradient: d(mean per_row(|g|^2))/dg = slope (PENALTY_SLOPES) * 2 g / B
        reg = self.reg
        g, memo = input_gradient(self.d_layers, D.params, reg.points(real, fake, self.rngs))
        sq = (g * g).sum(dim=-1)
        gamma = (self.slope(reg, sq) * (2 / B)).unsqueeze(-1) * g
        grads = [a + b for a, b in zip(grads, input_gradient_backprop(self.d_layers, D.params, memo, gamma))]
        return (lambda: loss.d(out[:, :B], out[:, B:]) + reg.per_row(sq).mean(dim=-1)), tuple(grads)

    def g_step(self, z: Tensor, eps: Optional[Tensor], fake: Optional[Tensor] = None) -> Step:
        """G's loss and gradients: G(z) + eps -> D -> loss, chained back to G's parameters.
        `fake` (G(z) already computed) is not used: the chain keeps its own forward pass."""
        g_out, g_saved = trace(self.g_layers, self.G.params, z)
        out, d_saved = trace(self.d_layers, self.D.params, g_out if eps is None else g_out + eps)
        _, d_input = backprop(self.d_layers, self.D.params, d_saved, self.g_grad(out), weights=False,
                              input_grad=True)
        grads, _ = backprop(self.g_layers, self.G.params, g_saved, d_input)
        return (lambda: self.loss.g(out)), tuple(grads)

    @staticmethod
    def hessians(f, thetas: Tensor, batches: tuple, sl: slice) -> Tensor:
        return stacked_hessians(f, thetas, batches, sl)

    @staticmethod
    def hvp(f, theta: Tensor, *batch: Tensor) -> "ChainedHVP":
        return ChainedHVP(f, theta, *batch)


# --- second derivatives ---------------------------------------------------------------------

def stacked_hessians(f, thetas: Tensor, batches: tuple, sl: slice) -> Tensor:
    """The Hessians of a GameFunction f of chaining players at the points thetas[sl] by double
    backward: the points are stacked on a leading axis (they share nothing, so the gradient of
    the sum is each one's gradient) and each backward pass of one gradient component gives that
    column of every point's Hessian: P passes in all, and no torch.func (whose first call
    imports many modules in every process)."""
    shapes = [p.shape for m in (f.D, f.G) for p in m.parameters()]
    theta = thetas[sl].detach().clone().requires_grad_(True)
    n, size = theta.shape
    params = [c.reshape(n, *s) for c, s in zip(torch.split(theta, [s.numel() for s in shapes], dim=1), shapes)]
    d_count = len(list(f.D.parameters()))
    x, z, eps_real, eps_fake = (b[sl] for b in batches)
    d_layers = layers_of(f.D)
    with torch.enable_grad():
        fake = affine_forward(layers_of(f.G), params[d_count:], z) + eps_fake
        real = affine_forward(d_layers, params[:d_count], x + eps_real) if f.uses_real else None
        value = f.outputs(real, affine_forward(d_layers, params[:d_count], fake))  # (n,)
        (grad,) = torch.autograd.grad(value.sum(), theta, create_graph=True)
        columns = [torch.autograd.grad(grad[:, j].sum(), theta, retain_graph=True)[0] for j in range(size)]
    h = torch.stack(columns, dim=2).double()
    return 0.5 * (h + h.transpose(1, 2))  # symmetric up to float rounding


class _Pass:
    """One network applied to a batch at a fixed theta, with what the R-operator needs: each
    affine layer's input, each activation's slope and curvature and (after `backward`) the
    gradient of f with respect to every layer's output. The R methods can run on a range of
    rows only (`rows`), when the others' directional derivatives are zero."""

    def __init__(self, layers: list[nn.Module], weights: list[Tensor], h: Tensor):
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

    def backward(self, delta: Tensor) -> Tensor:
        """Record d f / d(each layer's output) from d f / d out; return d f / d input."""
        self.deltas: list[Tensor] = [delta] * len(self.layers)
        k = len(self.weights)
        for i in reversed(range(len(self.layers))):
            self.deltas[i] = delta
            if isinstance(self.layers[i], nn.Linear):
                k -= 2
                delta = delta @ self.weights[k]
            else:
                delta = delta * self.saved[i][0]
        return delta

    def r_forward(self, r: Tensor | None, r_weights: list[Tensor] | None, rows: slice) -> Tensor | None:
        """The directional derivative of the output along (input direction r, weight direction);
        None stands for zero. Keeps what `r_backward` needs."""
        self.r_saved: list[Tensor | None] = []
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

    def r_backward(self, r_delta: Tensor | None, r_weights: list[Tensor] | None, rows: slice,
                   params: bool, input_grad: bool) -> tuple[list[Tensor], Tensor | None]:
        """The directional derivative of (d f / d weights when `params`, d f / d input when
        `input_grad`), after `r_forward`."""
        grads: list[Tensor] = []
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
    """Hessian-vector products of a GameFunction of chaining players by the R-operator
    (Pearlmutter 1994). The forward and backward passes at theta run once (D sees the real and
    the fake rows in one pass); each product then runs only their directional derivatives, and a
    block's product skips what the block does not need (D's block: G's backward; G's block: the
    real rows and D's weight gradients). Tests compare it with the autograd engine's HVP."""

    def __init__(self, f, theta: Tensor, x, z, eps_real, eps_fake):
        d_layers, g_layers = layers_of(f.D), layers_of(f.G)
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

    def product(self, v_d: Tensor | None, v_g: Tensor | None, want_d: bool, want_g: bool
                ) -> tuple[Tensor | None, Tensor | None]:
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

    def __call__(self, v: Tensor) -> Tensor:
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

        from scipy.sparse.linalg import LinearOperator

        return LinearOperator((size, size), matvec=matvec, dtype=np.float64)
