"""The render's helper process (renderer/parallel.py): it draws the static figures while this
process draws the animation. The files must be the bytes an in-process render writes; a failure
in the helper is raised here; an interrupted render leaves no helper and no temporary file."""
from __future__ import annotations

import io
import pickle
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from gananim.renderer import OUTPUTS, parallel, render
from gananim.scenario import parse_scenario
from gananim.trainer import train
from tests.conftest import tiny
from tests.test_hostile import alive, descendants, wait_for

pytestmark = pytest.mark.skipif(not parallel.usable(), reason="the helper needs fork and two cores")


@pytest.fixture(scope="module")
def sweep_run():
    raw = tiny(training={"games": 20})
    del raw["seed"]
    return train(parse_scenario(raw | {"seeds": [1, 2]}, name="tiny_sweep"))


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


@pytest.mark.parametrize("which", ["one", "sweep"])
def test_the_helper_writes_the_bytes_an_in_process_render_writes(tmp_path, tiny_run, sweep_run, which):
    run = tiny_run if which == "one" else sweep_run
    render(run, tmp_path / "here")
    helper = parallel.start()
    try:
        written = render(run, tmp_path / "helped", helper=helper)
    finally:
        helper.close()
    assert not helper.process.is_alive() and helper.process.exitcode == 0
    here, helped = _files(tmp_path / "here"), _files(tmp_path / "helped")
    outputs = run.scenario["render"]["outputs"]
    statics = {f"{n}.png" for n in outputs if not OUTPUTS[n].animated}
    animated = {f"{n}.gif" for n in outputs if OUTPUTS[n].animated}
    assert statics and animated and statics | animated <= set(helped)  # both halves ran
    assert ("spread.png" in statics) == (which == "sweep")
    assert list(here) == list(helped)
    for name in here:
        assert here[name] == helped[name], name
    # the returned mapping names every output in the order of render.outputs, as in-process
    assert list(written) == list(render(run, tmp_path / "again"))


def test_a_trained_run_pickles_without_torch(tiny_run):
    # the helper unpickles the Run: a torch object in it (torch.__version__ is one) would make the
    # helper import torch, a second of waiting before it can draw
    modules: set[str] = set()

    class Recording(pickle.Unpickler):
        def find_class(self, module, name):
            modules.add(module)
            return super().find_class(module, name)

    Recording(io.BytesIO(pickle.dumps(tiny_run))).load()
    assert "gananim.run" in modules and not {m for m in modules if m.split(".")[0] == "torch"}, modules
    assert tiny_run.meta["versions"]["torch"]  # the version is still recorded, as a plain str
    assert type(tiny_run.meta["versions"]["torch"]) is str


def test_a_failure_in_the_helper_is_raised_here_and_leaves_no_temporary_file(tmp_path, tiny_run, monkeypatch):
    from gananim.renderer import figures

    def broken(run, dpi):
        raise ValueError("the hessian figure broke")

    monkeypatch.setattr(figures, "hessian_figure", broken)  # before the fork: the helper has it too
    helper = parallel.start()
    try:
        with pytest.raises(ValueError, match="the hessian figure broke"):
            render(tiny_run, tmp_path / "out", helper=helper)
    finally:
        helper.close()
    assert not helper.process.is_alive()
    out = tmp_path / "out"
    assert not [p.name for p in out.iterdir() if ".tmp" in p.name]
    assert not (out / "run.npz").exists() and not (out / "summary.json").exists()  # the folder is not complete


def test_the_environment_or_one_core_turns_the_helper_off(monkeypatch):
    monkeypatch.setenv(parallel.ENV, "1")
    assert parallel.start() is None
    monkeypatch.setenv(parallel.ENV, "")
    monkeypatch.setattr(parallel.os, "sched_getaffinity", lambda pid: {0})
    assert parallel.start() is None


LONG = tiny(training={"games": 1500}, record={"every": 5, "hessian": False})  # 301 frames: a slow GIF write


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_stopped_render_stops_its_helper(tmp_path, signum):
    (tmp_path / "long.yaml").write_text(yaml.safe_dump(LONG))
    proc = subprocess.Popen([sys.executable, "-m", "gananim", "render", "long.yaml", "--out", "out"], cwd=tmp_path,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    folder = tmp_path / "out" / "long"
    assert wait_for(lambda: folder.is_dir() and any(p.name.endswith(".tmp") for p in folder.iterdir()))
    helpers = descendants(proc.pid)
    assert helpers  # the helper process, started before training
    proc.send_signal(signum)  # to the command only: it stops its helper itself
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 128 + signum, err
    assert "Traceback" not in err
    assert wait_for(lambda: not any(alive(p) for p in helpers), timeout=15)
    assert [p.name for p in folder.iterdir() if ".tmp" in p.name] == []
