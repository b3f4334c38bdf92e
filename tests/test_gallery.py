"""The gallery command: rendering, caching, the page in a real browser, formats, compare."""
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml
from PIL import Image

from gananim.gallery import main_animation

from .conftest import tiny

HOSTILE = "javascript:document.title='pwned';0"  # clicked as an unencoded href, this ran in Chromium
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run"]


def gananim(*args, cwd):
    return subprocess.run([sys.executable, "-m", "gananim", *args], cwd=cwd, capture_output=True, text=True)


def write(folder: Path, name: str, raw: dict) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.yaml"
    path.write_text(yaml.safe_dump(raw))
    return path


@pytest.fixture(scope="module")
def gallery(tmp_path_factory):
    root = tmp_path_factory.mktemp("gallery")
    write(root / "sc", "b_second", tiny(title="Second <b>game</b>", training={"games": 8}))
    write(root / "sc" / "nested", "a_first", tiny(
        title="First game", description="A description with <script>alert('x')</script> in it.",
        training={"games": 6}, render={"formats": ["png", "pdf", "svg"]}))
    write(root / "sc", HOSTILE, tiny(  # a file name that is a script URL, markup in every text
        title="</title><script>document.title='pwned'</script>", training={"games": 4},
        description="<img src=x onerror=\"document.title='pwned'\"> [click](javascript:alert(1)) | *bold* #"))
    first = gananim("gallery", "sc", "--out", "out", "--jobs", "2", cwd=root)
    assert first.returncode == 0, first.stderr
    return root, first


def test_gallery_writes_a_card_per_scenario_in_file_order(gallery):
    root, first = gallery
    out = root / "out"
    page = (out / "index.html").read_text()
    assert page.index('id="a_first"') < page.index('id="b_second"')
    for name in ("a_first", "b_second"):
        for f in ("animation.gif", "summary.png", "hessian.png", "summary.json", "run.npz", "scenario.yaml"):
            assert (out / name / f).exists(), (name, f)
        assert f'src="./{name}/animation.gif"' in page and f'href="./{name}/scenario.yaml"' in page
    assert "<script>" not in page and "&lt;script&gt;" in page  # scenario text is escaped
    assert "Second &lt;b&gt;game&lt;/b&gt;" in page
    assert "![First game](./a_first/animation.gif)" in page  # the Markdown embed snippet
    assert ".. image:: ./a_first/animation.gif" in page and ":alt: First game" in page
    assert "http://" not in page and "https://" not in page  # no CDN, no network
    encoded = "./javascript%3Adocument.title%3D%27pwned%27%3B0/"  # every path URL-encoded and relative
    assert f'src="{encoded}animation.gif"' in page and f'href="{encoded}scenario.yaml"' in page
    assert 'href="javascript' not in page and 'src="javascript' not in page and "<img src=x" not in page
    md = (out / "gallery.md").read_text()
    assert md.index("## First game") < md.index("## Second &lt;b&gt;game&lt;/b&gt;")
    assert "<script>" not in md and "<img" not in md and "[click](javascript" not in md
    assert "\\[click\\](javascript:alert(1)) \\| \\*bold\\*" in md  # Markdown's syntax escaped: shown, not run
    assert f"({encoded}scenario.yaml)" in md
    assert "| final objective |" in md
    assert "3 trained, 3 rendered" in first.stderr and "3/3 scenarios" in first.stderr


def test_pdf_and_svg_when_asked(gallery):
    out = gallery[0] / "out" / "a_first"
    assert (out / "summary.pdf").read_bytes().startswith(b"%PDF")
    assert b"<svg" in (out / "hessian.svg").read_bytes()[:2000]
    assert not (gallery[0] / "out" / "b_second" / "summary.pdf").exists()


def test_second_gallery_reuses_everything_and_force_gives_the_same_bytes(gallery):
    root, _ = gallery
    out = root / "out"
    files = sorted(p for p in out.rglob("*") if p.is_file() and p.name not in ("index.html", "gallery.md"))
    before = {p: (p.stat().st_mtime_ns, p.read_bytes()) for p in files}
    again = gananim("gallery", "sc", "--out", "out", "--jobs", "1", cwd=root)
    assert again.returncode == 0 and "0 trained, 0 rendered" in again.stderr
    for p in files:
        if p.name != "scenario.yaml":
            assert p.stat().st_mtime_ns == before[p][0], p  # not rewritten
    forced = gananim("gallery", "sc", "--out", "out", "--force", "-q", cwd=root)
    assert forced.returncode == 0 and forced.stderr == ""
    for p in files:
        assert p.read_bytes() == before[p][1], p  # byte-identical after retraining and re-rendering


def test_cache_keys(tmp_path):
    path = write(tmp_path / "sc", "g", tiny(training={"games": 5}))
    assert gananim("gallery", "sc", "--out", "out", "-j", "1", cwd=tmp_path).returncode == 0
    raw = tiny(training={"games": 5}, title="A new title", description="new words")
    path.write_text(yaml.safe_dump(raw))
    res = gananim("gallery", "sc", "--out", "out", "-j", "1", cwd=tmp_path)
    assert "0 trained, 1 rendered" in res.stderr  # presentation changed: same run, new figures
    assert json.loads((tmp_path / "out/g/summary.json").read_text())["title"] == "A new title"
    raw["training"]["games"] = 6
    path.write_text(yaml.safe_dump(raw))
    res = gananim("gallery", "sc", "--out", "out", "-j", "1", cwd=tmp_path)
    assert "1 trained, 1 rendered" in res.stderr
    assert json.loads((tmp_path / "out/g/summary.json").read_text())["games"] == 6


def test_gallery_errors(tmp_path):
    (tmp_path / "empty").mkdir()
    res = gananim("gallery", "empty", "--out", "out", cwd=tmp_path)
    assert res.returncode == 2 and "no scenario files" in res.stderr
    write(tmp_path / "sc", "same", tiny())
    write(tmp_path / "sc" / "sub", "same", tiny())
    res = gananim("gallery", "sc", "--out", "out", cwd=tmp_path)
    assert res.returncode == 2 and "same folder 'same'" in res.stderr and not (tmp_path / "out").exists()


def test_mp4_output(tmp_path):
    import imageio_ffmpeg

    write(tmp_path / "sc", "v", tiny(training={"games": 10}))
    res = gananim("gallery", "sc", "--out", "out", "--format", "both", "-j", "1", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    frames, _ = imageio_ffmpeg.count_frames_and_secs(str(tmp_path / "out/v/animation.mp4"))
    assert frames == 3 + 15  # 3 snapshots, the last held 1.5 s at 10 fps
    assert (tmp_path / "out/v/animation.gif").exists()
    assert 'href="./v/animation.mp4"' in (tmp_path / "out/index.html").read_text()


def test_missing_video_extra_is_one_clear_line(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from gananim.cli import main

    write(tmp_path, "v", tiny(training={"games": 3}))
    monkeypatch.setitem(sys.modules, "imageio_ffmpeg", None)  # as if not installed
    result = CliRunner().invoke(main, ["render", str(tmp_path / "v.yaml"), "--out", str(tmp_path / "out"),
                                       "--format", "mp4"])
    assert result.exit_code == 2
    assert "pip install 'gananim[video]'" in result.output
    assert not (tmp_path / "out").exists()


def test_compare_aligns_frames_by_game(tmp_path):
    write(tmp_path, "short", tiny(training={"games": 10}, record={"every": 5}))
    write(tmp_path, "long", tiny(training={"games": 20}, record={"every": 4}))
    res = gananim("compare", "short.yaml", "long.yaml", "--out", "cmp", "-q", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    gif = Image.open(tmp_path / "cmp" / "compare.gif")
    # games shown: the union of both runs' snapshot games
    assert gif.n_frames == len({0, 5, 10} | {0, 4, 8, 12, 16, 20})
    assert gif.width > 1.3 * gif.height  # two columns side by side (one alone is 4:3 portrait-ish)
    from gananim.renderer.compare import snapshot_at
    from gananim.run import Run

    short = Run.load(tmp_path / "cmp" / "short" / "run.npz")
    assert [snapshot_at(short, g) for g in (0, 4, 5, 9, 10, 20)] == [0, 0, 1, 1, 2, 2]


@pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (apt-get install chromium); .ci/run installs it")
def test_page_in_a_real_browser(gallery, tmp_path):
    playwright = pytest.importorskip("playwright.sync_api", reason="playwright-python is not installed")
    root, _ = gallery
    errors = []
    with playwright.sync_playwright() as p:
        # playwright starts it headless with a fresh temporary profile
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=[f for f in FLAGS if f != "--headless"])
        page = browser.new_page(viewport={"width": 1300, "height": 1000})
        page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        dialogs = []
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.goto((root / "out" / "index.html").as_uri())
        page.wait_for_load_state("load")
        page.evaluate("() => Promise.all([...document.images].map(i => i.loading === 'lazy' ? "
                      "(i.loading = 'eager', i.decode().catch(() => {})) : i.decode().catch(() => {})))")
        images = page.evaluate("() => [...document.images].map(i => [i.getAttribute('src'), i.complete, i.naturalWidth])")
        description = page.inner_text("#a_first .desc")
        scripts = page.evaluate("() => document.scripts.length")
        page.screenshot(path=str(root / "out" / "screenshot.png"), full_page=False)
        protocols = page.evaluate("() => [...document.links].map(a => a.protocol)")
        title = page.title()
        hostile = page.locator("article").nth(2)  # the cards are in file-name order: a_first, b_second, javascript...
        hostile_title = hostile.locator("h2").inner_text()
        with page.expect_navigation():
            hostile.locator(".figs a").first.click()  # a link into the folder whose name once ran as a script
        landed, title_after = page.url, page.title()
        browser.close()
    assert len(images) == 3 * 3  # animation, summary and Hessian per card
    assert all(complete and width > 0 for _, complete, width in images), images
    assert errors == [] and dialogs == []
    assert "<script>alert('x')</script>" in description and scripts == 0
    assert set(protocols) == {"file:"}  # every link is a file of the gallery (the nav's #anchors too)
    assert title == "gananim gallery" and hostile_title == "</title><script>document.title='pwned'</script>"
    assert landed.startswith("file://") and landed.endswith("%3B0/summary.png") and "pwned" not in title_after
    assert os.path.getsize(root / "out" / "screenshot.png") > 10_000
    shot = np.asarray(Image.open(root / "out" / "screenshot.png").convert("L"))
    assert shot.std() > 10  # a drawn page, not a blank one


def test_committed_gallery_is_complete_and_small():
    """gallery/ in the repository: every shipped scenario rendered, each GIF under 2 MB."""
    root = Path(__file__).resolve().parents[1]
    names = sorted(p.stem for p in (root / "scenarios").glob("*.yaml"))
    page = (root / "gallery" / "index.html").read_text()
    for name in names:
        if "source:" in (root / "scenarios" / f"{name}.yaml").read_text():  # MNIST: its data are not here
            assert not (root / "gallery" / name).exists() and "Not rendered: its data files are not here." in page
            assert f'id="{name}"' in page, name
            continue
        main = main_animation(root / "gallery" / name)  # a sweep's card shows its small multiples
        assert main is not None and main.endswith(".gif"), name
        gif = root / "gallery" / name / main
        assert gif.stat().st_size < 2_000_000, (name, gif.stat().st_size)
        assert f'id="{name}"' in page, name
    import re

    from urllib.parse import unquote

    for target in re.findall(r'(?:href|src)="([^"#]+)"', page):  # no broken links in the committed page
        assert target.startswith("./") and (root / "gallery" / unquote(target)).exists(), target
