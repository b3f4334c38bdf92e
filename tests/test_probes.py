"""The probes (probes.py): what a snapshot measures, per data domain (PROBES), with values
checked on players whose answers are known."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from gananim.data import DISTRIBUTIONS
from gananim.probes import PROBES
from gananim.scenario import parse_scenario

DOMAIN_DATA = {"line": {"kind": "gaussian", "mean": 0.0, "std": 1.0}, "plane": {"kind": "ring", "k": 8, "radius": 2.0},
               "image": {"kind": "digits"}}


def _scenario(domain: str, loss: str = "minimax", **record):
    return parse_scenario({"data": DOMAIN_DATA[domain], "noise": {"kind": "normal", "dim": 1 if domain == "line" else 2},
                           "loss": loss, "record": {"density_samples": 4000, "grid": 200} | record})


def _affine(d: int, scale: float, shift: float) -> nn.Linear:
    """x -> scale x + shift (a G that is the identity for scale 1, shift 0)."""
    layer = nn.Linear(d, d)
    with torch.no_grad():
        layer.weight.copy_(scale * torch.eye(d))
        layer.bias.fill_(shift)
    return layer


def _constant_d(d: int, logit: float = 0.0) -> nn.Linear:
    layer = nn.Linear(d, 1)
    with torch.no_grad():
        layer.weight.zero_()
        layer.bias.fill_(logit)
    return layer


def test_every_domain_a_distribution_declares_has_a_probe():
    domains = {spec.domain for spec in DISTRIBUTIONS.values()}
    assert domains == set(PROBES) == set(DOMAIN_DATA) | {"dirac"}  # the Dirac-GAN's probe: tests/test_dirac.py


@pytest.mark.parametrize("domain", ["line", "plane"])
def test_a_constant_discriminator_is_one_half_everywhere_and_fools_nobody(domain):
    sc = _scenario(domain)
    d = sc.data.dim
    probe = PROBES[domain](sc, None, seed=1)
    snap = probe(_affine(d, 1.0, 0.0), _constant_d(d))
    assert np.allclose(snap["d_on_grid"], 0.5) and np.allclose(snap["d_of_fakes"], 0.5)
    assert snap["d_real_mean"] == pytest.approx(0.5) and snap["d_fake_mean"] == pytest.approx(0.5)
    assert not snap["fooled"].any()  # D(G(z)) > 1/2 is strict
    n = sc.record.mapping_samples or probe.default_samples
    assert snap["g_of_z"].shape == (n, d) and snap["fooled"].shape == (n,)
    if domain == "plane":  # G's loss does not change with x under a constant D: no push
        assert np.allclose(snap["g_push"], 0.0) and snap["d_on_grid"].shape == (probe.heat, probe.heat)


def test_line_probe_on_a_generator_that_reproduces_the_data():
    """Data N(0, 1), noise N(0, 1), G the identity: G's density matches the data's pdf, the true
    W1 and the energy distance are near 0; G shifted by 3 is W1 = 3 away."""
    sc = _scenario("line")
    probe = PROBES["line"](sc, None, seed=2)
    same = probe(_affine(1, 1.0, 0.0), _constant_d(1))
    centres = 0.5 * (probe.density_edges[1:] + probe.density_edges[:-1])
    pdf = np.exp(-0.5 * centres**2) / np.sqrt(2 * np.pi)
    coarse = lambda f: f.reshape(12, 10).mean(axis=1)  # noqa: E731 (12 groups of 10 bins: less sampling noise)
    assert np.abs(coarse(same["g_density"]) - coarse(pdf)).max() < 0.03
    assert np.abs(coarse(same["g_density"] * 0) - coarse(pdf)).max() > 0.3  # the test can tell
    assert same["w1"] < 0.1 and same["energy_distance"] < 0.02
    shifted = probe(_affine(1, 1.0, 3.0), _constant_d(1))
    assert shifted["w1"] == pytest.approx(3.0, abs=0.1)
    assert shifted["energy_distance"] > 1.0
    assert np.allclose(np.diff(probe.static["z_fixed"][:, 0]) >= 0, True)  # sorted: the mapping's lines do not cross


def test_plane_probe_counts_the_modes_g_reaches():
    """A G that maps everything to the origin covers none of the ring's 8 modes; one that maps
    noise onto a mode covers that one only, with every sample of high quality."""
    sc = _scenario("plane")
    probe = PROBES["plane"](sc, None, seed=3)
    origin = probe(_affine(2, 0.0, 0.0), _constant_d(2))
    assert int(origin["modes_covered"]) == 0 and float(origin["high_quality"]) == 0.0
    onto = nn.Linear(2, 2)
    with torch.no_grad():  # a tiny cloud at the first mode, (radius, 0)
        onto.weight.copy_(0.001 * torch.eye(2))
        onto.bias.copy_(torch.tensor([2.0, 0.0]))
    one = probe(onto, _constant_d(2))
    assert int(one["modes_covered"]) == 1 and float(one["high_quality"]) == pytest.approx(1.0)
    assert probe.meta["modes_total"] == 8 and "w1" not in one  # the true W1 is a line's


def test_a_critic_fools_by_its_mean_on_real_data():
    """A critic has no 1/2: a fake 'fools' it when f(G(z)) is above f's mean on real data."""
    sc = _scenario("line", loss="wasserstein")
    probe = PROBES["line"](sc, None, seed=4)
    critic = nn.Linear(1, 1)
    with torch.no_grad():
        critic.weight.fill_(1.0)  # f(x) = x
        critic.bias.zero_()
    snap = probe(_affine(1, 1.0, 0.0), critic)
    want = snap["g_of_z"][:, 0] > float(probe.real.mean())
    assert np.array_equal(snap["fooled"], want) and want.any() and not want.all()
    assert np.allclose(snap["d_on_grid"], probe.static["x_grid"], atol=1e-6)  # the raw critic, no sigmoid


def test_probes_draw_from_their_own_stream():
    """Recording never changes the training's draws: the probe's draws come from its seed."""
    sc = _scenario("plane")
    a, b = PROBES["plane"](sc, None, seed=5), PROBES["plane"](sc, None, seed=5)
    c = PROBES["plane"](sc, None, seed=6)
    assert torch.equal(a.z_fixed, b.z_fixed) and not torch.equal(a.z_fixed, c.z_fixed)
    G, D = _affine(2, 1.0, 0.0), _constant_d(2)
    state = torch.random.get_rng_state()
    a(G, D)
    assert torch.equal(state, torch.random.get_rng_state())


def test_image_probe_sees_a_generator_that_draws_one_digit(monkeypatch, tmp_path):
    """G always draws the same real 0: one class covered, KL(generated || real) = log of 1 over
    the real share of zeros, recall near 0; a constant D is 1/2 on every real image."""
    monkeypatch.setenv("GANANIM_CACHE", str(tmp_path))
    sc = parse_scenario({"data": {"kind": "digits"}, "noise": {"kind": "normal", "dim": 16}})
    probe = PROBES["image"](sc, None, seed=7)
    images, labels = sc.data.dataset()
    zero = images[int(np.flatnonzero(labels == 0)[0])]
    G = nn.Linear(16, 64)
    with torch.no_grad():
        G.weight.zero_()
        G.bias.copy_(zero)
    snap = probe(G, _constant_d(64))
    assert snap["g_grid"].shape == (64, 8, 8) and np.allclose(snap["g_grid"][5].ravel(), zero.numpy())
    assert np.allclose(snap["d_on_real"], 0.5) and not snap["fooled"].any()
    assert int(snap["classes_covered"]) == 1 and snap["class_histogram"][0] == 1.0
    real_zero_share = probe.static["real_class_histogram"][0]
    assert float(snap["class_kl"]) == pytest.approx(np.log(1 / real_zero_share), rel=1e-9)
    assert float(snap["recall"]) < 0.05 and float(snap["frechet_distance"]) > 10
    assert probe.meta["classifier_accuracy"] >= 0.95 and probe.meta["classes_total"] == 10
