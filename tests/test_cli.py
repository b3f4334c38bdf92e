import io
import json
import os
import re
import subprocess
import sys

import numpy as np
import pytest
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
    # stderr is a pipe, not a terminal: the progress bars are plain lines, no carriage returns
    assert "\r" not in res.stderr and "\x1b" not in res.stderr
    assert "one: training\n" in res.stderr and "one: training: done 10 games in " in res.stderr
    assert re.search(r"^one: rendering: done \d+ frames in \d+\.\d s$", res.stderr, re.M)
    assert len(res.stderr.splitlines()) <= 12  # a few lines per scenario, never one per game
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
    back = g.Run.load(written.files["run.npz"])
    assert np.array_equal(back.objective, run.objective)
    assert sc.name == "api" and back.meta["name"] == "api"


def test_a_diverging_game_is_one_line_and_writes_nothing(tmp_path):
    (tmp_path / "boom.yaml").write_text(yaml.safe_dump(tiny(
        loss="least_squares", optimizer={"kind": "sgd", "lr": 5.0}, training={"games": 50})))
    res = gananim("render", "boom.yaml", "--out", "out", "-q", cwd=tmp_path)
    assert res.returncode == 3, res.stderr  # a diverged game, not a bad file (2)
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
            "print(sorted(p.name for p in written.files.values()))")
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


# --- progress bars (click's) -------------------------------------------------------------------

class _Terminal(io.StringIO):
    def isatty(self):  # what click asks to decide between a redrawn line and plain lines
        return True


def _draw(stream, n=50):
    from gananim.progress import Bar

    bar = Bar("s: training", "games", stream=stream)
    for done in range(n + 1):
        bar(done, n)
    bar.close()
    return stream.getvalue()


def test_progress_off_a_terminal_is_two_plain_lines():
    text = _draw(io.StringIO())
    assert "\r" not in text and "\x1b" not in text
    lines = text.splitlines()
    assert lines[0] == "s: training" and re.fullmatch(r"s: training: done 50 games in \d+\.\d s", lines[1])
    assert len(lines) == 2


def test_progress_on_a_terminal_is_one_redrawn_line():
    text = _draw(_Terminal())
    assert "\r" in text and text.count("\n") == 1 and text.endswith("\n")
    last = text.rstrip("\n").split("\r")[-1]  # what the terminal shows at the end
    assert "s: training" in last and "50/50 games" in last and "#" * 28 in last


def test_a_message_during_a_bar_starts_on_its_own_line():
    from gananim.progress import Bar, break_line

    stream = _Terminal()
    bar = Bar("s: training", "games", stream=stream)
    bar(3, 10)
    break_line()
    stream.write("gananim: warning: x\n")
    bar(10, 10)
    bar.close()
    lines = stream.getvalue().split("\n")  # (str.splitlines would split at carriage returns too)
    shown = [line.split("\r")[-1] for line in lines]  # what the terminal shows on each line
    assert len(lines) == 4 and lines[3] == "" and shown[1] == "gananim: warning: x"
    assert "3/10 games" in shown[0] and "10/10 games" in shown[2]


def test_a_disabled_bar_writes_nothing():
    from gananim.progress import Bar

    for stream in (io.StringIO(), _Terminal()):
        bar = Bar("s", "games", enabled=False, stream=stream)
        bar(1, 2)
        bar.close()
        assert stream.getvalue() == ""


# --- arguments, shipped scenarios, exit statuses -----------------------------------------------

def invoke(*args, cwd=None):
    """The command in this process (click's runner): for what needs no training."""
    from click.testing import CliRunner

    from gananim.cli import main

    here = os.getcwd()
    if cwd is not None:
        os.chdir(cwd)
    try:
        return CliRunner().invoke(main, [str(a) for a in args])
    finally:
        os.chdir(here)


@pytest.fixture
def shipped(tmp_path, monkeypatch):
    """A folder of tiny 'shipped' scenarios in place of the package's."""
    from gananim import builtin

    folder = tmp_path / "shipped"
    folder.mkdir()
    for name, title in (("alpha", "Alpha game"), ("beta_long_name", None)):
        raw = tiny(training={"games": 4}, record={"every": 2, "hessian": False}) | {"description": "first\nsecond"}
        raw = {k: v for k, v in raw.items() if k != "title"} | ({"title": title} if title else {})
        (folder / f"{name}.yaml").write_text(yaml.safe_dump(raw))
    (folder / "gallery.yaml").write_text(yaml.safe_dump({"sections": [{"title": "All", "scenarios": ["alpha", "beta_long_name"]}]}))
    monkeypatch.setattr(builtin, "FOLDER", folder)
    work = tmp_path / "work"
    work.mkdir()
    return work


def test_a_bare_name_renders_the_shipped_scenario_into_its_stem(shipped):
    res = invoke("render", "alpha", "--out", "out", "-q", cwd=shipped)
    assert res.exit_code == 0, res.output
    assert (shipped / "out" / "alpha" / "summary.json").exists()


def test_the_real_shipped_scenarios_resolve_by_name(tmp_path):
    res = gananim("validate", "strong_discr", "balanced", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    assert [line.split(": ok (")[0].rsplit("/", 1)[-1] for line in res.stdout.splitlines()] == [
        "strong_discr.yaml", "balanced.yaml"]


def test_an_unknown_name_is_one_line_with_a_did_you_mean(shipped):
    res = invoke("render", "alpah", "--out", "out", cwd=shipped)
    assert res.exit_code == 2
    assert res.stderr == "gananim: error: alpah: no such file; did you mean the shipped scenario 'alpha'?\n"
    assert not (shipped / "out").exists()


def test_gallery_builtin_renders_the_shipped_scenarios_with_their_layout(shipped):
    res = invoke("gallery", "--builtin", "--out", "g", "-j", "1", "-q", cwd=shipped)
    assert res.exit_code == 0, res.output
    assert (shipped / "g" / "alpha" / "summary.json").exists() and (shipped / "g" / "beta_long_name").is_dir()
    assert "All" in (shipped / "g" / "index.html").read_text()


@pytest.mark.parametrize("args, message", [
    ((), "gallery: give a DIRECTORY of scenarios, or --builtin for the shipped ones"),
    (("somewhere", "--builtin"), "gallery: give either a DIRECTORY of scenarios or --builtin (the shipped ones), not both"),
])
def test_gallery_takes_exactly_one_of_directory_and_builtin(shipped, args, message):
    res = invoke("gallery", *args, cwd=shipped)
    assert res.exit_code == 64 and res.stderr == f"gananim: error: {message}\n"


def test_gallery_of_a_missing_folder_is_a_bad_input(tmp_path):
    res = invoke("gallery", "nowhere", cwd=tmp_path)
    assert res.exit_code == 2 and res.stderr == "gananim: error: nowhere: no such folder\n"


def test_scenarios_list_shows_names_and_first_lines_aligned(shipped):
    res = invoke("scenarios", "list")
    assert res.exit_code == 0
    assert res.stdout.splitlines() == ["alpha           Alpha game", "beta_long_name  first"]


def test_scenarios_copy(shipped):
    res = invoke("scenarios", "copy", "alpha", "beta_long_name.yaml", "new/dir", cwd=shipped)
    assert res.exit_code == 0, res.output
    copied = shipped / "new" / "dir"
    assert sorted(p.name for p in copied.iterdir()) == ["alpha.yaml", "beta_long_name.yaml"]
    assert (copied / "alpha.yaml").read_text() == (shipped.parent / "shipped" / "alpha.yaml").read_text()
    (copied / "alpha.yaml").write_text("mine")
    refused = invoke("scenarios", "copy", "alpha", "new/dir", cwd=shipped)
    assert refused.exit_code == 2 and "already there; --force replaces them" in refused.stderr
    assert (copied / "alpha.yaml").read_text() == "mine"  # nothing was replaced
    assert invoke("scenarios", "copy", "alpha", "new/dir", "--force", cwd=shipped).exit_code == 0
    assert (copied / "alpha.yaml").read_text() != "mine"


def test_scenarios_copy_all_includes_the_layout(shipped):
    res = invoke("scenarios", "copy", "--all", "every", cwd=shipped)
    assert res.exit_code == 0, res.output
    assert sorted(p.name for p in (shipped / "every").iterdir()) == ["alpha.yaml", "beta_long_name.yaml", "gallery.yaml"]


def test_scenarios_copy_of_an_unknown_name_is_one_line_with_a_did_you_mean(shipped):
    res = invoke("scenarios", "copy", "alpha", "bta_long_name", "out", cwd=shipped)
    assert res.exit_code == 2
    assert res.stderr == ("gananim: error: bta_long_name: no shipped scenario of that name; "
                          "did you mean 'beta_long_name'?\n")
    assert not (shipped / "out").exists()  # checked before anything is copied
    assert invoke("scenarios", "copy", "out", cwd=shipped).exit_code == 64  # neither NAMES nor --all


def test_validate_reports_every_file(tmp_path):
    (tmp_path / "good.yaml").write_text(yaml.safe_dump(tiny()))
    (tmp_path / "typo.yaml").write_text(yaml.safe_dump(tiny(training={"game": 10})))
    (tmp_path / "zero.yaml").write_text(yaml.safe_dump(tiny(training={"games": 0})))
    res = invoke("validate", "typo.yaml", "good.yaml", "zero.yaml", "absent.yaml", cwd=tmp_path)
    assert res.exit_code == 2
    assert res.stdout == "good.yaml: ok (30 games, 2 D / 1 G steps)\n"
    assert res.stderr.splitlines() == [
        "gananim: error: typo.yaml: training.game: unknown key; did you mean 'games'?",
        "gananim: error: zero.yaml: training.games: must be greater than or equal to 1 (got 0)",
        "gananim: error: absent.yaml: no such file",
    ]
    assert invoke("validate", "good.yaml", "good.yaml", cwd=tmp_path).exit_code == 0


def test_an_unknown_key_is_one_line_with_a_did_you_mean_and_status_2(tmp_path):
    (tmp_path / "typo.yaml").write_text("data: {kind: gaussian}\ntraining: {game: 10}\n")
    res = gananim("render", "typo.yaml", "--out", "out", cwd=tmp_path)
    assert res.returncode == 2
    assert res.stderr == "gananim: error: typo.yaml: training.game: unknown key; did you mean 'games'?\n"
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("args", [
    ("render", "--bogus", "x.yaml"),  # an unknown option
    ("render",),  # a missing argument
    ("nosuch",),  # an unknown command
    ("--bogus",),  # an unknown option of gananim itself
    ("render", "x.yaml", "--format", "avi"),  # a bad choice
    ("gallery", "d", "--jobs", "0"),  # out of range
])
def test_usage_errors_exit_64_with_clicks_usage_message(tmp_path, args):
    res = invoke(*args, cwd=tmp_path)
    assert res.exit_code == 64, res.output
    assert "Usage: " in res.stderr and "Error: " in res.stderr and "Traceback" not in res.output


def test_the_exit_statuses_are_in_the_help():
    res = invoke("--help")
    assert res.exit_code == 0
    for line in ("2 ", "3 ", "64 ", "128+N "):
        assert f"  {line}" in res.stdout


def test_shell_completion_offers_files_and_shipped_names(shipped):
    from click.shell_completion import ShellComplete

    from gananim.cli import main

    complete = ShellComplete(main, {}, "gananim", "_GANANIM_COMPLETE")
    items = complete.get_completions(["render"], "al")
    assert [(i.type, i.value) for i in items] == [("file", "al"), ("plain", "alpha")]
    assert [i.type for i in complete.get_completions(["render"], "sub/al")] == ["file"]
    assert [i.value for i in complete.get_completions(["scenarios", "copy"], "b")] == ["beta_long_name"]
    assert [i.type for i in complete.get_completions(["gallery"], "")] == ["dir"]


def test_importing_the_command_line_imports_no_torch():
    code = "import sys, gananim.cli; print('torch' in sys.modules, 'pydantic' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stdout.split() == ["False", "False"], out.stderr


@pytest.mark.parametrize("teardown", ["", "1"])
def test_the_command_line_ends_without_teardown_and_loses_no_output(tmp_path, teardown):
    # `gananim ...` ends with os._exit once the command is done (the teardown of torch and
    # matplotlib took 0.5 s); its output must be complete and its exit status the command's, as
    # with the interpreter's ordinary exit (GANANIM_TEARDOWN=1)
    env = dict(os.environ, GANANIM_TEARDOWN=teardown)
    (tmp_path / "t.yaml").write_text(yaml.safe_dump(tiny(training={"games": 6}, record={"every": 2})))
    run = lambda *a: subprocess.run([sys.executable, "-m", "gananim", *a], cwd=tmp_path, env=env,  # noqa: E731
                                    capture_output=True, text=True, timeout=300)
    listed = run("scenarios", "list")
    assert listed.returncode == 0 and len(listed.stdout.splitlines()) > 20
    assert listed.stdout.endswith("\n") and listed.stdout.splitlines()[-1].strip()
    ok = run("validate", "t.yaml")
    assert ok.returncode == 0 and ok.stdout == "t.yaml: ok (6 games, 2 D / 1 G steps)\n"
    bad = run("validate", "missing.yaml")
    assert bad.returncode == 2 and bad.stderr.strip().endswith("no such file")
    done = run("render", "t.yaml", "--out", "out")
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "out" / "t" / "run.npz").is_file() and "rendering" in done.stderr
