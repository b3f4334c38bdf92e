"""gananim installed, not cloned: the wheel holds the shipped scenarios, the schema and the
typing marker, and a fresh virtual environment with only that wheel renders a bare name.

The fresh environment reuses this environment's dependencies (torch, matplotlib, ...) through a
.pth file instead of downloading them again; gananim itself comes from the wheel only (the test
checks where it was imported from, and runs outside the clone)."""
from __future__ import annotations

import json
import subprocess
import sys
import sysconfig
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    import shutil

    # from a copy of what a source distribution holds: setuptools' build/ folder would otherwise
    # keep files deleted from the checkout and put them into the next wheel
    src = tmp_path_factory.mktemp("src")
    for name in ("pyproject.toml", "README.md", "PYPI.md", "LICENSE", "CHANGELOG.md"):
        shutil.copy2(ROOT / name, src / name)
    shutil.copytree(ROOT / "gananim", src / "gananim", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    out = tmp_path_factory.mktemp("dist")
    subprocess.run([sys.executable, "-m", "pip", "wheel", str(src), "--no-deps", "--no-build-isolation",
                    "--quiet", "-w", str(out)], check=True, capture_output=True)
    (found,) = out.glob("gananim-*.whl")
    return found


def test_the_wheel_holds_what_an_installed_gananim_needs(wheel):
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        meta_name = next(n for n in names if n.endswith(".dist-info/METADATA"))
        meta = zf.read(meta_name).decode()
    shipped = {p.name for p in (ROOT / "gananim" / "scenarios").glob("*.yaml")}
    assert {f"gananim/scenarios/{n}" for n in shipped} <= names and "gananim/scenarios/strong_discr.yaml" in names
    assert "gananim/py.typed" in names and "gananim/schema/scenario.schema.json" in names
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)
    assert "License-Expression: MIT" in meta and "Project-URL: Changelog" in meta
    assert "Classifier: Typing :: Typed" in meta
    # the long description's pictures and links work on an index page: no relative targets
    relative = [t for t in _targets(meta) if not t.startswith(("https://", "#", "mailto:"))]
    assert relative == [], relative[:5]


def _targets(markdown: str) -> list[str]:
    import re

    return re.findall(r"\]\(([^)\s]+)", markdown) + re.findall(r'(?:src|href)="([^"]+)"', markdown)


def test_a_fresh_venv_with_the_wheel_renders_a_bare_name(wheel, tmp_path):
    env = tmp_path / "env"
    venv.create(env, with_pip=False)
    py = env / "bin" / "python"
    site = Path(subprocess.run([str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               check=True, capture_output=True, text=True).stdout.strip())
    # pip (this environment's) installs the wheel into the fresh one, entry point included
    subprocess.run([sys.executable, "-m", "pip", "--python", str(py), "install", "--no-deps", "--no-index",
                    "--quiet", str(wheel)], check=True, capture_output=True)
    (site / "zz_deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")  # torch & co. from here
    script = env / "bin" / "gananim"
    work = tmp_path / "work"  # outside the clone: no scenarios/ folder here
    work.mkdir()
    where = subprocess.run([str(py), "-c", "import gananim, gananim.builtin as b; print(gananim.__file__); "
                            "print(len(b.names()))"], cwd=work, check=True, capture_output=True, text=True)
    location, count = where.stdout.split()
    assert location.startswith(str(site)) and int(count) >= 20
    done = subprocess.run([str(script), "render", "strong_discr", "--out", "out", "-q"], cwd=work,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    folder = work / "out" / "strong_discr"
    assert {"animation.gif", "summary.png", "hessian.png", "summary.json", "run.npz"} <= {p.name for p in folder.iterdir()}
    summary = json.loads((folder / "summary.json").read_text())
    assert summary["games"] == 500 and summary["reached_reference_at_game"] is None  # the tutorial's stuck game
    listed = subprocess.run([str(script), "scenarios", "list"], cwd=work, capture_output=True, text=True)
    assert listed.returncode == 0 and "strong_discr" in listed.stdout
    copied = subprocess.run([str(script), "scenarios", "copy", "strong_discr", "mine"], cwd=work,
                            capture_output=True, text=True)
    assert copied.returncode == 0, copied.stderr
    assert (work / "mine" / "strong_discr.yaml").read_bytes() == (ROOT / "scenarios" / "strong_discr.yaml").read_bytes()


def test_the_long_description_is_the_current_readme():
    sys.path.insert(0, str(ROOT / "tools"))
    try:
        from pypi_readme import pypi_text
    finally:
        sys.path.pop(0)
    expected = pypi_text((ROOT / "README.md").read_text(encoding="utf-8"))
    assert (ROOT / "PYPI.md").read_text(encoding="utf-8") == expected, "PYPI.md is stale: run python tools/pypi_readme.py"
