"""Image GANs end to end: a short digits game trains, records the image measures and renders."""
import json

import numpy as np
import pytest
from PIL import Image

from gananim.renderer import render
from gananim.renderer.panels.images import tile
from gananim.scenario import parse_scenario
from gananim.trainer import train

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
    assert Image.open(written["summary"]).size == (900, 450)
    again = render(digits_run, tmp_path / "again")
    assert again["animation"].read_bytes() == written["animation"].read_bytes()


def test_tiles_are_separated_by_blank_lines():
    images = np.arange(5 * 2 * 3, dtype=float).reshape(5, 2, 3)
    grid = tile(images, columns=3)
    assert grid.shape == (2 * 3 - 1, 3 * 4 - 1)
    assert np.isnan(grid[2]).all() and np.isnan(grid[:, 3]).all()
    assert np.array_equal(grid[3:5, 4:7], images[4])  # the fifth image: second row, second column
    assert np.isnan(grid[3:, 8:]).all()  # the empty sixth cell
