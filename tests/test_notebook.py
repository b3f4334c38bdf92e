"""gananim from Python and in notebooks: build/render return a Result that Jupyter shows inline,
changes made in Python are validated like a file, and a real notebook runs (nbclient)."""
from __future__ import annotations

import base64
import json
import re

import pytest

import gananim
from gananim.notebook import EMBED_LIMIT, Result
from gananim.scenario import ScenarioError, load_scenario, scenario_from_dict

from .conftest import TINY, tiny


def test_scenario_from_dict_is_checked_like_a_file():
    sc = scenario_from_dict(tiny(), name="mine")
    assert sc.name == "mine" and sc.training.games == 30
    with pytest.raises(ScenarioError) as err:
        scenario_from_dict(tiny(training={"games": 0}), name="mine")
    assert str(err.value) == "<mine>: training.games: must be greater than or equal to 1 (got 0)"


def test_replace_validates_the_dotted_key_and_keeps_the_name():
    sc = load_scenario("scenarios/strong_discr.yaml")
    five = sc.replace("training.d_steps", 5)
    assert (five.training.d_steps, sc.training.d_steps) == (5, 50)  # a copy: the original is unchanged
    assert five.name == "strong_discr" and five.train_key() != sc.train_key()
    assert sc.replace("training.d_steps", 50).train_key() == sc.train_key()  # the same game: the same cache
    with pytest.raises(ScenarioError) as err:
        sc.replace("training.d_steps", 0)
    assert str(err.value) == "scenarios/strong_discr.yaml: training.d_steps: must be greater than or equal to 1 (got 0)"
    with pytest.raises(ScenarioError, match=r"training\.game: unknown key"):
        sc.replace("training.game", 5)
    with pytest.raises(ScenarioError, match=r"training\.games: not a block of keys"):
        sc.replace("training.games.x", 5)


def test_assignment_in_python_is_refused_at_once():
    """Before: `sc.training.d_steps = 0` was accepted and training failed deep inside."""
    sc = load_scenario("scenarios/strong_discr.yaml")
    with pytest.raises(ScenarioError, match=r"Training\.d_steps: must be greater than or equal to 1 \(got 0\)"):
        sc.training.d_steps = 0
    assert sc.training.d_steps == 50
    sc.training.d_steps = 7  # a good value is taken
    assert sc.training.d_steps == 7


def test_every_shipped_scenario_survives_checked():
    from gananim.builtin import folder, names
    from gananim.scenario import DataMissing

    for name in names():
        try:
            sc = load_scenario(folder() / f"{name}.yaml")
        except DataMissing:
            continue
        again = sc.checked()
        assert again.train_key() == sc.train_key() and again.recorded() == sc.recorded(), name


def test_build_is_cached_and_shows_inline(tmp_path):
    sc = scenario_from_dict(tiny(), name="tiny_nb")
    first = gananim.build(sc, out=tmp_path)
    assert isinstance(first, Result) and first.trained and first.rendered
    again = gananim.build(sc, out=tmp_path)
    assert not again.trained and not again.rendered  # the CLI's cache: nothing done twice
    assert again.summary["games"] == 30 and again.summary == json.loads((tmp_path / "tiny_nb" / "summary.json").read_text())
    page = again._repr_html_()
    gif = (tmp_path / "tiny_nb" / "animation.gif").read_bytes()
    assert gif.__len__() < EMBED_LIMIT
    inline = re.search(r'<img src="data:image/gif;base64,([^"]+)"', page)
    assert inline and base64.b64decode(inline.group(1)) == gif  # the animation itself, small enough to embed
    assert "data:image/png;base64," in page  # summary.png
    final = f"{again.summary['final_objective']:.3f}".replace("-", "\u2212")  # the card's number
    assert "final objective" in page and final in page
    # the scenario written beside it is the validated scenario: it loads back to the same game
    assert load_scenario(tmp_path / "tiny_nb" / "scenario.yaml").train_key() == sc.train_key()


def test_a_big_animation_is_a_still_and_a_link(tmp_path, monkeypatch):
    import gananim.notebook as nb

    res = gananim.build(scenario_from_dict(tiny(), name="tiny_big"), out=tmp_path)
    monkeypatch.setattr(nb, "EMBED_LIMIT", 1000)  # every animation is "big" now
    page = res._repr_html_()
    assert "data:image/gif" not in page
    still = re.search(r'<img src="data:image/png;base64,([^"]+)" alt="animation.gif: last frame"', page)
    assert still
    import io

    import numpy as np
    from PIL import Image

    shown = Image.open(io.BytesIO(base64.b64decode(still.group(1))))
    with Image.open(res.folder / "animation.gif") as gif:
        gif.seek(gif.n_frames - 1)
        last = gif.convert("RGB")
    assert shown.width <= nb.STILL_WIDTH and shown.size == last.size  # this GIF is narrower than the still's limit
    assert np.array_equal(np.asarray(shown.convert("RGB")), np.asarray(last))  # the last frame itself
    assert re.search(r'<a href="[^"]*animation\.gif">animation\.gif</a>', page)
    link_only = res.show("link")._repr_html_()
    assert "base64,R0lG" not in link_only  # no GIF bytes at all


def test_render_a_run_returns_a_result(tiny_run, tmp_path):
    res = gananim.render(tiny_run, tmp_path / "r")
    assert isinstance(res, Result) and res.rendered and {"animation.gif", "summary.png", "summary.json"} <= set(res.files)
    table = tiny_run._repr_html_()
    assert "Tiny game" in table and "final objective" in table and "energy distance to the data" in table


def test_bare_name_unknown_gets_a_hint(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ScenarioError, match=r"strong_disc: no such file; did you mean the shipped scenario 'strong_discr'\?"):
        gananim.build("strong_disc", out=tmp_path)


def test_a_real_notebook_runs(tmp_path):
    """A notebook as a student would write it, executed by a real kernel (nbclient)."""
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    cells = [
        "import gananim",
        f"sc = gananim.scenario_from_dict({TINY!r}, name='nb_game')\nres = gananim.build(sc, out='out')\nres",
        "res.summary['games'], res.trained",
        "try:\n    sc.replace('training.d_steps', 0)\nexcept gananim.ScenarioError as exc:\n    print(exc)",
        "gananim.build(sc, out='out').trained",
        "res.run()",
    ]
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    nbclient.NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    outputs = [c["outputs"] for c in nb.cells]
    shown = outputs[1][0]["data"]
    assert shown["text/plain"].startswith("Result('nb_game'") and "text/html" in shown
    assert "data:image/gif;base64," in shown["text/html"] and "final objective" in shown["text/html"]
    assert outputs[2][0]["data"]["text/plain"] == "(30, True)"
    assert outputs[3][0]["text"].strip() == "<nb_game>: training.d_steps: must be greater than or equal to 1 (got 0)"
    assert outputs[4][0]["data"]["text/plain"] == "False"  # the second build reuses the cache
    assert "final objective" in outputs[5][0]["data"]["text/html"]
    assert (tmp_path / "out" / "nb_game" / "animation.gif").is_file()
