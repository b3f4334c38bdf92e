"""The game loop: both players take their steps, every game is recorded, snapshots are
taken by the probe every ``record.every`` games, and a Run comes out.

One game = ``d_steps`` steps of D on its loss, then ``g_steps`` steps of G on its loss.
After the game, V (minimax form, on what D saw: the last real batch and the last noise
batch, with that game's instance noise) is recorded, and so is the point where the Hessian
of V is taken. Nothing in this file draws pictures.
"""
from __future__ import annotations

import contextlib
import platform
from typing import Callable, Optional

import numpy as np
import torch

from . import __version__, hessian, losses
from .probes import PROBES
from .errors import TrainingError
from .run import FORMAT, Run
from .data import per_seed
from .models import Stack
from .optim import OPTIMIZERS
from .scenario import OptimizerSettings, Scenario

Progress = Callable[[int, int], None]


def _grads(per_seed_loss: torch.Tensor, params: list[torch.Tensor]) -> tuple[torch.Tensor, ...]:
    """Each seed's gradient (seeds share no parameter, so the gradient of the sum is each one's)."""
    return torch.autograd.grad(per_seed_loss.sum(), params)


# one step's (loss per seed, computed when the record asks for it; gradients)
_Step = tuple[Callable[[], torch.Tensor], tuple[torch.Tensor, ...]]


def _stepper(player: Stack, settings: OptimizerSettings) -> Callable[[tuple[torch.Tensor, ...]], None]:
    """One player's optimiser step, on the player's flat parameter buffer."""
    update = OPTIMIZERS[settings.kind](player.data, settings)

    def step(grads: tuple[torch.Tensor, ...]) -> None:
        with torch.no_grad():
            update(player.flat_grad(grads))

    return step


ROWS = ("objective", "d_loss", "g_loss", "grad_norm_d", "grad_norm_g")  # recorded every game


def _norms(grads: tuple[torch.Tensor, ...]) -> torch.Tensor:
    """The gradient norm of each seed (parameters stacked on a leading seed axis)."""
    return torch.linalg.vector_norm(torch.cat([g.reshape(len(g), -1) for g in grads], dim=1), dim=1)


def train(sc: Scenario, progress: Optional[Progress] = None, *, closed_form: bool = True) -> Run:
    """Play the scenario's games and record them into a Run (deterministic for a seed).

    A sweep (``seeds: [...]``) plays every seed's game side by side: the players' parameters
    are stacked on a leading seed axis (models.Stack) and every seed keeps its own random
    stream, so each seed's numbers equal a separate run with that seed (to float rounding).
    Its Run holds every array with a leading seed axis; ``Run.member(k)`` is seed k's run.

    When both players are affine layers and elementwise activations (every shipped player) and
    the loss has closed-form derivatives, gradients are chained by hand instead of by autograd
    (the same numbers to float rounding, 3-4x less overhead per step for the tutorial's linear
    games). A gradient penalty chains by hand on a piecewise-linear (ReLU) critic; with any
    other critic a penalised game runs on autograd. ``closed_form=False`` turns it all off.
    """
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny models: one thread is fastest and run-to-run identical
    try:
        return _train(sc, progress, closed_form)
    finally:
        torch.set_num_threads(threads)


def _train(sc: Scenario, progress: Optional[Progress], closed_form: bool) -> Run:
    seeds = sc.seed_list()
    S = len(seeds)
    gens = [torch.Generator().manual_seed(seed) for seed in seeds]
    data, noise, tr, rec, reg = sc.data, sc.noise, sc.training, sc.record, sc.regularizer
    loss = losses.LOSSES[sc.loss]
    n_real = getattr(data, "samples", None)
    real_sets, Gs, Ds = [], [], []
    for gen in gens:  # each seed's stream: its training set, then G's and D's initial parameters
        real_sets.append(data.sample(n_real, gen) if n_real else None)
        Gs.append(sc.generator.build(noise.dim, data.dim, gen))
        Ds.append(sc.discriminator.build(data.dim, 1, gen))
    G, D = Stack(Gs), Stack(Ds)
    limit = parameter_limit(sc)
    if not (_bounded(D, limit) and _bounded(G, limit)):
        raise TrainingError(_diverged(sc, -1, None, D, G, limit))
    step_d = _stepper(D, sc.optimizer.for_player("discriminator"))
    step_g = _stepper(G, sc.optimizer.for_player("generator"))
    probes = [PROBES[data.dim](sc, real_set, seed=seed + 1_000_003) for real_set, seed in zip(real_sets, seeds)]
    B, n = tr.batch_size, tr.games
    per_game = sc.instance_noise.draw == "per_game"
    all_real = torch.stack(real_sets) if n_real else None

    def real_batch() -> torch.Tensor:
        if not n_real:
            return per_seed(gens, lambda g: data.sample(B, g))
        if B == n_real:
            return all_real
        return torch.stack([r[torch.randperm(n_real, generator=g)[:B]] for r, g in zip(real_sets, gens)])

    def noise_batch() -> torch.Tensor:  # each seed's standard draws, then one shift and scale for all
        return noise.place(per_seed(gens, lambda g: noise.standard(B, g)))

    zeros = torch.zeros(S, B, data.dim)
    penalised = reg.penalises

    def inst_noise(std: float) -> torch.Tensor:
        return std * per_seed(gens, lambda g: torch.randn(B, data.dim, generator=g)) if std > 0 else zeros

    def noisy(t: torch.Tensor, eps: torch.Tensor) -> torch.Tensor:
        return t if eps is zeros else t + eps  # no instance noise: skip adding zeros

    # gradients chained by hand (models.Stack.trace/backprop) when both players allow it, the
    # loss has closed-form derivatives and any gradient penalty is on a piecewise-linear D
    closed_form = (closed_form and G.chainable and D.chainable and loss.d_grad is not None
                   and loss.g_grad is not None and (not penalised or D.piecewise_linear))

    # hand-chained steps run under one torch.no_grad per game (the game loop), not one per call
    step_grad_mode = torch.no_grad if closed_form else contextlib.nullcontext

    def d_grads(x, z, eps_r, eps_f) -> _Step:
        with torch.no_grad():
            fake = noisy(G(z), eps_f)
        real = noisy(x, eps_r)
        both = torch.cat([real, fake], dim=1)  # one forward for both batches (row-wise the same numbers)
        if closed_form:
            out, saved = D.trace(both)
            d_real, d_fake = loss.d_grad(out[:, :B], out[:, B:])
            grads, _ = D.backprop(saved, torch.cat([d_real, d_fake], 1))
            if not penalised:
                return (lambda: loss.d(out[:, :B], out[:, B:])), tuple(grads)
            # the penalty's gradient: d(mean per_row(|g|^2))/dg = per_row_slope * 2 g / B
            g, memo = D.input_gradient(reg.points(real, fake, gens))
            sq = (g * g).sum(dim=-1)
            gamma = (reg.per_row_slope(sq) * (2 / B)).unsqueeze(-1) * g
            grads = [a + b for a, b in zip(grads, D.input_gradient_backprop(memo, gamma))]
            return (lambda: loss.d(out[:, :B], out[:, B:]) + reg.per_row(sq).mean(dim=-1)), tuple(grads)
        out = D(both)
        d_loss = loss.d(out[:, :B], out[:, B:])  # one loss per seed
        if penalised:
            d_loss = d_loss + reg.penalty(D, real, fake, gens)
        return (lambda: d_loss), _grads(d_loss, D.params)

    def g_grads(z, eps_f) -> _Step:
        if closed_form:  # G(z) + eps -> D -> loss, chained back to G's parameters
            g_out, g_saved = G.trace(z)
            out, d_saved = D.trace(noisy(g_out, eps_f))
            _, d_input = D.backprop(d_saved, loss.g_grad(out), params=False, input_grad=True)
            grads, _ = G.backprop(g_saved, d_input)
            return (lambda: loss.g(out)), tuple(grads)
        g_loss = loss.g(D(noisy(G(z), eps_f)))
        return (lambda: g_loss), _grads(g_loss, G.params)

    hist = np.empty((len(ROWS), S, n))
    snaps: list[list[dict[str, np.ndarray]]] = [[probe(G.load(k), D.load(k))] for k, probe in enumerate(probes)]
    snap_game = [0]
    points: list[tuple] = []

    for game in range(n):
        std = sc.instance_noise.std_at(game, n)
        eps = inst_noise(std) if per_game else None

        def noise_pair():
            return (eps, eps) if per_game else (inst_noise(std), inst_noise(std))

        with step_grad_mode():
            if tr.update == "alternating":
                for _ in range(tr.d_steps):
                    x, z = real_batch(), noise_batch()
                    eps_r, eps_f = noise_pair()
                    d_loss, grads_d = d_grads(x, z, eps_r, eps_f)
                    step_d(grads_d)
                    reg.after_step(D)
                for _ in range(tr.g_steps):
                    z = noise_batch()
                    eps_f = eps if per_game else inst_noise(std)
                    g_loss, grads_g = g_grads(z, eps_f)
                    step_g(grads_g)
            else:  # simultaneous: both gradients at the same point (same batch), then both steps
                for _ in range(tr.d_steps):
                    x, z = real_batch(), noise_batch()
                    eps_r, eps_f = noise_pair()
                    (d_loss, grads_d), (g_loss, grads_g) = d_grads(x, z, eps_r, eps_f), g_grads(z, eps_f)
                    step_d(grads_d)
                    step_g(grads_g)
                    reg.after_step(D)
        with torch.no_grad():
            v = loss.value(D(noisy(x, eps_r)), D(noisy(G(z), eps_f)))
            # gradient norms of each player's last step in the game
            hist[:, :, game] = torch.stack([v, d_loss(), g_loss(), _norms(grads_d), _norms(grads_g)]).numpy()
        if not (np.isfinite(hist[:, :, game]).all() and _bounded(D, limit) and _bounded(G, limit)):
            raise TrainingError(_diverged(sc, game, hist[:, :, game], D, G, limit))
        if rec.hessian and ((game + 1) % rec.hessian_every == 0 or game == 0 or game + 1 == n):
            points += [(k, game + 1, torch.cat([D.flat(k), G.flat(k)]), x[k], z[k], eps_r[k], eps_f[k])
                       for k in range(S)]
        if (game + 1) % rec.every == 0 or game + 1 == n:
            for k, probe in enumerate(probes):
                snaps[k].append(probe(G.load(k), D.load(k)))
            snap_game.append(game + 1)
        if progress is not None:
            progress(game + 1, n)

    runs = [{"game": np.arange(1, n + 1), **dict(zip(ROWS, hist[:, k])), "snap_game": np.array(snap_game),
             **probes[k].static, **{key: np.stack([s[key] for s in snaps[k]]) for key in snaps[k][0]}}
            for k in range(S)]
    meta = _meta(sc, loss) | probes[0].meta
    if rec.hessian:
        V = hessian.value_function(D.template, G.template, loss.value)
        g_own = None if loss.g_is_value else hessian.generator_loss_function(D.template, G.template, loss.g)
        p_d = sum(p[0].numel() for p in D.params)
        for k, arrays in enumerate(runs):  # seed by seed: a seed's spectra cost what a run of it alone costs
            games, *stacked = zip(*(point[1:] for point in points if point[0] == k))
            method, *spectra = hessian.spectra(V, *(torch.stack(col) for col in stacked), p_d=p_d,
                                               k=rec.hessian_k, g_own=g_own)
            arrays |= {"hessian_game": np.array(games)}
            arrays |= dict(zip(("hessian_eigvals", "hessian_eigvals_d", "hessian_eigvals_g"), spectra))
        meta |= {"hessian_method": method, "parameters": {"D": p_d, "G": sum(p[0].numel() for p in G.params)}}
    if S == 1:
        return Run(runs[0], meta)
    return Run({key: np.stack([arrays[key] for arrays in runs]) for key in runs[0]}, meta | {"seed": None, "seeds": seeds})


PARAMETER_LIMIT = 1e4


def parameter_limit(sc: Scenario) -> float:
    """The size beyond which a parameter counts as exploded: PARAMETER_LIMIT times the data's
    scale (a G must reach the data; a trained player's parameters stay far below this)."""
    scale = max(1.0, float(np.abs(np.asarray(sc.data.view_range(), dtype=float)).max()))
    return PARAMETER_LIMIT * scale


def _bounded(player: Stack, limit: float) -> bool:
    """Every parameter (every seed) finite and at most `limit` in size."""
    return bool(player.data.abs().max() <= limit)  # NaN compares False


def _shown(x: float) -> str:
    return f"{x:.3g}" if np.isfinite(x) else "not a finite number"


def _diverged(sc: Scenario, game: int, row: np.ndarray | None, D: Stack, G: Stack, limit: float) -> str:
    """One line: where the game diverged, what blew up (finite values only) and the likely cause."""
    seeds = sc.seed_list()
    sizes = {who: [float(p.flat(k).abs().max()) if torch.isfinite(p.flat(k)).all() else np.inf
                   for k in range(len(seeds))] for who, p in (("D", D), ("G", G))}
    blown = [(who, k) for who in ("D", "G") for k in range(len(seeds)) if not sizes[who][k] <= limit]
    # the seed named: the first with a parameter beyond the limit, else the first with a non-finite number
    k = blown[0][1] if blown else next(j for j in range(len(seeds)) if not np.isfinite(row[:, j]).all())
    player = {"D": "discriminator", "G": "generator"}[blown[0][0]] if blown else None
    where = "before the first game" if game < 0 else f"at game {game + 1}"
    who_seed = f" with seed {seeds[k]}" if len(seeds) > 1 else ""
    what = [f"{who}'s parameters reached {_shown(sizes[who][k])} (limit {limit:.3g})" for who, kk in blown if kk == k]
    if row is not None:
        names = ("the objective", "D's loss", "G's loss", "D's gradient norm", "G's gradient norm")
        what += [f"{name} is not a finite number" for name, v in zip(names, row[:, k]) if not np.isfinite(v)]
        if player is None and not np.isfinite(row[4, k]) and np.isfinite(row[3, k]):
            player = "generator"
    scale = limit / PARAMETER_LIMIT
    if game < 2 and player is not None and getattr(sc, player).init == "normal" and getattr(sc, player).init_std > 1:
        cause = f"{player}.init_std ({getattr(sc, player).init_std:g}) is large: try a smaller one"
    elif game < 0:
        cause = f"the {player}'s initial parameters are too large"
    elif scale > 1e3:
        cause = (f"the data reach {scale:.3g}: gradients that large need a much smaller optimizer.lr, or scale "
                 "the data to values near 1")
    else:
        settings = sc.optimizer.for_player(player or "discriminator")
        cause = f"try a smaller optimizer.lr (the {player or 'discriminator'}'s is {settings.lr:g})"
    return f"training diverged {where}{who_seed}: {'; '.join(what)}; {cause}"


def _meta(sc: Scenario, loss: losses.Loss) -> dict:
    return {
        "train_key": sc.train_key(),
        "format": FORMAT,
        "name": sc.name,
        "title": sc.display_title(),
        "description": sc.description,
        "seed": sc.seed_list()[0],
        "scenario": sc.model_dump(mode="json"),
        "reference": loss.reference,
        "reference_label": loss.reference_label,
        "d_output": loss.output,
        "value_label": loss.value_label,
        "data_dim": sc.data.dim,
        "noise_dim": sc.noise.dim,
        "versions": {"gananim": __version__, "torch": torch.__version__, "numpy": np.__version__,
                     "python": platform.python_version()},
    }
