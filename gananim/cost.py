"""What a scenario will cost, estimated from its settings before anything is trained: player
updates, snapshots (= frames), Hessian spectra, peak memory and a rough time; and the limits
a command refuses beyond (``--allow-big`` lifts them, for big machines).

The schema bounds each size on its own (``games <= 1,000,000``, ``hidden`` widths <= 65,536,
...); this is where sizes meet: ``games: 1000000`` with ``record.every: 1`` is a million frames
held in memory, and ``hidden: [65536, 65536]`` is four billion parameters. The estimate is
deliberately rough and leans high (tests/test_cost.py checks it against what a run really
records). It reads the scenario only: nothing is built or trained.
"""
from __future__ import annotations

import os
from dataclasses import dataclass

from .errors import one_line
from .hessian import MAX_EXACT_PARAMS
from .probes import PROBES
from .scenario import Scenario, ScenarioError

MAX_HOURS = 6.0  # a render estimated to take longer is refused
MEMORY_SHARE = 0.5  # of this machine's memory: a render estimated to need more is refused
MAX_FRAMES = 5000  # snapshots of one run (each is an animation frame held in memory while encoding)
BASE_MEMORY = 600e6  # bytes: one gananim process with torch, matplotlib and scipy imported
STEP_OVERHEAD = 5e-5  # seconds per player update beyond its arithmetic (small tensors)
FLOPS = 5e9  # floating-point operations per second on one core, conservatively
# large steps (image players: big matrix products and convolutions on every core) run up to this
# many times faster (measured on 2 cores: ~9e10 flop/s for MNIST's MLP, more for convolutions)
LARGE_SPEEDUP = 20
LANCZOS_PRODUCTS = 300  # Hessian-vector products per Lanczos spectrum, typically


@dataclass(frozen=True)
class Cost:
    updates: int  # player updates, every seed
    snapshots: int  # per seed; one animation frame each
    spectra: int  # Hessian spectra, every seed
    parameters: int  # of D and G together, one seed
    memory: float  # bytes, peak, estimated
    seconds: float  # training and rendering on one core, estimated

    def describe(self) -> str:
        return (f"{self.updates:,} player updates, {self.snapshots:,} snapshots, {self.spectra:,} Hessian spectra, "
                f"{self.parameters:,} parameters; about {_size(self.memory)} of memory and {_duration(self.seconds)}")


def _size(n: float) -> str:
    for unit, scale in (("TB", 1e12), ("GB", 1e9), ("MB", 1e6)):
        if n >= scale:
            return f"{n / scale:.3g} {unit}"
    return f"{n / 1e3:.3g} kB"


def _duration(s: float) -> str:
    if s >= 3600:
        return f"{s / 3600:.3g} hours"
    return f"{s / 60:.3g} minutes" if s >= 120 else f"{s:.2g} s"


def estimate(sc: Scenario) -> Cost:
    """The cost of training and rendering `sc` from cold."""
    S, tr, rec = len(sc.seed_list()), sc.training, sc.record
    B, dx, dz = tr.batch_size, sc.data.dim, sc.noise.dim
    wg, wd = sc.generator.widths(dz, dx), sc.discriminator.widths(dx, 1)
    pg, pd = sc.generator.parameter_count(dz, dx), sc.discriminator.parameter_count(dx, 1)
    P = pg + pd
    updates = S * tr.games * (tr.d_steps + tr.g_steps)
    snapshots = tr.games // rec.every + 1 + (tr.games % rec.every != 0)  # game 0, every `every`, the last
    spectra = S * (tr.games // rec.hessian_every + 2) if rec.hessian else 0
    exact = P <= MAX_EXACT_PARAMS
    probe_rows, per_snapshot = PROBES[sc.data.domain].cost(sc)  # per snapshot: rows mapped, floats recorded

    # memory (bytes): players with their gradients and optimiser states, one step's activations,
    # the probes' batches, every recorded array, the animation's frames while they are encoded
    players = 4 * S * P * 6
    activations = 4 * S * 2 * B * (sum(wg) + sum(wd)) * 3
    probes = 4 * probe_rows * max(wg + wd) * 3
    history = 8 * 5 * S * tr.games
    recorded = 8 * S * snapshots * per_snapshot
    points = 4 * spectra * (P + B * (3 * dx + dz)) + 8 * spectra * 3 * (P if exact else 2 * rec.hessian_k)
    solver = 8 * 64 * P * P if exact else min(128e6, 4 * P * (LANCZOS_PRODUCTS + 10))
    pixels = 11.0 * 6.6 * sc.render.dpi ** 2 * (1 + (S > 1) * S / 4)
    frames = 5 * pixels * snapshots  # RGB, then palette indices twice
    memory = BASE_MEMORY + players + activations + probes + 2 * (history + recorded + points) + solver + frames

    # time (seconds, one core): the steps, the probes, the spectra, the frames
    M = sc.generator.macs(dz, dx) + sc.discriminator.macs(dx, 1)  # multiply-adds of a row (dense: = P)
    step_flops = 6 * 2 * B * M
    rate = FLOPS * min(max(step_flops / 1e7, 1.0), LARGE_SPEEDUP)  # small steps: FLOPS, as before
    seconds = 2.5 + updates * (STEP_OVERHEAD + step_flops / rate)
    seconds += S * snapshots * (0.005 + 6 * probe_rows * M / FLOPS) + snapshots * 0.03 * (1 + (S > 1) * S / 4)
    if spectra:
        per_product = 8 * 2 * B * M / FLOPS + 2e-4
        seconds += spectra * (P * per_product if exact else LANCZOS_PRODUCTS * (per_product + 5e-4))
    return Cost(updates, snapshots, spectra, P, memory, seconds)


def machine_memory() -> float:
    """This machine's physical memory in bytes (an assumed 8 GB where the system does not say)."""
    try:
        return float(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    except (AttributeError, ValueError, OSError):
        return 8e9


def check(sc: Scenario, source: str) -> Cost:
    """The estimate, or ScenarioError when it is beyond this machine (lifted by --allow-big)."""
    cost = estimate(sc)
    problems = []
    if cost.snapshots > MAX_FRAMES:
        problems.append(f"{cost.snapshots:,} snapshots (frames; at most {MAX_FRAMES:,}: raise record.every)")
    budget = MEMORY_SHARE * machine_memory()
    if cost.memory > budget:
        problems.append(f"about {_size(cost.memory)} of memory (this machine allows {_size(budget)})")
    if cost.seconds > MAX_HOURS * 3600:
        problems.append(f"about {_duration(cost.seconds)} (at most {MAX_HOURS:g} hours)")
    if problems:
        raise ScenarioError(one_line(
            f"{source}: too big for this machine (estimated): {' and '.join(problems)}; make it smaller, or pass "
            "--allow-big to try anyway"))
    return cost
