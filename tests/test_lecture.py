"""Issue 15: frames a lecture hall can read and a lecturer can talk over: the pace of the
animation, the size presets, the title never on the counter, markers relative to D on the
real data, a critic's colours relative to its level, and a family's shared view."""
import copy
import math

import numpy as np
import pytest
from matplotlib.text import Text
from PIL import Image

from gananim.renderer import render
from gananim.renderer import style
from gananim.renderer.animate import (HOLD_FIRST_MS, HOLD_LAST_MS, animation_figure, event_frames, frame_durations,
                                      progress_figure)
from gananim.renderer.panels.fakes import MARGIN, FakeMarkers
from gananim.scenario import ScenarioError, parse_scenario
from gananim.trainer import train

from .conftest import tiny


def _gif_durations(path):
    gif = Image.open(path)
    out = []
    for k in range(gif.n_frames):
        gif.seek(k)
        out.append(gif.info["duration"])
    return out


def test_default_pace_holds_first_and_last_and_loops_in_15_to_25_seconds(tmp_path):
    sc = parse_scenario(tiny(training={"games": 200}, record={"every": 4, "hessian": False},
                             render={"dpi": 50, "fps": None}), name="paced")
    run = train(sc)
    render(run, tmp_path / "paced")
    durations = _gif_durations(tmp_path / "paced" / "animation.gif")
    assert len(durations) == 51
    assert durations[0] == HOLD_FIRST_MS and durations[-1] == HOLD_LAST_MS
    assert 15_000 <= sum(durations) <= 25_000
    assert all(d % 50 == 0 for d in durations)  # the MP4 at 20 fps repeats frames to the same times


def test_events_are_the_largest_changes_and_are_held(tiny_run):
    run = copy.copy(tiny_run)
    n = len(run.snap_game)
    jump = np.linspace(0.5, 0.6, n)
    jump[4:] += 0.3  # D's mean on real data jumps between frames 3 and 4
    run.arrays = dict(run.arrays) | {"d_real_mean": jump, "d_fake_mean": np.full(n, 0.5),
                                     "energy_distance": np.linspace(1, 0.9, n)}
    run.arrays["objective"] = np.full(len(run.game), -1.3)
    assert event_frames(run, n) == [4]
    d = frame_durations(run, n, {"seconds": 20})
    assert d[4] >= 1500 and d[3] > d[2]  # held, and a beat before it
    assert frame_durations(run, n, {"seconds": 20, "events": "none"})[4] == d[2]
    held = frame_durations(run, n, {"seconds": 20, "events": "none", "hold": [int(run.snap_game[2])]})
    assert held[2] >= 1500


def test_hold_must_name_a_game_of_the_run():
    with pytest.raises(ScenarioError, match=r"render\.hold: games to hold must be at most training\.games \(30\)"):
        parse_scenario(tiny(render={"hold": [31]}))


def test_mp4_follows_the_gif_timing(tmp_path, tiny_run):
    iio = pytest.importorskip("imageio.v3")
    pytest.importorskip("imageio_ffmpeg")
    from gananim.renderer.animate import render_frames, write_gif, write_mp4

    frames = render_frames(tiny_run, dpi=30)
    durations = frame_durations(tiny_run, len(frames), {"seconds": 20})
    write_gif(frames, tmp_path / "a.gif", durations)
    write_mp4(frames, tmp_path / "a.mp4", durations)
    count = len(iio.imread(tmp_path / "a.mp4", index=None, plugin="FFMPEG"))  # frames decoded (tests/test_video.py)
    seconds = count / iio.immeta(tmp_path / "a.mp4", plugin="FFMPEG")["fps"]
    assert _gif_durations(tmp_path / "a.gif") == durations
    assert count == sum(durations) // math.gcd(*durations)  # each frame repeated for its time
    assert seconds == pytest.approx(sum(durations) / 1000, abs=0.06)


def _texts(fig):
    return [t for t in fig.findobj(Text) if t.get_visible() and t.get_text().strip()]


def test_slide_frames_are_1280_by_720_with_capitals_at_least_16_pixels(tiny_run):
    run = copy.copy(tiny_run)
    run.meta = dict(run.meta) | {"scenario": dict(run.scenario) | {"render": {"size": "slide"}}}
    size = style.SIZES["slide"]
    with style.theme(size):
        fig, update = animation_figure(run, size.dpi)
        update(len(run.snap_game) - 1)
        fig.canvas.draw()
        assert fig.canvas.get_width_height() == (1280, 720)
        smallest = min(t.get_fontsize() for t in _texts(fig))
    assert smallest * size.dpi / 72 * style.CAP_HEIGHT >= 16


def test_the_title_never_runs_into_the_game_counter(tiny_run):
    run = tiny_run.titled("A very long title about a strong discriminator taking fifty steps per game")
    with style.theme():
        fig, update = animation_figure(run, 100)
        update(len(run.snap_game) - 1)
        fig.canvas.draw()
        renderer = fig.canvas.get_renderer()
        texts = _texts(fig)
        title = next(t for t in texts if t.get_text().startswith("A very long"))
        counter = next(t for t in texts if t.get_text().startswith("game "))
        assert "\n" in title.get_text()  # wrapped, measured against the counter
        assert title.get_window_extent(renderer).x1 < counter.get_window_extent(renderer).x0
        assert title.get_window_extent(renderer).x0 >= 0


def test_fakes_fool_d_relative_to_d_on_the_real_data(tiny_run):
    """Under instance noise D gives real samples 0.45: a fake at 0.43 is rated like them."""
    import matplotlib.pyplot as plt

    run = copy.copy(tiny_run)
    n_fakes = run.d_of_fakes.shape[1]
    d = np.full(run.d_of_fakes.shape, 0.43)
    d[:, 0] = 0.45 - MARGIN - 0.01  # clearly below what D gives real data
    run.arrays = dict(run.arrays) | {"d_of_fakes": d, "d_real_mean": np.full(len(run.snap_game), 0.45)}
    fig, ax = plt.subplots()
    fooled, caught = FakeMarkers(ax, run, size=5).classes(0)
    assert caught.tolist() == [True] + [False] * (n_fakes - 1)
    assert fooled.sum() == n_fakes - 1
    labels = [h.get_label() for h in ax.get_legend_handles_labels()[0]]
    assert labels == [f"G(z) fools D: D ≥ D̄(real) − {MARGIN:g}", f"G(z) caught: D < D̄(real) − {MARGIN:g}"]


def test_real_samples_are_drawn_above_the_fakes(tiny_run):
    import matplotlib.pyplot as plt

    from gananim.renderer.panels import Mapping1D

    fig, ax = plt.subplots()
    panel = Mapping1D(ax, tiny_run)
    real = next(line for line in ax.lines if line.get_label() == "real samples")
    assert real.get_zorder() > panel.fakes.fooled.get_zorder()


@pytest.fixture(scope="module")
def critic_2d_run():
    raw = tiny(data={"kind": "ring", "k": 4, "radius": 2.0, "std": 0.1}, noise={"kind": "normal", "dim": 2},
               loss="wasserstein", regularizer={"kind": "weight_clip", "clip": 0.05},
               generator={"kind": "mlp", "hidden": [8]}, discriminator={"kind": "mlp", "hidden": [8]},
               record={"every": 10, "hessian": False, "view": {"x": [-4, 4], "y": [-3, 3]}})
    raw["data"].pop("samples", None)
    raw["data"].pop("mean", None)
    raw["data"].pop("std", None)
    raw["data"]["std"] = 0.1
    raw["noise"] = {"kind": "normal", "dim": 2}
    return train(parse_scenario(raw, name="critic2d"))


def test_a_critics_colours_follow_its_level_and_the_view_is_the_given_one(critic_2d_run):
    from gananim.renderer.panels import Field2D
    import matplotlib.pyplot as plt

    run = critic_2d_run
    assert (run.grid_x[0], run.grid_x[-1], run.grid_y[0], run.grid_y[-1]) == (-4, 4, -3, 3)
    fig, ax = plt.subplots()
    panel = Field2D(ax, run)
    last = len(run.snap_game) - 1
    panel.update(last)
    np.testing.assert_allclose(panel.heat.get_array(), run.d_on_grid[last] - run.d_real_mean[last])
    lo, hi = panel.heat.get_clim()
    assert lo == -hi


def test_view_y_needs_2d_data():
    with pytest.raises(ScenarioError, match=r"record\.view\.y: only 2D data has a y range"):
        parse_scenario(tiny(record={"view": {"x": [0, 8], "y": [0, 1]}}))
    with pytest.raises(ScenarioError, match=r"record\.view\.x: must be \[low, high\] with low < high"):
        parse_scenario(tiny(record={"view": {"x": [8, 0]}}))
