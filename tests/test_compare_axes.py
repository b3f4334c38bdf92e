"""The compare slide's columns share their scales: one y range for the objective strips of one
quantity, one game axis, and one x range for 1D main panels, so a difference seen is in the data."""
import numpy as np
import pytest

from gananim.renderer import style
from gananim.renderer.compare import compare_figure, compare_frames
from gananim.scenario import parse_scenario
from gananim.trainer import train

from .conftest import tiny


@pytest.fixture(scope="module")
def runs():
    """Three tiny games that differ in their objective's range, their length and their data."""
    return [train(parse_scenario(tiny(), name="balanced")),
            train(parse_scenario(tiny(training={"games": 20, "d_steps": 10}, data={"mean": 8.0}), name="strong_d")),
            train(parse_scenario(tiny(loss="least_squares", optimizer={"lr": 0.01}), name="lsgan"))]


def test_the_strips_of_one_quantity_share_their_y_range_and_every_strip_the_games(runs):
    minimax = runs[:2]
    own = [(min(r.objective.min(), r.meta["reference"]), max(r.objective.max(), r.meta["reference"])) for r in minimax]
    assert own[0] != pytest.approx(own[1])  # the two would get different ranges on their own
    with style.theme():
        fig, columns, update = compare_figure(runs, dpi=40)
    strips = [strip.ax for _, _, strip in columns]
    lo, hi = strips[0].get_ylim()
    assert strips[1].get_ylim() == (lo, hi)
    # the union of the ranges each would get on its own (curve and reference, padded by 8 %)
    assert lo == pytest.approx(min(a - 0.08 * (b - a) for a, b in own))
    assert hi == pytest.approx(max(b + 0.08 * (b - a) for a, b in own))
    # least squares plots another quantity (−(D's loss), reference −1/4): its own range
    assert strips[2].get_ylim() != (lo, hi)
    assert strips[2].get_ylabel() != strips[0].get_ylabel()
    assert {ax.get_xlim() for ax in strips} == {(0.0, 30.0)}  # the longest run's games


def test_1d_main_panels_share_their_x_range(runs):
    with style.theme():
        fig, columns, update = compare_figure(runs[:2], dpi=40)
    grids = [r.x_grid for r in runs[:2]]
    assert grids[0][-1] != pytest.approx(grids[1][-1])  # data at 5 and at 8: different grids
    (xlim,) = {main.ax.get_xlim() for _, main, _ in columns}
    assert xlim == (min(g[0] for g in grids), max(g[-1] for g in grids))
    update(15)  # the short run shows its last snapshot, the scales stay
    assert {main.ax.get_xlim() for _, main, _ in columns} == {xlim}
    assert fig._suptitle.get_text() == "game 15"


def test_compare_frames_keep_the_shared_scales(runs):
    with style.theme():
        frames = compare_frames(runs[:2], dpi=30)
    assert len(frames) == 7 and len({f.shape for f in frames}) == 1  # snapshots at 0, 5, ..., 30
    assert not np.array_equal(frames[0], frames[-1])
