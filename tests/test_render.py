import io
import json
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from gananim.fileio import atomic_open
from gananim.losses import LOSSES
from gananim.metrics import headline, rounded
from gananim.renderer import render
from gananim.renderer.animate import render_frames, shared_palette
from gananim.scenario import parse_scenario
from gananim.trainer import train

from .conftest import tiny


@pytest.fixture(scope="module")
def rendered(tiny_run, tmp_path_factory):
    out = tmp_path_factory.mktemp("render") / "tiny"
    render(tiny_run, out)
    return out


def test_render_writes_every_output(rendered):
    names = sorted(p.name for p in rendered.iterdir())
    assert names == [".gananim-files", "animation.gif", "hessian.png", "run.npz", "summary.json", "summary.png"]
    # the folder's record: what this render made (a later render removes only those it does not make again)
    assert json.loads((rendered / ".gananim-files").read_text()) == ["animation.gif", "hessian.png", "summary.png"]


def test_gif_has_one_frame_per_snapshot_and_they_change(rendered, tiny_run):
    gif = Image.open(rendered / "animation.gif")
    assert gif.n_frames == len(tiny_run.snap_game)
    frames = []
    for k in range(gif.n_frames):
        gif.seek(k)
        frames.append(np.asarray(gif.convert("RGB")))
    assert frames[0].shape == (330, 400, 3)  # 8 x 6.6 inches at the tiny scenario's dpi 50
    assert not np.array_equal(frames[0], frames[-1])
    assert gif.info["loop"] == 0
    gif.seek(gif.n_frames - 1)
    assert gif.info["duration"] >= 1500  # the last frame is held


def test_gif_keeps_the_style_colours(tiny_run):
    frames = render_frames(tiny_run, dpi=50)
    palette = np.array(shared_palette(frames).getpalette()[:192]).reshape(-1, 3)
    for colour in ["#E69F00", "#009E73", "#0072B2", "#D55E00", "#CC79A7"]:
        rgb = [int(colour[k:k + 2], 16) for k in (1, 3, 5)]
        assert (palette == rgb).all(axis=1).any(), colour


def test_static_figures_are_real_images(rendered):
    for name in ("summary.png", "hessian.png"):
        with Image.open(rendered / name) as im:
            assert im.format == "PNG" and im.width > 400 and im.height > 300
            assert len(np.unique(np.asarray(im.convert("L")))) > 20  # drawn, not blank


def test_summary_json_is_the_headline(rendered, tiny_run):
    data = json.loads((rendered / "summary.json").read_text())
    assert data == json.loads(json.dumps(rounded(headline(tiny_run))))  # 6 significant digits
    assert data["distance_to_reference"] == pytest.approx(abs(data["final_objective"] + 2 * np.log(2)))
    assert data["final_objective"] == pytest.approx(np.mean(tiny_run.objective[-10:]))
    assert data["final_spectrum"]["negative"] + data["final_spectrum"]["zero"] + data["final_spectrum"]["positive"] == 4


def test_same_run_renders_to_the_same_bytes(tiny_run, rendered, tmp_path):
    render(tiny_run, tmp_path / "again")
    for name in ("animation.gif", "summary.png", "hessian.png", "run.npz", "summary.json"):
        assert (tmp_path / "again" / name).read_bytes() == (rendered / name).read_bytes(), name


def test_renderer_does_not_import_torch():
    code = ("import sys, gananim; from gananim.run import Run; from gananim.renderer import render; "
            "import gananim.metrics; print('torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_interrupted_write_leaves_no_file(tmp_path):
    target = tmp_path / "animation.gif"
    with pytest.raises(KeyboardInterrupt):
        with atomic_open(target) as fh:
            fh.write(b"GIF89a partial")
            raise KeyboardInterrupt
    assert list(tmp_path.iterdir()) == []
    target.write_bytes(b"old")
    with pytest.raises(RuntimeError):
        with atomic_open(target) as fh:
            fh.write(b"new, half")
            raise RuntimeError
    assert target.read_bytes() == b"old" and len(list(tmp_path.iterdir())) == 1


def test_render_without_hessian(tmp_path):
    from gananim.scenario import parse_scenario
    from gananim.trainer import train

    from .conftest import tiny

    run = train(parse_scenario(tiny(training={"games": 6}, record={"hessian": False})))
    render(run, tmp_path)
    assert not (tmp_path / "hessian.png").exists()
    assert "final_spectrum" not in json.loads((tmp_path / "summary.json").read_text())


def test_gif_delta_frames_decode_to_the_rendered_frames(tiny_run, tmp_path):
    """Frames after the first store only changed pixels (transparent elsewhere): a viewer must
    still see exactly the quantized frame."""
    from gananim.renderer.animate import write_gif

    frames = render_frames(tiny_run, dpi=50)
    write_gif(frames, tmp_path / "a.gif", 10)
    palette = shared_palette(frames)
    colours = np.array(palette.getpalette()[:768]).reshape(-1, 3)
    gif = Image.open(tmp_path / "a.gif")
    for k, frame in enumerate(frames):
        want = colours[np.asarray(Image.fromarray(frame).quantize(palette=palette, dither=Image.Dither.NONE))]
        gif.seek(k)
        assert np.array_equal(np.asarray(gif.convert("RGB")), want), k


PLANE = tiny(generator={"kind": "mlp", "hidden": [8]}, discriminator={"kind": "mlp", "hidden": [8]},
             training={"games": 12, "batch_size": 32}, record={"every": 4, "hessian": False, "mapping_samples": 64},
             ) | {"data": {"kind": "ring", "k": 4, "radius": 2.0, "std": 0.05}, "noise": {"kind": "normal", "dim": 2}}


@pytest.mark.parametrize("make, raw", [
    ("animation", tiny()),
    ("animation", PLANE),
    ("seeds", {k: v for k, v in tiny(training={"games": 12}).items() if k != "seed"} | {"seeds": [0, 1, 2]}),
], ids=["1d", "2d", "sweep-tiles"])
def test_blitted_frames_equal_a_full_redraw(make, raw):
    """Blitting keeps titles, tick labels and axes in the cached background when nothing that
    moves can reach them: every frame must still look like the figure drawn from scratch."""
    from gananim.renderer import style
    from gananim.renderer.animate import animation_figure, blit_frames
    from gananim.renderer.sweep import seeds_figure

    run = train(parse_scenario(raw, name="blit"))
    figure = {"animation": animation_figure, "seeds": seeds_figure}[make]
    with style.theme():
        fig, update = figure(run, 50)
        frames = list(blit_frames(fig, update, run.snap_game.shape[-1]))
        for i in (0, len(frames) // 2, len(frames) - 1):
            update(i)
            for artist in fig.findobj():
                artist.set_animated(False)
            fig.canvas.draw()
            full = np.asarray(fig.canvas.buffer_rgba())[..., :3]
            differ = np.any(np.abs(full.astype(int) - frames[i]) > 8, axis=-1)
            assert differ.sum() <= 8, (i, int(differ.sum()))  # a few anti-aliased pixels where ticks meet the box


def test_every_data_domain_has_a_panel_a_layout_and_its_numbers():
    from gananim.data import DISTRIBUTIONS
    from gananim.metrics import D_ON_DATA
    from gananim.renderer.panels import LAYOUTS, PANELS

    domains = {spec.domain for spec in DISTRIBUTIONS.values()}
    assert domains == set(PANELS) == set(LAYOUTS) == set(D_ON_DATA) == {"line", "plane", "image", "dirac"}


@pytest.mark.parametrize("loss", sorted(LOSSES))
def test_how_a_loss_is_drawn_comes_from_the_loss(loss):
    """The objective's legend label and the true W1 beside an estimate of it follow the loss
    object (losses.Loss.curve_label, estimates_w1), through the run's header."""
    from gananim.renderer.panels.objective import objective_label, true_w1

    spec = LOSSES[loss]
    run = train(parse_scenario(tiny(loss=loss, training={"games": 3}, record={"hessian": False})))
    assert objective_label(run) == (spec.curve_label or spec.value_label)
    assert true_w1(run) == spec.estimates_w1 == (loss == "wasserstein")
    assert run.meta["reference"] == spec.reference and run.meta["d_output"] == spec.output


def _spectrum_run(last_row, d_last, g_last, loss="minimax"):
    """A Run with only what hessian_figure reads: 30 games of a 4-parameter spectrum whose last
    row (and blocks) are given; the earlier rows are clearly signed."""
    from gananim.run import Run

    games = np.arange(1, 31)
    eig = np.tile([-3.0, -0.1, -0.01, 0.2], (30, 1))
    eig[-1] = last_row
    d = np.tile([-3.0, -0.05], (30, 1))
    d[-1] = d_last
    g = np.tile([-0.001, 0.05], (30, 1))
    g[-1] = g_last
    meta = {"hessian_method": "exact", "parameters": {"D": 2, "G": 2},
            "scenario": {"title": "spectrum", "record": {"hessian_every": 1}, "loss": loss}}
    return Run({"hessian_game": games, "hessian_eigvals": eig, "hessian_eigvals_d": d, "hessian_eigvals_g": g}, meta)


def test_hessian_figure_counts_colours_and_verdict_use_one_tolerance():
    """λ3 = −1.3e−7 × the scale and G's smallest block eigenvalue likewise: inside the ≈ 0 band
    (10⁻⁶ × max|λ|). The count, the end label's colour, the band, the verdict and the diagnosis
    all say ≈ 0 (the old figure coloured the label as negative while counting it as ≈ 0)."""
    from matplotlib.collections import PolyCollection

    from gananim.diagnosis import diagnose
    from gananim.metrics import final_signs, zero_tolerance
    from gananim.renderer import style
    from gananim.renderer.figures import hessian_figure

    scale = 3.2
    tiny_neg = -1.3e-7 * scale
    run = _spectrum_run([-scale, -0.1, tiny_neg, 0.2], [-3.0, -0.05], [tiny_neg, 0.05])
    tol = zero_tolerance(run.hessian_eigvals[-1])
    assert tol == pytest.approx(3.2e-6)
    signs = final_signs(run.hessian_eigvals[-1], "exact")
    assert (signs["negative"], signs["zero"], signs["positive"]) == (2, 1, 1)
    with style.theme():
        fig = hessian_figure(run, 50)
    top, blocks, bottom = fig.axes[:3]
    labels = {t.get_text(): t.get_color() for t in top.texts}
    assert labels["λ3"] == style.GREY and labels["λ1"] == style.NEGATIVE and labels["λ4"] == style.POSITIVE
    counted = {line.get_label(): line.get_ydata()[-1] for line in bottom.get_lines()}
    assert (counted["# negative"], counted["# ≈ 0"], counted["# positive"]) == (2, 1, 1)
    title = " ".join(blocks.get_title().split())  # wrapped lines and no-break spaces as plain spaces
    assert "|λ| ≤ 10⁻⁶·max|λ| = 3.2e−06" in title and "within the tolerance" in title
    assert "G's block ≥ 0: yes, within the tolerance (smallest −4.2e−07)" in title
    assert "local Nash equilibrium: yes" in title and "saddle" in title  # the two verdicts, joined
    (nash,) = [f for f in diagnose(_nash_history(run)) if f.rule == "local_nash"]
    assert nash.numbers["holds"] is True and nash.numbers["tolerance"] == pytest.approx(tol)
    # the band: ±tol at every game, on the block panel, and the linear part of its symlog
    (band,) = [c for c in blocks.collections if isinstance(c, PolyCollection)]
    ys = band.get_paths()[0].vertices[:, 1]
    assert ys.max() == pytest.approx(tol) and ys.min() == pytest.approx(-tol)  # the widest: the last game's
    assert blocks.yaxis.get_transform().linthresh == pytest.approx(tol)
    # nothing written over the data: the "belongs here" notes are legend entries
    assert not blocks.texts
    legend = [t.get_text() for t in blocks.get_legend().get_texts()]
    assert "G's block belongs here (≥ 0)" in legend and "D's block belongs here (≤ 0)" in legend


def _nash_history(run):
    from gananim.diagnosis import History

    nash = {"d_max": float(run.hessian_eigvals_d[-1].max()), "g_min": float(run.hessian_eigvals_g[-1].min()),
            "scale": float(np.abs(run.hessian_eigvals[-1]).max()), "game": float(run.hessian_game[-1])}
    n = 10
    return History(np.arange(n), np.full(n, 0.5), np.full(n, 0.5), np.ones(n), np.ones(n), None, None,
                   np.arange(n), None, None, nash=nash)


def test_hessian_figure_explains_a_saddle_that_is_no_local_nash():
    """balanced's case: V's spectrum is indefinite (a saddle) and G's block is clearly negative:
    the figure says both, and why they do not contradict each other."""
    from gananim.renderer import style
    from gananim.renderer.figures import hessian_figure

    run = _spectrum_run([-13.0, -0.1, -1.2e-5, 0.11], [-13.0, -0.0066], [-6.2e-4, -1.2e-5])
    with style.theme():
        fig = hessian_figure(run, 50)
    top, blocks = fig.axes[:2]
    assert "indefinite (saddle point of V)" in top.get_title()
    title = " ".join(blocks.get_title().split())  # wrapped lines and no-break spaces as plain spaces
    assert "G's block ≥ 0: no (smallest −0.00062)" in title and title.count("local Nash equilibrium: no") == 1
    assert "not every saddle is one" in title and "G's block has the wrong sign" in title
    labels = {t.get_text(): t.get_color() for t in top.texts}
    assert labels["λ3"] == style.GREY  # |−1.2e−5| ≤ 10⁻⁶ × 13 = 1.3e−5: counted ≈ 0, drawn ≈ 0


def test_svg_is_the_same_when_the_layout_moves_by_a_float_rounding(tmp_path):
    """Matplotlib hashes clip boxes' and tick markers' full-precision coordinates into SVG ids; a layout that
    moves by 1e-13 px (text metrics of fonts shared with what the process drew before) would give
    another file for the same picture. save() names clip paths by order instead."""
    import re

    from matplotlib.figure import Figure

    from gananim.renderer.figures import save, stable_ids

    def figure(shift: float) -> Figure:
        fig = Figure(figsize=(4, 3))
        ax = fig.add_axes([0.1, 0.1 + shift, 0.8, 0.8])
        ax.plot([0, 1], [0, 1])
        return fig

    save(figure(0.0), tmp_path / "a.svg", 50)
    save(figure(1e-15), tmp_path / "b.svg", 50)
    a, b = (tmp_path / "a.svg").read_text(), (tmp_path / "b.svg").read_text()
    assert a == b and 'clip-path="url(#clip0)"' in a and 'xlink:href="#mark0"' in a
    assert not re.search(r"\b[pm][0-9a-f]{10}\b", a)
    raw = io.StringIO()
    figure(1e-15).savefig(raw, format="svg")
    assert re.search(r"\bp[0-9a-f]{10}\b", raw.getvalue())  # what matplotlib writes by itself
    assert stable_ids('<clipPath id="pb050e0a201"/> <path id="m2ec7967e20"/> url(#pf84593cb5f) url(#pb050e0a201)') \
        == '<clipPath id="clip0"/> <path id="mark0"/> url(#clip1) url(#clip0)'


def test_a_laid_out_figure_is_drawn_once_per_format(tmp_path, monkeypatch):
    """save() lays a constrained figure out once and removes the engine: savefig then draws the
    figure once per format, not a second time hidden (which any engine, even matplotlib's
    placeholder for "none", makes it do); the hidden draw changed no pixel."""
    from matplotlib.figure import Figure

    from gananim.renderer.figures import save

    def figure() -> Figure:
        fig = Figure(figsize=(4, 3), layout="constrained")
        ax = fig.subplots()
        ax.plot([0, 1], [0, 2])
        ax.set(xlabel="game", ylabel="V", title="a title to lay out")
        return fig

    reference, laid_out = io.BytesIO(), figure()
    laid_out.get_layout_engine().execute(laid_out)
    laid_out.set_layout_engine("none")  # a placeholder engine: savefig draws twice
    laid_out.savefig(reference, format="png", dpi=50)
    draws = []
    original = Figure.draw
    monkeypatch.setattr(Figure, "draw", lambda fig, renderer: draws.append(1) or original(fig, renderer))
    fig = figure()
    save(fig, tmp_path / "a.png", 50)
    save(fig, tmp_path / "a.svg", 50)
    assert len(draws) == 2 and fig.get_layout_engine() is None
    assert np.array_equal(np.asarray(Image.open(tmp_path / "a.png")), np.asarray(Image.open(reference)))


# --- the GIF is streamed: one frame at a time, Pillow's bytes -----------------------------------


def _pillow_gif(frames, pace) -> bytes:
    """What Pillow's save(save_all=True) writes from all the frames at once (the writer before
    it streamed): the reference for _stream_gif."""
    from gananim.renderer.animate import UNCHANGED, _durations

    palette = shared_palette(frames)
    indices = [np.asarray(Image.fromarray(f).quantize(palette=palette, dither=Image.Dither.NONE)) for f in frames]
    images = []
    for k, cur in enumerate(indices):
        delta = cur if k == 0 else np.where(cur == indices[k - 1], UNCHANGED, cur).astype(np.uint8)
        image = Image.fromarray(delta, mode="P")
        image.putpalette(palette.getpalette())
        images.append(image)
    fh = io.BytesIO()
    images[0].save(fh, format="GIF", save_all=True, append_images=images[1:], duration=_durations(frames, pace),
                   loop=0, optimize=False, disposal=1, transparency=UNCHANGED)
    return fh.getvalue()


def _frame(k: int) -> np.ndarray:
    frame = np.random.default_rng(0).integers(0, 255, (60, 80, 3)).astype(np.uint8)
    frame[k % 60] = 255 - frame[k % 60]  # frame k differs from frame 0 in row k
    return frame


@pytest.mark.parametrize("ks", [list(range(10)), [0, 0, 1, 2, 2, 2, 3], [0] * 5, [0], [0, 1, 1]],
                         ids=["distinct", "repeats", "all-same", "one", "last-repeats"])
@pytest.mark.parametrize("pace", ["fps", "list"])
def test_the_streamed_gif_is_what_pillow_writes_from_all_frames(tmp_path, ks, pace):
    # Pillow folds a frame identical to the one before into that frame's time: the streamed
    # writer must too (a look-ahead of one frame), and write a single-frame GIF when only one
    # distinct frame is left
    from gananim.renderer.animate import write_gif

    frames = [_frame(k) for k in ks]
    times = 10 if pace == "fps" else [100 + 50 * i for i in range(len(frames))]
    write_gif(frames, tmp_path / "a.gif", times)
    assert (tmp_path / "a.gif").read_bytes() == _pillow_gif(frames, times)
    # and it plays: each frame shows its picture (the GIF's frames fold repeated pictures together)
    gif = Image.open(tmp_path / "a.gif")
    shown = []
    for i in range(gif.n_frames):
        gif.seek(i)
        shown.append(np.asarray(gif.convert("RGB")).astype(int))
    distinct = [k for i, k in enumerate(ks) if i == 0 or k != ks[i - 1]]
    assert len(distinct) <= len(shown) <= len(ks)
    palette = shared_palette(frames)
    colours = np.array(palette.getpalette()[:768]).reshape(-1, 3)
    last = colours[np.asarray(Image.fromarray(frames[-1]).quantize(palette=palette, dither=Image.Dither.NONE))]
    assert np.array_equal(shown[-1], last)  # the last picture, exactly as quantized


def test_the_animation_never_holds_all_its_frames(tiny_run, tmp_path, monkeypatch):
    # frames are drawn as the GIF writer reads them: at most the palette's 8 sample frames and
    # the one being written are alive at once, however many snapshots the run has
    import gc
    import weakref

    from gananim.renderer import animate

    long_run = train(parse_scenario(tiny(training={"games": 150}, record={"every": 2, "hessian": False}), name="long"))
    n = len(long_run.snap_game)
    assert n == 76
    alive: list = []
    most, total = [0], [0]
    drawn = animate.canvas_rgb

    def counted(rgba):
        frame = drawn(rgba)
        gc.collect()
        alive[:] = [r for r in alive if r() is not None]
        alive.append(weakref.ref(frame))
        most[0] = max(most[0], len(alive))
        total[0] += 1
        return frame

    monkeypatch.setattr(animate, "canvas_rgb", counted)
    render(long_run, tmp_path / "out")
    assert Image.open(tmp_path / "out" / "animation.gif").n_frames >= n // 2
    assert total[0] >= n  # every frame was drawn ...
    assert most[0] <= animate.Frames.KEEP + 2, most[0]  # ... but never more than a few held at once
