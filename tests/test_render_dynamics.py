"""The dynamics figures of a two-parameter game and of any game's Jacobian spectra: the
Dirac-GAN's vector field (panel, animation, field.png) and jacobian.png, drawn from Runs built
here with numpy (the minimax Dirac-GAN played step by step), so that what is drawn can be
checked against the numbers that made it."""
from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from gananim.renderer import render
from gananim.run import Run

F1 = 0.5  # f'(0) of the minimax loss f(t) = -log(1 + exp(-t))


def _f1(t):
    """f'(t) = 1 / (1 + e^t): the minimax Dirac-GAN's slope."""
    return 1.0 / (1.0 + np.exp(t))


def _field(theta, psi, gamma):
    """The continuous-time field (dθ/dt, dψ/dt) = (−ψ f′(θψ), θ f′(θψ) − γψ) (R1 of weight γ)."""
    s = _f1(theta * psi)
    return -psi * s, theta * s - gamma * psi


def _jacobian(theta, psi, gamma, eps=1e-6):
    """The 2 × 2 Jacobian of the field by central differences."""
    cols = []
    for d in ((eps, 0.0), (0.0, eps)):
        up = np.array(_field(theta + d[0], psi + d[1], gamma))
        down = np.array(_field(theta - d[0], psi - d[1], gamma))
        cols.append((up - down) / (2 * eps))
    return np.array(cols).T


def _update_matrix(jac, h, update):
    """The discrete update's linear map: I + hJ (simultaneous), or D's step then G's (alternating)."""
    if update == "simultaneous":
        return np.eye(2) + h * jac
    d_step = np.array([[1.0, 0.0], [h * jac[1, 0], 1.0 + h * jac[1, 1]]])
    g_step = np.array([[1.0 + h * jac[0, 0], h * jac[0, 1]], [0.0, 1.0]])
    return g_step @ d_step


def dirac_run(update="simultaneous", gamma=0.0, h=0.3, games=200, every=5, start=(1.0, 0.5),
              title="Dirac-GAN, simultaneous gradient descent") -> Run:
    """A minimax Dirac-GAN run as the trainer records it: a 1D run's arrays (D(x) = sigmoid(ψx),
    the real data at 0, G a point mass at θ) plus θ, ψ, the field on a grid, the equilibrium's
    spectra and the closed forms in meta["dirac"]."""
    theta, psi = [start[0]], [start[1]]
    for _ in range(games):
        t, p = theta[-1], psi[-1]
        if update == "simultaneous":
            dt, dp = _field(t, p, gamma)
            t, p = t + h * dt, p + h * dp
        else:  # D first, then G against the new D
            p = p + h * _field(t, p, gamma)[1]
            t = t + h * _field(t, p, gamma)[0]
        theta.append(t)
        psi.append(p)
    theta, psi = np.array(theta), np.array(psi)
    game = np.arange(1, games + 1)
    snap = np.arange(0, games + 1, every)
    axis = np.linspace(-2.5, 2.5, 41)
    dtheta, dpsi = _field(axis[None, :], axis[:, None], gamma)  # (Q, T): rows ψ, columns θ
    x_grid = np.linspace(-2.1, 2.1, 100)
    sig = lambda t: 1.0 / (1.0 + np.exp(-t))  # noqa: E731
    objective = np.log(0.5) + np.log(1 - sig(theta[1:] * psi[1:]))
    n_fakes = 10
    th, ps = theta[snap], psi[snap]
    d_fake = sig(th * ps)
    edges = np.linspace(-2.1, 2.1, 121)
    density = np.zeros((len(snap), 120))
    density[np.arange(len(snap)), np.clip(np.searchsorted(edges, th) - 1, 0, 119)] = 1 / (edges[1] - edges[0])
    arrays = {
        "game": game, "objective": objective, "d_loss": -objective, "g_loss": objective,
        "grad_norm_d": np.abs(_field(theta[:-1], psi[:-1], gamma)[1]),
        "grad_norm_g": np.abs(_field(theta[:-1], psi[:-1], gamma)[0]),
        "d_real": np.full(games, 0.5), "snap_game": snap, "d_real_mean": np.full(len(snap), 0.5),
        "d_fake_mean": d_fake, "x_grid": x_grid, "d_on_grid": sig(ps[:, None] * x_grid[None, :]),
        "z_fixed": np.linspace(0, 1, n_fakes)[:, None], "g_of_z": np.repeat(th[:, None, None], n_fakes, axis=1),
        "d_of_fakes": np.repeat(d_fake[:, None], n_fakes, axis=1),
        "fooled": np.repeat((d_fake >= 0.45)[:, None], n_fakes, axis=1),
        "real_samples": np.zeros((10, 1)), "real_pdf": np.zeros(100), "density_edges": edges, "g_density": density,
        "energy_distance": 2 * np.abs(th), "w1": np.abs(th),
        "theta": theta, "psi": psi, "field_theta": axis, "field_psi": axis, "field_dtheta": dtheta,
        "field_dpsi": dpsi, "equilibrium": np.zeros(2),
    }
    jac0 = _jacobian(0.0, 0.0, gamma)
    arrays["eq_eigvals"] = np.linalg.eigvals(jac0).astype(complex)
    arrays["eq_update_eigvals"] = np.linalg.eigvals(_update_matrix(jac0, h, update)).astype(complex)
    root = np.sqrt(complex(gamma**2 - 4 * F1**2))
    closed = [(-gamma + root) / 2, (-gamma - root) / 2]
    closed_update = [1 + h * lam for lam in closed] if update == "simultaneous" else None
    radius_closed = (float(np.abs(closed_update).max()) if update == "simultaneous"
                     else 1.0 if gamma == 0 else None)
    dirac = {"loss": "minimax", "regularizer": "r1" if gamma else "none", "update": update, "h": h,
             "closed_form": [[z.real, z.imag] for z in closed],
             "closed_form_formula": "±f′(0) i with f′(0) = 1/2" if gamma == 0 else
             f"(−γ ± √(γ² − 4f′(0)²)) / 2 with γ = {gamma:g}, f′(0) = 1/2",
             "update_closed_form": closed_update and [[z.real, z.imag] for z in closed_update],
             "update_radius_closed": radius_closed,
             "update_radius_measured": float(np.abs(arrays["eq_update_eigvals"]).max()), "note": None}
    meta = {"format": 2, "name": "dirac_test", "reference": -2 * np.log(2),
            "reference_label": "−2 log 2 (equilibrium)", "d_output": "probability", "value_label": "V(D, G)",
            "objective_label": "V(D, G)", "estimates_w1": False, "d_loss_reference": 2 * np.log(2),
            "g_loss_reference": -np.log(2), "domain": "dirac", "data_dim": 1, "noise_dim": 1,
            "parameters": {"D": 1, "G": 1}, "dirac": dirac,
            "jacobian_method": "exact", "jacobian_k": None, "jacobian_update": {"mode": update, "h": h},
            "scenario": {"title": title, "description": None, "seed": 0, "seeds": None, "loss": "minimax",
                         "record": {"every": every, "hessian": False, "jacobian": True},
                         "render": {"outputs": ["animation", "field", "jacobian"], "size": "web", "seconds": 20.0,
                                    "fps": 10, "hold": [], "events": "auto", "value_range": None,
                                    "formats": ["png"], "dpi": 50}}}
    # the spectra at every snapshot, largest real part first, as the trainer records them
    eig = np.array([np.linalg.eigvals(_jacobian(theta[g], psi[g], gamma)) for g in snap])
    eig = np.take_along_axis(eig, np.argsort(-eig.real, axis=1), axis=1)
    mu = np.array([np.linalg.eigvals(_update_matrix(_jacobian(theta[g], psi[g], gamma), h, update)) for g in snap])
    arrays |= {"jacobian_game": snap, "jacobian_eigvals": eig.astype(complex),
               "jacobian_max_real": eig.real.max(axis=1), "jacobian_max_imag": np.abs(eig.imag).max(axis=1),
               "jacobian_update_eigvals": mu.astype(complex)}
    return Run(arrays, meta)


@pytest.fixture(scope="module")
def sim_run():
    return dirac_run()


@pytest.fixture(scope="module")
def rendered(sim_run, tmp_path_factory):
    out = tmp_path_factory.mktemp("dirac") / "sim"
    render(sim_run, out)
    return out


def _panel(run):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from gananim.renderer.panels import PANELS

    fig = Figure(figsize=(6, 5), dpi=50)
    FigureCanvasAgg(fig)
    return PANELS["dirac"](fig.add_subplot(), run)


def test_the_trajectory_so_far_is_theta_and_psi_up_to_the_snapshot(sim_run):
    panel = _panel(sim_run)
    for i in (0, 7, len(sim_run.snap_game) - 1):
        g = int(sim_run.snap_game[i])
        moved = panel.update(i)
        assert moved == [panel.past, panel.now]
        assert np.array_equal(panel.past.get_xdata(), sim_run.theta[: g + 1])
        assert np.array_equal(panel.past.get_ydata(), sim_run.psi[: g + 1])
        assert len(panel.past.get_xdata()) == g + 1
        assert (panel.now.get_xdata()[0], panel.now.get_ydata()[0]) == (sim_run.theta[g], sim_run.psi[g])


def test_a_point_that_leaves_the_grid_stays_on_its_edge(sim_run):
    """h = 0.3 spirals out of the ±2.5 grid: the current point is pinned to the border it crossed."""
    panel = _panel(sim_run)
    r = np.hypot(sim_run.theta, sim_run.psi)
    outside = np.flatnonzero((np.abs(sim_run.theta[sim_run.snap_game]) > 2.5)
                             | (np.abs(sim_run.psi[sim_run.snap_game]) > 2.5))
    assert outside.size and r[-1] > r[0]
    i = int(outside[0])
    panel.update(i)
    x, y = panel.now.get_xdata()[0], panel.now.get_ydata()[0]
    assert max(abs(x), abs(y)) == pytest.approx(2.5) and -2.5 <= x <= 2.5 and -2.5 <= y <= 2.5


@pytest.mark.parametrize("kw, pair, radius, verdict", [
    ({}, "±0.5i", "1.0112", "simultaneous, h = 0.3: spirals out"),
    ({"update": "alternating"}, "±0.5i", "1.0000", "alternating, h = 0.3: circles"),
    ({"gamma": 0.6, "h": 0.1}, "−0.3 ± 0.4i", "0.9708", "simultaneous, h = 0.1: converges"),
], ids=["simultaneous", "alternating", "r1"])
def test_the_note_states_the_measured_and_the_closed_form_numbers(kw, pair, radius, verdict):
    from gananim.renderer.panels.vector_field import eigen_text

    run = dirac_run(**kw)
    text = eigen_text(run)
    table = text.splitlines()[:3]
    assert table[0].split() == ["measured", "closed", "form"]
    assert table[1].startswith("λ at (0,0)") and table[1].count(pair) == 2  # measured = closed form
    assert table[2].startswith("update ρ") and table[2].split()[2:] == [radius, radius]
    assert abs(float(radius) - run.meta["dirac"]["update_radius_measured"]) < 1e-4
    lines = " ".join(text.split())  # wrapped lines (and their no-break spaces) as one
    assert verdict in lines
    formula = " ".join(run.meta["dirac"]["closed_form_formula"].split())
    assert f"λ = {formula}" in lines


def test_the_note_says_undefined_and_the_trainers_note_where_nothing_is_known():
    from gananim.renderer.panels.vector_field import eigen_text

    run = dirac_run()
    run.arrays["eq_eigvals"] = np.full(2, np.nan + 1j * np.nan)
    run.meta = run.meta | {"dirac": run.meta["dirac"] | {
        "closed_form": None, "closed_form_formula": None, "update_radius_closed": None,
        "update_radius_measured": None, "note": "the gradient penalty's Jacobian is undefined at (0, 0)"}}
    text = eigen_text(run)
    assert text.splitlines()[1].split()[3:] == ["undefined", "—"]
    assert "update ρ" not in text and "spirals" not in text
    assert "gradient penalty's Jacobian is undefined" in " ".join(text.split())


def test_render_writes_the_animation_field_and_jacobian_at_their_sizes(rendered, sim_run):
    from gananim.renderer import style

    assert json.loads((rendered / ".gananim-files").read_text()) == ["animation.gif", "field.png", "jacobian.png"]
    gif = Image.open(rendered / "animation.gif")
    assert gif.n_frames == len(sim_run.snap_game)
    assert gif.size == tuple(round(50 * v) for v in style.SIZES["web"].inches("dirac"))
    for name, inches in (("field.png", style.FIELD_SIZE), ("jacobian.png", style.JACOBIAN_SIZE)):
        with Image.open(rendered / name) as im:
            assert im.size == tuple(round(50 * v) for v in inches), name
            assert len(np.unique(np.asarray(im.convert("L")))) > 20  # drawn, not blank


def test_same_run_renders_to_the_same_bytes(sim_run, rendered, tmp_path):
    render(sim_run, tmp_path / "again")
    for name in ("animation.gif", "field.png", "jacobian.png"):
        assert (tmp_path / "again" / name).read_bytes() == (rendered / name).read_bytes(), name


def test_blitted_frames_equal_a_full_redraw(sim_run):
    from gananim.renderer import style
    from gananim.renderer.animate import animation_figure, blit_frames

    with style.theme():
        fig, update = animation_figure(sim_run, 50)
        frames = list(blit_frames(fig, update, len(sim_run.snap_game)))
        for i in (0, len(frames) // 2, len(frames) - 1):
            update(i)
            for artist in fig.findobj():
                artist.set_animated(False)
            fig.canvas.draw()
            full = np.asarray(fig.canvas.buffer_rgba())[..., :3]
            differ = np.any(np.abs(full.astype(int) - frames[i]) > 8, axis=-1)
            assert differ.sum() <= 8, (i, int(differ.sum()))


@pytest.mark.parametrize("preset", ["web", "slide"])
def test_the_side_column_holds_title_legend_note_and_strip_apart(preset):
    """Nothing in the animation's side column runs into anything else or off the figure, with a
    title longer than any shipped scenario's (60 characters, against 56), on the web and on a
    slide (1280 × 720 pixels)."""
    from matplotlib.text import Text

    from gananim.renderer import style
    from gananim.renderer.animate import animation_figure
    from gananim.renderer.panels.vector_field import eigen_text

    run = dirac_run(gamma=0.6, h=0.1, title="Dirac-GAN with R1 (γ = 0.6) and simultaneous gradient steps")
    run.scenario["render"]["size"] = preset
    size = style.SIZES[preset]
    with style.theme(size):
        fig, update = animation_figure(run, size.dpi or 100)
        update(len(run.snap_game) - 1)
        fig.canvas.draw()
        renderer = fig.canvas.get_renderer()
        texts = [t for t in fig.findobj(Text) if t.get_visible() and t.get_text().strip()]
        (note,) = [t for t in texts if t.get_text() == eigen_text(run)]
        title = next(t for t in texts if t.get_text().replace("\n", " ").startswith("Dirac-GAN with R1"))
        counter = next(t for t in texts if t.get_text().startswith("game "))
        legend = next(ax.get_legend() for ax in fig.axes if ax.get_legend())
        strip = fig.axes[-1]
        boxes = {"note": note.get_bbox_patch().get_window_extent(renderer), "title": title.get_window_extent(renderer),
                 "counter": counter.get_window_extent(renderer), "legend": legend.get_window_extent(renderer),
                 "strip": strip.get_tightbbox(renderer)}
    width, height = fig.canvas.get_width_height()
    assert preset == "web" or (width, height) == (1280, 720)
    assert note.get_fontsize() >= size.text - 1  # the theme's tick-label size at least
    for name, box in boxes.items():
        assert box.x0 >= 0 and box.y0 >= 0 and box.x1 <= width and box.y1 <= height, name
    names = sorted(boxes)
    for k, a in enumerate(names):
        for b in names[k + 1:]:
            assert not boxes[a].overlaps(boxes[b]), (a, b)


def test_field_figure_draws_the_distance_and_its_linearised_prediction(sim_run):
    from gananim.renderer import style
    from gananim.renderer.jacobian import field_figure

    with style.theme():
        fig = field_figure(sim_run, 50)
    distance = next(ax for ax in fig.axes if ax.get_yscale() == "log")
    lines = {line.get_label(): line for line in distance.get_lines()}
    assert np.allclose(lines["measured"].get_ydata(), np.hypot(sim_run.theta, sim_run.psi))
    (label,) = [k for k in lines if k.startswith("r₀·ρⁿ")]
    rho = sim_run.meta["dirac"]["update_radius_closed"]
    n = np.arange(len(sim_run.theta))
    assert np.allclose(lines[label].get_ydata(), np.hypot(1.0, 0.5) * rho**n)
    assert "1.0112" in label
    assert fig.axes[0].texts[0].get_text() == sim_run.title


def _rings(ax):
    """The complex-plane axes' snapshot rings: label -> (values as complex)."""
    return {line.get_label(): line.get_xdata() + 1j * line.get_ydata() for line in ax.get_lines()
            if line.get_label().startswith("game ")}


def test_jacobian_figure_draws_the_picked_spectra_and_the_extremes(sim_run):
    from matplotlib.patches import Circle

    from gananim.renderer import style
    from gananim.renderer.jacobian import jacobian_figure
    from gananim.renderer.panels.vector_field import radius_digits

    with style.theme():
        fig = jacobian_figure(sim_run, 50)
    head, plane, circle, extremes = fig.axes
    games = sim_run.jacobian_game
    picks = np.linspace(0, len(games) - 1, 5).round().astype(int)
    rings = _rings(plane)
    assert list(rings) == [f"game {int(games[i])}" for i in picks]
    for i in picks:
        assert np.allclose(rings[f"game {int(games[i])}"], sim_run.jacobian_eigvals[i])
    update_rings = _rings(circle)
    last = picks[-1]
    radius = np.abs(sim_run.jacobian_update_eigvals[last]).max()
    label = f"game {int(games[last])}: max|μ| = {radius:.{radius_digits(radius)}f}"
    assert np.allclose(update_rings[label], sim_run.jacobian_update_eigvals[last])
    unit = [p for p in circle.patches if isinstance(p, Circle)]
    assert len(unit) == 2 and all(p.get_radius() == 1 and tuple(p.center) == (0, 0) for p in unit)
    lines = {line.get_label(): line for line in extremes.get_lines()}
    real = next(v for k, v in lines.items() if k.startswith("largest Re λ"))
    imag = next(v for k, v in lines.items() if k.startswith("largest |Im λ|"))
    assert np.array_equal(real.get_ydata(), sim_run.jacobian_max_real)
    assert np.array_equal(imag.get_ydata(), sim_run.jacobian_max_imag)
    assert "exact, all P = 2 eigenvalues" in head.texts[1].get_text()


def test_the_unit_circle_is_drawn_only_with_the_update_eigenvalues():
    """Arnoldi on a bigger player with no update spectrum (not plain SGD): the complex plane
    alone, full width, no unit circle anywhere, and the method says which eigenvalues these are."""
    from matplotlib.patches import Circle

    from gananim.renderer import style
    from gananim.renderer.jacobian import jacobian_figure

    rng = np.random.default_rng(0)
    games = np.arange(0, 101, 10)
    eig = rng.standard_normal((len(games), 8)) + 1j * rng.standard_normal((len(games), 8))
    meta = {"jacobian_method": "arnoldi", "jacobian_k": 4, "jacobian_update": None,
            "parameters": {"D": 300, "G": 200}, "scenario": {"title": "ring8"}}
    run = Run({"jacobian_game": games, "jacobian_eigvals": eig, "jacobian_max_real": eig.real.max(axis=1),
               "jacobian_max_imag": np.abs(eig.imag).max(axis=1)}, meta)
    with style.theme():
        fig = jacobian_figure(run, 50)
    head, plane, extremes = fig.axes
    assert not [p for ax in fig.axes for p in ax.patches if isinstance(p, Circle)]
    assert plane.get_position().width > 0.6  # the whole width: no second plane beside it
    assert "Arnoldi: the 4 largest |λ|, the 4 largest Re λ and the 4 largest Im λ of P = 500" in head.texts[1].get_text()
    assert len(_rings(plane)) == 5


def test_jacobian_figure_needs_the_spectra(sim_run):
    from gananim.renderer.jacobian import jacobian_figure

    run = Run({k: v for k, v in sim_run.arrays.items() if not k.startswith("jacobian_")}, sim_run.meta)
    with pytest.raises(ValueError, match="record.jacobian: true"):
        jacobian_figure(run, 50)


def test_rendering_a_dirac_run_imports_no_torch(sim_run, tmp_path):
    path = sim_run.save(tmp_path / "run.npz")
    code = ("import sys; from gananim.run import Run; from gananim.renderer import render; "
            f"render(Run.load({str(path)!r}), {str(tmp_path / 'out')!r}); print('torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
    assert (tmp_path / "out" / "field.png").is_file() and (tmp_path / "out" / "jacobian.png").is_file()
