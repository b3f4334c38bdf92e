"""gananim's benchmark table (make bench). One run, one table; medians of --repeats repeats
(time.perf_counter) unless a row says otherwise. Nothing here is asserted.

a/b. Frame rendering and GIF size: gananim's writer (one persistent figure, blitting over a
     cached background, one shared palette) against the usual way (matplotlib FuncAnimation
     clearing and redrawing the axes every frame, saved with PillowWriter), on the same Run,
     the same frame content and the same size.
c.   Training + recording of each shipped 1D/2D scenario, games per second, with and without
     the Hessian (the first --train-games games of each); the image games are section i.
d.   The Hessian spectrum of one snapshot, exact and Lanczos, at about 4, 1k and 10k parameters.
e.   `gananim gallery scenarios/` cold (one run each: minutes) and from cache, --jobs 1 and 2,
     with the peak memory (max RSS) of the largest process.
f.   `gananim render scenarios/strong_discr.yaml` end to end in a new process, and its training
     with the chained engine (closed-form gradients) against the autograd engine; the same comparison for
     two 2D games' MLP players (gradients chained by hand, a gradient penalty included).
g.   Seed sweeps: sixteen seeds trained together against one seed (the tutorial's 4-parameter
     game) and against sixteen separate runs (MLP players), and the numbers' largest difference.
i.   Images (digits_dcgan): gananim's time per game against a plain PyTorch loop written here
     with the same modules, batch, Adam and loss (each measured as the difference between a long
     and a short run, so fixed costs such as the probes' snapshots drop out; interleaved); the
     same with one thread against every core; progress.gif's frames + GIF against FuncAnimation
     redrawing an imshow grid and the loss strip every frame; `gananim render` end to end.
l.   Libraries against gananim's own pieces (interleaved; medians): strong_discr's MP4 through imageio's
     FFMPEG plugin against imageio_ffmpeg.write_frames, and its GIF (Pillow) against imageio's pillow
     plugin; one game step of the flat-buffer optimisers against torch.optim (strong_discr's 4
     parameters, ring8's MLPs); lanczos_extremes against scipy's eigsh on ring8's Hessians; the 1D W1
     against scipy.stats.wasserstein_distance, and the import each library costs.
s.   Startup, as whole processes (interleaved; medians): `gananim validate` of every shipped scenario
     and a cached `gananim render scenarios/strong_discr.yaml` (its run and figures current), against
     `python -c "import torch"` and the imports that such a render made before it imported lazily
     (gananim.trainer and gananim.renderer.animate).
p.   Phase diagrams' executors (gananim.phase.execute) on 8 cells of phase_strong_discr (d_steps 1, 5,
     20, 50 x lr 0.03, 0.1; its 16 seeds and 500 games): cells per minute in this process, in 2
     local processes and on a Dask LocalCluster of 1 and of 2 workers, each with its start-up (as
     `gananim render` runs it) and in steady state (workers started and warmed by a cell first,
     then the 8 cells timed); interleaved, medians, ratios against this process. Dask's scheduler
     overhead per task (no-op tasks on the warmed 2-worker cluster) against the median cell's own
     time; the mean cell of the whole phase_strong_discr (its 24 cells run with --jobs 2) and a
     cell's cost at 64 seeds against 16 (the inputs of a projection to larger diagrams).
n.   End to end against the script a lecturer would write: benchmarks/naive_strong_discr.py and
     benchmarks/naive_ring8.py (nn.Module players, torch.optim, BCE losses, the Hessian by
     torch.autograd.functional.hessian or ARPACK on double-backward products, FuncAnimation +
     PillowWriter, pyplot figures with constrained layout; their docstrings say what they do)
     against `gananim render scenarios/<name>.yaml --force`, as whole processes (interleaved,
     the order alternating each round; medians), with the ratio naive / gananim and the range of
     the rounds' ratios; and the naive scripts' own stage times (the JSON line each prints: its
     imports, training, Hessians (and Jacobians), probes, frames + GIF, static figures; the rest
     is the interpreter's start-up and exit), each with its share of the script's wall time.
m.   How cost grows, as whole processes `gananim render FILE --force` (one run per point:
     ring8 at width 256 alone takes minutes): wall time and the peak memory of the command's processes
     together (the render helper included; /proc sampled every 20 ms), for strong_discr at 500,
     1,000, 2,000 and 4,000 games (record.every unchanged: the frames grow with the games), ring8
     with hidden widths 32, 64, 128 and 256 (both players), and strong_discr as a sweep of 1, 4,
     16 and 64 seeds. --source DIR runs another checkout's gananim (PYTHONPATH=DIR): the numbers
     before a change.
"""
from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"
rows: list[tuple[str, str, str]] = []


def timed(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def row(section: str, what: str, value: str) -> None:
    rows.append((section, what, value))
    print(f"  {section:<4} {what:<62} {value}", file=sys.stderr, flush=True)


# --- a/b: the usual way, written out here as the baseline -------------------------------------

def baseline_gif(run, path: Path, fps: int, dpi: int) -> None:
    """FuncAnimation + PillowWriter, clearing and redrawing every frame: what people write."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.animation import FuncAnimation, PillowWriter

    from gananim.renderer import style

    with style.theme():
        fig, (ax, strip) = plt.subplots(2, 1, figsize=style.SIZES["web"].line, dpi=dpi,
                                        gridspec_kw={"height_ratios": [3.2, 1]}, layout="constrained")
        x, z = run.x_grid, run.z_fixed[:, 0]
        real = run.real_samples[:, 0]

        def draw(i):
            ax.clear()
            strip.clear()
            g = run.g_of_z[i][:, 0]
            ax.axhline(0, color="k", lw=1)
            ax.axhline(-0.55, color="k", lw=1)
            ax.axhline(0.5, color=style.GREY, ls=":", label="D = 1/2")
            ax.plot(x, run.real_pdf, color=style.REAL, label="real density")
            ax.plot(real, np.zeros_like(real), "o", color=style.REAL, label="real samples")
            ax.stairs(np.minimum(run.g_density[i], 1.12), run.density_edges, fill=True, color=style.FAKE,
                      alpha=0.22, label="G density")
            ax.plot(z, np.full_like(z, -0.55), "o", color="k", label="noise draws z")
            for zi, gi in zip(z, g):
                ax.plot([zi, gi], [-0.53, -0.02], color=style.GREY, lw=1.1)
            ax.plot(x, run.d_on_grid[i], color=style.DISC, lw=2.5, label="D(x)")
            fooled = run.fooled[i].astype(bool)
            ax.plot(g[fooled], np.zeros(fooled.sum()), "^", color=style.FOOLED, label="fools D")
            ax.plot(g[~fooled], np.zeros((~fooled).sum()), "v", color=style.NOT_FOOLED, label="caught")
            ax.set_xlim(x[0], x[-1])
            ax.set_ylim(-0.75, 1.12)
            ax.set_xlabel("x (data) · z (noise)")
            ax.set_ylabel("D(x) and density")
            ax.legend(loc="upper left", ncol=3, fontsize=9)
            ax.set_title(f"{run.title}   game {int(run.snap_game[i])} / {len(run.game)}")
            game = int(run.snap_game[i])
            strip.plot(run.game, run.objective, color=style.LIGHT_GREY)
            strip.plot(run.game[:game], run.objective[:game], color="k")
            if game:
                strip.plot([game], [run.objective[game - 1]], "o", color=style.VERMILLION)
            strip.axhline(run.meta["reference"], color=style.REFERENCE, ls="--")
            strip.set_xlabel("game")
            strip.set_ylabel("V(D, G)")

        anim = FuncAnimation(fig, draw, frames=len(run.snap_game))
        anim.save(str(path), writer=PillowWriter(fps=fps))
        plt.close(fig)


def frames_and_size(run, repeats: int, tmp: Path) -> None:
    from gananim.renderer import style
    from gananim.renderer.animate import render_frames, write_gif

    n = len(run.snap_game)
    holder = {}

    def ours():
        with style.theme():
            holder["frames"] = render_frames(run, 100)
        write_gif(holder["frames"], tmp / "ours.gif", 8)

    def ours_draw_only():
        with style.theme():
            render_frames(run, 100)

    t_ours = timed(ours, repeats) / n
    t_draw = timed(ours_draw_only, repeats) / n
    t_base = timed(lambda: baseline_gif(run, tmp / "base.gif", 8, 100), repeats) / n
    row("a", f"frame, FuncAnimation + PillowWriter (draw + encode, {n} frames)", f"{1000 * t_base:.1f} ms")
    row("a", "frame, gananim (blitting, shared palette; draw + encode)", f"{1000 * t_ours:.1f} ms")
    row("a", "frame, gananim drawing only", f"{1000 * t_draw:.1f} ms")
    row("a", "speed-up per frame (baseline / gananim)", f"{t_base / t_ours:.1f}x")
    b_base = (tmp / "base.gif").stat().st_size / n
    b_ours = (tmp / "ours.gif").stat().st_size / n
    row("b", "GIF bytes per frame, FuncAnimation + PillowWriter", f"{b_base / 1024:.1f} KB")
    row("b", "GIF bytes per frame, gananim", f"{b_ours / 1024:.1f} KB")
    row("b", "size ratio (gananim / baseline)", f"{b_ours / b_base:.2f}")


def training(repeats: int, games: int) -> None:
    from gananim.scenario import load_scenario, parse_scenario
    from gananim.trainer import train

    for path in sorted(SCENARIOS.glob("*.yaml")):
        if "kind: digits" in path.read_text() or "source:" in path.read_text() or path.name == "gallery.yaml":
            continue  # the image games: section i
        raw = load_scenario(path).model_dump(mode="json")
        n = min(games, raw["training"]["games"])
        raw["training"]["games"] = n
        with_h = parse_scenario(raw, str(path), path.stem)
        raw["record"]["hessian"] = False
        raw["record"]["hessian_every"] = None
        raw["render"]["outputs"] = None
        without = parse_scenario(raw, str(path), path.stem)
        t0 = timed(lambda: train(without), repeats)
        t1 = timed(lambda: train(with_h), repeats)
        row("c", f"train {path.stem} ({n} games): games/s without / with Hessian",
            f"{n / t0:.0f} / {n / t1:.0f}")


def hessian_sizes(repeats: int) -> None:
    import torch

    from gananim import hessian
    from gananim.models import MLP, Linear

    cases = [("4 (tutorial: linear G, logistic D)", Linear(), Linear(), 1, 1),
             ("~1k (MLP 2-16-16-2 / 2-16-16-1 x2 wide)", MLP(hidden=[20, 20]), MLP(hidden=[20, 20]), 2, 2),
             ("~10k (MLP 2-64-64-2 / 2-64-64-1 + 8)", MLP(hidden=[64, 64]), MLP(hidden=[64, 64]), 2, 2)]
    for name, g_spec, d_spec, dz, dx in cases:
        rng = torch.Generator().manual_seed(0)
        G, D = g_spec.build(dz, dx, rng), d_spec.build(dx, 1, rng)
        p = sum(q.numel() for m in (G, D) for q in m.parameters())
        p_d = sum(q.numel() for q in D.parameters())
        V = hessian.value_function(D, G)
        theta = hessian.flat_params(D, G)[None]
        batch = (torch.randn(1, 256, dx), torch.randn(1, 256, dz), torch.zeros(1, 256, dx), torch.zeros(1, 256, dx))
        lanczos = timed(lambda: hessian.lanczos_spectra(V, theta, *batch, p_d=p_d, k=3), repeats)
        exact = (f"{1000 * timed(lambda: hessian.eigenvalues(V, theta, *batch, p_d=p_d), repeats):.0f} ms"
                 if p <= 2000 else "n/a (dense P x P)")
        row("d", f"Hessian of one snapshot, {p} params: exact / Lanczos (3 at each end; whole and 2 blocks)",
            f"{exact} / {1000 * lanczos:.0f} ms")


PEAK = ("import resource, subprocess, sys; subprocess.run(sys.argv[1:], check=True); "
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")  # KB; the gallery and its workers


def gallery(repeats: int, tmp: Path) -> None:
    for jobs in (1, 2):
        out = tmp / f"gallery{jobs}"
        cmd = [sys.executable, "-m", "gananim", "gallery", str(SCENARIOS), "--out", str(out), "--jobs", str(jobs), "-q"]
        peak = {}

        def cold_run():
            done = subprocess.run([sys.executable, "-c", PEAK, *cmd], check=True, capture_output=True, text=True)
            peak["kb"] = int(done.stdout.split()[-1])

        cold = timed(cold_run, 1)
        warm = timed(lambda: subprocess.run(cmd, check=True), repeats)
        row("e", f"gallery scenarios/ --jobs {jobs}: cold (1 run) / from cache", f"{cold:.1f} s / {warm:.1f} s")
        row("e", f"  peak memory (max RSS of one process), cold --jobs {jobs}", f"{peak['kb'] / 1024:.0f} MB")
        shutil.rmtree(out)


def end_to_end(repeats: int, tmp: Path) -> None:
    cmd = [sys.executable, "-m", "gananim", "render", str(SCENARIOS / "strong_discr.yaml"), "--out", str(tmp),
           "--force", "-q"]
    row("f", "gananim render strong_discr.yaml (new process, 25,000 D steps, Hessian every game)",
        f"{timed(lambda: subprocess.run(cmd, check=True), repeats):.2f} s")


def end_to_end_training(repeats: int) -> None:
    from gananim.scenario import load_scenario
    from gananim.trainer import train

    sc = load_scenario(SCENARIOS / "strong_discr.yaml")
    fast = timed(lambda: train(sc), repeats)
    slow = timed(lambda: train(sc, engine="autograd"), repeats)
    row("f", "  its training: chained engine / autograd engine (ratio)", f"{fast:.2f} s / {slow:.2f} s ({slow / fast:.1f}x)")


def chained_mlp_steps(repeats: int, games: int) -> None:
    """The 2D games' 64-wide MLP players: gradients chained by hand against autograd."""
    from gananim.scenario import load_scenario
    from gananim.trainer import train

    for name in ("ring8", "wgan_gp_ring8"):
        sc = load_scenario(SCENARIOS / f"{name}.yaml")
        sc = sc.model_copy(update={"training": sc.training.model_copy(update={"games": games}),
                                   "record": sc.record.model_copy(update={"hessian": False})})
        fast = timed(lambda: train(sc), repeats)
        slow = timed(lambda: train(sc, engine="autograd"), repeats)
        row("f", f"{name} ({games} games, no Hessian): MLP gradients chained by hand / autograd",
            f"{fast:.2f} s / {slow:.2f} s ({slow / fast:.2f}x)")


def sweeps(repeats: int, mlp_games: int) -> None:
    from gananim.scenario import load_scenario, parse_scenario
    from gananim.trainer import train

    def variant(name: str, seeds: list[int], **changes):
        raw = load_scenario(SCENARIOS / f"{name}.yaml").model_dump(mode="json")
        for block, values in changes.items():
            raw[block] |= values
        raw["render"]["outputs"] = None
        raw |= {"seed": seeds[0], "seeds": None} if len(seeds) == 1 else {"seed": None, "seeds": seeds}
        return parse_scenario(raw, name=name)

    sixteen = list(range(16))
    for hessian in (True, False):
        one, many = variant("strong_discr", [0], record={"hessian": hessian}), variant(
            "strong_discr", sixteen, record={"hessian": hessian})
        t1, t16 = timed(lambda: train(one), repeats), timed(lambda: train(many), repeats)
        row("g", f"strong_discr (4 params, 500 games{', Hessian every game' if hessian else ''}): "
                 "1 seed / 16 seeds together", f"{t1:.2f} s / {t16:.2f} s ({t16 / t1:.2f}x one seed)")
    for hessian in (True, False):
        one = [variant("balanced_mlp", [s], training={"games": mlp_games}, record={"hessian": hessian})
               for s in sixteen]
        many = variant("balanced_mlp", sixteen, training={"games": mlp_games}, record={"hessian": hessian})
        singles = {}

        def sequential():
            singles["runs"] = [train(sc) for sc in one]

        t_seq, t_many = timed(sequential, 1), timed(lambda: train(many), repeats)
        sweep = train(many)
        diff = max(float(np.abs(sweep.member(k).arrays[key] - run.arrays[key]).max())
                   for k, run in enumerate(singles["runs"]) for key in ("objective", "g_of_z", "d_on_grid"))
        row("g", f"balanced_mlp ({one[0].parameter_count()} params, {mlp_games} games"
                 f"{', exact Hessian every game' if hessian else ''}): 16 separate runs / 16 seeds together",
            f"{t_seq:.1f} s / {t_many:.1f} s ({t_seq / t_many:.2f}x faster together)")
        row("g", "  largest difference, sweep vs separate runs (objective, G(z), D on grid)", f"{diff:.1e}")


# --- s: startup --------------------------------------------------------------------------

def startup(repeats: int, tmp: Path) -> None:
    files = [str(p) for p in sorted(SCENARIOS.glob("*.yaml")) if p.name != "gallery.yaml"]  # gallery: a page layout
    render = [sys.executable, "-m", "gananim", "render", str(SCENARIOS / "strong_discr.yaml"), "--out",
              str(tmp / "startup"), "-q"]
    subprocess.run(render, check=True)  # warm-up: trains and renders; the timed renders find it all current
    commands = {
        "validate": [sys.executable, "-m", "gananim", "validate", *files],
        "render": render,
        "torch": [sys.executable, "-c", "import torch"],
        "old": [sys.executable, "-c", "import gananim.trainer, gananim.renderer.animate"],
    }
    times: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(repeats):  # interleaved: a slow spell of the machine falls on every command alike
        for name, cmd in commands.items():
            start = time.perf_counter()
            done = subprocess.run(cmd, capture_output=True, text=True)
            times[name].append(time.perf_counter() - start)
            # validate exits 2 while the MNIST scenarios' data are not fetched; it checks every file anyway
            if done.returncode not in ((0, 2) if name == "validate" else (0,)):
                raise RuntimeError(f"{' '.join(cmd)}: {done.stderr}")
    med = {name: statistics.median(t) for name, t in times.items()}
    torch = med["torch"]
    row("s", f"gananim validate: the {len(files)} shipped scenarios (new process)",
        f"{med['validate']:.2f} s ({med['validate'] / torch:.2f}x import torch)")
    row("s", "gananim render strong_discr.yaml, cached: run and figures current",
        f"{med['render']:.2f} s ({med['render'] / torch:.2f}x import torch)")
    row("s", "  baseline: python -c 'import torch'", f"{torch:.2f} s")
    row("s", "  baseline: import gananim.trainer, gananim.renderer.animate (before: imported)",
        f"{med['old']:.2f} s ({med['old'] / torch:.2f}x import torch)")


# --- i: images ----------------------------------------------------------------------------

def plain_dcgan_loop(sc, games: int, same_work: bool = False) -> None:
    """What a lecturer writes: the same modules (built by the scenario's specs), batch, Adam and
    non-saturating BCE, the data shuffled each epoch; no recording, and G's step reuses the fake
    batch of D's step (digits_dcgan's g_noise: reuse). With `same_work`, the arithmetic of
    gananim's default game: a fresh noise batch for G's step (Goodfellow et al.'s algorithm) and,
    after every game, V and D's means on real and fake at the new parameters (three forwards
    without gradients)."""
    import torch
    from torch.nn.functional import binary_cross_entropy_with_logits as bce

    rng = torch.Generator().manual_seed(0)
    G = sc.generator.build(sc.noise.dim, sc.data.dim, rng)
    D = sc.discriminator.build(sc.data.dim, 1, rng)
    settings = sc.optimizer
    opt_g = torch.optim.Adam(G.parameters(), lr=settings.lr, betas=settings.betas)
    opt_d = torch.optim.Adam(D.parameters(), lr=settings.lr, betas=settings.betas)
    images = sc.data.dataset()[0]
    B = sc.training.batch_size
    order = torch.empty(0, dtype=torch.long)
    ones, zeros = torch.ones(B, 1), torch.zeros(B, 1)
    for _ in range(games):
        if len(order) < B:
            order = torch.randperm(len(images), generator=rng)
        batch, order = order[:B], order[B:]
        real = images[batch]
        fake = G(torch.randn(B, sc.noise.dim, generator=rng))
        opt_d.zero_grad()
        (bce(D(real), ones) + bce(D(fake.detach()), zeros)).backward()
        opt_d.step()
        if same_work:
            z = torch.randn(B, sc.noise.dim, generator=rng)
            fake = G(z)
        opt_g.zero_grad()
        bce(D(fake), ones).backward()
        opt_g.step()
        if same_work:
            with torch.no_grad():
                on_real, on_fake = D(real), D(G(z))
                value = torch.nn.functional.logsigmoid(on_real).mean() + torch.nn.functional.logsigmoid(-on_fake).mean()
                float(value), float(torch.sigmoid(on_real).mean()), float(torch.sigmoid(on_fake).mean())


def baseline_image_gif(run, path: Path, fps: int, dpi: int) -> None:
    """FuncAnimation + PillowWriter redrawing an imshow grid and the loss strip every frame."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.animation import FuncAnimation, PillowWriter

    from gananim.renderer.panels.images import PAGE, tile

    fig, (top, bottom) = plt.subplots(2, 1, figsize=(7.6, 9.8), dpi=dpi, height_ratios=[3.4, 1])

    def draw(i):
        top.clear()
        bottom.clear()
        top.imshow(tile(run.g_grid[i], 8), cmap=PAGE, vmin=-1, vmax=1, interpolation="nearest")
        top.set_xticks([])
        top.set_yticks([])
        top.set_title(f"game {int(run.snap_game[i])}: {int(run.classes_covered[i])} classes covered")
        g = int(run.snap_game[i])
        bottom.plot(run.game[:g], run.d_loss[:g], label="D's loss")
        bottom.plot(run.game[:g], run.g_loss[:g], "--", label="G's loss")
        bottom.set_xlim(0, run.game[-1])
        bottom.legend(loc="upper right")

    FuncAnimation(fig, draw, frames=len(run.snap_game)).save(path, writer=PillowWriter(fps=fps))
    plt.close(fig)


def images(repeats: int, tmp: Path) -> None:
    import os

    import torch

    from gananim import models
    from gananim.renderer.animate import progress_figure, blit_frames, write_gif
    from gananim.scenario import load_scenario
    from gananim.trainer import train

    torch.set_num_threads(os.cpu_count() or 1)  # the CLI's default: every core (main() set one)
    sc = load_scenario(SCENARIOS / "digits_dcgan.yaml")
    short, long_ = 20, 120

    def sized(games: int):
        copy = sc.model_copy(deep=True)
        copy.training.games, copy.record.every = games, games
        return copy

    def per_game(fn) -> float:
        return (timed(lambda: fn(long_), repeats) - timed(lambda: fn(short), repeats)) / (long_ - short)

    def fresh(games: int):  # the default game: G's own noise batch, V at the game's end
        copy = sized(games)
        copy.training.g_noise, copy.record.value = "fresh", "game_end"
        return copy

    ours, plain, ours_fresh, same = [], [], [], []
    for _ in range(3):  # interleaved rounds; the fastest of each (the machine is shared and noisy)
        ours.append(per_game(lambda n: train(sized(n))))
        plain.append(per_game(lambda n: plain_dcgan_loop(sc, n)))
        ours_fresh.append(per_game(lambda n: train(fresh(n))))
        same.append(per_game(lambda n: plain_dcgan_loop(sc, n, same_work=True)))
    o, p, f, w = min(ours), min(plain), min(ours_fresh), min(same)
    row("i", f"digits_dcgan as shipped, ms per game (D step + G step on D's fakes, batch {sc.training.batch_size}, "
             "V from D's step): gananim / plain loop", f"{1e3 * o:.1f} / {1e3 * p:.1f} ({(o / p - 1) * 100:+.0f} %)")
    row("i", "  with g_noise: fresh and record.value: game_end / plain loop doing that arithmetic",
        f"{1e3 * f:.1f} / {1e3 * w:.1f} ({(f / w - 1) * 100:+.0f} %)")
    single, every = [], []
    choice = models.Conv.parallel
    for _ in range(2):
        models.Conv.parallel = lambda self, d_in, d_out: False
        single.append(per_game(lambda n: train(sized(n))))
        models.Conv.parallel = choice
        every.append(per_game(lambda n: train(sized(n))))
    row("i", f"  the same, one thread / every core ({os.cpu_count()})",
        f"{1e3 * min(single):.1f} / {1e3 * min(every):.1f} ms ({min(single) / min(every):.2f}x)")
    run = train(sc)
    dpi, fps = sc.render.dpi, sc.render.fps

    def ours_gif():
        fig, update = progress_figure(run, dpi)
        write_gif(blit_frames(fig, update, len(run.snap_game)), tmp / "ours.gif", fps)

    t_ours = timed(ours_gif, repeats)
    t_base = timed(lambda: baseline_image_gif(run, tmp / "base.gif", fps, dpi), repeats)
    n = len(run.snap_game)
    row("i", f"progress.gif, {n} frames + GIF: gananim / FuncAnimation redrawing imshow",
        f"{t_ours:.2f} s / {t_base:.2f} s ({t_base / t_ours:.1f}x faster)")
    row("i", "  GIF size: gananim / FuncAnimation",
        f"{(tmp / 'ours.gif').stat().st_size / 1e3:.0f} kB / {(tmp / 'base.gif').stat().st_size / 1e3:.0f} kB")
    cmd = [sys.executable, "-m", "gananim", "render", str(SCENARIOS / "digits_dcgan.yaml"), "--out", str(tmp / "i"),
           "--force", "-q"]
    wall = timed(lambda: subprocess.run(cmd, check=True), 1)
    row("i", "gananim render scenarios/digits_dcgan.yaml, end to end (new process, cold)", f"{wall:.1f} s")


# --- l: the libraries gananim could call instead of its own pieces -----------------------

def libraries(repeats: int, tmp: Path) -> None:
    """imageio against gananim's writers; torch.optim, scipy's eigsh and scipy.stats against
    gananim's flat-buffer optimisers, Lanczos and 1D W1. Each pair is timed in turns (the same
    inputs, one after the other, `repeats` times) and the medians compared."""

    import imageio.v3 as iio
    import imageio_ffmpeg
    import torch
    from PIL import Image

    from gananim import hessian, metrics, optim
    from gananim.renderer import style
    from gananim.renderer.animate import (MP4_OUTPUT, UNCHANGED, frame_durations, mp4_timing, render_frames,
                                          shared_palette, write_gif, write_mp4)
    from gananim.scenario import load_scenario, parse_scenario
    from gananim.trainer import train

    def turns(*fns, rounds: int = repeats) -> list[float]:
        times: list[list[float]] = [[] for _ in fns]
        for _ in range(rounds):
            for k, fn in enumerate(fns):
                start = time.perf_counter()
                fn()
                times[k].append(time.perf_counter() - start)
        return [statistics.median(t) for t in times]

    # MP4 and GIF: strong_discr's animation, as rendered
    sc = load_scenario(SCENARIOS / "strong_discr.yaml")
    run = train(sc)
    settings = sc.render.model_dump(mode="json")
    with style.theme(style.size_of(settings)):
        frames = render_frames(run, sc.render.dpi)
    durations = frame_durations(run, len(frames), settings)
    n = len(frames)

    def mp4_direct():  # the same ffmpeg options, straight to imageio-ffmpeg
        fps, counts = mp4_timing(durations)
        h, w = frames[0].shape[:2]
        gen = imageio_ffmpeg.write_frames(str(tmp / "direct.mp4"), (w, h), fps=fps, codec="libx264",
                                          pix_fmt_out="yuv420p", macro_block_size=2, ffmpeg_log_level="error",
                                          output_params=list(MP4_OUTPUT))
        gen.send(None)
        for frame, count in zip(frames, counts):
            for _ in range(count):
                gen.send(np.ascontiguousarray(frame))
        gen.close()

    t_iio, t_direct = turns(lambda: write_mp4(frames, tmp / "ours.mp4", durations), mp4_direct)
    same = (tmp / "ours.mp4").read_bytes() == (tmp / "direct.mp4").read_bytes()
    decoded = len(iio.imread(tmp / "ours.mp4", index=None, plugin="FFMPEG"))
    row("l", f"MP4 of strong_discr ({n} frames, {decoded} at {mp4_timing(durations)[0]:.0f} fps): "
             "imageio FFMPEG plugin / imageio_ffmpeg.write_frames",
        f"{1e3 * t_iio:.0f} / {1e3 * t_direct:.0f} ms ({t_iio / t_direct:.2f}x), bytes identical: {same}")

    def gif_imageio_plain():  # what imageio does with RGB frames: Pillow's own quantizing and optimising
        iio.imwrite(tmp / "plain.gif", np.stack(frames), plugin="pillow", extension=".gif", duration=durations,
                    loop=0)

    def gif_imageio_same():  # gananim's palette and deltas, saved through imageio's pillow plugin
        palette = shared_palette(frames)
        indices = [np.asarray(Image.fromarray(f).quantize(palette=palette, dither=Image.Dither.NONE)) for f in frames]
        deltas = [indices[0]] + [np.where(cur == prev, UNCHANGED, cur).astype(np.uint8)
                                 for prev, cur in zip(indices, indices[1:])]
        iio.imwrite(tmp / "same.gif", np.stack(deltas), plugin="pillow", extension=".gif", mode="P",
                    palette=palette.getpalette(), duration=durations, loop=0, optimize=False, disposal=1,
                    transparency=UNCHANGED)

    t_ours, t_plain, t_same = turns(lambda: write_gif(frames, tmp / "ours.gif", durations), gif_imageio_plain,
                                    gif_imageio_same)
    size = {name: (tmp / f"{name}.gif").stat().st_size for name in ("ours", "plain", "same")}
    row("l", f"GIF of strong_discr ({n} frames): gananim (Pillow) / imageio pillow plugin, RGB frames",
        f"{1e3 * t_ours:.0f} / {1e3 * t_plain:.0f} ms ({t_plain / t_ours:.2f}x), "
        f"{size['ours'] / 1e3:.0f} / {size['plain'] / 1e3:.0f} kB")
    pictures = np.array_equal(*(iio.imread(tmp / f"{name}.gif", index=None, plugin="pillow", mode="RGB")
                                for name in ("ours", "same")))
    row("l", "  imageio pillow plugin given gananim's palette and deltas: time, kB, bytes / pictures identical",
        f"{1e3 * t_same:.0f} ms ({t_same / t_ours:.2f}x), {size['same'] / 1e3:.0f} kB, "
        f"{(tmp / 'same.gif').read_bytes() == (tmp / 'ours.gif').read_bytes()} / {pictures}")

    # optimisers: one game step (D's update, then G's) on the players of two shipped games
    steps = 2000
    for name in ("strong_discr", "ring8"):
        game = load_scenario(SCENARIOS / f"{name}.yaml")
        rng = torch.Generator().manual_seed(0)
        players = [game.discriminator.build(game.data.dim, 1, rng),
                   game.generator.build(game.noise.dim, game.data.dim, rng)]
        settings = game.optimizer
        flat = [torch.cat([p.detach().reshape(-1) for p in m.parameters()]) for m in players]
        grads = [torch.randn(steps, len(f), generator=rng) for f in flat]
        kind = {"sgd": torch.optim.SGD, "adam": torch.optim.Adam}[settings.kind]
        extra = {"betas": settings.betas} if settings.kind == "adam" else {"momentum": settings.momentum}

        def ours():
            params = [f.clone() for f in flat]
            updates = [optim.OPTIMIZERS[settings.kind](p, settings) for p in params]
            with torch.no_grad():
                for i in range(steps):
                    for update, g in zip(updates, grads):
                        update(g[i])
            return params

        def library(one_tensor: bool):
            def go():
                if one_tensor:  # the same flat buffer
                    params = [[torch.nn.Parameter(f.clone())] for f in flat]
                else:  # the modules' own tensors (weights and biases per layer)
                    params = [[torch.nn.Parameter(p.detach().clone()) for p in m.parameters()] for m in players]
                opts = [kind(ps, lr=settings.lr, **extra) for ps in params]
                for i in range(steps):
                    for opt, ps, g in zip(opts, params, grads):
                        for p, chunk in zip(ps, torch.split(g[i], [p.numel() for p in ps])):
                            p.grad = chunk.view_as(p)
                        opt.step()
                return [torch.cat([p.detach().reshape(-1) for p in ps]) for ps in params]
            return go

        t_ours, t_flat, t_layers = turns(ours, library(True), library(False))
        diff = max(float((a - b).abs().max()) for a, b in zip(ours(), library(False)()))
        size = " + ".join(str(len(f)) for f in flat)
        row("l", f"{name} ({size} params, {settings.kind}): game step, gananim / torch.optim on one flat "
                 "tensor / on the layers' tensors",
            f"{1e6 * t_ours / steps:.0f} / {1e6 * t_flat / steps:.0f} / {1e6 * t_layers / steps:.0f} us "
            f"({t_flat / t_ours:.1f}x / {t_layers / t_ours:.1f}x)")
        row("l", f"  largest difference in the parameters after {steps} steps", f"{diff:.1e}")

    # Lanczos: ring8's Hessians as the trainer hands them to hessian.spectra (games 1, 250, ..., 2000):
    # the whole Hessian and each player's block, as lanczos_spectra asks for them
    from scipy.sparse.linalg import LinearOperator, eigsh

    ring8 = load_scenario(SCENARIOS / "ring8.yaml").model_dump(mode="json")
    ring8["render"]["outputs"] = None
    caught = {}
    real_spectra = hessian.spectra

    def catch(V, thetas, *batches, **kw):
        caught.update(V=V, thetas=thetas, batches=batches, kw=kw)
        return real_spectra(V, thetas[:1], *(b[:1] for b in batches), **kw)  # the rest: below

    hessian.spectra = catch
    try:
        train(parse_scenario(ring8, name="ring8"))
    finally:
        hessian.spectra = real_spectra
    k, p_d = caught["kw"]["k"], caught["kw"]["p_d"]
    ops = []
    for i, theta in enumerate(caught["thetas"]):
        h = hessian.hvp(caught["V"], theta, *(b[i] for b in caught["batches"]))
        h_g = h if caught["kw"]["g_own"] is None else hessian.hvp(caught["kw"]["g_own"], theta,
                                                                  *(b[i] for b in caught["batches"]))
        ops += [h.operator(slice(None)), h.operator(slice(0, p_d)), h_g.operator(slice(p_d, None))]
    products = {"ours": 0, "eigsh": 0}
    results: dict[str, list] = {"ours": [], "eigsh": []}

    def counted(key, op):
        def matvec(v):
            products[key] += 1
            return op.matvec(v)
        return matvec

    def lanczos():  # hessian.extremes' start vector; no fallback needed (checked below)
        products["ours"], results["ours"] = 0, []
        for op in ops:
            v0 = np.random.default_rng(0).standard_normal(op.shape[0])
            results["ours"].append(hessian.lanczos_extremes(counted("ours", op), op.shape[0], k, v0))

    def arpack():  # what hessian.extremes falls back to, from the start
        products["eigsh"], results["eigsh"] = 0, []
        for op in ops:
            v0 = np.random.default_rng(0).standard_normal(op.shape[0])
            counting = LinearOperator(op.shape, matvec=counted("eigsh", op), dtype=op.dtype)
            results["eigsh"].append(np.sort(eigsh(counting, k=2 * k, which="BE", v0=v0, tol=hessian.LANCZOS_TOL,
                                                  maxiter=20 * op.shape[0], return_eigenvectors=False)))

    t_ours, t_eigsh = turns(lanczos, arpack)
    converged = all(r is not None for r in results["ours"])

    def reference(op):  # float64 ARPACK on the same (float32) products, tol 1e-10
        wide = LinearOperator(op.shape, matvec=lambda v: op.matvec(v.astype(op.dtype)).astype(float), dtype=float)
        v0 = np.random.default_rng(0).standard_normal(op.shape[0])
        return np.sort(eigsh(wide, k=2 * k, which="BE", v0=v0, tol=1e-10, return_eigenvectors=False))

    exact = [reference(op) for op in ops]

    def worst(key):
        return max(float(np.max(np.abs(r - e) / np.abs(e))) for r, e in zip(results[key], exact))

    n_points, p = len(caught["thetas"]), ops[0].shape[0]
    row("l", f"ring8's {n_points} Hessians ({p} params; whole, D's and G's blocks), {k} eigenvalues at each "
             f"end, tol {hessian.LANCZOS_TOL:g}: lanczos_extremes / scipy eigsh",
        f"{1e3 * t_ours:.0f} / {1e3 * t_eigsh:.0f} ms ({t_eigsh / t_ours:.2f}x), "
        f"{products['ours']} / {products['eigsh']} products{'' if converged else ' (not all converged)'}")
    row("l", "  largest relative error against float64 eigsh at tol 1e-10: lanczos_extremes / eigsh",
        f"{worst('ours'):.1e} / {worst('eigsh'):.1e}")

    # W1 on the line: what the 1D probe computes at each snapshot (METRIC_SAMPLES fakes, DISTANCE_SAMPLES real)
    from gananim.probes import DISTANCE_SAMPLES, METRIC_SAMPLES
    from scipy.stats import wasserstein_distance

    gen = np.random.default_rng(0)
    u, v = gen.normal(5, 1, METRIC_SAMPLES), gen.uniform(0, 3, DISTANCE_SAMPLES)
    calls = 500
    t_ours, t_scipy = turns(lambda: [metrics.wasserstein_1d(u, v) for _ in range(calls)],
                            lambda: [wasserstein_distance(u, v) for _ in range(calls)])
    agree = abs(metrics.wasserstein_1d(u, v) - wasserstein_distance(u, v)) / wasserstein_distance(u, v)
    row("l", f"1D W1 ({METRIC_SAMPLES} vs {DISTANCE_SAMPLES} samples): metrics.wasserstein_1d / "
             "scipy.stats.wasserstein_distance",
        f"{1e6 * t_ours / calls:.0f} / {1e6 * t_scipy / calls:.0f} us ({t_scipy / t_ours:.2f}x), "
        f"relative difference {agree:.1e}")
    code = ("import time, numpy, scipy.spatial.distance; t = time.perf_counter(); import {}; "
            "print(time.perf_counter() - t)")
    imports = {}

    def fresh(module):
        def go():
            done = subprocess.run([sys.executable, "-c", code.format(module)], check=True, capture_output=True,
                                  text=True)
            imports.setdefault(module, []).append(float(done.stdout))
        return go

    turns(fresh("scipy.stats"), fresh("imageio.v3"))
    row("l", "  import in a new process (after numpy and scipy.spatial.distance): scipy.stats / imageio.v3",
        " / ".join(f"{1e3 * statistics.median(imports[m]):.0f}" for m in ("scipy.stats", "imageio.v3")) + " ms")


# --- p: phase diagrams' executors ------------------------------------------------------------

def _noop(x):  # a Dask task that does nothing: what is left of its time is the scheduler's
    return x


def phase_executors(repeats: int) -> None:
    import copy
    import json
    import logging

    from distributed import Client, LocalCluster
    from distributed import as_completed as dask_completed

    from gananim import phase
    from gananim.scenario import load_scenario, parse_scenario
    from gananim.workers import start_workers, stop_workers

    full = load_scenario(SCENARIOS / "phase_strong_discr.yaml")

    def variant(grid=None, seeds=None):
        raw = copy.deepcopy(full._raw)
        if grid is not None:
            raw["grid"] = grid
        if seeds is not None:
            raw.pop("seed", None)
            raw["seeds"] = list(range(seeds))
        return parse_scenario(raw, full._source, full.name, full._base)

    def json_key(values: dict) -> str:
        return json.dumps(values, sort_keys=True)

    small = variant({"training.d_steps": [1, 5, 20, 50], "optimizer.lr": [0.03, 0.1]})
    tasks = [phase.task(c, small) for c in phase.cells(small)]
    warm_task = tasks[0]  # d_steps=1, lr=0.03: the cheapest cell
    n = len(tasks)
    kinds = {"this process": {"jobs": 1}, "2 processes": {"jobs": 2},
             "LocalCluster 1": {"dask_local": 1}, "LocalCluster 2": {"dask_local": 2}}

    # 1a. as `gananim render` runs them: execute() with its start-up (interleaved)
    cold: dict[str, list[float]] = {k: [] for k in kinds}
    own: list[float] = []  # the cells' own seconds in this process
    own_sums: list[float] = []
    for _ in range(repeats):
        for kind, options in kinds.items():
            done = phase.execute(tasks, lambda result: None, **options)
            cold[kind].append(done.wall)
            if kind == "this process":
                own += done.cell_seconds
                own_sums.append(sum(done.cell_seconds))

    # 1b. steady state: workers started once and warmed by a cell (on each worker), then the cells
    started: dict[str, float] = {}
    start = time.perf_counter()
    pool = start_workers(2)
    for future in [pool.submit(phase.run_cell, warm_task) for _ in range(2)]:
        future.result()  # after the two _warm imports: one warm cell each (FIFO)
    started["2 processes"] = time.perf_counter() - start
    clusters = {}
    for workers in (1, 2):
        start = time.perf_counter()
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None,
                               silence_logs=logging.ERROR)
        client = Client(cluster, set_as_default=False)
        for address in client.scheduler_info()["workers"]:
            client.submit(phase.run_cell, warm_task, workers=[address], allow_other_workers=False,
                          pure=False).result()
        started[f"LocalCluster {workers}"] = time.perf_counter() - start
        clusters[workers] = (cluster, client)

    def in_process():
        for t in tasks:
            phase.run_cell(t)

    def on_pool():
        for future in [pool.submit(phase.run_cell, t) for t in tasks]:
            future.result()

    def on_dask(client):
        def go():
            for future in dask_completed(client.map(phase.run_cell, tasks, pure=False), loop=client.loop):
                future.result()
        return go

    steady_fns = {"this process": in_process, "2 processes": on_pool,
                  "LocalCluster 1": on_dask(clusters[1][1]), "LocalCluster 2": on_dask(clusters[2][1])}
    steady: dict[str, list[float]] = {k: [] for k in kinds}
    try:
        for _ in range(repeats):
            for kind, fn in steady_fns.items():
                start = time.perf_counter()
                fn()
                steady[kind].append(time.perf_counter() - start)

        # 2. the scheduler's overhead per task: no-op tasks on the warmed 2-worker cluster
        client = clusters[2][1]
        tiny = 1000
        per_task, round_trip = [], []
        for _ in range(repeats):
            start = time.perf_counter()
            client.gather(client.map(_noop, range(tiny), pure=False))
            per_task.append((time.perf_counter() - start) / tiny)
            for i in range(50):
                start = time.perf_counter()
                client.submit(_noop, i, pure=False).result()
                round_trip.append(time.perf_counter() - start)
    finally:
        quiet = logging.getLogger("distributed")
        level = quiet.level
        quiet.setLevel(logging.ERROR)  # two clusters' close: the second one's INFO lines and comm errors
        try:
            for cluster, client in reversed(clusters.values()):
                client.close()
                cluster.close()
        finally:
            quiet.setLevel(level)
        stop_workers(pool)

    def per_minute(walls):
        return statistics.median(60 * n / w for w in walls)

    def line(values, unit_fmt):
        return " / ".join(unit_fmt(v) for v in values)

    names = list(kinds)
    title = (f"phase_strong_discr, {n} cells (d_steps 1, 5, 20, 50 x lr 0.03, 0.1; "
             f"{len(small.seed_list())} seeds, {small.training.games} games)")
    row("p", f"{title}: the cells' own time in this process (sum, median of {repeats})",
        f"{statistics.median(own_sums):.1f} s (median cell {statistics.median(own):.2f} s)")
    for label, walls in (("with start-up", cold), ("steady state (warmed workers)", steady)):
        cpm = [per_minute(walls[k]) for k in names]
        row("p", f"cells/min {label}: {' / '.join(names)}",
            f"{line(cpm, lambda v: f'{v:.0f}')} ({line(cpm, lambda v: f'{v / cpm[0]:.2f}x')})")
    row("p", "  start-up (median wall with start-up - steady): " + " / ".join(names[1:]),
        line([statistics.median(cold[k]) - statistics.median(steady[k]) for k in names[1:]],
             lambda v: f"{v:.1f}") + " s")
    row("p", "  start + warm the steady-state workers (one run): " + " / ".join(names[1:]),
        line([started[k] for k in names[1:]], lambda v: f"{v:.1f}") + " s")
    median_cell = statistics.median(own)
    overhead = statistics.median(per_task)
    row("p", f"Dask overhead per task: {tiny} no-op tasks on the warmed LocalCluster 2 (wall / tasks)",
        f"{1e3 * overhead:.2f} ms ({100 * overhead / median_cell:.3f} % of the median cell, {median_cell:.2f} s)")
    row("p", "  one no-op task's round trip, submit to result, one at a time",
        f"{1e3 * statistics.median(round_trip):.1f} ms")

    # 3. the whole phase_strong_discr, every cell run once with --jobs 2 (its cells' own times)
    results: list[dict] = []
    done = phase.execute([phase.task(c, full) for c in phase.cells(full)], results.append, jobs=2)
    seconds = {json_key(r["values"]): s for r, s in zip(results, done.cell_seconds)}
    d = np.array([r["values"]["training.d_steps"] for r in results], dtype=float)
    t = np.array(done.cell_seconds)
    b, a = np.polyfit(d, t, 1)
    lrs = full.grid["optimizer.lr"]
    by_lr = [statistics.mean(s for r, s in zip(results, t) if r["values"]["optimizer.lr"] == lr) for lr in lrs]
    diverged = sum(any(p["diverged"] for p in r["per_seed"]) for r in results)
    row("p", f"phase_strong_discr, all {len(results)} cells ({len(full.seed_list())} seeds) run with --jobs 2 "
             "(one run): mean cell / wall",
        f"{t.mean():.2f} s / {done.wall:.1f} s ({60 * len(results) / done.wall:.0f} cells/min)")
    row("p", f"  cell seconds ~ a + b x d_steps (least squares over the {len(results)})",
        f"{a:.2f} + {b:.3f} x d_steps")
    row("p", "  mean cell by lr " + " / ".join(f"{lr:g}" for lr in lrs) + "; cells with a diverged seed",
        line(by_lr, lambda v: f"{v:.2f}") + f" s; {diverged} of {len(results)}")
    same = [seconds[json_key(tk["values"])] for tk in tasks]
    row("p", f"  the {n} cells above: mean in the --jobs 2 run / in this process (contention of 2 workers)",
        f"{statistics.mean(same):.2f} / {statistics.mean(own):.2f} s ({statistics.mean(same) / statistics.mean(own):.2f}x)")

    # a cell at 64 seeds against 16 (this process, interleaved): the seeds are trained side by side
    picks = [(1, 0.1), (5, 0.1), (50, 0.1)]
    sized = {}
    for seeds in (16, 64):
        sc = variant({"training.d_steps": [ds for ds, _ in picks], "optimizer.lr": [0.1]}, seeds)
        sized[seeds] = [phase.task(c, sc) for c in phase.cells(sc)]
    times: dict[tuple[int, int], list[float]] = {}
    for _ in range(repeats):
        for i in range(len(picks)):
            for seeds in (16, 64):
                times.setdefault((i, seeds), []).append(phase.run_cell(sized[seeds][i])["seconds"])
    med = {k: statistics.median(v) for k, v in times.items()}
    row("p", "one cell, 16 / 64 seeds (lr 0.1; this process): d_steps " + ", ".join(str(ds) for ds, _ in picks),
        ", ".join(f"{med[(i, 16)]:.2f} / {med[(i, 64)]:.2f} s ({med[(i, 64)] / med[(i, 16)]:.2f}x)"
                  for i in range(len(picks))))
    b64, a64 = np.polyfit([ds for ds, _ in picks], [med[(i, 64)] for i in range(len(picks))], 1)
    row("p", "  at 64 seeds: cell seconds ~ a + b x d_steps (these 3 cells)", f"{a64:.2f} + {b64:.3f} x d_steps")


# --- n: the naive scripts end to end ----------------------------------------------------------

NAIVE = {"strong_discr": "naive_strong_discr.py", "ring8": "naive_ring8.py"}
NAIVE_STAGES = {"imports": "imports", "training": "training", "hessians": "Hessians", "jacobians": "Jacobians",
                "probes": "probes", "animation": "frames + GIF", "figures": "static figures"}


def naive_scripts(repeats: int, tmp: Path) -> None:
    import json

    here = Path(__file__).resolve().parent
    walls: dict[tuple[str, str], list[float]] = {(name, who): [] for name in NAIVE for who in ("naive", "gananim")}
    stages: dict[str, list[dict]] = {name: [] for name in NAIVE}
    for r in range(repeats):  # interleaved: a slow spell of the machine falls on both alike
        for name, script in NAIVE.items():
            commands = {
                "naive": [sys.executable, str(here / script), str(tmp / "naive" / name)],
                "gananim": [sys.executable, "-m", "gananim", "render", str(SCENARIOS / f"{name}.yaml"), "--force",
                            "--out", str(tmp / "n"), "-q"],
            }
            for who in ("naive", "gananim") if r % 2 == 0 else ("gananim", "naive"):
                start = time.perf_counter()
                done = subprocess.run(commands[who], check=True, capture_output=True, text=True)
                walls[(name, who)].append(time.perf_counter() - start)
                if who == "naive":  # its last line: its stage times
                    stages[name].append(json.loads(done.stdout.strip().splitlines()[-1]))
    for name in NAIVE:
        naive, ours = walls[(name, "naive")], walls[(name, "gananim")]
        ratios = [a / b for a, b in zip(naive, ours)]
        row("n", f"{name}: naive script / gananim render --force (whole processes)",
            f"{statistics.median(naive):.1f} s / {statistics.median(ours):.1f} s "
            f"({statistics.median(naive) / statistics.median(ours):.2f}x; rounds {min(ratios):.2f}-{max(ratios):.2f}x)")
        keys = [k for k in NAIVE_STAGES if k in stages[name][0]]
        med = {k: statistics.median(s[k] for s in stages[name]) for k in keys}
        med["rest"] = statistics.median(w - sum(s[k] for k in keys) for w, s in zip(naive, stages[name]))
        total = statistics.median(naive)
        row("n", f"  naive {name}'s stages: " + " / ".join([NAIVE_STAGES[k] for k in keys] + ["start-up, exit"]),
            " / ".join(f"{v:.2f} ({100 * v / total:.0f} %)" for v in med.values()) + " s")
        if "jacobian_lm" in stages[name][0]:
            row("n", f"  naive {name}: of its Jacobians, the largest-|λ| group alone (LR and LI: the rest)",
                f"{statistics.median(s['jacobian_lm'] for s in stages[name]):.2f} s")


# --- m: how cost grows --------------------------------------------------------------------------

def _descendants(pid: int) -> list[int]:
    """A process and every process below it (Linux /proc)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        p = todo.pop()
        found.append(p)
        todo += children.get(p, [])
    return found


def measured_process(command: list[str], env: dict | None = None, cwd: Path | None = None) -> tuple[float, float]:
    """(seconds, peak MB of the process tree) of one command run to its end: the resident memory
    of the process and its descendants summed every 20 ms (the tree itself looked up every
    0.2 s: a scan of /proc costs more than reading a few statm files)."""
    import os

    page = os.sysconf("SC_PAGE_SIZE")
    start = time.perf_counter()
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, cwd=cwd)
    peak, tree, looked = 0, [proc.pid], 0.0
    while proc.poll() is None:
        now = time.perf_counter()
        if now - looked > 0.2:
            tree, looked = _descendants(proc.pid), now
        total = 0
        for p in tree:
            try:
                total += int(Path(f"/proc/{p}/statm").read_text().split()[1]) * page
            except (OSError, IndexError, ValueError):
                pass
        peak = max(peak, total)
        time.sleep(0.02)
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed: {proc.stderr.read().decode()[-2000:]}")
    return seconds, peak / 2**20


def _variant(name: str, change) -> dict:
    import yaml

    raw = yaml.safe_load((SCENARIOS / f"{name}.yaml").read_text())
    change(raw)
    return raw


def cost_growth(repeats: int, tmp: Path, source: str | None, series: str) -> None:
    import os

    import yaml

    env = None
    if source:
        env = dict(os.environ, PYTHONPATH=str(Path(source).resolve()))
    label = f" [{source}]" if source else ""

    def games(n):
        return lambda raw: raw["training"].update(games=n)

    def width(w):
        return lambda raw: (raw["generator"].update(hidden=[w, w]), raw["discriminator"].update(hidden=[w, w]))

    def seeds(n):  # one seed is a plain run (a sweep has at least 2)
        return lambda raw: raw.update(seed=0) if n == 1 else (raw.pop("seed", None), raw.update(seeds=list(range(n))))

    points = {"sd": [("strong_discr", f"strong_discr, {n:,} games", games(n)) for n in (500, 1000, 2000, 4000)],
              "ring8": [("ring8", f"ring8, hidden width {w}", width(w)) for w in (32, 64, 128, 256)],
              "seeds": [("strong_discr", f"strong_discr sweep, {n} seeds", seeds(n)) for n in (1, 4, 16, 64)]}
    for key in series.split(","):
        for k, (name, what, change) in enumerate(points[key]):
            path = tmp / f"m_{key}_{k}" / f"{name}.yaml"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(yaml.safe_dump(_variant(name, change), sort_keys=False))
            command = [sys.executable, "-m", "gananim", "render", str(path), "--force", "--out", str(tmp / "m_out"),
                       "-q", "--allow-big"]
            runs = [measured_process(command, env, cwd=tmp) for _ in range(repeats)]  # not beside a checkout
            row("m", what + label, f"{statistics.median(r[0] for r in runs):.1f} s, "
                                   f"peak {statistics.median(r[1] for r in runs):.0f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--train-games", type=int, default=300)
    parser.add_argument("--mlp-games", type=int, default=300, help="games of the MLP sweep (g)")
    parser.add_argument("--skip", default="", help="sections to skip, e.g. 'ce'")
    parser.add_argument("--only", default="", help="run only these sections, e.g. 'p' (the others are skipped)")
    parser.add_argument("--source", default=None, help="section m: another checkout's gananim (the numbers before)")
    parser.add_argument("--series", default="sd,ring8,seeds", help="section m: which series (sd, ring8, seeds)")
    args = parser.parse_args()
    if args.only:
        args.skip = "".join(s for s in "acdefgilmnps" if s not in args.only)

    import torch

    torch.set_num_threads(1)
    from gananim.scenario import load_scenario
    from gananim.trainer import train

    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        if "a" not in args.skip:
            frames_and_size(train(load_scenario(SCENARIOS / "strong_discr.yaml")), args.repeats, tmp)
        if "f" not in args.skip:
            end_to_end(args.repeats, tmp / "e2e")
            end_to_end_training(args.repeats)
            chained_mlp_steps(args.repeats, args.train_games)
        if "g" not in args.skip:
            sweeps(args.repeats, args.mlp_games)
        if "d" not in args.skip:
            hessian_sizes(args.repeats)
        if "c" not in args.skip:
            training(args.repeats, args.train_games)
        if "i" not in args.skip:
            images(args.repeats, tmp)
        if "s" not in args.skip:
            startup(args.repeats, tmp)
        if "l" not in args.skip:
            libraries(args.repeats, tmp)
        if "p" not in args.skip:
            phase_executors(args.repeats)
        if "n" not in args.skip:
            naive_scripts(args.repeats, tmp)
        if "m" not in args.skip:
            cost_growth(1, tmp, args.source, args.series)  # one run per point: minutes already
        if "e" not in args.skip:
            gallery(args.repeats, tmp)
    print(f"\ngananim benchmarks (medians of {args.repeats}; this machine: {__import__('os').cpu_count()} cores)\n")
    print("| | what | value |\n| --- | --- | --- |")
    for section, what, value in rows:
        print(f"| {section} | {what} | {value} |")


if __name__ == "__main__":
    main()
