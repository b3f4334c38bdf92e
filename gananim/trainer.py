"""The game loop: both players take their steps, every game is recorded, snapshots are taken
by the probe every ``record.every`` games, and a Run comes out.

One game = ``d_steps`` steps of D on its loss, then ``g_steps`` steps of G on its loss
(alternating play), or ``d_steps`` steps of both at the same point (simultaneous play); with
``training.g_noise: reuse`` G's one step takes D's last fake batch. After the game V (minimax
form) is recorded on the last batches the players stepped on: the last real batch D saw with
its instance noise, and the last noise batch G moved on with its instance noise (in
simultaneous play these are one batch). The Hessian of V is taken at that point. With
``record.value: d_step`` V and D's means come from D's own outputs in its last step instead
(before that step; no extra forward).

The gradients come from an engine (engines/), asked for once: this file knows nothing of how
they are computed, and nothing in it draws pictures.
"""
from __future__ import annotations

import contextlib
import os
import platform
from typing import Callable, Optional

import numpy as np
import torch

from . import __version__, engines, hessian, losses
from .data import per_seed
from .errors import TrainingError
from .models import Stack
from .optim import OPTIMIZERS
from .probes import PROBES
from .run import FORMAT, Run
from .scenario import OptimizerSettings, Scenario

Progress = Callable[[int, int], None]
Tensor = torch.Tensor
# recorded every game; d_real and d_fake: D as drawn (a probability, score or critic value), the
# batch means on V's point
ROWS = ("objective", "d_loss", "g_loss", "grad_norm_d", "grad_norm_g", "d_real", "d_fake")


def train(sc: Scenario, progress: Optional[Progress] = None, *, engine: Optional[str] = None) -> Run:
    """Play the scenario's games and record them into a Run (deterministic for a seed).

    A sweep (``seeds: [...]``) plays every seed's game side by side: the players' parameters
    are stacked on a leading seed axis (models.Stack) and every seed keeps its own random
    stream, so each seed's numbers equal a separate run with that seed (to float rounding).
    Its Run holds every array with a leading seed axis; ``Run.member(k)`` is seed k's run.

    `engine` names the gradient engine (engines.ENGINES); by default the chained one (every
    derivative by hand) where engines.supports says it takes the game, autograd otherwise.
    """
    threads = torch.get_num_threads()
    # tiny dense players: one thread is fastest; convolutions and large players use every core
    # (models._Player.parallel; benchmarks/bench.py, section i). The count is this machine's, not
    # the caller's: float sums depend on it, and a run must not change with `gallery --jobs`
    large = sc.generator.parallel(sc.noise.dim, sc.data.dim) or sc.discriminator.parallel(sc.data.dim, 1)
    torch.set_num_threads(usable_cores() if large else 1)
    try:
        with torch.random.fork_rng(devices=[]):  # random layers (dropout) draw from torch's global
            torch.manual_seed(sc.seed_list()[0])  # stream: seeded here, the caller's left as it was
            return _train(sc, progress, engine)
    finally:
        torch.set_num_threads(threads)


def usable_cores() -> int:
    """The cores this process may run on (its CPU affinity where the system tells it)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def _train(sc: Scenario, progress: Optional[Progress], engine_name: Optional[str]) -> Run:
    rngs = [torch.Generator().manual_seed(seed) for seed in sc.seed_list()]
    tr, reg, loss = sc.training, sc.regularizer, losses.LOSSES[sc.loss]
    G, D, real_sets = _players(sc, rngs)
    engine = engines.engine_for(G, D, loss, reg, rngs, engine_name)
    step_d = _stepper(D, sc.optimizer.for_player("discriminator"))
    step_g = _stepper(G, sc.optimizer.for_player("generator"))
    draws = _Draws(sc, rngs, real_sets)
    record = _Record(sc, G, D, loss, real_sets)
    try:
        with record.blas_threads():
            return _play(sc, progress, G, D, engine, step_d, step_g, draws, record)
    finally:
        record.close()  # the spectra process, where one was started


def _play(sc: Scenario, progress: Optional[Progress], G: Stack, D: Stack, engine, step_d, step_g,
          draws: _Draws, record: _Record) -> Run:
    tr, reg = sc.training, sc.regularizer
    reuse = tr.g_noise == "reuse"

    for game in range(tr.games):
        draws.start_game(game)
        with engine.grad_mode():
            if tr.update == "alternating":
                for step in range(tr.d_steps):
                    x, z, eps_real, eps_fake = draws.d_batch()
                    if reuse and step == tr.d_steps - 1:  # G(z) with its graph: G's step goes on from it
                        fake = G(z)
                        d_loss, d_grads = engine.d_step(_noisy(x, eps_real), _noisy(fake.detach(), eps_fake),
                                                        (z, eps_fake))
                    else:
                        d_loss, d_grads = engine.d_step(_noisy(x, eps_real), _noisy(G.sample(z), eps_fake),
                                                        (z, eps_fake))
                    step_d(d_grads)
                    reg.after_step(D)
                if reuse:  # D's last fake batch, instance noise included (g_steps is 1)
                    g_loss, g_grads = engine.g_step(z, eps_fake, fake)
                    step_g(g_grads)
                for _ in range(0 if reuse else tr.g_steps):
                    z, eps_fake = draws.g_batch()
                    g_loss, g_grads = engine.g_step(z, eps_fake)
                    step_g(g_grads)
            else:  # simultaneous: both gradients at the same point (same batch), then both steps
                for _ in range(tr.d_steps):
                    x, z, eps_real, eps_fake = draws.d_batch()
                    d_loss, d_grads = engine.d_step(_noisy(x, eps_real), _noisy(G.sample(z), eps_fake),
                                                    (z, eps_fake))
                    g_loss, g_grads = engine.g_step(z, eps_fake)
                    step_d(d_grads)
                    step_g(g_grads)
                    reg.after_step(D)
        # V's point: D's last real batch and G's last noise batch, each with its instance noise
        record.game(game, (x, z, eps_real, eps_fake), d_loss, g_loss, d_grads, g_grads, engine.d_outputs)
        if progress is not None:
            progress(game + 1, tr.games)
    return record.run()


def _players(sc: Scenario, rngs: list[torch.Generator]) -> tuple[Stack, Stack, list[Optional[Tensor]]]:
    """G and D stacked over the seeds, and each seed's fixed training set (None: fresh draws).
    Each seed's stream gives its training set, then G's and D's initial parameters."""
    data, n_real = sc.data, getattr(sc.data, "samples", None)
    real_sets, Gs, Ds = [], [], []
    for rng in rngs:
        real_sets.append(data.sample(n_real, rng) if n_real else None)
        Gs.append(sc.generator.build(sc.noise.dim, data.dim, rng))
        Ds.append(sc.discriminator.build(data.dim, 1, rng))
    G, D = Stack(Gs), Stack(Ds)
    limit = parameter_limit(sc)
    if not (_bounded(D, limit) and _bounded(G, limit)):
        raise TrainingError(_diverged(sc, -1, None, D, G, limit))
    return G, D, real_sets


def _stepper(player: Stack, settings: OptimizerSettings) -> Callable[[tuple[Tensor, ...]], None]:
    """One player's optimiser step, on the player's flat parameter buffer."""
    update = OPTIMIZERS[settings.kind](player.data, settings)

    def step(grads: tuple[Tensor, ...]) -> None:
        with torch.no_grad():
            update(player.flat_grad(grads))

    return step


def _noisy(t: Tensor, eps: Optional[Tensor]) -> Tensor:
    return t if eps is None else t + eps


class _Draws:
    """Every random draw of the game loop, each seed's from its own stream, in a fixed order:
    a D step draws its real batch, its noise batch, then instance noise for the real and for the
    fake batch; a G step its noise batch, then instance noise. Instance noise is None where its
    std is 0, and one draw per game is shared by every step of the game with ``draw: per_game``."""

    def __init__(self, sc: Scenario, rngs: list[torch.Generator], real_sets: list[Optional[Tensor]]):
        self.sc, self.rngs, self.real_sets = sc, rngs, real_sets
        self.B, self.n_real = sc.training.batch_size, getattr(sc.data, "samples", None)
        self.all_real = torch.stack(real_sets) if self.n_real else None
        self.per_game = sc.instance_noise.draw == "per_game"
        self.per_epoch = sc.games_per_epoch()  # a data set of images: gone through in epochs (else None)
        if self.per_epoch is not None:
            self.images = sc.data.dataset()[0]
            self.order = [torch.empty(0, dtype=torch.long)] * len(rngs)  # each seed's rest of the epoch

    def start_game(self, game: int) -> None:
        self.std = self.sc.instance_noise.std_at(game, self.sc.training.games)
        self.eps = self.instance() if self.per_game else None
        if self.per_epoch is not None and game % self.per_epoch == 0:  # an epoch starts: every seed reshuffles
            self.order = [torch.empty(0, dtype=torch.long)] * len(self.rngs)  # (drawn at its first batch)

    def real(self) -> Tensor:
        data, B, n_real = self.sc.data, self.B, self.n_real
        if self.per_epoch is not None:
            return per_seed(range(len(self.rngs)), self.next_batch)
        if not n_real:
            return per_seed(self.rngs, lambda g: data.sample(B, g))
        if B == n_real:
            return self.all_real
        return torch.stack([r[torch.randperm(n_real, generator=g)[:B]] for r, g in zip(self.real_sets, self.rngs)])

    def next_batch(self, k: int) -> Tensor:
        """Seed k's next batch of its epoch. An epoch is Scenario.games_per_epoch games (each D
        step takes a batch; the images short of a batch wait for the next epoch): its first batch
        draws a new permutation from the seed's stream."""
        if len(self.order[k]) < self.B:  # emptied by start_game, or (d_steps x batch > images) run short
            self.order[k] = torch.randperm(len(self.images), generator=self.rngs[k])
        batch, self.order[k] = self.order[k][:self.B], self.order[k][self.B:]
        return self.images[batch]

    def noise(self) -> Tensor:  # each seed's standard draws, then one shift and scale for all
        noise = self.sc.noise
        return noise.place(per_seed(self.rngs, lambda g: noise.standard(self.B, g)))

    def instance(self) -> Optional[Tensor]:
        if self.std <= 0:
            return None
        dim = self.sc.data.dim
        return self.std * per_seed(self.rngs, lambda g: torch.randn(self.B, dim, generator=g))

    def d_batch(self) -> tuple[Tensor, Tensor, Optional[Tensor], Optional[Tensor]]:
        x, z = self.real(), self.noise()
        if self.per_game:
            return x, z, self.eps, self.eps
        eps_real = self.instance()
        return x, z, eps_real, self.instance()

    def g_batch(self) -> tuple[Tensor, Optional[Tensor]]:
        z = self.noise()
        return z, self.eps if self.per_game else self.instance()


def _norms(grads: tuple[Tensor, ...]) -> Tensor:
    """The gradient norm of each seed (parameters stacked on a leading seed axis)."""
    return torch.linalg.vector_norm(torch.cat([g.reshape(len(g), -1) for g in grads], dim=1), dim=1)


class _Record:
    """What the Run keeps: every game's row (ROWS), the probes' snapshots every
    ``record.every`` games, and the points where the Hessian spectra are taken after training."""

    def __init__(self, sc: Scenario, G: Stack, D: Stack, loss: losses.Loss, real_sets: list[Optional[Tensor]]):
        self.sc, self.G, self.D, self.loss = sc, G, D, loss
        seeds = sc.seed_list()
        self.limit = parameter_limit(sc)
        self.hist = np.empty((len(ROWS), len(seeds), sc.training.games))
        self.probes = [PROBES[sc.data.domain](sc, real_set, seed=seed + 1_000_003)
                       for real_set, seed in zip(real_sets, seeds)]
        self.snaps = [[probe(G.loaded(k), D.loaded(k))] for k, probe in enumerate(self.probes)]
        self.snap_game = [0]
        self.points: list[tuple] = []  # (seed index, game, theta, x, z, eps_real, eps_fake)
        # a large game's spectra (Arnoldi's, Lanczos'), each point handed to another process as it
        # is played (offload.py); `spectra` maps (kind, seed index, game) to a point's result. Only
        # for players that train on one thread: a fork of a process whose OpenMP pool has run
        # (convolutions on every core) hangs in the child's first parallel region
        self.offload, self.offloaded, self.spectra = None, [], None
        if (self.parameter_count() > hessian.MAX_EXACT_PARAMS and (sc.record.jacobian or sc.record.hessian)
                and torch.get_num_threads() == 1):
            from .offload import Offload

            self.offload = Offload(_spectra_jobs(sc, D, G, loss))
        self.tracks = self.probes[0].tracks  # the players' parameters after every game (the Dirac-GAN's two)
        self.track()
        self.zeros = torch.zeros(len(seeds), sc.training.batch_size, sc.data.dim)

    def game(self, game: int, at: tuple, d_loss, g_loss, d_grads, g_grads, d_outputs: tuple) -> None:
        """Record game `game` (0-based): V at `at` (x, z, eps_real, eps_fake), or on D's outputs
        in its last step (`d_outputs`, with record.value: d_step), both losses and the gradient
        norms of each player's last step; stop if the game diverged."""
        G, D, sc, n = self.G, self.D, self.sc, self.sc.training.games
        x, z, eps_real, eps_fake = at
        with torch.no_grad():
            if sc.record.value == "d_step":
                real, fake = d_outputs
            else:
                real, fake = D.measure(_noisy(x, eps_real)), D.measure(_noisy(G.measure(z), eps_fake))
            shown = [self.loss.display(out).mean(dim=(-2, -1)) for out in (real, fake)]
            self.hist[:, :, game] = torch.stack([self.loss.value(real, fake), d_loss(), g_loss(), _norms(d_grads),
                                                 _norms(g_grads), *shown]).numpy()
        if not (np.isfinite(self.hist[:, :, game]).all() and _bounded(D, self.limit) and _bounded(G, self.limit)):
            raise TrainingError(_diverged(sc, game, self.hist[:, :, game], D, G, self.limit))
        self.track()
        rec = sc.record
        if self.spectrum_at(game + 1):
            eps_real, eps_fake = (self.zeros if e is None else e for e in (eps_real, eps_fake))
            new = [(k, game + 1, torch.cat([D.flat(k), G.flat(k)]), x[k], z[k], eps_real[k], eps_fake[k])
                   for k in range(len(self.probes))]
            self.points += new
            if self.offload is not None:
                for kind in ("jacobian", "hessian"):
                    if getattr(rec, kind) and self.spectrum_at(game + 1, kind):
                        for point in new:
                            self.offload.submit(kind, *(t.detach().numpy().copy() for t in point[2:]))
                            self.offloaded.append((kind, *point[:2]))
        elif self.offload is not None:
            self.offload.poll()
        if (game + 1) % rec.every == 0 or game + 1 == n:
            for k, probe in enumerate(self.probes):
                self.snaps[k].append(probe(G.loaded(k), D.loaded(k)))
            self.snap_game.append(game + 1)

    def parameter_count(self) -> int:
        """P: both players' parameters (one seed's)."""
        return sum(p[0].numel() for player in (self.D, self.G) for p in player.params)

    def close(self) -> None:
        if self.offload is not None:
            self.offload.close()

    def blas_threads(self):
        """Where spectra are offloaded: numpy's and scipy's BLAS on one thread for the whole run
        (here and, inherited, in the child), whichever process computes a point. Their idle
        threads spin on the core that the other process needs: ring8's training with its
        spectra took 8.8 s with BLAS on two threads, 6.1 s on one."""
        if self.offload is None:
            return contextlib.nullcontext()
        import scipy.linalg  # noqa: F401 (loaded before the limit, so that the limit reaches its BLAS)
        import scipy.sparse.linalg  # noqa: F401
        from threadpoolctl import threadpool_limits

        return threadpool_limits(1, user_api="blas")

    def offloaded_result(self, kind: str, k: int, game: int):
        """A spectrum computed by the Offload (all collected at the first call, after training)."""
        if self.spectra is None:
            self.spectra = dict(zip(self.offloaded, self.offload.results()))
        return self.spectra[kind, k, game]

    def track(self) -> None:
        if self.tracks:
            for k, probe in enumerate(self.probes):
                probe.track(self.D.flat(k), self.G.flat(k))

    def spectrum_at(self, game: int, which: Optional[str] = None) -> bool:
        """Whether game `game` (1-based) is a point of the Hessian's spectra, the Jacobian's (which:
        "hessian", "jacobian") or either (None): every `*_every` games, the first and the last."""
        rec, n = self.sc.record, self.sc.training.games
        wanted = [(on, every) for name, on, every in (("hessian", rec.hessian, rec.hessian_every),
                                                      ("jacobian", rec.jacobian, rec.jacobian_every))
                  if which in (None, name)]
        return any(on and (game % every == 0 or game == 1 or game == n) for on, every in wanted)

    def run(self) -> Run:
        """The Run: each seed's arrays (stacked on a leading axis for a sweep) and the header."""
        sc, G, D, loss, seeds = self.sc, self.G, self.D, self.loss, self.sc.seed_list()
        runs = [{"game": np.arange(1, sc.training.games + 1), **dict(zip(ROWS, self.hist[:, k])),
                 "snap_game": np.array(self.snap_game), **probe.static,
                 **{key: np.stack([s[key] for s in self.snaps[k]]) for key in self.snaps[k][0]}}
                for k, probe in enumerate(self.probes)]
        meta = _meta(sc, loss) | self.probes[0].meta
        if "games_per_epoch" in meta:  # a data set gone through in epochs: each full epoch's mean losses
            per = meta["games_per_epoch"]
            full = sc.training.games // per * per
            for arrays in runs:
                arrays |= {f"epoch_{key}": arrays[key][:full].reshape(-1, per).mean(axis=1)
                           for key in ("d_loss", "g_loss")}
        if self.tracks:
            for arrays, probe in zip(runs, self.probes):
                tracked, probe_meta = probe.tracked()
                arrays |= tracked
            meta |= probe_meta
        if sc.record.jacobian:
            self.jacobian_spectra(runs, meta)
        if sc.record.hessian:
            V = hessian.value_function(D.template, G.template, loss.value)
            g_own = None if loss.g_is_value else hessian.generator_loss_function(D.template, G.template, loss.g)
            p_d = sum(p[0].numel() for p in D.params)
            for k, arrays in enumerate(runs):  # seed by seed: a seed's spectra cost what a run of it alone costs
                games, *stacked = zip(*(point[1:] for point in self.points
                                        if point[0] == k and self.spectrum_at(point[1], "hessian")))
                if self.offload is None:
                    method, *spectra = hessian.spectra(V, *(torch.stack(col) for col in stacked), p_d=p_d,
                                                       k=sc.record.hessian_k, g_own=g_own)
                else:  # Lanczos, point by point
                    method, rows = "lanczos", [self.offloaded_result("hessian", k, game) for game in games]
                    spectra = [np.stack(col) for col in zip(*rows)]
                arrays |= {"hessian_game": np.array(games)}
                arrays |= dict(zip(("hessian_eigvals", "hessian_eigvals_d", "hessian_eigvals_g"), spectra))
            meta |= {"hessian_method": method, "parameters": {"D": p_d, "G": sum(p[0].numel() for p in G.params)}}
        if len(seeds) == 1:
            return Run(runs[0], meta)
        return Run({key: np.stack([arrays[key] for arrays in runs]) for key in runs[0]}, meta)


    def jacobian_spectra(self, runs: list[dict], meta: dict) -> None:
        """The game Jacobian's eigenvalues at the recorded points (jacobian.py): all of them for
        up to MAX_EXACT_PARAMS parameters, else Arnoldi's extremes; and where the discrete update
        is plain SGD with one step size, the update's eigenvalues (1 + h lambda simultaneously)."""
        from . import jacobian

        sc, G, D = self.sc, self.G, self.D
        v = jacobian.scenario_field(sc, D.template, G.template)
        p_d = sum(p[0].numel() for p in D.params)
        exact = self.parameter_count() <= hessian.MAX_EXACT_PARAMS
        h = sc.optimizer.for_player("discriminator").lr  # both players' where mode is not None
        mode = jacobian.update_mode(sc)
        if mode == "alternating" and not exact:  # the alternating product needs J itself, not its eigenvalues
            mode = None
        for k, arrays in enumerate(runs):
            games, thetas, *cols = zip(*(point[1:] for point in self.points
                                         if point[0] == k and self.spectrum_at(point[1], "jacobian")))
            if self.offload is None:
                eig = jacobian.spectra(v, thetas, list(zip(*cols)), exact, sc.record.jacobian_k)
            else:
                eig = np.stack([self.offloaded_result("jacobian", k, game) for game in games])
            arrays |= {"jacobian_game": np.array(games), "jacobian_eigvals": eig,
                       "jacobian_max_real": eig.real.max(axis=1), "jacobian_max_imag": np.abs(eig.imag).max(axis=1)}
            if mode == "simultaneous":
                arrays["jacobian_update_eigvals"] = 1 + h * eig
            elif mode == "alternating":
                arrays["jacobian_update_eigvals"] = np.stack([
                    jacobian.discrete_update_eigenvalues(jacobian.jacobian(v, t, *b), h, mode, p_d)
                    for t, b in zip(thetas, zip(*cols))])
        meta |= {"jacobian_method": "exact" if exact else "arnoldi",
                 "jacobian_k": None if exact else sc.record.jacobian_k,
                 "jacobian_update": None if mode is None else {"mode": mode, "h": float(h)}}


def _spectra_jobs(sc: Scenario, D: Stack, G: Stack, loss: losses.Loss) -> Callable[..., object]:
    """kind ("jacobian" or "hessian"), theta, x, z, eps_real, eps_fake (numpy) -> one point's
    Arnoldi row (jacobian.arnoldi_row) or Lanczos spectra (full, D block, G block). Called under
    _Record.blas_threads, here or in the forked child, which inherits the limit."""
    from . import jacobian

    v, p_d = jacobian.scenario_field(sc, D.template, G.template), sum(p[0].numel() for p in D.params)
    V = hessian.value_function(D.template, G.template, loss.value)
    g_own = None if loss.g_is_value else hessian.generator_loss_function(D.template, G.template, loss.g)

    def job(kind: str, theta, *batch):
        theta, batch = torch.from_numpy(theta), tuple(map(torch.from_numpy, batch))
        if kind == "jacobian":
            return jacobian.arnoldi_row(v, theta, *batch, k=sc.record.jacobian_k)
        full, d_block, g_block = hessian.lanczos_spectra(V, theta[None], *(b[None] for b in batch), p_d=p_d,
                                                         k=sc.record.hessian_k, g_own=g_own)
        return full[0], d_block[0], g_block[0]

    return job


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
        "scenario": sc.recorded(),
        "reference": loss.reference,
        "reference_label": loss.reference_label,
        "d_output": loss.output,
        "value_label": loss.value_label,
        "objective_label": loss.curve_label or loss.value_label,
        "estimates_w1": loss.estimates_w1,
        "d_loss_reference": loss.d_loss_reference,
        "g_loss_reference": loss.g_loss_reference,
        "domain": sc.data.domain,
        "data_dim": sc.data.dim,
        "noise_dim": sc.noise.dim,
        "versions": {"gananim": __version__, "torch": str(torch.__version__), "numpy": np.__version__,
                     "python": platform.python_version()},
    }
