import math

import numpy as np
import pytest

from gananim.metrics import games_to_reference, spectrum_signs

REF = -2 * math.log(2)


def test_games_to_reference():
    settle = np.concatenate([np.zeros(100), np.full(200, REF)])
    assert games_to_reference(settle, REF, window=10) == 101
    assert games_to_reference(np.full(300, REF), REF, window=10) == 1
    assert games_to_reference(np.zeros(300), REF, window=10) is None
    leaves = np.concatenate([np.full(200, REF), np.zeros(100)])
    assert games_to_reference(leaves, REF, window=10) is None  # must stay, not just pass by
    assert games_to_reference(np.full(3, REF), REF) == 1  # shorter than the window: 1-based still
    assert games_to_reference(np.zeros(3), REF) is None


def test_spectrum_signs():
    assert spectrum_signs([-3.0, -1.0, -0.5])["kind"].startswith("negative definite")
    s = spectrum_signs([-10.0, -0.1, 1e-12, 0.1])
    assert (s["negative"], s["zero"], s["positive"]) == (2, 1, 1)
    assert s["kind"].startswith("indefinite")
    assert spectrum_signs([0.5, 2.0])["kind"].startswith("positive definite")


def test_energy_distance_matches_scipy_in_1d_and_known_values():
    from scipy.stats import energy_distance as scipy_energy

    from gananim.metrics import energy_distance

    rng = np.random.default_rng(0)
    a, b = rng.normal(0, 1, 300), rng.normal(0.5, 2, 400)
    assert energy_distance(a[:, None], b[:, None], unbiased=False) == pytest.approx(scipy_energy(a, b), rel=1e-9)
    pts = rng.normal(size=(200, 2))
    assert energy_distance(pts, pts, unbiased=False) == pytest.approx(0.0, abs=1e-12)
    # two independent samples of one law: the V-statistic has a positive floor, the U-statistic does not
    floor = [energy_distance(rng.normal(size=(300, 2)), rng.normal(size=(300, 2)), unbiased=False) for _ in range(10)]
    unbiased = [energy_distance(rng.normal(size=(300, 2)), rng.normal(size=(300, 2))) for _ in range(10)]
    assert np.mean(floor) > 0.05 and np.mean(unbiased) < 0.5 * np.mean(floor)
    # a real difference stands out: a shift of 1
    assert energy_distance(rng.normal(size=(300, 2)), rng.normal(size=(300, 2)) + [1.0, 0.0]) > 0.5
    # two point masses at distance d: sqrt(2 d)
    assert energy_distance(np.zeros((5, 2)), np.tile([3.0, 4.0], (7, 1))) == pytest.approx(np.sqrt(10.0))


def test_energy_distance_fast_1d_path_equals_the_pairwise_one():
    from scipy.spatial.distance import cdist

    from gananim.metrics import energy_distance

    rng = np.random.default_rng(3)
    a, b = rng.normal(0, 1, (257, 1)), rng.gamma(2.0, 1.0, (301, 1))
    for unbiased in (True, False):
        n, m = len(a), len(b)
        within = (lambda u: cdist(u, u).sum() / (len(u) * (len(u) - 1))) if unbiased else (lambda u: cdist(u, u).mean())
        want = np.sqrt(max(2 * cdist(a, b).mean() - within(a) - within(b), 0))
        assert energy_distance(a, b, unbiased=unbiased) == pytest.approx(want, rel=1e-9)


def test_mode_coverage_on_constructed_sets():
    from gananim.metrics import mode_coverage

    means = np.array([[0.0, 0.0], [10.0, 0.0], [0.0, 10.0]])
    stds = np.full(3, 0.1)
    all_modes = means.repeat(10, axis=0) + 0.05
    assert mode_coverage(all_modes, means, stds) == (3, 1.0)
    one = np.tile([10.0, 0.2], (20, 1))  # 2 std from mode 1
    assert mode_coverage(one, means, stds) == (1, 1.0)
    none = np.tile([5.0, 5.0], (20, 1))
    assert mode_coverage(none, means, stds) == (0, 0.0)
    half = np.vstack([one, none])
    assert mode_coverage(half, means, stds) == (1, 0.5)
    assert mode_coverage(np.array([[0.0, 0.31]]), means, stds) == (0, 0.0)  # just beyond 3 std


def test_energy_distance_to_a_fixed_sample_matches_the_definition():
    """The probe's form (the data's own term computed once) against the U-statistics written out."""
    from gananim.metrics import energy_distance_to

    rng = np.random.default_rng(3)
    for d in (1, 2):
        y = rng.normal(size=(300, d))
        to_y = energy_distance_to(y)
        for shift in (0.5, 2.0):
            x = rng.normal(shift, 1.0, size=(250, d))
            dist = lambda a, b: np.linalg.norm(a[:, None, :] - b[None, :, :], axis=-1)  # noqa: E731
            want = np.sqrt(2 * dist(x, y).mean() - dist(x, x).sum() / (250 * 249) - dist(y, y).sum() / (300 * 299))
            assert to_y(x) == pytest.approx(want, rel=1e-12)


def test_wasserstein_1d_equals_scipy():
    from scipy.stats import wasserstein_distance

    from gananim.metrics import wasserstein_1d

    rng = np.random.default_rng(4)
    for n, m, shift in ((500, 400, 0.3), (1000, 1000, 2.0), (7, 3, -1.0)):
        u, v = rng.normal(size=n), rng.normal(shift, 1.5, size=m)
        assert wasserstein_1d(u, v) == pytest.approx(wasserstein_distance(u, v), rel=1e-12)
    assert wasserstein_1d(np.zeros(5), np.ones(5)) == pytest.approx(1.0)


def test_summary_numbers_keep_the_digits_they_mean(tiny_run, tmp_path):
    """A re-render on another machine must not rewrite summary.json over the 16th digit."""
    import json

    from gananim.metrics import rounded
    from gananim.renderer import render

    assert rounded({"a": [0.1234567891, -2.0e-9 / 3], "b": 7, "c": None, "d": True, "e": "x"}) == \
        {"a": [0.123457, -6.66667e-10], "b": 7, "c": None, "d": True, "e": "x"}
    assert rounded(-1.3862943611198906) == -1.38629 and rounded(float("nan")) != rounded(float("nan"))
    render(tiny_run, tmp_path)
    text = (tmp_path / "summary.json").read_text()

    def floats(v):
        if isinstance(v, float):
            yield v
        elif isinstance(v, dict):
            for x in v.values():
                yield from floats(x)
        elif isinstance(v, list):
            for x in v:
                yield from floats(x)

    values = list(floats(json.loads(text)))
    assert len(values) > 10 and all(float(f"{v:.6g}") == v for v in values)
