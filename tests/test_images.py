"""Image GANs end to end: a short digits game trains, records the image measures and renders."""
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from gananim.renderer import render
from gananim.renderer.panels.images import tile
from gananim.scenario import parse_scenario
from gananim.trainer import train

SHIPPED = Path(__file__).resolve().parent.parent / "scenarios"
DIGITS = {
    "title": "Digits", "seed": 1, "data": {"kind": "digits", "classes": [0, 1, 7]},
    "noise": {"kind": "normal", "dim": 8},
    "generator": {"kind": "mlp", "hidden": [32], "activation": "relu", "output": "tanh"},
    "discriminator": {"kind": "mlp", "hidden": [32], "activation": "leaky_relu"},
    "loss": "non_saturating", "optimizer": {"kind": "adam", "lr": 0.001, "betas": [0.5, 0.999]},
    "training": {"games": 20, "batch_size": 32}, "record": {"every": 10},
    "render": {"outputs": ["animation", "summary"], "dpi": 50},
}


@pytest.fixture(scope="module")
def digits_run(tmp_path_factory):
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("GANANIM_CACHE", str(tmp_path_factory.mktemp("cache")))
        return train(parse_scenario(DIGITS, name="digits"))


def test_a_digits_game_records_images_and_their_measures(digits_run):
    run = digits_run
    assert run.domain == "image" and run.snap_game.tolist() == [0, 10, 20]
    assert run.g_grid.shape == (3, 64, 8, 8) and run.g_grid.min() >= -1 and run.g_grid.max() <= 1  # tanh output
    assert run.d_on_real.shape == (3, 256) and run.d_on_fake.shape == (3, 256)
    assert run.meta["classes_total"] == 3 and run.meta["classifier_accuracy"] >= 0.95
    assert ((0 <= run.classes_covered) & (run.classes_covered <= 3)).all()
    assert np.allclose(run.class_histogram.sum(axis=1), 1.0)
    assert ((0 <= run.precision) & (run.precision <= 1)).all() and (run.frechet_distance > 0).all()
    assert run.real_grid.shape == (64, 8, 8)
    assert not np.allclose(run.g_grid[0], run.g_grid[-1])  # it trained


def test_a_digits_game_renders_with_its_numbers(digits_run, tmp_path):
    written = render(digits_run, tmp_path / "digits")
    gif = Image.open(written["animation"])
    assert gif.n_frames == 3
    summary = json.loads((tmp_path / "digits" / "summary.json").read_text())
    assert summary["final_classes_covered"] == int(digits_run.classes_covered[-1])
    assert summary["final_recall"] == float(digits_run.recall[-1]) and summary["classes_total"] == 3
    assert "d_range_on_grid" not in summary  # no grid of D for images
    assert Image.open(written["summary"]).size == (900, 530)  # the diagnosis under the panels
    again = render(digits_run, tmp_path / "again")
    assert again["animation"].read_bytes() == written["animation"].read_bytes()


def test_the_progression_shows_every_snapshot_up_to_six_rows(digits_run, tmp_path):
    run = digits_run.titled("Digits")
    run.meta["scenario"] = run.scenario | {"render": run.scenario["render"] | {"outputs": ["progression"]}}
    written = render(run, tmp_path / "p")
    image = np.asarray(Image.open(written["progression"]).convert("L"))
    assert image.shape[0] > 150 and image.std() > 20  # drawn: three rows of dark ink on white
    assert set(written) == {"progression", "progression.png", "summary.json", "run"}


def test_tiles_are_separated_by_blank_lines():
    images = np.arange(5 * 2 * 3, dtype=float).reshape(5, 2, 3)
    grid = tile(images, columns=3)
    assert grid.shape == (2 * 3 - 1, 3 * 4 - 1)
    assert np.isnan(grid[2]).all() and np.isnan(grid[:, 3]).all()
    assert np.array_equal(grid[3:5, 4:7], images[4])  # the fifth image: second row, second column
    assert np.isnan(grid[3:, 8:]).all()  # the empty sixth cell


def _idx(array: np.ndarray) -> bytes:
    import struct

    return b"\0\0\x08" + bytes([array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape) + array.tobytes()


def test_an_idx_data_set_next_to_the_scenario_file_trains(tmp_path):
    """IDX files (the images gzip-compressed, the labels raw) named relative to the scenario."""
    import gzip

    from gananim.datasets import digits
    from gananim.scenario import load_scenario

    images, labels = digits(classes=[0, 1])
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "images.gz").write_bytes(gzip.compress(_idx(np.round((images + 1) * 127.5).astype(np.uint8))))
    (tmp_path / "data" / "labels").write_bytes(_idx(labels.astype(np.uint8)))
    (tmp_path / "game.yaml").write_text(
        "data: {kind: idx, images: data/images.gz, labels: data/labels}\nnoise: {kind: normal, dim: 8}\n"
        "generator: {kind: mlp, hidden: [16], output: tanh}\ndiscriminator: {kind: mlp, hidden: [16]}\n"
        "training: {games: 4, batch_size: 16}\nrecord: {every: 2}\n")
    sc = load_scenario(tmp_path / "game.yaml")
    assert sc.data.domain == "image" and sc.data.image_shape == (8, 8) and sc.data.dim == 64
    run = train(sc)
    assert run.meta["classes_total"] == 2 and run.g_grid.shape == (3, 64, 8, 8)
    pixels, names = sc.data.dataset()
    assert len(pixels) == len(images) and np.abs(pixels.numpy().reshape(images.shape) - images).max() < 1 / 127


def test_idx_files_that_are_missing_wrong_or_mismatched_are_one_line_errors(tmp_path):
    from click.testing import CliRunner

    from gananim.cli import main

    (tmp_path / "labels").write_bytes(_idx(np.arange(5, dtype=np.uint8)))
    (tmp_path / "images").write_bytes(_idx(np.zeros((4, 8, 8), np.uint8)))
    cases = {
        "data.images: not here; MNIST and Fashion-MNIST: gananim data fetch mnist|fashion-mnist --to FOLDER "
        "({d}/nope.gz: no such file)": "images: nope.gz",
        "data.images: {d}/labels: not images: an IDX array of shape (5,)": "images: labels",
        "{d}/labels: 5 labels for 4 images": "images: images",
    }
    for message, images in cases.items():
        (tmp_path / "x.yaml").write_text(f"data: {{kind: idx, {images}, labels: labels}}\n")
        result = CliRunner().invoke(main, ["validate", str(tmp_path / "x.yaml")])
        assert result.exit_code == 2 and message.format(d=tmp_path) in result.output, result.output
        assert len(result.output.strip().splitlines()) == 1


def test_the_summary_carries_the_diagnosis_of_the_run(digits_run):
    """Per game: D's batch means on V's point; the summary's diagnosis is diagnose() of them."""
    from gananim.diagnosis import RULES, diagnose, history_of
    from gananim.metrics import headline

    run = digits_run
    assert run.d_real.shape == run.d_fake.shape == (20,)
    assert ((0 < run.d_real) & (run.d_real < 1)).all() and ((0 < run.d_fake) & (run.d_fake < 1)).all()
    summary = headline(run)
    want = [f.rule for f in diagnose(history_of(run))]
    assert [f["rule"] for f in summary["diagnosis"]] == want and set(want) <= set(RULES)
    assert run.meta["d_loss_reference"] == pytest.approx(2 * np.log(2)) and run.meta["g_loss_reference"] == pytest.approx(np.log(2))


def test_a_gallery_shows_how_to_fetch_absent_data_instead_of_failing(tmp_path, monkeypatch):
    """The shipped MNIST scenarios name their data set: without the files, `render` fails in one
    line that says how to fetch them, and `gallery` renders the rest with a card saying so."""
    import shutil

    from click.testing import CliRunner

    from gananim.cli import main

    scenarios = tmp_path / "scenarios"
    scenarios.mkdir()
    shutil.copy(SHIPPED / "mnist_assignment.yaml", scenarios)
    (scenarios / "tiny.yaml").write_text(
        "title: Tiny\ndata: {kind: gaussian}\ntraining: {games: 3, batch_size: 4}\nrecord: {every: 3}\n"
        "render: {outputs: [summary], dpi: 50}\n")
    monkeypatch.chdir(tmp_path)  # paths are shown relative to the working folder
    hint = "fetch them with: gananim data fetch mnist --to data/mnist"
    alone = CliRunner().invoke(main, ["render", "scenarios/mnist_assignment.yaml", "--out", "o"])
    assert alone.exit_code == 2 and hint in alone.output and len(alone.output.strip().splitlines()) == 1
    assert not (tmp_path / "o" / "mnist_assignment").exists()
    result = CliRunner().invoke(main, ["gallery", "scenarios", "--out", "g", "--jobs", "1", "-q"])
    assert result.exit_code == 0, result.output
    page = (tmp_path / "g" / "index.html").read_text()
    assert "MNIST, the assignment&#x27;s vanilla GAN" in page and "Not rendered: its data files are not here." in page
    assert hint in page and "1 scenarios rendered by gananim (1 more wait for their data files)" in page
    assert "gananim data fetch mnist --to" in (tmp_path / "g" / "gallery.md").read_text()
    assert (tmp_path / "g" / "tiny" / "summary.png").exists() and not (tmp_path / "g" / "mnist_assignment").exists()


def test_the_shipped_mnist_scenarios_validate_with_files_in_place(tmp_path):
    """With (small, made-up) IDX files where the shipped scenarios look for them, they validate:
    the MLP and DCGAN players for 28 x 28 images, epochs, the outputs; and fit this machine."""
    import gzip
    import shutil

    from gananim.cost import check
    from gananim.scenario import load_scenario

    rng = np.random.default_rng(0)
    for name in ("mnist", "fashion-mnist"):
        folder = tmp_path / "data" / name
        folder.mkdir(parents=True)
        (folder / "train-images-idx3-ubyte.gz").write_bytes(
            gzip.compress(_idx(rng.integers(0, 256, (600, 28, 28), dtype=np.uint8))))
        (folder / "train-labels-idx1-ubyte.gz").write_bytes(gzip.compress(_idx(np.arange(600, dtype=np.uint8) % 10)))
    (tmp_path / "scenarios").mkdir()
    for stem, per_epoch in (("mnist_assignment", 6), ("fashion_mnist", 9)):
        shutil.copy(SHIPPED / f"{stem}.yaml", tmp_path / "scenarios")
        sc = load_scenario(tmp_path / "scenarios" / f"{stem}.yaml")
        assert sc.data.image_shape == (28, 28) and sc.games_per_epoch() == per_epoch
        assert sc.training.games == sc.training.epochs * per_epoch
        check(sc, stem)  # not refused as too big


@pytest.mark.parametrize("stem, collapsed", [("digits_mode_collapse", True), ("digits_dcgan", False)])
def test_the_shipped_collapse_pair_is_diagnosed_as_it_plays(stem, collapsed, tmp_path, monkeypatch):
    """The shipped scenarios, trained as shipped: the collapsing one's diagnosis says mode
    collapse (few classes covered, recall near 0); the DCGAN's does not, and it covers them all."""
    from gananim.diagnosis import diagnose, history_of
    from gananim.scenario import load_scenario

    monkeypatch.setenv("GANANIM_CACHE", str(tmp_path))
    run = train(load_scenario(SHIPPED / f"{stem}.yaml"))
    rules = [f.rule for f in diagnose(history_of(run))]
    assert ("mode_collapse" in rules) == collapsed
    if collapsed:
        assert run.classes_covered[-1] <= 3 and run.recall[-1] < 0.05
    else:
        assert run.classes_covered[-1] >= 9 and run.classes_covered.max() == 10 and run.recall[-1] > 0.5


def test_progress_frames_blitted_equal_a_full_redraw(digits_run):
    """progress.gif's frames: the loss strip's moving parts on their bare twin and the grid's
    NearestImage keep the strip's ticks and labels in the cached background; every frame must
    still look like the figure drawn from scratch."""
    from gananim.renderer import style
    from gananim.renderer.animate import blit_frames, progress_figure

    with style.theme():
        fig, update = progress_figure(digits_run, 50)
        frames = list(blit_frames(fig, update, len(digits_run.snap_game)))
        for i in range(len(frames)):
            update(i)
            for artist in fig.findobj():
                artist.set_animated(False)
            fig.canvas.draw()
            full = np.asarray(fig.canvas.buffer_rgba())[..., :3]
            assert np.array_equal(full, frames[i]), (i, int(np.any(full != frames[i], axis=-1).sum()))


@pytest.mark.parametrize("shape, dpi, origin", [((71, 71), 100, "upper"), ((17, 26), 73, "upper"), ((9, 5), 50, "lower")])
def test_nearest_image_draws_the_pixels_of_imshow_nearest(shape, dpi, origin):
    """NearestImage repeats pixels in numpy instead of matplotlib's resampler: the same pixels,
    except on the image's outermost screen pixels (matplotlib blends a partly covered one)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from gananim.renderer.panels.images import NearestImage

    rgba = (np.random.default_rng(0).random((*shape, 4)) * 255).astype(np.uint8)
    rgba[..., 3] = 255
    drawn = []
    for nearest in (False, True):
        fig = Figure(figsize=(5.3, 4.1), dpi=dpi)
        FigureCanvasAgg(fig)
        ax = fig.add_axes((0.13, 0.21, 0.7, 0.66))
        if nearest:
            image = NearestImage(ax, interpolation="nearest", origin=origin)
            image.set_data(rgba)
            ax.add_image(image)
            image.set_extent(image.get_extent())
            image.set_clip_path(ax.patch)
            ax.set_aspect("equal")
        else:
            ax.imshow(rgba, interpolation="nearest", origin=origin)
        fig.canvas.draw()
        drawn.append(np.asarray(fig.canvas.buffer_rgba()).astype(int))
    want, got = drawn
    differ = (want != got).any(axis=-1)
    ys, xs = np.nonzero((want != (255, 255, 255, 255)).any(axis=-1) & (np.arange(want.shape[1]) > 5))  # the image
    inner = np.zeros_like(differ)
    inner[ys.min() + 1: ys.max(), xs.min() + 1: xs.max()] = True
    assert not (differ & inner).any() and differ.sum() <= 2 * (np.ptp(ys) + np.ptp(xs) + 2)
