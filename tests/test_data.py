import numpy as np
import pytest
import torch

from gananim.data import DISTRIBUTIONS, NOISES, Gaussian, NormalNoise, UniformNoise


def rng(seed=0):
    return torch.Generator().manual_seed(seed)


def test_gaussian_statistics_and_pdf():
    d = Gaussian(mean=5.0, std=2.0)
    x = d.sample(200_000, rng()).numpy()
    assert x.shape == (200_000, 1)
    assert abs(x.mean() - 5.0) < 0.02 and abs(x.std() - 2.0) < 0.02
    grid = np.linspace(-15, 25, 4001)
    assert np.trapezoid(d.pdf(grid), grid) == pytest.approx(1.0, abs=1e-6)
    assert d.pdf(np.array([5.0]))[0] == pytest.approx(1 / (2.0 * np.sqrt(2 * np.pi)))
    assert d.view_range() == (-1.0, 11.0)


def test_uniform_and_normal_noise():
    u = UniformNoise(low=-2.0, high=3.0, dim=3).sample(100_000, rng()).numpy()
    assert u.shape == (100_000, 3)
    assert u.min() >= -2.0 and u.max() < 3.0
    assert np.allclose(u.mean(axis=0), 0.5, atol=0.03)
    assert np.allclose(u.var(axis=0), 25 / 12, atol=0.05)
    n = NormalNoise(mean=1.0, std=0.5, dim=2).sample(100_000, rng()).numpy()
    assert np.allclose(n.mean(axis=0), 1.0, atol=0.01) and np.allclose(n.std(axis=0), 0.5, atol=0.01)


def _idx_files(folder) -> dict:
    """Small IDX files (20 images of 4 x 4, their labels) for the kinds that read files."""
    import struct

    def idx(a):
        return b"\0\0\x08" + bytes([a.ndim]) + struct.pack(f">{a.ndim}I", *a.shape) + a.tobytes()

    (folder / "i").write_bytes(idx(np.arange(20 * 16, dtype=np.uint8).reshape(20, 4, 4)))
    (folder / "l").write_bytes(idx(np.arange(20, dtype=np.uint8) % 3))
    return {"images": "i", "labels": "l"}


@pytest.mark.parametrize("registry", [DISTRIBUTIONS, NOISES], ids=["data", "noise"])
def test_every_entry_samples_reproducibly(registry, tmp_path):
    needs = {"idx": _idx_files(tmp_path)}  # the keys a kind requires
    for name, spec in registry.items():
        s = spec.model_validate(needs.get(name, {}), context={"base": tmp_path})
        a, b = s.sample(50, rng(7)), s.sample(50, rng(7))
        assert torch.equal(a, b), name
        assert torch.equal(a, s.sample(50, rng(8))) == (name == "dirac"), name  # a point mass draws no randomness
        assert a.shape == (50, s.dim), name


def test_ring_modes_and_spread():
    ring = DISTRIBUTIONS["ring"](k=8, radius=2.0, std=0.05)
    means, stds = ring.modes()
    assert np.allclose(np.linalg.norm(means, axis=1), 2.0)
    assert np.allclose(means[0], [2.0, 0.0]) and np.allclose(means[2], [0.0, 2.0], atol=1e-12)
    x = ring.sample(40_000, rng()).numpy()
    nearest = np.linalg.norm(x[:, None] - means[None], axis=2).argmin(axis=1)
    assert np.allclose(np.bincount(nearest, minlength=8) / len(x), 1 / 8, atol=0.01)
    resid = x - means[nearest]
    assert np.allclose(resid.std(axis=0), 0.05, rtol=0.03) and np.allclose(resid.mean(axis=0), 0, atol=0.002)


def test_grid_modes():
    grid = DISTRIBUTIONS["grid"](k=5, spacing=1.0, std=0.05)
    means, _ = grid.modes()
    assert means.shape == (25, 2)
    assert sorted(set(means[:, 0])) == [-2.0, -1.0, 0.0, 1.0, 2.0]
    x = grid.sample(50_000, rng()).numpy()
    nearest = np.linalg.norm(x[:, None] - means[None], axis=2).argmin(axis=1)
    assert np.allclose(np.bincount(nearest, minlength=25) / len(x), 1 / 25, atol=0.005)


def test_mixture_weights_and_covariances():
    mix = DISTRIBUTIONS["mixture"](components=[
        {"mean": [-3.0, 0.0], "cov": [[0.5, 0.2], [0.2, 0.3]], "weight": 3},
        {"mean": [3.0, 1.0], "cov": [[0.1, 0.0], [0.0, 0.1]], "weight": 1},
    ])
    x = mix.sample(100_000, rng()).numpy()
    left = x[:, 0] < 0
    assert abs(left.mean() - 0.75) < 0.01
    assert np.allclose(x[left].mean(axis=0), [-3, 0], atol=0.02)
    assert np.allclose(np.cov(x[left].T), [[0.5, 0.2], [0.2, 0.3]], atol=0.02)
    assert np.allclose(x[~left].mean(axis=0), [3, 1], atol=0.02)


def test_sine_samples_lie_on_the_curve():
    sine = DISTRIBUTIONS["sine"](x_low=-3, x_high=3, amplitude=2.0, frequency=1.5, noise_width=0.2)
    x = sine.sample(100_000, rng()).numpy()
    assert x[:, 0].min() >= -3 and x[:, 0].max() <= 3 and abs(x[:, 0].mean()) < 0.03
    resid = x[:, 1] - 2.0 * np.sin(1.5 * x[:, 0])
    assert abs(resid.mean()) < 0.005 and abs(resid.std() - 0.2) < 0.003
