import json
import subprocess
import sys

import numpy as np
import yaml
from PIL import Image

from .conftest import tiny


def gananim(*args, cwd):
    return subprocess.run([sys.executable, "-m", "gananim", *args], cwd=cwd, capture_output=True, text=True)


def test_render_command_writes_folder_per_stem(tmp_path):
    for name in ("one", "two"):
        (tmp_path / f"{name}.yaml").write_text(yaml.safe_dump(tiny(training={"games": 10})))
    res = gananim("render", "one.yaml", "two.yaml", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    for name in ("one", "two"):
        folder = tmp_path / "gallery" / name  # --out defaults to gallery/
        assert (folder / "animation.gif").exists() and (folder / "summary.png").exists()
        assert json.loads((folder / "summary.json").read_text())["games"] == 10
    assert "one: training" in res.stderr and "10/10 games" in res.stderr  # the progress bar
    assert "frames" in res.stderr
    assert not list(tmp_path.rglob(".*.tmp"))


def test_quiet_and_out(tmp_path):
    (tmp_path / "q.yaml").write_text(yaml.safe_dump(tiny(training={"games": 5})))
    res = gananim("render", "q.yaml", "--out", "elsewhere", "--quiet", cwd=tmp_path)
    assert res.returncode == 0 and res.stderr == ""
    gif = Image.open(tmp_path / "elsewhere" / "q" / "animation.gif")
    assert gif.n_frames == 2


def test_rendering_twice_gives_the_same_bytes(tmp_path):
    (tmp_path / "s.yaml").write_text(yaml.safe_dump(tiny(training={"games": 10})))
    gananim("render", "s.yaml", "--out", "a", "-q", cwd=tmp_path)
    gananim("render", "s.yaml", "--out", "b", "-q", cwd=tmp_path)
    for name in ("animation.gif", "summary.png", "hessian.png", "run.npz", "summary.json"):
        assert (tmp_path / "a/s" / name).read_bytes() == (tmp_path / "b/s" / name).read_bytes(), name


def test_python_api(tmp_path):
    import gananim as g

    (tmp_path / "api.yaml").write_text(yaml.safe_dump(tiny(training={"games": 5})))
    sc = g.load_scenario(tmp_path / "api.yaml")
    run = g.train(sc)
    written = g.render(run, tmp_path / "out")
    back = g.Run.load(written["run"])
    assert np.array_equal(back.objective, run.objective)
    assert sc.name == "api" and back.meta["name"] == "api"


def test_a_diverging_game_is_one_line_and_writes_nothing(tmp_path):
    (tmp_path / "boom.yaml").write_text(yaml.safe_dump(tiny(
        loss="least_squares", optimizer={"kind": "sgd", "lr": 5.0}, training={"games": 50})))
    res = gananim("render", "boom.yaml", "--out", "out", "-q", cwd=tmp_path)
    assert res.returncode == 2, res.stderr
    assert res.stderr.startswith("gananim: error: boom.yaml: training diverged at game ")
    assert "try a smaller optimizer.lr" in res.stderr and "Traceback" not in res.stderr
    assert not (tmp_path / "out" / "boom").exists()


def test_compare_refuses_a_sweep_in_one_line(tmp_path):
    (tmp_path / "one.yaml").write_text(yaml.safe_dump(tiny()))
    sweep = {k: v for k, v in tiny().items() if k != "seed"} | {"seeds": [0, 1]}
    (tmp_path / "many.yaml").write_text(yaml.safe_dump(sweep))
    res = gananim("compare", "one.yaml", "many.yaml", "--out", "out", "-q", cwd=tmp_path)
    assert res.returncode == 2
    assert res.stderr.strip() == ("gananim: error: many.yaml: seeds: compare takes one-seed scenarios "
                                  "(a sweep's own render shows its seeds side by side)")
    assert not (tmp_path / "out").exists()


def test_rendering_a_saved_run_needs_no_torch(tiny_run, tmp_path):
    tiny_run.save(tmp_path / "run.npz")
    code = ("import sys; sys.modules['torch'] = None\n"  # any import of torch now fails
            "import gananim\n"
            f"run = gananim.Run.load({str(tmp_path / 'run.npz')!r})\n"
            f"written = gananim.render(run, {str(tmp_path / 'out')!r})\n"
            "print(sorted(p.name for p in written.values()))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert "animation.gif" in out.stdout and "hessian.png" in out.stdout


def test_stale_outputs_are_removed(tmp_path):
    from gananim.renderer import render
    from gananim.scenario import parse_scenario
    from gananim.trainer import train

    render(train(parse_scenario(tiny(training={"games": 4}))), tmp_path)
    assert (tmp_path / "hessian.png").exists()
    render(train(parse_scenario(tiny(training={"games": 4}, record={"hessian": False}))), tmp_path)
    assert not (tmp_path / "hessian.png").exists()
