"""The strong-discriminator game (scenarios/strong_discr.yaml) written the usual way: the plain
script a lecturer would write to make the same three files that `gananim render
scenarios/strong_discr.yaml` makes. It is the baseline of benchmarks/bench.py, section n.

    python benchmarks/naive_strong_discr.py OUT_FOLDER

What it does, in order:

* The game. Data N(5, 1) with 10 fixed samples (drawn once); noise U(0, 1); G and D are each an
  nn.Linear(1, 1) (D gives a logit; D(x) = sigmoid of it: logistic regression), every weight
  and bias drawn from N(0, 0.1^2); torch.manual_seed(1). Minimax losses with
  nn.BCEWithLogitsLoss: D minimises BCE(D(x), 1) + BCE(D(G(z)), 0), G minimises
  log(1 - D(G(z))) = -BCE(D(G(z)), 0); one torch.optim.SGD (lr 0.1) per player. 500 games of
  50 D steps then 1 G step, batch 10 (the 10 samples; a fresh noise batch every step).
* Recorded every game: V(D, G) = E log D(x) + E log(1 - D(G(z))) on D's last real batch and G's
  last noise batch, the gradient norm of each player's last step, and the Hessian of V with
  respect to all 4 parameters (theta_D, theta_G) at that point, by
  torch.autograd.functional.hessian of V written as a function of the flat parameter vector
  (torch.func.functional_call), with its eigenvalues and those of each player's 2 x 2 block
  (torch.linalg.eigvalsh): as gananim records them, at every one of the 500 games.
* A snapshot every 10 games (and at the start: 51): D on a 400-point grid, G on 10 fixed noise
  draws, whether each of them fools D (D(G(z)) >= mean D(real) - 0.05), G's density (a
  histogram of 4,000 draws), the energy distance of 1,000 draws of G to 1,000 draws of the data
  (scipy.stats.energy_distance) and D's mean on the data and on G's draws.
* animation.gif (800 x 660 pixels, 51 frames): one figure made with pyplot (constrained layout)
  whose artists are made once and updated in FuncAnimation's update function (set_data and
  friends, the pattern of matplotlib's own examples; no clearing and redrawing of the axes),
  saved with PillowWriter: D(x), the real density and samples, G's density, the noise draws
  and the lines z -> G(z), who fools D, and the objective strip under it.
* summary.png (1800 x 900): the final state, V against -2 log 2 over games, the energy
  distance, both gradient norms (log scale) and D's means on real and fake; hessian.png
  (1300 x 1000): the 4 eigenvalues over games, each block's extreme eigenvalue, and how many
  are negative and positive (symlog). Both pyplot figures with constrained layout, savefig.

It is meant as the ordinary way of doing this, not a straw man: idiomatic PyTorch (modules,
torch.optim, the library's BCE loss, the library's Hessian) and idiomatic matplotlib, nothing
made slower on purpose, torch's and matplotlib's defaults left as they are. It is not meant to
reproduce gananim's numbers or pixels (its own random streams, colours and annotations differ),
only the same work and the same kind of pictures at the same sizes.

The last line it prints is a JSON object of its stage times in seconds (imports, training,
hessians, probes, animation = frames + GIF, figures = the two static figures; start-up of the
interpreter is not in it).
"""
import time

START = time.perf_counter()

import argparse  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
from pathlib import Path  # noqa: E402

import matplotlib  # noqa: E402

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402
from matplotlib.animation import FuncAnimation, PillowWriter  # noqa: E402
from matplotlib.collections import LineCollection  # noqa: E402
from scipy.stats import energy_distance, norm  # noqa: E402
from torch import nn  # noqa: E402
from torch.func import functional_call  # noqa: E402

stages = {"imports": time.perf_counter() - START}

GAMES, D_STEPS, G_STEPS, BATCH, LR, EVERY = 500, 50, 1, 10, 0.1, 10
MEAN, STD, N_REAL = 5.0, 1.0, 10
REFERENCE = -2 * math.log(2)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path)
    out = parser.parse_args().out
    out.mkdir(parents=True, exist_ok=True)
    plt.rcParams["font.size"] = 12

    # --- the game -------------------------------------------------------------------------
    t = time.perf_counter()
    torch.manual_seed(1)
    real = MEAN + STD * torch.randn(N_REAL, 1)
    G = nn.Linear(1, 1)
    D = nn.Linear(1, 1)  # a logit: D(x) = sigmoid(D's output)
    for p in [*G.parameters(), *D.parameters()]:
        nn.init.normal_(p, 0.0, 0.1)
    opt_d = torch.optim.SGD(D.parameters(), lr=LR)
    opt_g = torch.optim.SGD(G.parameters(), lr=LR)
    bce = nn.BCEWithLogitsLoss()
    ones, zeros = torch.ones(BATCH, 1), torch.zeros(BATCH, 1)

    # V as a function of the flat parameter vector (D's, then G's), for the Hessian
    shapes = [(name, p.shape) for module in (D, G) for name, p in module.named_parameters()]
    n_d = sum(p.numel() for p in D.parameters())

    def value(theta, x, z):
        params, i = [], 0
        for _, shape in shapes:
            params.append(theta[i:i + math.prod(shape)].reshape(shape))
            i += math.prod(shape)
        d_params = dict(zip([n for n, _ in shapes[:2]], params[:2]))
        g_params = dict(zip([n for n, _ in shapes[2:]], params[2:]))
        fake = functional_call(G, g_params, (z,))
        return -(bce(functional_call(D, d_params, (x,)), ones) + bce(functional_call(D, d_params, (fake,)), zeros))

    # the probes' fixed inputs
    x_grid = torch.linspace(-0.35, 8.35, 400).reshape(-1, 1)
    z_fixed = torch.sort(torch.rand(10, 1), dim=0).values
    z_density = torch.rand(4000, 1)
    edges = np.linspace(-0.35, 8.35, 121)
    z_metric = torch.rand(1000, 1)
    real_metric = (MEAN + STD * torch.randn(1000, 1)).numpy()[:, 0]

    history = {k: [] for k in ("objective", "grad_d", "grad_g")}
    hessians = {k: [] for k in ("all", "d", "g")}
    snaps = {k: [] for k in ("game", "d_grid", "g_z", "fooled", "density", "energy", "d_real", "d_fake")}
    t_hessian = t_probe = 0.0

    def snapshot(game):
        with torch.no_grad():
            d_real = torch.sigmoid(D(real)).mean().item()
            g_z = G(z_fixed)
            d_g = torch.sigmoid(D(g_z))[:, 0]
            fakes = G(z_density)[:, 0].numpy()
            density, _ = np.histogram(fakes, bins=edges, density=True)
            snaps["game"].append(game)
            snaps["d_grid"].append(torch.sigmoid(D(x_grid))[:, 0].numpy())
            snaps["g_z"].append(g_z[:, 0].numpy())
            snaps["fooled"].append((d_g >= d_real - 0.05).numpy())
            snaps["density"].append(density)
            metric_fakes = G(z_metric)
            snaps["energy"].append(energy_distance(metric_fakes[:, 0].numpy(), real_metric))
            snaps["d_real"].append(d_real)
            snaps["d_fake"].append(torch.sigmoid(D(metric_fakes)).mean().item())

    start = time.perf_counter()
    snapshot(0)
    t_probe += time.perf_counter() - start
    for game in range(1, GAMES + 1):
        for _ in range(D_STEPS):
            x = real  # batch 10 of 10 samples: all of them
            z = torch.rand(BATCH, 1)
            d_loss = bce(D(x), ones) + bce(D(G(z).detach()), zeros)
            opt_d.zero_grad()
            d_loss.backward()
            opt_d.step()
        grad_d = torch.cat([p.grad.reshape(-1) for p in D.parameters()]).norm().item()
        for _ in range(G_STEPS):
            z = torch.rand(BATCH, 1)
            g_loss = -bce(D(G(z)), zeros)  # minimax: G minimises log(1 - D(G(z)))
            opt_g.zero_grad()
            g_loss.backward()
            opt_g.step()
        grad_g = torch.cat([p.grad.reshape(-1) for p in G.parameters()]).norm().item()
        with torch.no_grad():
            v = -(bce(D(x), ones) + bce(D(G(z)), zeros)).item()
        history["objective"].append(v)
        history["grad_d"].append(grad_d)
        history["grad_g"].append(grad_g)

        start = time.perf_counter()
        theta = torch.cat([p.detach().reshape(-1) for p in [*D.parameters(), *G.parameters()]])
        H = torch.autograd.functional.hessian(lambda th: value(th, x, z), theta)
        hessians["all"].append(torch.linalg.eigvalsh(H).numpy())
        hessians["d"].append(torch.linalg.eigvalsh(H[:n_d, :n_d]).numpy())
        hessians["g"].append(torch.linalg.eigvalsh(H[n_d:, n_d:]).numpy())
        t_hessian += time.perf_counter() - start

        if game % EVERY == 0:
            start = time.perf_counter()
            snapshot(game)
            t_probe += time.perf_counter() - start
    stages["training"] = time.perf_counter() - t - t_hessian - t_probe
    stages["hessians"] = t_hessian
    stages["probes"] = t_probe

    games = np.arange(1, GAMES + 1)
    objective = np.array(history["objective"])
    snaps = {k: np.array(v) for k, v in snaps.items()}
    eig = {k: np.array(v) for k, v in hessians.items()}
    xs = x_grid[:, 0].numpy()
    real_np = real[:, 0].numpy()
    zs = z_fixed[:, 0].numpy()
    real_pdf = norm.pdf(xs, MEAN, STD)

    # --- the state of the game: one axes, made once, updated per snapshot ---------------------
    def state_axes(ax):
        ax.axhline(0.5, color="grey", ls=":", lw=1)
        ax.axhline(-0.55, color="k", lw=1)
        ax.plot(xs, real_pdf, color="tab:green", lw=2, label="real density")
        ax.plot(real_np, np.zeros_like(real_np), "o", color="tab:green", label="real samples")
        ax.plot(zs, np.full_like(zs, -0.55), "o", color="k", label="noise z")
        art = {
            "density": ax.stairs(np.zeros(len(edges) - 1), edges, fill=True, color="tab:orange", alpha=0.3,
                                 label="G density"),
            "lines": ax.add_collection(LineCollection([], colors="grey", lw=1, label="z -> G(z)")),
            "d": ax.plot(xs, np.zeros_like(xs), color="tab:blue", lw=2.5, label="D(x)")[0],
            "fooled": ax.plot([], [], "^", color="gold", mec="k", ms=9, label="G(z) fools D")[0],
            "caught": ax.plot([], [], "v", color="tab:pink", mec="k", ms=9, label="G(z) caught")[0],
            "peak": ax.text(0.02, 0.97, "", transform=ax.transAxes, va="top", color="tab:orange"),
        }
        ax.set_xlim(xs[0], xs[-1])
        ax.set_ylim(-0.75, 1.15)
        ax.set_xlabel("x (data) · z (noise, same axis)")
        ax.set_ylabel("D(x) and density")
        ax.grid(alpha=0.3)
        return art

    def show_state(art, i):
        g = snaps["g_z"][i]
        art["density"].set_data(np.minimum(snaps["density"][i], 1.15))
        art["lines"].set_segments([[(z0, -0.53), (g0, -0.02)] for z0, g0 in zip(zs, g)])
        art["d"].set_ydata(snaps["d_grid"][i])
        fooled = snaps["fooled"][i]
        art["fooled"].set_data(g[fooled], np.zeros(fooled.sum()))
        art["caught"].set_data(g[~fooled], np.zeros((~fooled).sum()))
        peak = snaps["density"][i].max()
        art["peak"].set_text(f"↑ peak {peak:.1f}" if peak > 1.15 else "")

    # --- animation.gif ------------------------------------------------------------------------
    t = time.perf_counter()
    fig = plt.figure(figsize=(8, 6.6), dpi=100, layout="constrained")
    ax, strip = fig.subplots(2, 1, height_ratios=[3.2, 1])
    art = state_axes(ax)
    title = ax.set_title("")
    strip.plot(games, objective, color="lightgrey")
    so_far = strip.plot([], [], color="k")[0]
    now = strip.plot([], [], "o", color="tab:red", mec="k")[0]
    strip.axhline(REFERENCE, color="dimgrey", ls="--", label="−2 log 2 (equilibrium)")
    strip.set_xlim(0, GAMES)
    strip.set_xlabel("game")
    strip.set_ylabel("V(D, G)")
    strip.legend(loc="center right", fontsize=10)
    strip.grid(alpha=0.3)
    fig.legend(*ax.get_legend_handles_labels(), loc="outside lower center", ncol=4, fontsize=10)

    def update(i):
        show_state(art, i)
        game = int(snaps["game"][i])
        title.set_text(f"Strong discriminator (50 D steps per game)   game {game} / {GAMES}")
        so_far.set_data(games[:game], objective[:game])
        now.set_data([game] if game else [], [objective[game - 1]] if game else [])
        return []

    anim = FuncAnimation(fig, update, frames=len(snaps["game"]))
    anim.save(out / "animation.gif", writer=PillowWriter(fps=8))
    plt.close(fig)
    stages["animation"] = time.perf_counter() - t

    # --- summary.png --------------------------------------------------------------------------
    t = time.perf_counter()
    fig, axes = plt.subplots(2, 3, figsize=(18, 9), dpi=100, layout="constrained")
    fig.suptitle("Strong discriminator (50 D steps per game)", fontweight="bold")
    art = state_axes(axes[0, 0])
    show_state(art, -1)
    axes[0, 0].set_title(f"Final state (game {GAMES})")
    ax = axes[0, 1]
    ax.plot(games, objective, color="k", label="V(D, G)")
    ax.axhline(REFERENCE, color="dimgrey", ls="--", lw=2, label="−2 log 2 (equilibrium)")
    ax.set_title(f"Objective vs games\nfinal {objective[-1]:.3f}, |final − reference| = "
                 f"{abs(objective[-1] - REFERENCE):.3f}")
    ax.set_xlabel("game")
    ax.set_ylabel("V(D, G)")
    ax.legend()
    ax = axes[0, 2]
    ax.plot(snaps["game"], snaps["energy"], ".-", color="k")
    ax.set_ylim(bottom=0)
    ax.set_title("Distance from G's samples to the data")
    ax.set_xlabel("game")
    ax.set_ylabel("energy distance")
    for ax, key, who, colour in ((axes[1, 0], "grad_d", "Discriminator", "tab:blue"),
                                 (axes[1, 1], "grad_g", "Generator", "tab:orange")):
        ax.semilogy(games, history[key], color=colour)
        ax.set_title(f"Gradient magnitude: {who}")
        ax.set_xlabel("game")
        ax.set_ylabel(r"$\|\nabla_\theta L\|$ (log scale)")
    ax = axes[1, 2]
    ax.plot(snaps["game"], snaps["d_real"], ".-", color="tab:green", label="mean D on real")
    ax.plot(snaps["game"], snaps["d_fake"], "^--", color="tab:orange", label="mean D on G(z)")
    ax.axhline(0.5, color="grey", ls=":", label="D = 1/2")
    ax.set_title("What D says about real and fake")
    ax.set_xlabel("game")
    ax.set_ylabel("D")
    ax.legend()
    for ax in axes.flat:
        ax.grid(alpha=0.3)
    axes[0, 1].set_xlim(0, GAMES)
    fig.legend(*axes[0, 0].get_legend_handles_labels(), loc="outside lower center", ncol=8, fontsize=10)
    fig.savefig(out / "summary.png")
    plt.close(fig)

    # --- hessian.png --------------------------------------------------------------------------
    fig, (top, mid, low) = plt.subplots(3, 1, figsize=(13, 10), dpi=100, sharex=True, layout="constrained",
                                        height_ratios=[3, 3, 1.2])
    fig.suptitle("Strong discriminator (50 D steps per game)", fontweight="bold")
    tiny = 1e-6 * np.abs(eig["all"]).max(axis=1)  # |λ| below this counts as 0
    for k in range(eig["all"].shape[1]):
        lam = eig["all"][:, k]
        top.plot(games, np.where(lam < 0, lam, np.nan), color="tab:red", label="λ < 0" if k == 0 else None)
        top.plot(games, np.where(lam > 0, lam, np.nan), color="tab:blue", label="λ > 0" if k == 0 else None)
        top.annotate(f"λ{k + 1}", (games[-1], lam[-1]), xytext=(4, 0), textcoords="offset points", va="center")
    for ax in (top, mid):
        ax.fill_between(games, -tiny, tiny, color="gold", alpha=0.4, lw=0, label="≈ 0 band (|λ| ≤ 1e-6 max|λ|)")
        ax.set_yscale("symlog", linthresh=1e-6)
        ax.set_ylabel("eigenvalue (symlog)")
        ax.grid(alpha=0.3)
    n_neg = int((eig["all"][-1] < -tiny[-1]).sum())
    top.set_title(f"Hessian of V w.r.t. all 4 parameters (θ_D, θ_G): its 4 eigenvalues, every game\n"
                  f"final: {n_neg} negative, {4 - n_neg} positive or ≈ 0")
    mid.plot(games, eig["d"][:, -1], color="k", lw=2, label="D's block: its largest eigenvalue")
    mid.plot(games, eig["g"][:, 0], color="grey", ls="--", lw=2, label="G's block: its smallest eigenvalue")
    mid.axhspan(0, 1e-1, color="lightgrey", alpha=0.4, label="G's block belongs here (≥ 0)")
    d_ok, g_ok = eig["d"][-1, -1] <= tiny[-1], eig["g"][-1, 0] >= -tiny[-1]
    mid.set_title("Each player's own block of the Hessian: the local Nash test\n"
                  f"final: D's block ≤ 0: {'yes' if d_ok else 'no'}; G's block ≥ 0: {'yes' if g_ok else 'no'}"
                  f" → local Nash equilibrium: {'yes' if d_ok and g_ok else 'no'}")
    low.step(games, (eig["all"] < -tiny[:, None]).sum(axis=1), color="tab:red", lw=2, label="# negative")
    low.step(games, (eig["all"] > tiny[:, None]).sum(axis=1), color="tab:blue", ls="--", lw=2, label="# positive")
    low.set_ylabel("count")
    low.set_xlabel("game")
    low.set_xlim(0, GAMES)
    low.grid(alpha=0.3)
    for ax in (top, mid, low):
        ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5))
    fig.savefig(out / "hessian.png")
    plt.close(fig)
    stages["figures"] = time.perf_counter() - t
    print(json.dumps({k: round(v, 4) for k, v in stages.items()}))


if __name__ == "__main__":
    main()
