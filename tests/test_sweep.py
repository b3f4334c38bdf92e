"""Seed sweeps: every seed trained side by side gives the numbers of a separate run with that
seed, and a sweep renders small multiples and the spread across seeds."""
import json

import numpy as np
import pytest
from PIL import Image

from gananim.renderer import render
from gananim.run import Run
from gananim.scenario import parse_scenario
from gananim.trainer import TrainingError, train

from .conftest import tiny

SEEDS = [3, 7, 11]

GAMES = {
    # the tutorial's 4-parameter game, exact Hessian every game
    "linear_minimax": tiny(),
    # MLP players, Adam, a critic with the gradient penalty (its own draws), instance noise
    # drawn every step, and batches drawn from the training set (a permutation every step)
    "mlp_wgan_gp": tiny(generator={"kind": "mlp", "hidden": [8]}, discriminator={"kind": "mlp", "hidden": [8]},
                        loss="wasserstein", regularizer={"kind": "gradient_penalty", "weight": 5.0},
                        optimizer={"kind": "adam", "lr": 0.01}, instance_noise={"std": 0.3},
                        training={"games": 12, "batch_size": 6}, record={"every": 4}),
    # linear players in the plane, weight clipping, one instance-noise vector per game
    "linear_2d_per_game": tiny(regularizer={"kind": "weight_clip", "clip": 0.3}, training={"games": 10},
                               instance_noise={"std": 0.2, "draw": "per_game", "anneal": "linear"},
                               record={"every": 5, "mapping_samples": 16})
    | {"data": {"kind": "grid", "k": 2, "samples": 40}, "noise": {"kind": "uniform", "dim": 2}},
    # 2D data drawn fresh, simultaneous updates, R1, and the Lanczos Hessian path (> 400 parameters)
    "ring_lanczos": tiny(
                         generator={"kind": "mlp", "hidden": [16, 16]}, discriminator={"kind": "mlp", "hidden": [16, 16]},
                         loss="non_saturating", regularizer={"kind": "r1", "gamma": 1.0},
                         optimizer={"kind": "rmsprop", "lr": 0.002},
                         training={"games": 6, "d_steps": 1, "update": "simultaneous"},
                         record={"every": 3, "hessian_k": 2, "mapping_samples": 64}) | {"data": {"kind": "ring", "k": 4}, "noise": {"kind": "normal", "dim": 2}},
}


def _without_seed(raw: dict) -> dict:
    return {k: v for k, v in raw.items() if k != "seed"}


@pytest.mark.parametrize("name", GAMES)
def test_a_sweep_equals_separate_runs(name):
    raw = GAMES[name]
    sweep = train(parse_scenario(_without_seed(raw) | {"seeds": SEEDS}, name="sweep"))
    assert sweep.seeds == SEEDS
    for k, seed in enumerate(SEEDS):
        alone = train(parse_scenario(raw | {"seed": seed}, name="alone"))
        member = sweep.member(k)
        assert member.seed == seed and set(member.arrays) == set(alone.arrays)
        for key, value in alone.arrays.items():
            np.testing.assert_allclose(member.arrays[key], value, rtol=1e-5, atol=1e-6, err_msg=f"{key}, seed {seed}")
    # and the seeds really differ (each has its own stream)
    assert not np.allclose(sweep.objective[0], sweep.objective[1])


def test_a_sweep_run_saves_and_loads_with_its_seed_axis(tmp_path):
    sweep = train(parse_scenario(_without_seed(tiny(training={"games": 4})) | {"seeds": [0, 5]}, name="s"))
    again = Run.load(sweep.save(tmp_path / "run.npz"))
    assert again.seeds == [0, 5] and again.objective.shape == (2, 4) and again.g_of_z.shape[:2] == (2, 2)
    np.testing.assert_array_equal(again.member(1).objective, sweep.objective[1])
    with pytest.raises(ValueError, match="not a seed sweep"):
        again.member(0).member(0)


def test_a_sweep_renders_small_multiples_and_the_spread(tmp_path):
    raw = _without_seed(tiny(training={"games": 40})) | {"seeds": [0, 1, 2, 3, 4]}
    raw["render"] = raw["render"] | {"outputs": ["seeds", "spread", "animation", "summary"]}
    sweep = train(parse_scenario(raw, name="sweep"))
    written = render(sweep, tmp_path)
    assert {"seeds.gif", "spread.png", "animation.gif", "summary.png", "summary.json", "run"} <= set(written)
    gif = Image.open(tmp_path / "seeds.gif")
    assert gif.n_frames == sweep.snap_game.shape[1]  # one frame per snapshot
    assert gif.size[0] > 500 and gif.size[1] > 400  # 3 x 2 tiles at dpi 50
    with Image.open(tmp_path / "spread.png") as png:
        assert np.asarray(png.convert("L")).std() > 10
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["seeds"] == [0, 1, 2, 3, 4] and len(summary["per_seed"]) == 5
    per_seed = [s["reached_reference_at_game"] is not None for s in summary["per_seed"]]
    assert summary["seeds_reaching_reference"] == [s for s, hit in zip(range(5), per_seed) if hit]
    assert summary["fraction_reaching_reference"] == pytest.approx(sum(per_seed) / 5)
    finals = sweep.objective[:, -10:].mean(axis=1)
    assert summary["final_objective_median"] == float(f"{float(np.median(finals)):.6g}")  # 6 significant digits kept
    assert [s["seed"] for s in summary["per_seed"]] == [0, 1, 2, 3, 4]


def test_a_sweep_defaults_to_its_own_outputs_and_renders_the_same_bytes(tmp_path):
    sc = parse_scenario(_without_seed(tiny(training={"games": 10})) | {"seeds": [1, 2]}, name="s")
    assert sc.render.outputs == ["seeds", "spread"]
    run = train(sc)
    render(run, tmp_path / "a")
    render(train(sc), tmp_path / "b")
    for name in ("seeds.gif", "spread.png", "summary.json", "run.npz"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name
    assert not (tmp_path / "a" / "animation.gif").exists()


def test_a_diverging_seed_is_named():
    raw = _without_seed(tiny(optimizer={"lr": 1e5}, loss="least_squares")) | {"seeds": [4, 9]}
    with pytest.raises(TrainingError, match=r"^training diverged at game \d+ with seed (4|9): "):
        train(parse_scenario(raw))


def test_a_member_renders_on_its_own(tmp_path):
    sweep = train(parse_scenario(_without_seed(tiny(training={"games": 8})) | {"seeds": [2, 6]}, name="s"))
    member = sweep.member(1)
    assert member.scenario["seed"] == 6 and member.scenario["seeds"] is None
    assert member.scenario["render"]["outputs"] == ["animation", "summary", "hessian"]
    assert "train_key" not in member.meta  # never taken for a cached run of the sweep
    written = render(member, tmp_path)
    assert {"animation.gif", "summary.png", "hessian.png"} <= set(written)


def _split_sweep(escaping: list[int]) -> Run:
    """A 7-seed sweep whose objective and energy distance are replaced by synthetic curves: the
    rows in `escaping` leave 0 for the reference at game 10 and stay there, the others stay
    near 0 (stuck), each a little apart."""
    sweep = train(parse_scenario(_without_seed(tiny(training={"games": 40})) | {"seeds": [0, 1, 2, 3, 4, 5, 6]},
                                 name="split"))
    ref = float(sweep.meta["reference"])
    objective = np.array([np.where(np.arange(40) < 10, 0.0, ref) if k in escaping else np.full(40, -0.01 * k)
                          for k in range(7)])
    snaps = sweep.snap_game[0]
    distance = np.array([np.where(snaps < 10, 2.5, 0.2) if k in escaping else 2.5 + 0.05 * k + 0 * snaps
                         for k in range(7)])
    return Run(sweep.arrays | {"objective": objective, "energy_distance": distance}, sweep.meta)


def _bands(ax) -> list:
    from matplotlib.collections import PolyCollection

    return [c for c in ax.collections if isinstance(c, PolyCollection)]


def test_a_split_sweep_draws_each_group_and_no_band_across_them():
    from gananim.renderer.sweep import groups, spread_figure

    run = _split_sweep(escaping=[2, 5])
    split = groups(run)
    assert [g.label for g in split] == ["5 seeds that never settle at −2 log 2",
                                        "2 seeds that settle at −2 log 2 (seeds 2, 5)"]
    assert [g.seeds for g in split] == [[0, 1, 3, 4, 6], [2, 5]] and [g.banded for g in split] == [True, False]
    fig = spread_figure(run, dpi=50)
    left, mid, right = fig.axes
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    assert labels == ["−2 log 2 (equilibrium)", "5 seeds that never settle at −2 log 2: median and 10–90 %",
                      "2 seeds that settle at −2 log 2 (seeds 2, 5)"]
    # one band on each panel, the stuck seeds' own: it stays within their curves, far from the escaped ones
    for ax, (lo, hi) in ((left, (-0.06, 0.0)), (mid, (2.5, 2.8))):
        (band,) = _bands(ax)
        y = band.get_paths()[0].vertices[:, 1]
        assert lo - 1e-9 <= y.min() and y.max() <= hi + 1e-9, (y.min(), y.max())
        assert band.get_facecolor()[0][:3] == pytest.approx(mpl_rgb(split[0].colour))
    # the stuck group's median (dashed) and each escaped seed (solid), in the groups' colours
    styled = [(line.get_color(), line.get_linestyle()) for line in left.get_lines() if len(line.get_xdata()) == 40]
    assert styled.count((split[0].colour, "--")) == 1 and styled.count((split[1].colour, "-")) == 2
    assert [t.get_text() for t in right.get_legend().get_texts()] == ["never settles (5)", "settles (2)"]


def test_a_sweep_of_one_outcome_keeps_one_band_over_every_seed():
    from gananim.renderer.sweep import groups, spread_figure

    run = _split_sweep(escaping=[])
    (only,) = groups(run)
    assert only.label == "7 seeds that never settle at −2 log 2"
    fig = spread_figure(run, dpi=50)
    (band,) = _bands(fig.axes[0])
    y = band.get_paths()[0].vertices[:, 1]
    assert y.min() == pytest.approx(np.percentile(run.objective, 10, axis=0).min())
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    assert labels == ["−2 log 2 (equilibrium)", "7 seeds that never settle at −2 log 2", "10–90 % of seeds",
                      "median of seeds"]


def mpl_rgb(colour: str) -> tuple:
    from matplotlib.colors import to_rgb

    return to_rgb(colour)
