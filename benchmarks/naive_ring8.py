"""The ring-of-8-Gaussians game (scenarios/ring8.yaml) written the usual way: the plain script a
researcher would write to make the same four files that `gananim render scenarios/ring8.yaml`
makes. It is the baseline of benchmarks/bench.py, section n.

    python benchmarks/naive_ring8.py OUT_FOLDER

What it does, in order:

* The game. Data: 8 Gaussians (std 0.05) on a circle of radius 2, fresh draws every batch;
  noise N(0, I) in 2D; G and D are nn.Sequential MLPs 2-64-64-2 and 2-64-64-1 with ReLU
  (PyTorch's default initialisation; D gives a logit); torch.manual_seed(0). Non-saturating
  losses with nn.BCEWithLogitsLoss: D minimises BCE(D(x), 1) + BCE(D(G(z)), 0), G minimises
  BCE(D(G(z)), 1); one torch.optim.Adam (lr 1e-3, betas (0.5, 0.999)) per player. 2,000 games
  of 1 D step then 1 G step (a fresh noise batch each), batch 256.
* Recorded every game: V(D, G) = E log D(x) + E log(1 - D(G(z))) on D's last real batch and G's
  last noise batch, and the gradient norm of each player's last step.
* At games 1, 250, 500, ..., 2,000 (9 points), at that point: the Hessian's extremes, the 3 most
  negative and 3 most positive eigenvalues (scipy.sparse.linalg.eigsh, which="BE", k=6, its
  default tolerance) on a LinearOperator of Hessian-vector products by double backward (the
  gradient taken once with create_graph=True, then one torch.autograd.grad through it per
  product), of V with respect to all 8,899 parameters, of V with respect to D's own
  parameters, and of G's own (non-saturating) loss with respect to G's: what gananim records.
  And the game Jacobian J = d v / d theta of the field v = (-grad_D L_D, -grad_G L_G): its 6
  eigenvalues of largest magnitude, the 6 of largest real part and the 6 of largest imaginary
  part (scipy.sparse.linalg.eigs, which="LM", "LR", "LI", k=6, default tolerance: the groups
  gananim records, and what jacobian.png shows: the largest real part is stability, the
  imaginary part rotation) on a LinearOperator of products J^T u (one backward pass through
  the kept graph of v; J and J^T have the same eigenvalues).
* A snapshot every 50 games (and at the start: 41): D on a 90 x 90 grid, G on 512 fixed noise
  draws, who fools D (D(G(z)) >= mean D(real) - 0.05), G's manifold (the images of 30 lines of
  the noise plane), the push on 24 of G's samples (minus the gradient of G's loss with respect
  to the sample), the energy distance of 1,000 of G's samples to 1,000 of the data (from
  scipy.spatial.distance.cdist), the modes covered and high-quality samples (within 3 std of a
  mode) of 2,500 of G's samples, and D's means on real and fake.
* animation.gif (792 x 435 pixels, 41 frames): one pyplot figure (constrained layout) whose
  artists are made once and updated in FuncAnimation's update function (imshow's set_data,
  set_offsets, set_segments, set_UVC; the D = 1/2 contour drawn anew, as contours are), saved
  with PillowWriter: D's heat map with its colour bar, the real samples, G's manifold and
  samples, who fools D, the push on G, and beside it the legend and the objective strip.
* summary.png (1188 x 594): the final state, V against -2 log 2, the energy distance, both
  gradient norms, modes covered and high-quality samples; hessian.png (858 x 660): the
  Hessian's extremes over games and each player's block's extreme; jacobian.png (1056 x 726):
  the Jacobian's eigenvalues in the complex plane at 5 points and the largest real and
  imaginary parts over games. All pyplot figures with constrained layout, savefig at dpi 66
  (the shipped scenario's render.dpi).

It is meant as the ordinary way of doing this, not a straw man: idiomatic PyTorch (modules,
torch.optim, the library's BCE loss, autograd's double backward for the curvature products)
and scipy's ARPACK wrappers as documented, idiomatic matplotlib, nothing made slower on purpose,
the libraries' defaults (threads, tolerances) left as they are. It is not meant to reproduce
gananim's numbers or pixels (its own random streams, colours and annotations differ), only the
same work and the same kind of pictures at the same sizes.

The last line it prints is a JSON object of its stage times in seconds (imports, training,
hessians = the Hessian spectra, jacobians = the Jacobian spectra (jacobian_lm: the "LM" group
alone, inside it), probes, animation = frames + GIF, figures = the three static figures;
start-up of the interpreter is not in it).
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
from matplotlib.colors import LinearSegmentedColormap  # noqa: E402
from scipy.sparse.linalg import LinearOperator, eigs, eigsh  # noqa: E402
from scipy.spatial.distance import cdist  # noqa: E402
from torch import nn  # noqa: E402

stages = {"imports": time.perf_counter() - START}

GAMES, BATCH, EVERY, SPECTRUM_EVERY, DPI = 2000, 256, 50, 250, 66
RADIUS, STD, MODES = 2.0, 0.05, 8
REFERENCE = -2 * math.log(2)
TITLE = "Ring of 8 Gaussians"
CENTRES = torch.tensor([[RADIUS * math.cos(2 * math.pi * k / MODES), RADIUS * math.sin(2 * math.pi * k / MODES)]
                        for k in range(MODES)])


def sample_real(n):
    return CENTRES[torch.randint(MODES, (n,))] + STD * torch.randn(n, 2)


def mlp(d_in, d_out):
    return nn.Sequential(nn.Linear(d_in, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, d_out))


def flat(tensors):
    return torch.cat([t.reshape(-1) for t in tensors])


def hessian_extremes(loss, params, k=3):
    """The k most negative and k most positive eigenvalues of the Hessian of `loss` with respect
    to `params`: eigsh on Hessian-vector products by double backward."""
    grad = flat(torch.autograd.grad(loss, params, create_graph=True))
    n = grad.numel()

    def matvec(v):
        v = torch.tensor(np.ravel(v), dtype=grad.dtype)
        return flat(torch.autograd.grad(grad, params, grad_outputs=v, retain_graph=True)).numpy()

    op = LinearOperator((n, n), matvec=matvec, dtype=np.float32)
    return np.sort(eigsh(op, k=2 * k, which="BE", return_eigenvectors=False))


def jacobian_eigenvalues(field, params, which, k=6):
    """The k eigenvalues of J = d field / d params that ARPACK's `which` selects: eigs on J^T u."""
    n = field.numel()

    def matvec(u):
        u = torch.tensor(np.ravel(u), dtype=field.dtype)
        return flat(torch.autograd.grad(field, params, grad_outputs=u, retain_graph=True)).numpy()

    op = LinearOperator((n, n), matvec=matvec, dtype=np.float32)
    return eigs(op, k=k, which=which, return_eigenvectors=False)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path)
    out = parser.parse_args().out
    out.mkdir(parents=True, exist_ok=True)
    plt.rcParams["font.size"] = 10

    # --- the game -------------------------------------------------------------------------
    t = time.perf_counter()
    torch.manual_seed(0)
    G, D = mlp(2, 2), mlp(2, 1)
    opt_d = torch.optim.Adam(D.parameters(), lr=1e-3, betas=(0.5, 0.999))
    opt_g = torch.optim.Adam(G.parameters(), lr=1e-3, betas=(0.5, 0.999))
    bce = nn.BCEWithLogitsLoss()
    ones, zeros = torch.ones(BATCH, 1), torch.zeros(BATCH, 1)
    d_params, g_params = list(D.parameters()), list(G.parameters())

    # the probes' fixed inputs
    lim = 2.4
    gx = np.linspace(-lim, lim, 90)
    heat_points = torch.tensor(np.stack(np.meshgrid(gx, gx), -1).reshape(-1, 2), dtype=torch.float32)
    z_fixed = torch.randn(512, 2)
    real_shown = sample_real(512).numpy()
    t_line = torch.linspace(-3, 3, 60)
    lines = [torch.stack([t_line, torch.full_like(t_line, c)], -1) for c in torch.linspace(-3, 3, 15)]
    lines += [torch.stack([torch.full_like(t_line, c), t_line], -1) for c in torch.linspace(-3, 3, 15)]
    manifold_z = torch.cat(lines)
    z_metric = torch.randn(2500, 2)
    real_metric = sample_real(1000).numpy().astype(float)
    real_within = cdist(real_metric, real_metric).mean()
    real_d = sample_real(1000)

    history = {k: [] for k in ("objective", "grad_d", "grad_g")}
    spectra = {k: [] for k in ("game", "all", "d", "g", "LM", "LR", "LI")}
    snaps = {k: [] for k in ("game", "heat", "g_z", "fooled", "manifold", "push", "energy", "modes", "quality",
                             "d_real", "d_fake")}
    t_spectra = t_jacobian = t_lm = t_probe = 0.0

    def snapshot(game):
        with torch.no_grad():
            d_real = torch.sigmoid(D(real_d)).mean().item()
            g_z = G(z_fixed)
            snaps["game"].append(game)
            snaps["heat"].append(torch.sigmoid(D(heat_points)).reshape(90, 90).numpy())
            snaps["g_z"].append(g_z.numpy())
            snaps["fooled"].append((torch.sigmoid(D(g_z))[:, 0] >= d_real - 0.05).numpy())
            snaps["manifold"].append(G(manifold_z).reshape(30, 60, 2).numpy())
            fakes = G(z_metric)
            f = fakes.numpy().astype(float)[:1000]
            energy = 2 * cdist(f, real_metric).mean() - cdist(f, f).mean() - real_within
            snaps["energy"].append(math.sqrt(max(energy, 0.0)))
            dist = cdist(fakes.numpy(), CENTRES.numpy())
            good = dist.min(axis=1) <= 3 * STD
            snaps["modes"].append(len(np.unique(dist.argmin(axis=1)[good])))
            snaps["quality"].append(100 * good.mean())
            snaps["d_real"].append(d_real)
            snaps["d_fake"].append(torch.sigmoid(D(fakes)).mean().item())
        x = g_z[:24].clone().requires_grad_(True)
        (grad,) = torch.autograd.grad(bce(D(x), torch.ones(24, 1)) * 24, x)
        snaps["push"].append(-grad.numpy())

    def hessians_at(game, x, z):
        spectra["game"].append(game)
        V = -(bce(D(x), ones) + bce(D(G(z)), zeros))
        spectra["all"].append(hessian_extremes(V, d_params + g_params))
        V = -(bce(D(x), ones) + bce(D(G(z)), zeros))
        spectra["d"].append(hessian_extremes(V, d_params))
        spectra["g"].append(hessian_extremes(bce(D(G(z)), ones), g_params))

    def jacobians_at(x, z):
        nonlocal t_lm
        fake = G(z)
        d_loss = bce(D(x), ones) + bce(D(fake), zeros)
        g_loss = bce(D(fake), ones)
        field = -torch.cat([flat(torch.autograd.grad(d_loss, d_params, create_graph=True)),
                            flat(torch.autograd.grad(g_loss, g_params, create_graph=True))])
        for which in ("LM", "LR", "LI"):
            start = time.perf_counter()
            spectra[which].append(jacobian_eigenvalues(field, d_params + g_params, which))
            if which == "LM":
                t_lm += time.perf_counter() - start

    start = time.perf_counter()
    snapshot(0)
    t_probe += time.perf_counter() - start
    for game in range(1, GAMES + 1):
        x = sample_real(BATCH)
        z = torch.randn(BATCH, 2)
        d_loss = bce(D(x), ones) + bce(D(G(z).detach()), zeros)
        opt_d.zero_grad()
        d_loss.backward()
        opt_d.step()
        grad_d = flat([p.grad for p in d_params]).norm().item()
        z = torch.randn(BATCH, 2)
        g_loss = bce(D(G(z)), ones)  # non-saturating
        opt_g.zero_grad()
        g_loss.backward()
        opt_g.step()
        grad_g = flat([p.grad for p in g_params]).norm().item()
        with torch.no_grad():
            v = -(bce(D(x), ones) + bce(D(G(z)), zeros)).item()
        history["objective"].append(v)
        history["grad_d"].append(grad_d)
        history["grad_g"].append(grad_g)
        if game == 1 or game % SPECTRUM_EVERY == 0:
            start = time.perf_counter()
            hessians_at(game, x, z)
            t_spectra += time.perf_counter() - start
            start = time.perf_counter()
            jacobians_at(x, z)
            t_jacobian += time.perf_counter() - start
        if game % EVERY == 0:
            start = time.perf_counter()
            snapshot(game)
            t_probe += time.perf_counter() - start
    stages["training"] = time.perf_counter() - t - t_spectra - t_jacobian - t_probe
    stages["hessians"] = t_spectra
    stages["jacobians"] = t_jacobian
    stages["jacobian_lm"] = t_lm
    stages["probes"] = t_probe

    games = np.arange(1, GAMES + 1)
    objective = np.array(history["objective"])
    snaps = {k: np.array(v) for k, v in snaps.items()}
    spectra = {k: np.array(v) for k, v in spectra.items()}
    heat_cmap = LinearSegmentedColormap.from_list("heat", ["#969696", "#ffffff", "#4a98c9"])

    # --- the state of the game: one axes, made once, updated per snapshot ---------------------
    def state_axes(ax):
        art = {"heat": ax.imshow(snaps["heat"][0], extent=(-lim, lim, -lim, lim), origin="lower", cmap=heat_cmap,
                                 vmin=0, vmax=1, interpolation="bilinear")}
        plt.colorbar(art["heat"], ax=ax, label="D(x)", shrink=0.8)
        ax.plot([], [], "--", color="tab:blue", lw=2, label="D = 1/2")
        ax.scatter(*real_shown.T, s=8, color="tab:cyan", edgecolor="teal", lw=0.3, label="real samples")
        art["manifold"] = ax.add_collection(LineCollection([], colors="grey", lw=0.6, alpha=0.6,
                                                           label="G's manifold"))
        art["fooled"] = ax.scatter([], [], marker="^", s=28, color="gold", edgecolor="k", lw=0.5,
                                   label="G(z) fools D")
        art["caught"] = ax.scatter([], [], marker="v", s=28, color="tab:pink", edgecolor="k", lw=0.5,
                                   label="G(z) caught")
        art["push"] = ax.quiver(np.zeros(24), np.zeros(24), np.zeros(24), np.zeros(24), angles="xy",
                                scale_units="xy", scale=4, width=0.004, label="push on G(z)")
        art["contour"] = None
        ax.set_xlim(-lim, lim)
        ax.set_ylim(-lim, lim)
        ax.set_aspect("equal")
        ax.set_xlabel("x₁")
        ax.set_ylabel("x₂")
        return art

    def show_state(ax, art, i):
        art["heat"].set_data(snaps["heat"][i])
        if art["contour"] is not None:
            art["contour"].remove()
        art["contour"] = ax.contour(gx, gx, snaps["heat"][i], levels=[0.5], colors="tab:blue", linestyles="--",
                                    linewidths=2)
        g = snaps["g_z"][i]
        fooled = snaps["fooled"][i]
        art["fooled"].set_offsets(g[fooled])
        art["caught"].set_offsets(g[~fooled])
        art["manifold"].set_segments(list(snaps["manifold"][i]))
        art["push"].set_offsets(g[:24])
        art["push"].set_UVC(*snaps["push"][i].T)

    # --- animation.gif ------------------------------------------------------------------------
    t = time.perf_counter()
    fig = plt.figure(figsize=(12, 6.6), dpi=DPI, layout="constrained")
    grid = fig.add_gridspec(2, 2, width_ratios=[1.3, 1], height_ratios=[1.2, 1])
    ax = fig.add_subplot(grid[:, 0])
    side = fig.add_subplot(grid[0, 1])
    strip = fig.add_subplot(grid[1, 1])
    art = state_axes(ax)
    side.axis("off")
    heading = side.set_title("", loc="left", fontweight="bold", fontsize=13)
    side.legend(*ax.get_legend_handles_labels(), loc="center left", frameon=False)
    strip.plot(games, objective, color="lightgrey")
    so_far = strip.plot([], [], color="k")[0]
    now = strip.plot([], [], "o", color="tab:orange", mec="k")[0]
    strip.axhline(REFERENCE, color="dimgrey", ls="--", label="−2 log 2 (equilibrium)")
    strip.set_xlim(0, GAMES)
    strip.set_xlabel("game")
    strip.set_ylabel("V(D, G)")
    strip.legend(loc="upper right", fontsize=9)
    strip.grid(alpha=0.3)

    def update(i):
        show_state(ax, art, i)
        game = int(snaps["game"][i])
        heading.set_text(f"{TITLE}\n\ngame {game} / {GAMES}")
        so_far.set_data(games[:game], objective[:game])
        now.set_data([game] if game else [], [objective[game - 1]] if game else [])
        return []

    anim = FuncAnimation(fig, update, frames=len(snaps["game"]))
    anim.save(out / "animation.gif", writer=PillowWriter(fps=8))
    plt.close(fig)
    stages["animation"] = time.perf_counter() - t

    # --- summary.png --------------------------------------------------------------------------
    t = time.perf_counter()
    fig, axes = plt.subplots(2, 3, figsize=(18, 9), dpi=DPI, layout="constrained")
    fig.suptitle(TITLE, fontweight="bold")
    art = state_axes(axes[0, 0])
    show_state(axes[0, 0], art, -1)
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
    ax.step(snaps["game"], snaps["modes"], ".-", where="post", color="tab:blue", label="modes covered")
    ax.set_ylabel("modes covered (of 8)")
    ax.set_ylim(-0.2, 8.2)
    twin = ax.twinx()
    twin.plot(snaps["game"], snaps["quality"], "--", color="tab:orange", label="high-quality samples (%)")
    twin.set_ylabel("high-quality samples (%)")
    twin.set_ylim(-2, 102)
    ax.set_title("Mode coverage (within 3 std of a mode)")
    ax.set_xlabel("game")
    ax.legend(handles=ax.get_lines() + twin.get_lines(), loc="center right")
    for ax in axes.flat[1:]:
        ax.grid(alpha=0.3)
    fig.legend(*axes[0, 0].get_legend_handles_labels(), loc="outside lower center", ncol=7)
    fig.savefig(out / "summary.png")
    plt.close(fig)

    # --- hessian.png --------------------------------------------------------------------------
    at = spectra["game"]
    fig, (top, low) = plt.subplots(2, 1, figsize=(13, 10), dpi=DPI, sharex=True, layout="constrained")
    fig.suptitle(TITLE, fontweight="bold")
    tiny = 1e-6 * np.abs(spectra["all"]).max(axis=1)
    for k in range(spectra["all"].shape[1]):
        lam = spectra["all"][:, k]
        negative = k < spectra["all"].shape[1] // 2
        label = "λ < 0 (3 most negative)" if negative else "λ > 0 (3 most positive)"
        top.plot(at, lam, ".-", color="tab:red" if negative else "tab:blue", label=label if k in (0, 3) else None)
    for ax in (top, low):
        ax.fill_between(at, -tiny, tiny, color="gold", alpha=0.4, lw=0, step="mid", label="≈ 0 band")
        ax.set_yscale("symlog", linthresh=1e-1)
        ax.set_ylabel("eigenvalue (symlog)")
        ax.grid(alpha=0.3)
    P = sum(p.numel() for p in d_params + g_params)
    top.set_title(f"Hessian of V w.r.t. all {P} parameters (θ_D, θ_G):\nthe 3 most negative and 3 most positive "
                  f"(Lanczos), every {SPECTRUM_EVERY} games")
    low.plot(at, spectra["d"][:, -1], ".-", color="k", lw=2, label="D's block (of V): its largest eigenvalue")
    low.plot(at, spectra["g"][:, 0], ".--", color="grey", lw=2, label="G's block (of G's loss): its smallest")
    d_ok, g_ok = spectra["d"][-1, -1] <= tiny[-1], spectra["g"][-1, 0] >= -tiny[-1]
    low.set_title("Each player's own block of the Hessian: the local Nash test\n"
                  f"final: D's block ≤ 0: {'yes' if d_ok else 'no'}; G's block ≥ 0: {'yes' if g_ok else 'no'}"
                  f" → local Nash equilibrium: {'yes' if d_ok and g_ok else 'no'}")
    low.set_xlabel("game")
    low.set_xlim(0, GAMES)
    for ax in (top, low):
        ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5))
    fig.savefig(out / "hessian.png")
    plt.close(fig)

    # --- jacobian.png -------------------------------------------------------------------------
    fig, (plane, over) = plt.subplots(2, 1, figsize=(16, 11), dpi=DPI, layout="constrained",
                                      height_ratios=[1.2, 1])
    fig.suptitle(f"{TITLE}: game-Jacobian spectra, Arnoldi: the 6 largest |λ|, the 6 largest Re λ and the 6 "
                 f"largest Im λ of P = {P}", fontweight="bold")
    jac = np.concatenate([spectra["LM"], spectra["LR"], spectra["LI"]], axis=1)
    shown = [i for i, g in enumerate(at) if g == 1 or g % 500 == 0]
    colours = plt.cm.cividis(np.linspace(0, 0.9, len(shown)))
    for i, colour in zip(shown, colours):
        lam = jac[i]
        plane.scatter(lam.real, lam.imag, s=120 - 15 * shown.index(i), facecolor="none", edgecolor=colour, lw=2,
                      label=f"game {at[i]}")
    plane.axvspan(plane.get_xlim()[0], 0, color="lightgrey", alpha=0.5, zorder=0,
                  label="Re λ < 0: the flow is locally stable there")
    plane.axhline(0, color="k", lw=0.8)
    plane.axvline(0, color="k", lw=0.8)
    plane.set_xlabel("Re λ")
    plane.set_ylabel("Im λ (rotation)")
    plane.set_title("Eigenvalues λ of the game Jacobian J = ∂v/∂θ at 5 points (colour: game)")
    plane.legend(loc="center left", bbox_to_anchor=(1.01, 0.5))
    over.plot(at, jac.real.max(axis=1), ".-", color="tab:red", label="largest Re λ (> 0: unstable)")
    over.plot(at, np.abs(jac.imag).max(axis=1), "s--", color="tab:blue",
              label="largest |Im λ| (rotation)")
    over.axhline(0, color="k", lw=0.8)
    over.set_xlim(0, GAMES)
    over.set_xlabel("game")
    over.set_ylabel("eigenvalue part")
    over.set_title("Over games: the largest real part and the largest |imaginary part| of the computed eigenvalues")
    over.grid(alpha=0.3)
    over.legend(loc="center left", bbox_to_anchor=(1.01, 0.5))
    fig.savefig(out / "jacobian.png")
    plt.close(fig)
    stages["figures"] = time.perf_counter() - t
    print(json.dumps({k: round(v, 4) for k, v in stages.items()}))


if __name__ == "__main__":
    main()
