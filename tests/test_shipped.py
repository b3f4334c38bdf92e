"""Every shipped scenario trains and renders (a short version: the full ones are the gallery)."""
from pathlib import Path

import pytest
from PIL import Image

from gananim.renderer import ANIMATED, render
from gananim.scenario import load_scenario, parse_scenario
from gananim.trainer import train

ROOT = Path(__file__).resolve().parents[1]
# the MNIST / Fashion-MNIST scenarios need files this machine cannot download: test_images.py
# validates them on made-up IDX files and checks the gallery's card for absent data
SHIPPED = sorted(p for p in (ROOT / "scenarios").glob("*.yaml")
                 if "source:" not in p.read_text() and p.name != "gallery.yaml")  # gallery.yaml: the page's layout


def short(path: Path):
    sc = load_scenario(path)
    raw = sc.model_dump(mode="json")
    raw["training"].pop("epochs", None)  # a game count instead
    raw["training"]["games"] = 12
    raw["record"] |= {"every": 6, "hessian_every": 6, "density_samples": 400}
    raw["render"]["dpi"] = 50
    return parse_scenario(raw, str(path), path.stem)


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_shipped_scenario_trains_and_renders(path, tmp_path):
    sc = short(path)
    run = train(sc)
    written = render(run, tmp_path / sc.name)
    if sc.seeds is not None:  # a sweep: small multiples and the spread; every array has a seed axis
        assert set(written) >= {"run", "seeds", "spread", "summary.json"}
        assert Image.open(written["seeds"]).n_frames == 3
        run = run.member(0)
    else:
        assert set(written) >= {"run", "summary.json", *sc.render.outputs}
        animated = next(o for o in sc.render.outputs if o in ANIMATED)  # images: progress.gif
        assert Image.open(written[animated]).n_frames == 3
    if sc.data.domain == "plane":
        assert run.d_on_grid.shape[1:] == (90, 90)
        assert run.g_of_z.shape[2] == 2 and run.g_push.shape[2] == 2
        assert ("manifold" in run) == (sc.noise.dim <= 2)
    if hasattr(sc.data, "modes"):
        assert run.modes_covered.shape == run.snap_game.shape
