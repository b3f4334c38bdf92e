import numpy as np
import pytest
import torch

from gananim.data import DISTRIBUTIONS, NOISES, Gaussian, NormalNoise, UniformNoise


def gen(seed=0):
    return torch.Generator().manual_seed(seed)


def test_gaussian_statistics_and_pdf():
    d = Gaussian(mean=5.0, std=2.0)
    x = d.sample(200_000, gen()).numpy()
    assert x.shape == (200_000, 1)
    assert abs(x.mean() - 5.0) < 0.02 and abs(x.std() - 2.0) < 0.02
    grid = np.linspace(-15, 25, 4001)
    assert np.trapezoid(d.pdf(grid), grid) == pytest.approx(1.0, abs=1e-6)
    assert d.pdf(np.array([5.0]))[0] == pytest.approx(1 / (2.0 * np.sqrt(2 * np.pi)))
    assert d.view_range() == (-1.0, 11.0)


def test_uniform_and_normal_noise():
    u = UniformNoise(low=-2.0, high=3.0, dim=3).sample(100_000, gen()).numpy()
    assert u.shape == (100_000, 3)
    assert u.min() >= -2.0 and u.max() < 3.0
    assert np.allclose(u.mean(axis=0), 0.5, atol=0.03)
    assert np.allclose(u.var(axis=0), 25 / 12, atol=0.05)
    n = NormalNoise(mean=1.0, std=0.5, dim=2).sample(100_000, gen()).numpy()
    assert np.allclose(n.mean(axis=0), 1.0, atol=0.01) and np.allclose(n.std(axis=0), 0.5, atol=0.01)


@pytest.mark.parametrize("registry", [DISTRIBUTIONS, NOISES], ids=["data", "noise"])
def test_every_entry_samples_reproducibly(registry):
    for name, spec in registry.items():
        s = spec()
        a, b = s.sample(50, gen(7)), s.sample(50, gen(7))
        assert torch.equal(a, b), name
        assert not torch.equal(a, s.sample(50, gen(8))), name
        assert a.shape == (50, s.dim), name
