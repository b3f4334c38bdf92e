"""The game Jacobian (gananim.jacobian): against finite differences, Arnoldi against the dense
spectrum, and the Dirac-GAN's closed forms (Mescheder et al. 2018) measured on torch players."""
import numpy as np
import pytest
import torch
from torch import nn

from gananim import jacobian as jac
from gananim import losses
from gananim.hessian import flat_params
from gananim.models import MLP

MINIMAX, NS, WGAN = losses.LOSSES["minimax"], losses.LOSSES["non_saturating"], losses.LOSSES["wasserstein"]


def _zeros(*shape):
    return torch.zeros(*shape, dtype=torch.float64)


# --- (a) the exact Jacobian against central finite differences -------------------------------

FD_GAMES = {  # name -> (D's hidden widths or None for nn.Linear, loss, penalty, consensus)
    "minimax, linear players": (None, MINIMAX, None, 0.0),
    "non_saturating, R1": ([3], NS, lambda: jac.r1(0.7), 0.0),
    "minimax, R2, consensus": ([3], MINIMAX, lambda: jac.r2(0.5), 0.3),
    "wasserstein, gradient penalty": ([3], WGAN, "gp", 0.0),
}


@pytest.mark.parametrize("name", FD_GAMES)
def test_jacobian_matches_central_differences(name):
    hidden, loss, penalty, consensus = FD_GAMES[name]
    torch.manual_seed(0)
    G = nn.Linear(1, 1).double()
    D = (nn.Linear(1, 1) if hidden is None else nn.Sequential(nn.Linear(1, hidden[0]), nn.Tanh(),
                                                              nn.Linear(hidden[0], 1))).double()
    B = 5
    x, z = torch.randn(B, 1, dtype=torch.float64) + 1, torch.rand(B, 1, dtype=torch.float64)
    er, ef = 0.1 * torch.randn(B, 1, dtype=torch.float64), 0.1 * torch.randn(B, 1, dtype=torch.float64)
    if penalty == "gp":
        pen = jac.regularizer_penalty(losses.GradientPenalty(weight=2.0), alpha=torch.rand(B, 1, dtype=torch.float64))
    else:
        pen = penalty() if penalty else None
    v = jac.field_function(D, G, loss.d, loss.g, pen, consensus)
    theta = flat_params(D, G).double()
    J = jac.jacobian(v, theta, x, z, er, ef)
    step = 1e-5
    fd = np.stack([(v(theta + step * e, x, z, er, ef) - v(theta - step * e, x, z, er, ef)).detach().numpy() / (2 * step)
                   for e in torch.eye(len(theta), dtype=torch.float64)], axis=1)
    assert J.shape == (len(theta), len(theta))
    assert np.abs(J).max() > 1e-2  # not trivially zero
    assert np.allclose(J, fd, atol=1e-6 * max(1.0, np.abs(J).max()), rtol=0)


def test_field_is_each_players_negative_gradient():
    # v = (-grad_D L_D, -grad_G L_G) with the penalty in D's loss only
    torch.manual_seed(1)
    D, G = nn.Sequential(nn.Linear(1, 3), nn.Tanh(), nn.Linear(3, 1)).double(), nn.Linear(1, 1).double()
    x, z, e = torch.randn(4, 1, dtype=torch.float64), torch.rand(4, 1, dtype=torch.float64), _zeros(4, 1)
    v = jac.field_function(D, G, NS.d, NS.g, jac.r1(2.0))(flat_params(D, G).double(), x, z, e, e)
    xr = x.clone().requires_grad_(True)
    (gx,) = torch.autograd.grad(D(xr).sum(), xr, create_graph=True)
    d_loss = NS.d(D(x), D(G(z))) + (gx**2).sum(-1).mean()  # R1 gamma = 2: gamma/2 |grad|^2
    want_d = torch.autograd.grad(d_loss, list(D.parameters()))
    want_g = torch.autograd.grad(NS.g(D(G(z))), list(G.parameters()))
    want = -torch.cat([g.reshape(-1) for g in (*want_d, *want_g)])
    assert torch.allclose(v, want, atol=1e-12)


# --- (b) Arnoldi against the dense spectrum ---------------------------------------------------


def test_arnoldi_matches_the_dense_spectrum():
    rng = torch.Generator().manual_seed(0)
    G, D = MLP(hidden=[24]).build(2, 2, rng), MLP(hidden=[24]).build(2, 1, rng)
    v = jac.field_function(D, G, NS.d, NS.g)
    theta = flat_params(D, G)
    assert 200 <= len(theta) <= 300
    batch = (torch.randn(32, 2, generator=rng), torch.randn(32, 2, generator=rng),
             torch.zeros(32, 2), torch.zeros(32, 2))
    dense = jac.eigenvalues_exact(v, theta, *batch)
    assert np.all(np.diff(dense.real) >= 0)
    assert np.abs(dense.imag).max() > 1e-3  # a real rotation part: the test is about complex spectra
    info: dict = {}
    got = jac.eigenvalues_arnoldi(v, theta, *batch, k=6, which=("LM", "LR"), info=info)
    scale = np.abs(dense).max()
    for which, key in (("LM", np.abs), ("LR", np.real)):
        vals = got[which]
        assert len(vals) == 6
        # the k best by the criterion: the same values as the dense spectrum's k best
        assert np.allclose(np.sort(key(vals)), np.sort(key(dense))[-6:], rtol=1e-6, atol=1e-9 * scale)
        # and each is an eigenvalue, to 1e-6 relative
        nearest = np.abs(vals[:, None] - dense[None, :]).min(axis=1)
        assert np.all(nearest <= 1e-6 * np.maximum(np.abs(vals), 1e-3 * scale))
    # both groups from one Krylov-Schur space: fewer products than the dense Jacobian's P
    assert info["method"] == "krylov-schur" and 60 <= info["products"] < len(theta)


def _spectrum_matrix(n=400, seed=0, pairs=((0.5, 6.0), (-2.0, 5.5), (1.0, 4.0), (0.2, 3.0)),
                     reals=(7.0, -6.5, 5.0, 4.5, 4.2)):
    """A real n x n matrix with known eigenvalues: conjugate pairs a +- bi, a few large real ones and
    the rest in [-2, 2] (a bulk the extremes stand out of), in a random basis."""
    rng = np.random.default_rng(seed)
    L = np.zeros((n, n))
    i = 0
    for a, b in pairs:
        L[i:i + 2, i:i + 2] = [[a, b], [-b, a]]
        i += 2
    for r in reals:
        L[i, i] = r
        i += 1
    L[np.arange(i, n), np.arange(i, n)] = rng.uniform(-2, 2, n - i)
    S = np.eye(n) + 0.3 * rng.standard_normal((n, n)) / np.sqrt(n)
    A = S @ L @ np.linalg.inv(S)
    return A, np.linalg.eigvals(A)


def test_krylov_schur_finds_each_criterions_extremes_in_one_space():
    A, dense = _spectrum_matrix()
    v0 = np.random.default_rng(1).standard_normal(len(A))
    which = ("LM", "LR", "SR", "LI")
    found, products = jac.krylov_schur(lambda u: A @ u, len(A), 6, which, 1e-10, v0, 60)
    assert found is not None and products < len(A)
    for w in which:
        want = dense[jac._ranked(dense, w)[:6]]
        got = found[w]
        # the same multiset of values (conjugate pairs whole), to 1e-9 relative to the largest |lambda|
        assert np.abs(np.sort_complex(got) - np.sort_complex(want)).max() < 1e-9 * np.abs(dense).max()
    # one shared space costs less than a space per criterion
    alone = sum(jac.krylov_schur(lambda u: A @ u, len(A), 6, (w,), 1e-10, v0, 60)[1] for w in which)
    assert products < alone


def test_krylov_schur_hands_over_to_arpack_when_it_does_not_converge(monkeypatch):
    rng = torch.Generator().manual_seed(0)
    G, D = MLP(hidden=[24]).build(2, 2, rng), MLP(hidden=[24]).build(2, 1, rng)
    v = jac.field_function(D, G, NS.d, NS.g)
    theta = flat_params(D, G)
    batch = (torch.randn(32, 2, generator=rng), torch.randn(32, 2, generator=rng),
             torch.zeros(32, 2), torch.zeros(32, 2))
    shared: dict = {}
    want = jac.eigenvalues_arnoldi(v, theta, *batch, k=4, which=("LR", "LI"), info=shared)
    monkeypatch.setattr(jac, "KS_MAX_RESTARTS", 0)
    info: dict = {}
    got = jac.eigenvalues_arnoldi(v, theta, *batch, k=4, which=("LR", "LI"), info=info)
    assert shared["method"] == "krylov-schur" and info["method"] == "arpack"
    assert info["products"] > shared["products"]  # the first space, then ARPACK's own per group
    for w in ("LR", "LI"):
        assert np.allclose(got[w], want[w], rtol=1e-8, atol=1e-10)
        assert np.all(np.diff(-got[w].imag if w == "LI" else -got[w].real) >= -1e-9)  # best first


def test_krylov_schur_goes_on_past_an_invariant_subspace():
    # a start vector in a 4-dimensional invariant subspace: the space closes after 4 products, and
    # fresh directions must carry on to the rest of the spectrum
    A, dense = _spectrum_matrix(n=200, seed=3)
    w, vecs = np.linalg.eig(A)
    v0 = np.real(vecs[:, 0] + vecs[:, 1]) + np.real(vecs[:, 50] + vecs[:, 60])  # a pair and two bulk values
    found, products = jac.krylov_schur(lambda u: A @ u, len(A), 4, ("LM",), 1e-10, v0, 40)
    want = dense[jac._ranked(dense, "LM")[:4]]
    assert found is not None
    assert np.abs(np.sort_complex(found["LM"]) - np.sort_complex(want)).max() < 1e-9 * np.abs(dense).max()


def test_jacobian_vector_products_with_penalty_and_consensus():
    # the operator Arnoldi uses (double vjp through the consensus term's own vjp) is the dense J
    rng = torch.Generator().manual_seed(4)
    G, D = MLP(hidden=[8]).build(2, 2, rng), MLP(hidden=[8]).build(2, 1, rng)
    v = jac.field_function(D, G, MINIMAX.d, MINIMAX.g, jac.r1(0.5), consensus=0.3)
    theta = flat_params(D, G)
    batch = (torch.randn(16, 2, generator=rng), torch.randn(16, 2, generator=rng),
             torch.zeros(16, 2), torch.zeros(16, 2))
    op = jac.jacobian_operator(v, theta, *batch)
    columns = np.stack([op.matvec(e) for e in np.eye(len(theta))], axis=1)
    J = jac.jacobian(v, theta, *batch)
    assert np.abs(J).max() > 0.1 and op.products == len(theta)
    assert np.allclose(columns, J, atol=1e-12)


# --- (c) the Dirac-GAN: closed forms measured on torch players --------------------------------


class DiracG(nn.Module):
    """G = delta_theta: the output is theta for every z."""

    def __init__(self, theta: float = 0.0):
        super().__init__()
        self.theta = nn.Parameter(torch.tensor([theta], dtype=torch.float64))

    def forward(self, z):
        return self.theta * torch.ones_like(z)


def dirac(theta: float = 0.0, psi: float = 0.0):
    """(D, G, theta flat = [psi, theta]) of the Dirac-GAN: real data delta_0, D(x) = psi x."""
    D, G = nn.Linear(1, 1, bias=False).double(), DiracG(theta)
    with torch.no_grad():
        D.weight.fill_(psi)
    return D, G, flat_params(D, G)


B = 4
DIRAC_BATCH = (_zeros(B, 1), torch.rand(B, 1, dtype=torch.float64), _zeros(B, 1), _zeros(B, 1))
DIRAC_LOSSES = {"minimax": MINIMAX, "non_saturating": NS, "wasserstein": WGAN}


def dirac_measured(loss, penalty=None, consensus=0.0, batch=DIRAC_BATCH):
    D, G, theta = dirac()
    v = jac.field_function(D, G, loss.d, loss.g, penalty, consensus)
    return jac.jacobian(v, theta, *batch), jac.eigenvalues_exact(v, theta, *batch)


@pytest.mark.parametrize("name", DIRAC_LOSSES)
def test_dirac_unregularised_eigenvalues_are_imaginary(name):
    f1, _ = jac.DIRAC_F[name]
    J, got = dirac_measured(DIRAC_LOSSES[name])
    assert np.allclose(got, [-1j * f1, 1j * f1], atol=1e-6)  # +- i/2 (GAN), +- i (WGAN)
    assert np.allclose(got, jac.dirac_equilibrium_eigenvalues(f1), atol=1e-12)
    assert np.allclose(J, jac.dirac_jacobian(f1), atol=1e-12)


@pytest.mark.parametrize("reg", ["r1", "r2"])
@pytest.mark.parametrize("gamma", [0.3, 3.0])  # complex (gamma < 2 f'(0) = 1) and real eigenvalues
def test_dirac_gradient_penalty_eigenvalues(reg, gamma):
    J, got = dirac_measured(MINIMAX, getattr(jac, reg)(gamma))
    want = jac.dirac_equilibrium_eigenvalues(0.5, reg, gamma)
    root = np.sqrt(complex(gamma**2 - 1))  # (-gamma +- sqrt(gamma^2 - 4 f'(0)^2)) / 2
    assert np.allclose(want, jac.sort_complex(np.array([(-gamma - root) / 2, (-gamma + root) / 2])))
    assert np.allclose(got, want, atol=1e-6)
    assert (np.abs(got.imag).max() > 0.1) == (gamma < 1)
    assert np.all(got.real < 0)


@pytest.mark.parametrize("mu", [0.5, 2.0])
def test_dirac_consensus_eigenvalues(mu):
    _, got = dirac_measured(MINIMAX, consensus=mu)
    assert np.allclose(got, [-mu / 4 - 0.5j, -mu / 4 + 0.5j], atol=1e-6)  # -mu f'(0)^2 +- i f'(0)
    assert np.allclose(got, jac.dirac_equilibrium_eigenvalues(0.5, consensus=mu), atol=1e-9)
    # consensus on top of R1: the 2x2 closed form
    J, got = dirac_measured(MINIMAX, jac.r1(0.4), consensus=mu)
    assert np.allclose(J, jac.dirac_jacobian(0.5, "r1", 0.4, consensus=mu), atol=1e-9)
    assert np.allclose(got, jac.dirac_equilibrium_eigenvalues(0.5, "r1", 0.4, consensus=mu), atol=1e-9)


@pytest.mark.parametrize("sigma", [0.5, 3.0])
def test_dirac_instance_noise_eigenvalues(sigma):
    # noise batches with mean 0 and second moment sigma^2 exactly: the population Lemma holds on them
    eps = sigma * torch.tensor([[1.0], [-1.0], [1.0], [-1.0]], dtype=torch.float64)
    batch = (_zeros(B, 1), DIRAC_BATCH[1], eps, eps.flip(0))
    _, got = dirac_measured(MINIMAX, batch=batch)
    f1, f2 = jac.DIRAC_F["minimax"]
    root = np.sqrt(complex(f2**2 * sigma**4 - f1**2))  # f''(0) sigma^2 +- sqrt(f''(0)^2 sigma^4 - f'(0)^2)
    want = jac.sort_complex(np.array([f2 * sigma**2 - root, f2 * sigma**2 + root]))
    assert np.allclose(jac.dirac_equilibrium_eigenvalues(f1, noise_std=sigma, f_second0=f2), want)
    assert np.allclose(got, want, atol=1e-9)
    _, wgan = dirac_measured(WGAN, batch=batch)  # f'' = 0: instance noise does nothing to WGAN
    assert np.allclose(wgan, [-1j, 1j], atol=1e-9)


def test_dirac_discrete_updates():
    h = 0.1
    J, _ = dirac_measured(MINIMAX)
    sim = jac.discrete_update_eigenvalues(J, h, "simultaneous")
    assert np.isclose(np.abs(sim).max(), jac.dirac_simgd_radius(0.5, h), rtol=1e-9)
    assert np.abs(sim).max() > 1  # diverges for every h
    alt = jac.discrete_update_eigenvalues(J, h, "alternating", p_d=1)
    assert np.allclose(np.abs(alt), 1, atol=1e-9)
    assert np.allclose(alt, jac.dirac_altgd_eigenvalues(0.5, h), atol=1e-9)
    assert np.allclose(jac.update_matrix(J, h, "alternating", p_d=1), jac.dirac_altgd_matrix(0.5, h), atol=1e-9)
    J1, _ = dirac_measured(MINIMAX, jac.r1(1.0))
    assert np.abs(jac.discrete_update_eigenvalues(J1, h, "simultaneous")).max() < 1  # R1 converges
    assert np.abs(jac.discrete_update_eigenvalues(J1, h, "alternating", p_d=1)).max() < 1
    with pytest.raises(ValueError, match="mode: must be one of simultaneous, alternating"):
        jac.update_matrix(J, h, "extragradient")
    with pytest.raises(ValueError, match="p_d"):
        jac.update_matrix(J, h, "alternating")


def test_alternating_update_matches_the_composed_half_steps():
    # the block formula against the Jacobian of the composed map, on a game with every block
    rng = np.random.default_rng(0)
    J, h, p_d = rng.standard_normal((5, 5)), 0.3, 2

    def step(t):  # the linear field v(t) = J t: D's half-step, then G's at the new D
        t = t.copy()
        t[:p_d] += h * (J @ t)[:p_d]
        t[p_d:] += h * (J @ t)[p_d:]
        return t

    composed = np.stack([step(e) for e in np.eye(5)], axis=1)
    assert np.allclose(jac.update_matrix(J, h, "alternating", p_d), composed, atol=1e-12)


# --- (d) short simulations from (theta, psi) = (1, 1): the theory, with plain tensor updates ---


def dirac_field(psi, theta, gamma: float = 0.0):
    """The minimax Dirac-GAN's field by hand, (v_psi, v_theta): D maximises log sigmoid(-psi theta)
    (+ log sigmoid(0)) less gamma/2 psi^2 (R1), G minimises it; d/dt log sigmoid(t) = sigmoid(-t)."""
    s = torch.sigmoid(psi * theta)
    return -theta * s - gamma * psi, psi * s


def test_dirac_field_by_hand_is_the_game_field():
    D, G, _ = dirac()
    v = jac.field_function(D, G, MINIMAX.d, MINIMAX.g, jac.r1(0.7))
    for psi, theta in ((1.0, 1.0), (-0.3, 2.0), (0.8, -1.5)):
        want = torch.stack(dirac_field(torch.tensor(psi), torch.tensor(theta), 0.7)).double()
        assert torch.allclose(v(torch.tensor([psi, theta], dtype=torch.float64), *DIRAC_BATCH), want, atol=1e-12)


def simulate(mode: str, gamma: float = 0.0, steps: int = 200, h: float = 0.1) -> np.ndarray:
    """The radius |(psi, theta)| after each of `steps` plain gradient steps from (1, 1)."""
    psi, theta = torch.tensor(1.0, dtype=torch.float64), torch.tensor(1.0, dtype=torch.float64)
    radii = []
    for _ in range(steps):
        v_psi, v_theta = dirac_field(psi, theta, gamma)
        if mode == "simultaneous":
            psi, theta = psi + h * v_psi, theta + h * v_theta
        else:  # D first, then G at the new D
            psi = psi + h * v_psi
            theta = theta + h * dirac_field(psi, theta, gamma)[1]
        radii.append(float(torch.hypot(psi, theta)))
    return np.array(radii)


def test_dirac_simulations_follow_the_spectra():
    r0 = np.sqrt(2)
    sim = simulate("simultaneous")
    assert sim[-1] > 1.2 * r0 and np.all(np.diff(sim) > 0)  # spirals out
    alt = simulate("alternating")
    assert np.all(np.abs(alt / r0 - 1) < 0.05)  # circles
    assert simulate("simultaneous", gamma=1.0)[-1] < 0.1  # converges
    assert simulate("alternating", gamma=1.0)[-1] < 0.1


def test_arnoldi_on_a_tiny_operator_falls_back_to_the_dense_spectrum():
    D, G, theta = dirac()
    v = jac.field_function(D, G, MINIMAX.d, MINIMAX.g, jac.r1(3.0))
    got = jac.eigenvalues_arnoldi(v, theta, *DIRAC_BATCH, k=2, which=("LM", "LR"))
    want = jac.dirac_equilibrium_eigenvalues(0.5, "r1", 3.0)  # real: -2.914, -0.086
    assert np.allclose(got["LM"], want, atol=1e-9)  # largest magnitude first
    assert np.allclose(got["LR"], want[::-1], atol=1e-9)  # largest real part first
    with pytest.raises(ValueError, match="which: must be one of"):
        jac.eigenvalues_arnoldi(v, theta, *DIRAC_BATCH, k=1, which=("largest",))


def test_dirac_closed_forms_reject_unknown_regularizers():
    with pytest.raises(ValueError, match="reg: must be one of none, r1, r2"):
        jac.dirac_equilibrium_eigenvalues(0.5, "gradient_penalty", 1.0)


def test_module_imports_without_torch():
    import subprocess
    import sys

    code = ("import sys; sys.modules['torch'] = None; import gananim.jacobian as j; "
            "print(j.dirac_simgd_radius(0.5, 0.1))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert np.isclose(float(out.stdout), np.sqrt(1 + 0.01 * 0.25))
