import numpy as np
import pytest
import torch

from gananim import hessian, losses
from gananim.engines.autograd import HVP
from gananim.engines.chained import ChainedHVP
from gananim.models import MLP, Linear


def test_exact_eigenvalues_match_autograd_hessian():
    rng = torch.Generator().manual_seed(0)
    G, D = MLP(hidden=[3]).build(1, 1, rng), MLP(hidden=[4]).build(1, 1, rng)
    V = hessian.value_function(D, G)
    theta = hessian.flat_params(D, G)
    x, z = torch.randn(6, 1, generator=rng) + 5, torch.rand(6, 1, generator=rng)
    e = torch.zeros(6, 1)
    thetas = torch.stack([theta, theta * 0.9])
    got = hessian.eigenvalues(V, thetas, torch.stack([x, x]), torch.stack([z, z]), torch.stack([e, e]), torch.stack([e, e]))
    for row, th in zip(got, thetas):
        H = torch.autograd.functional.hessian(lambda t: V(t, x, z, e, e), th).double()
        want = np.linalg.eigvalsh(H.numpy())
        assert np.allclose(row, want, atol=1e-4 * np.abs(want).max())
    assert np.all(np.diff(got, axis=1) >= 0)  # ascending: column k is always the k-th smallest


def test_value_function_is_the_game_value():
    rng = torch.Generator().manual_seed(1)
    G, D = Linear().build(1, 1, rng), Linear().build(1, 1, rng)
    V = hessian.value_function(D, G)
    x, z, e = torch.randn(5, 1), torch.rand(5, 1), 0.3 * torch.randn(5, 1)
    want = losses.value(D(x + e), D(G(z) + e))
    assert torch.allclose(V(hessian.flat_params(D, G), x, z, e, e), want)


def test_tutorial_game_hessian_structure():
    # Linear G, logistic D: V is linear in nothing and the D block is negative semi-definite
    # (V is concave in D's parameters for log-likelihood losses).
    rng = torch.Generator().manual_seed(2)
    G, D = Linear().build(1, 1, rng), Linear().build(1, 1, rng)
    V = hessian.value_function(D, G)
    x, z, e = torch.randn(10, 1) + 5, torch.rand(10, 1), torch.zeros(10, 1)
    H = torch.autograd.functional.hessian(lambda t: V(t, x, z, e, e), hessian.flat_params(D, G))
    assert np.all(np.linalg.eigvalsh(H[:2, :2].double().numpy()) <= 1e-9)


def test_lanczos_matches_the_exact_extremes_on_a_small_net():
    rng = torch.Generator().manual_seed(3)
    G, D = MLP(hidden=[6]).build(2, 2, rng), MLP(hidden=[7]).build(2, 1, rng)
    p_d = sum(p.numel() for p in D.parameters())
    V = hessian.value_function(D, G)
    theta = hessian.flat_params(D, G)[None]
    batch = (torch.randn(1, 32, 2, generator=rng), torch.randn(1, 32, 2, generator=rng),
             torch.zeros(1, 32, 2), torch.zeros(1, 32, 2))
    full, d_block, g_block = hessian.eigenvalues(V, theta, *batch, p_d=p_d)
    lz_full, lz_d, lz_g = hessian.lanczos_spectra(V, theta, *batch, p_d=p_d, k=3)
    for exact, approx in ((full, lz_full), (d_block, lz_d), (g_block, lz_g)):
        want = np.concatenate([exact[0, :3], exact[0, -3:]])
        assert np.allclose(approx[0], want, rtol=1e-3, atol=1e-4 * np.abs(want).max())


def test_spectra_picks_the_path_by_size():
    rng = torch.Generator().manual_seed(4)
    for hidden, method, width in (([3], "exact", None), ([60], "lanczos", 4)):
        G, D = MLP(hidden=hidden).build(2, 2, rng), MLP(hidden=hidden).build(2, 1, rng)
        V = hessian.value_function(D, G)
        theta = hessian.flat_params(D, G)[None]
        batch = [torch.randn(1, 8, 2) for _ in range(4)]
        got, full, _, _ = hessian.spectra(V, theta, *batch, p_d=sum(p.numel() for p in D.parameters()), k=2)
        assert got == method
        assert full.shape[1] == (width or theta.shape[1])


def test_zero_sum_losses_share_the_generator_block_of_v():
    """For minimax and WGAN, G's loss is the part of V that depends on G, so the trainer takes
    G's block from V's Hessian (Loss.g_is_value); for the others it is a Hessian of its own."""
    rng = torch.Generator().manual_seed(5)
    G, D = MLP(hidden=[3]).build(1, 1, rng), MLP(hidden=[4]).build(1, 1, rng)
    p_d = sum(p.numel() for p in D.parameters())
    theta = hessian.flat_params(D, G)[None]
    batch = (torch.randn(1, 8, 1, generator=rng) + 5, torch.rand(1, 8, 1, generator=rng),
             torch.zeros(1, 8, 1), torch.zeros(1, 8, 1))
    for name, loss in losses.LOSSES.items():
        V = hessian.value_function(D, G, loss.value)
        own = hessian.eigenvalues(V, theta, *batch, p_d=p_d, g_own=hessian.generator_loss_function(D, G, loss.g))[2]
        from_v = hessian.eigenvalues(V, theta, *batch, p_d=p_d)[2]
        same = np.allclose(own, from_v, rtol=1e-5, atol=1e-7 * np.abs(own).max())
        if loss.g_is_value:
            assert same, name
        elif name != "hinge":
            assert not same, name
    # hinge: V's part in G is -E relu(1 + f(G(z))), G's loss -E f(G(z)). Where every fake has
    # f > -1 they differ by a constant (same G block); where every fake has f < -1, V is flat in G
    hinge = losses.LOSSES["hinge"]
    V, own = hessian.value_function(D, G, hinge.value), hessian.generator_loss_function(D, G, hinge.g)
    for shift, agree in ((100.0, True), (-100.0, False)):
        moved = theta.clone()
        moved[0, p_d - 1] += shift  # D's output bias: f moves by `shift` everywhere
        g_own = hessian.eigenvalues(V, moved, *batch, p_d=p_d, g_own=own)[2]
        g_of_v = hessian.eigenvalues(V, moved, *batch, p_d=p_d)[2]
        assert np.abs(g_own).max() > 1e-4
        if agree:
            assert np.allclose(g_own, g_of_v, rtol=1e-5, atol=1e-7 * np.abs(g_own).max())
        else:
            assert np.abs(g_of_v).max() == 0.0


def _mlp(d_in: int, d_out: int, activation: type[torch.nn.Module], bias: bool = True,
         width: int = 6) -> torch.nn.Sequential:
    return torch.nn.Sequential(torch.nn.Linear(d_in, width, bias=bias), activation(), torch.nn.Linear(width, 5),
                               activation(), torch.nn.Linear(5, d_out)).double()


def test_chained_hessian_vector_products_equal_double_backward():
    """ChainedHVP (the R-operator by hand) against autograd's double backward, in float64: every
    activation, every loss's V and G's own loss, the whole Hessian and each player's block."""
    torch.manual_seed(6)
    # fewer fake rows than real ones: D sees both in one pass, and G's rows are the last ones
    x, e_r = torch.randn(16, 2).double(), 0.2 * torch.randn(16, 2).double()
    z, e = torch.randn(12, 3).double(), 0.2 * torch.randn(12, 2).double()
    worst = 0.0
    for activation in (torch.nn.Tanh, torch.nn.ReLU, torch.nn.LeakyReLU, torch.nn.ELU, torch.nn.Sigmoid):
        D, G = _mlp(2, 1, activation), _mlp(3, 2, activation)
        theta = hessian.flat_params(D, G)
        p_d = sum(p.numel() for p in D.parameters())
        for loss in losses.LOSSES.values():
            for f in (hessian.value_function(D, G, loss.value), hessian.generator_loss_function(D, G, loss.g)):
                chained, autograd = hessian.hvp(f, theta, x, z, e_r, e), HVP(f, theta, x, z, e_r, e)
                assert isinstance(chained, ChainedHVP)
                v = torch.randn(theta.numel()).double()
                want = autograd(v)
                assert want.norm() > 0.1
                worst = max(worst, float((chained(v) - want).norm() / want.norm()))
                for part in (slice(None), slice(0, p_d), slice(p_d, None)):
                    u = np.random.default_rng(0).standard_normal(len(range(theta.numel())[part]))
                    padded = torch.zeros(theta.numel()).double()
                    padded[part] = torch.as_tensor(u)
                    block = autograd(padded)[part].numpy()
                    got = chained.operator(part).matvec(u)
                    worst = max(worst, float(np.linalg.norm(got - block) / np.linalg.norm(block)))
    assert worst < 1e-12


def test_chained_products_of_affine_players_in_float32():
    """The tutorial's players (one affine map each) in float32, as the trainer runs them."""
    torch.manual_seed(11)
    D, G = torch.nn.Linear(1, 1), torch.nn.Linear(1, 1)
    theta = hessian.flat_params(D, G)
    batch = (torch.randn(10, 1) + 3, torch.rand(10, 1), torch.zeros(10, 1), torch.zeros(10, 1))
    for f in (hessian.value_function(D, G), hessian.generator_loss_function(D, G, losses.LOSSES["non_saturating"].g)):
        chained = hessian.hvp(f, theta, *batch)
        assert isinstance(chained, ChainedHVP)
        for v in torch.eye(4):
            want = HVP(f, theta, *batch)(v)
            assert torch.allclose(chained(v), want, rtol=1e-5, atol=1e-6 * float(want.abs().max()))
        with pytest.raises(ValueError, match="block"):
            chained.operator(slice(1, 3))


def test_players_that_do_not_chain_fall_back_to_double_backward():
    torch.manual_seed(7)
    D, G = _mlp(2, 1, torch.nn.Tanh, bias=False), _mlp(3, 2, torch.nn.Tanh)
    theta = hessian.flat_params(D, G)
    assert isinstance(hessian.hvp(hessian.value_function(D, G), theta, *[torch.randn(4, d).double() for d in (2, 3, 2, 2)]),
                      HVP)


def test_lanczos_extremes_match_a_dense_solver_with_clustered_ends():
    """Near-equal eigenvalues at both ends (as in G's block on the 2D games) and a spectrum
    of mixed signs: the 3 smallest and 3 largest agree with numpy's dense solver."""
    rng = np.random.default_rng(8)
    n = 600
    vals = np.concatenate([[-5.0, -4.999, -4.998], rng.uniform(-1, 1, n - 6), [3.0, 3.0005, 3.001]])
    q, _ = np.linalg.qr(rng.standard_normal((n, n)))
    a = (q * vals) @ q.T
    got = hessian.lanczos_extremes(lambda v: a @ v, n, 3, rng.standard_normal(n))
    want = np.sort(vals)[[0, 1, 2, -3, -2, -1]]
    assert got is not None
    assert np.allclose(np.sort(got), want, rtol=1e-4, atol=0)


def test_lanczos_gives_up_after_its_step_budget_and_extremes_falls_back_to_arpack(monkeypatch):
    rng = np.random.default_rng(9)
    n = 300
    vals = np.linspace(-1, 1, n)
    q, _ = np.linalg.qr(rng.standard_normal((n, n)))
    a = (q * vals) @ q.T
    assert hessian.lanczos_extremes(lambda v: a @ v, n, 3, rng.standard_normal(n), steps=10) is None
    monkeypatch.setattr(hessian, "LANCZOS_STEPS", 10)
    calls = []
    real_eigsh = hessian.eigsh
    monkeypatch.setattr(hessian, "eigsh", lambda *args, **kw: calls.append(1) or real_eigsh(*args, **kw))
    from scipy.sparse.linalg import aslinearoperator
    got = hessian.extremes(aslinearoperator(a), 3)
    assert calls and np.allclose(got, vals[[0, 1, 2, -3, -2, -1]], rtol=1e-3)


def test_stacked_exact_hessians_equal_torch_func(monkeypatch):
    """Chainable games take their exact Hessians by double backward over stacked points; a plain
    function takes torch.func's vmap(hessian). Both agree, for V and G's own loss of every loss,
    on a curved (tanh) and a piecewise-linear (leaky ReLU) pair of players, with noise. Small
    players: torch.func's Hessian costs grow with the square of the parameter count."""
    from gananim.engines import chained

    torch.manual_seed(10)
    calls = []
    stack = chained.stacked_hessians
    monkeypatch.setattr(chained, "stacked_hessians", lambda *a: calls.append(a[3]) or stack(*a))
    monkeypatch.setattr(hessian, "STACKED_MIN_POINTS", 3)
    for i, name in enumerate(losses.LOSSES):
        activation = (torch.nn.Tanh, torch.nn.LeakyReLU)[i % 2]
        D, G = _mlp(1, 1, activation, width=3), _mlp(2, 1, activation, width=3)
        theta = hessian.flat_params(D, G)
        thetas = torch.stack([theta, 0.8 * theta, 1.1 * theta])
        monkeypatch.setattr(hessian, "EXACT_CHUNK", 2 * theta.numel() ** 2)  # chunks of 2 and 1 points
        batch = [torch.randn(3, 12, d).double() for d in (1, 2, 1, 1)]
        p_d = sum(p.numel() for p in D.parameters())
        loss = losses.LOSSES[name]
        for f in (hessian.value_function(D, G, loss.value), hessian.generator_loss_function(D, G, loss.g)):
            stacked = hessian.eigenvalues(f, thetas, *batch, p_d=p_d)
            plain = hessian.eigenvalues(lambda *a, f=f: f(*a), thetas, *batch, p_d=p_d)
            assert np.abs(stacked[0]).max() > 1e-3, name  # a Hessian that is not zero
            for a, b in zip(stacked, plain):
                assert np.allclose(a, b, rtol=1e-9, atol=1e-12), name
    assert slice(2, 4) in calls  # the stacked path ran, in chunks


def test_one_zero_tolerance_per_game_for_rows_arrays_and_scales():
    """metrics.zero_tolerance is the one rule for "≈ 0": a row, its largest |λ| as a number and
    the row inside a (games, P) array give the same tolerance; sign_class uses it inclusively."""
    from gananim.metrics import REL_TOL, local_nash_check, sign_class, spectrum_signs, zero_tolerance

    rows = np.array([[-3.2, -0.1, -1.3e-7 * 3.2, 0.2], [-1.0, 0.0, 0.0, 2.0]])
    per_game = zero_tolerance(rows)
    assert per_game.shape == (2,)
    for row, tol in zip(rows, per_game):
        assert zero_tolerance(row) == tol == zero_tolerance(float(np.abs(row).max())) == REL_TOL * np.abs(row).max()
    assert list(sign_class(rows[0], per_game[0])) == [-1, -1, 0, 1]
    assert list(sign_class([-per_game[0], per_game[0]], per_game[0])) == [0, 0]  # |λ| ≤ tol is ≈ 0
    assert spectrum_signs(rows[0])["zero_tolerance"] == per_game[0]
    check = local_nash_check(-0.05, -1.3e-7 * 3.2, 3.2)
    assert check["holds"] and check["g_within"] and not check["d_within"]
    assert not local_nash_check(-0.05, -4e-6, 3.2)["holds"]  # just outside: 4e-6 > 3.2e-6
    assert zero_tolerance(np.zeros(3)) > 0  # an all-zero spectrum still has a (tiny) band


def test_the_local_nash_finding_states_the_tolerance():
    from gananim.diagnosis import History, diagnose

    n = 10
    h = History(np.arange(n), np.full(n, 0.5), np.full(n, 0.5), np.ones(n), np.ones(n),
                nash={"d_max": -0.0091, "g_min": -1.3e-7, "scale": 12.9, "game": 500.0})
    (finding,) = [f for f in diagnose(h) if f.rule == "local_nash"]
    assert finding.numbers["holds"] is True
    assert "|λ| ≤ 10⁻⁶·max|λ| = 1.3e-05" in finding.says and "G's only within it" in finding.says


def test_the_figure_knows_which_losses_are_zero_sum():
    """The renderer reads no torch: its list of zero-sum losses (G's block is V's) follows losses.LOSSES."""
    from gananim.renderer.figures import ZERO_SUM

    assert set(ZERO_SUM) == {name for name, loss in losses.LOSSES.items() if loss.g_is_value}
