"""Shared fixtures: a tiny scenario (tens of games) and its trained run."""
from __future__ import annotations

import copy

import matplotlib
import pytest

matplotlib.use("Agg")

from gananim.scenario import parse_scenario  # noqa: E402
from gananim.trainer import train  # noqa: E402

TINY = {
    "title": "Tiny game",
    "description": "A short game for the tests.",
    "seed": 3,
    "data": {"kind": "gaussian", "mean": 5.0, "std": 1.0, "samples": 10},
    "noise": {"kind": "uniform", "low": 0.0, "high": 1.0},
    "training": {"games": 30, "d_steps": 2, "g_steps": 1, "batch_size": 10},
    "record": {"every": 5, "hessian": True, "density_samples": 500, "grid": 100},
    "render": {"fps": 10, "dpi": 50},
}


def tiny(**changes) -> dict:
    """TINY with top-level blocks updated: tiny(training={"games": 5})."""
    raw = copy.deepcopy(TINY)
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(raw.get(key), dict):
            raw[key].update(value)
        else:
            raw[key] = value
    return raw


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    import matplotlib.pyplot as plt

    plt.close("all")


@pytest.fixture(scope="session")
def tiny_run():
    return train(parse_scenario(tiny(), name="tiny"))


@pytest.fixture(autouse=True, scope="session")
def _classifier_cache(tmp_path_factory):
    """The image classifiers the tests train are cached in a temporary folder, not the user's."""
    import os

    before = os.environ.get("GANANIM_CACHE")
    os.environ["GANANIM_CACHE"] = str(tmp_path_factory.mktemp("gananim-cache"))
    yield
    if before is None:
        os.environ.pop("GANANIM_CACHE", None)
    else:
        os.environ["GANANIM_CACHE"] = before
