"""The game loop: both players take their steps, every game is recorded, snapshots are
taken by the probe every ``record.every`` games, and a Run comes out.

One game = ``d_steps`` steps of D on its loss, then ``g_steps`` steps of G on its loss.
After the game, V (minimax form, on what D saw: the last real batch and the last noise
batch, with that game's instance noise) is recorded, and so is the point where the Hessian
of V is taken. Nothing in this file draws pictures.
"""
from __future__ import annotations

import platform
from typing import Callable, Optional

import numpy as np
import torch

from . import __version__, hessian, losses
from .probes import PROBES
from .run import FORMAT, Run
from .scenario import OptimizerSettings, Scenario

Progress = Callable[[int, int], None]


class TrainingError(RuntimeError):
    """The game could not be played to the end (it diverged); the message is one line."""

OPTIMIZERS: dict[str, Callable[[list[torch.Tensor], OptimizerSettings], torch.optim.Optimizer]] = {
    "sgd": lambda ps, o: torch.optim.SGD(ps, lr=o.lr, momentum=o.momentum),
    "adam": lambda ps, o: torch.optim.Adam(ps, lr=o.lr, betas=o.betas),
    "rmsprop": lambda ps, o: torch.optim.RMSprop(ps, lr=o.lr, momentum=o.momentum),
}


def _grads(loss: torch.Tensor, params: list[torch.Tensor]) -> tuple[torch.Tensor, ...]:
    return torch.autograd.grad(loss, params)


class _Stepper:
    """One player's optimiser. Plain SGD (no momentum) is applied directly with one fused
    update, the same arithmetic as torch.optim.SGD without its per-step overhead (the tutorial's
    games are overhead-bound); the others go through torch.optim."""

    def __init__(self, params: list[torch.Tensor], settings: OptimizerSettings):
        self.params = params
        self.plain_sgd = settings.kind == "sgd" and settings.momentum == 0
        self.lr = settings.lr
        self.opt = None if self.plain_sgd else OPTIMIZERS[settings.kind](params, settings)

    def __call__(self, grads: tuple[torch.Tensor, ...]) -> tuple[torch.Tensor, ...]:
        if self.plain_sgd:
            with torch.no_grad():
                torch._foreach_add_(self.params, grads, alpha=-self.lr)
        else:
            for p, g in zip(self.params, grads):
                p.grad = g
            self.opt.step()
        return grads


def _norm(grads: tuple[torch.Tensor, ...]) -> float:
    return float(torch.linalg.vector_norm(torch.cat([g.reshape(-1) for g in grads])))


def train(sc: Scenario, progress: Optional[Progress] = None) -> Run:
    """Play the scenario's games and record them into a Run (deterministic for a seed)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny models: one thread is fastest and run-to-run identical
    try:
        return _train(sc, progress)
    finally:
        torch.set_num_threads(threads)


def _train(sc: Scenario, progress: Optional[Progress]) -> Run:
    gen = torch.Generator().manual_seed(sc.seed)
    data, noise, tr, rec, reg = sc.data, sc.noise, sc.training, sc.record, sc.regularizer
    loss = losses.LOSSES[sc.loss]
    n_real = getattr(data, "samples", None)
    real_set = data.sample(n_real, gen) if n_real else None
    G = sc.generator.build(noise.dim, data.dim, gen)
    D = sc.discriminator.build(data.dim, 1, gen)
    g_params, d_params = list(G.parameters()), list(D.parameters())
    step_d = _Stepper(d_params, sc.optimizer.for_player("discriminator"))
    step_g = _Stepper(g_params, sc.optimizer.for_player("generator"))
    probe = PROBES[data.dim](sc, real_set, seed=sc.seed + 1_000_003)
    B, n = tr.batch_size, tr.games
    per_game = sc.instance_noise.draw == "per_game"

    def real_batch() -> torch.Tensor:
        if real_set is None:
            return data.sample(B, gen)
        if B == n_real:
            return real_set
        return real_set[torch.randperm(n_real, generator=gen)[:B]]

    zeros = torch.zeros(B, data.dim)
    penalised = reg.kind != "none"

    def inst_noise(std: float) -> torch.Tensor:
        return std * torch.randn(B, data.dim, generator=gen) if std > 0 else zeros

    def noisy(t: torch.Tensor, eps: torch.Tensor) -> torch.Tensor:
        return t if eps is zeros else t + eps  # no instance noise: skip adding zeros

    def d_loss_at(x, z, eps_r, eps_f) -> torch.Tensor:
        with torch.no_grad():
            fake = noisy(G(z), eps_f)
        real = noisy(x, eps_r)
        out = D(torch.cat([real, fake]))  # one forward for both batches (row-wise the same numbers)
        d_loss = loss.d(out[:B], out[B:])
        return d_loss + reg.penalty(D, real, fake, gen) if penalised else d_loss

    def g_loss_at(z, eps_f) -> torch.Tensor:
        return loss.g(D(noisy(G(z), eps_f)))

    rows = {k: np.empty(n) for k in ("objective", "d_loss", "g_loss", "grad_norm_d", "grad_norm_g")}
    snaps: list[dict[str, np.ndarray]] = [probe(G, D)]
    snap_game = [0]
    points: list[tuple] = []

    for game in range(n):
        std = sc.instance_noise.std_at(game, n)
        eps = inst_noise(std) if per_game else None

        def noise_pair():
            return (eps, eps) if per_game else (inst_noise(std), inst_noise(std))

        if tr.update == "alternating":
            for _ in range(tr.d_steps):
                x, z = real_batch(), noise.sample(B, gen)
                eps_r, eps_f = noise_pair()
                d_loss = d_loss_at(x, z, eps_r, eps_f)
                grads_d = step_d(_grads(d_loss, d_params))
                reg.after_step(D)
            for _ in range(tr.g_steps):
                z = noise.sample(B, gen)
                eps_f = eps if per_game else inst_noise(std)
                g_loss = g_loss_at(z, eps_f)
                grads_g = step_g(_grads(g_loss, g_params))
        else:  # simultaneous: both gradients at the same point (same batch), then both steps
            for _ in range(tr.d_steps):
                x, z = real_batch(), noise.sample(B, gen)
                eps_r, eps_f = noise_pair()
                d_loss, g_loss = d_loss_at(x, z, eps_r, eps_f), g_loss_at(z, eps_f)
                grads_d, grads_g = _grads(d_loss, d_params), _grads(g_loss, g_params)
                step_d(grads_d)
                step_g(grads_g)
                reg.after_step(D)
        with torch.no_grad():
            v = loss.value(D(noisy(x, eps_r)), D(noisy(G(z), eps_f)))
        rows["objective"][game], rows["d_loss"][game], rows["g_loss"][game] = float(v), d_loss.item(), g_loss.item()
        # gradient norms of each player's last step in the game
        rows["grad_norm_d"][game], rows["grad_norm_g"][game] = _norm(grads_d), _norm(grads_g)
        if not all(np.isfinite(rows[k][game]) for k in rows):
            raise TrainingError(f"training diverged at game {game + 1} (objective {rows['objective'][game]:.3g}, "
                                f"D loss {rows['d_loss'][game]:.3g}, G loss {rows['g_loss'][game]:.3g}); "
                                f"try a smaller optimizer.lr")
        if rec.hessian and ((game + 1) % rec.hessian_every == 0 or game == 0 or game + 1 == n):
            points.append((game + 1, hessian.flat_params(D, G), x, z, eps_r, eps_f))
        if (game + 1) % rec.every == 0 or game + 1 == n:
            snaps.append(probe(G, D))
            snap_game.append(game + 1)
        if progress is not None:
            progress(game + 1, n)

    arrays: dict[str, np.ndarray] = {"game": np.arange(1, n + 1), **rows, "snap_game": np.array(snap_game)}
    arrays |= probe.static
    arrays |= {k: np.stack([s[k] for s in snaps]) for k in snaps[0]}
    meta = _meta(sc, loss) | probe.meta
    if rec.hessian:
        games, *stacked = zip(*points)
        method, full, d_block, g_block = hessian.spectra(
            hessian.value_function(D, G, loss.value), *(torch.stack(col) for col in stacked),
            p_d=sum(p.numel() for p in d_params), k=rec.hessian_k, g_own=hessian.generator_loss_function(D, G, loss.g))
        arrays |= {"hessian_game": np.array(games), "hessian_eigvals": full,
                   "hessian_eigvals_d": d_block, "hessian_eigvals_g": g_block}
        meta |= {"hessian_method": method, "parameters": {"D": sum(p.numel() for p in d_params),
                                                          "G": sum(p.numel() for p in g_params)}}
    return Run(arrays, meta)


def _meta(sc: Scenario, loss: losses.Loss) -> dict:
    return {
        "train_key": sc.train_key(),
        "format": FORMAT,
        "name": sc.name,
        "title": sc.display_title(),
        "description": sc.description,
        "seed": sc.seed,
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
