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

from gananim.gallery import (LayoutError, arrange, headline_rows, main_animation, read_layout, scenario_files,
                             write_pages)

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
    assert "3 trained, 3 rendered" in first.stderr and "gallery: done 3 scenarios in " in first.stderr  # the bar, off a terminal


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
    import imageio.v3 as iio

    write(tmp_path / "sc", "v", tiny(training={"games": 10}))
    res = gananim("gallery", "sc", "--out", "out", "--format", "both", "-j", "1", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    video = tmp_path / "out/v/animation.mp4"
    seconds = len(iio.imread(video, index=None, plugin="FFMPEG")) / iio.immeta(video, plugin="FFMPEG")["fps"]
    gif = Image.open(tmp_path / "out/v/animation.gif")
    durations = []
    for k in range(gif.n_frames):
        gif.seek(k)
        durations.append(gif.info["duration"])
    assert len(durations) == 3 and durations[0] == 2000 and durations[-1] == 3000  # first and last held
    assert seconds == pytest.approx(sum(durations) / 1000, abs=0.06)  # the MP4 keeps the GIF's timing
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
        hostile_title = hostile.locator("h3").inner_text()
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
    names = sorted(p.stem for p in scenario_files(root / "scenarios"))  # not gallery.yaml, the page's layout
    page = (root / "gallery" / "index.html").read_text()
    for name in names:
        if "source:" in (root / "scenarios" / f"{name}.yaml").read_text():  # MNIST: its data are not here
            assert not (root / "gallery" / name).exists() and "Not rendered: its data files are not here." in page
            assert f'id="{name}"' in page, name
            continue
        if "grid:" in (root / "scenarios" / f"{name}.yaml").read_text():  # a phase diagram: phase.png, no animation
            png = root / "gallery" / name / "phase.png"
            assert png.exists() and png.stat().st_size < 1_000_000, name
            assert (root / "gallery" / name / "phase.json").exists() and f'id="{name}"' in page, name
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


# --- the page's sections (gallery.yaml), compare.gif, natural sizes, critics' numbers ---------------

def summary(name: str, critic: bool = False, **extra) -> dict:
    """A summary.json as metrics.headline writes it (the keys a card shows)."""
    return {"name": name, "title": f"Title of {name}", "final_objective": -1.38, "reference_objective": -1.386,
            "reached_reference_at_game": 40, "final_energy_distance": 0.2, "mean_d_real": 3.5 if critic else 0.5,
            "mean_d_fake": 3.25 if critic else 0.49, "max_abs_d_minus_half_on_data_range": None if critic else 0.01,
            **extra}


def gif(path: Path, size: tuple[int, int]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    frames = [Image.new("RGB", size, colour) for colour in ("white", "orange")]
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=100, loop=0)


def rendered(out: Path, name: str, size=(800, 660), **kw) -> None:
    """A folder as a render leaves it: summary.json and the animation, no training."""
    gif(out / name / "animation.gif", size)
    (out / name / "summary.json").write_text(json.dumps(summary(name, **kw)))


LAYOUT = {"sections": [
    {"title": "One-D <games>", "intro": "First the tutorial.", "scenarios": ["c_game", "a_game"]},
    {"title": "Pairs", "scenarios": ["d_game", "b_game"], "pairs": True},
    {"title": "Side by side", "intro": "Three at once.", "compare": ["a_game", "c_game"]}]}


@pytest.fixture
def sectioned(tmp_path):
    """Scenario files a..e with a gallery.yaml beside them, and their rendered folders."""
    sc, out = tmp_path / "sc", tmp_path / "out"
    for name in ("a_game", "b_game", "c_game", "d_game", "e_game"):
        write(sc, name, tiny())
        rendered(out, name)
    (sc / "gallery.yaml").write_text(yaml.safe_dump(LAYOUT, sort_keys=False))
    return sc, out


def test_sections_come_from_gallery_yaml_in_its_order(sectioned):
    sc, out = sectioned
    files = scenario_files(sc)
    names = [f.stem for f in files]
    assert names == ["a_game", "b_game", "c_game", "d_game", "e_game"]  # the layout is not a scenario
    layout = read_layout(sc, names)
    write_pages(out, names, {n: f"About {n}." for n in names}, layout=layout)
    page = (out / "index.html").read_text()
    order = [page.index(f'id="{n}"') for n in ("c_game", "a_game", "d_game", "b_game", "e_game")]
    assert order == sorted(order)  # layout order, then what it leaves out
    headings = [page.index(f"<h2>{h}</h2>") for h in ("One-D &lt;games&gt;", "Pairs", "Other scenarios")]
    assert headings == sorted(headings) and headings[-1] < page.index('id="e_game"')
    assert "Side by side" not in page  # no compare.gif in the folder: no compare section
    assert page.count('class="group pairs"') == 1 and '<p class="intro">First the tutorial.</p>' in page
    toc = page[page.index('<nav class="toc"'):page.index("</nav>")]
    assert toc.count("<li><a href=\"#section-") == 3  # one entry per section ...
    assert [toc.index(f'href="#{n}"') for n in ("c_game", "a_game", "d_game", "b_game", "e_game")] == sorted(
        toc.index(f'href="#{n}"') for n in ("c_game", "a_game", "d_game", "b_game", "e_game"))  # ... with its cards
    md = (out / "gallery.md").read_text()
    marks = [md.index(m) for m in ("## One-D &lt;games&gt;", "### Title of c\\_game", "### Title of a\\_game", "## Pairs",
                                   "### Title of d\\_game", "## Other scenarios", "### Title of e\\_game")]
    assert marks == sorted(marks)


def test_without_gallery_yaml_the_page_is_one_list_in_file_order(tmp_path):
    out = tmp_path / "out"
    for name in ("b", "a"):
        rendered(out, name)
    assert read_layout(tmp_path, ["a", "b"]) is None
    write_pages(out, ["a", "b"], {})
    page = (out / "index.html").read_text()
    assert "<h2>" not in page and page.index('id="a"') < page.index('id="b"')
    assert [s.names for s in arrange(["a", "b"], None)] == [("a", "b")]


@pytest.mark.parametrize("change, key, expected", [
    (lambda raw: raw["sections"][0]["scenarios"].append("a_gmae"), "sections[0].scenarios[2]",
     "must name a scenario file in"),
    (lambda raw: raw["sections"][2]["compare"].append("nope"), "sections[2].compare[2]", "must name a scenario file"),
    (lambda raw: raw["sections"][1]["scenarios"].append("c_game"), "sections[1].scenarios[2]",
     "must name each scenario once"),
    (lambda raw: raw["sections"][1].update(pairs="yes"), "sections[1].pairs", "must be true or false"),
    (lambda raw: raw["sections"][0].update(colour="red"), "sections[0].colour", "unknown key"),
    (lambda raw: raw["sections"][0].pop("title"), "sections[0].title", "required key is missing"),
    (lambda raw: raw.update(order=[]), "order", "unknown key (expected: sections)"),
    (lambda raw: raw["sections"][2].update(compare_out="../x"), "sections[2].compare_out", "must be a plain folder name"),
    (lambda raw: raw["sections"][2].update(compare_out="a_game"), "sections[2].compare_out",
     "must be a plain folder name that is no scenario's"),
])
def test_layout_errors_name_file_and_key(sectioned, change, key, expected):
    sc, _ = sectioned
    raw = json.loads(json.dumps(LAYOUT))
    change(raw)
    (sc / "gallery.yaml").write_text(yaml.safe_dump(raw))
    with pytest.raises(LayoutError) as info:
        read_layout(sc, [f.stem for f in scenario_files(sc)])
    message = str(info.value)
    assert message.startswith(f"{sc / 'gallery.yaml'}: {key}: {expected}") and "\n" not in message, message


def test_unknown_name_in_gallery_yaml_stops_the_command_before_any_work(sectioned):
    sc, _ = sectioned
    raw = json.loads(json.dumps(LAYOUT))
    raw["sections"][1]["scenarios"][0] = "d_gmae"
    (sc / "gallery.yaml").write_text(yaml.safe_dump(raw))
    res = gananim("gallery", "sc", "--out", "fresh", cwd=sc.parent)
    assert res.returncode == 2 and not (sc.parent / "fresh").exists()
    line = "gananim: error: sc/gallery.yaml: sections[1].scenarios[0]: must name a scenario file in sc " \
           "(got 'd_gmae'; did you mean 'd_game'?)"
    assert res.stderr.strip() == line, res.stderr


def test_compare_gif_is_shown_when_present(sectioned):
    sc, out = sectioned
    names = [f.stem for f in scenario_files(sc)]
    gif(out / "compare" / "compare.gif", (1152, 544))
    write_pages(out, names, {}, layout=read_layout(sc, names))
    page = (out / "index.html").read_text()
    section = page[page.index("<h2>Side by side</h2>"):page.index("<h2>Other scenarios</h2>")]
    assert '<img class="anim" src="./compare/compare.gif" width="1152" height="544"' in section
    assert '<a href="#a_game">Title of a_game</a>, <a href="#c_game">Title of c_game</a>: side by side' in section
    assert "![Side by side](./compare/compare.gif)" in (out / "gallery.md").read_text()
    write_pages(out, names, {})  # no layout: a compare section of its own, after the cards
    page = (out / "index.html").read_text()
    assert page.index('id="e_game"') < page.index('src="./compare/compare.gif"')
    (out / "compare" / "compare.gif").unlink()
    write_pages(out, names, {}, layout=read_layout(sc, names))
    assert "compare.gif" not in (out / "index.html").read_text()


def test_a_second_comparison_has_its_own_folder(sectioned):
    """compare_out: a section shows OUT/<compare_out>/compare.gif, beside the first comparison."""
    sc, out = sectioned
    raw = json.loads(json.dumps(LAYOUT))
    raw["sections"].append({"title": "Second pair", "compare": ["b_game", "d_game"], "compare_out": "compare_2"})
    (sc / "gallery.yaml").write_text(yaml.safe_dump(raw, sort_keys=False))
    names = [f.stem for f in scenario_files(sc)]
    gif(out / "compare_2" / "compare.gif", (900, 500))
    write_pages(out, names, {}, layout=read_layout(sc, names))
    page = (out / "index.html").read_text()
    assert "<h2>Side by side</h2>" not in page  # its GIF (OUT/compare) is not there
    section = page[page.index("<h2>Second pair</h2>"):page.index("<h2>Other scenarios</h2>")]
    assert '<article id="compare_2">' in section and 'src="./compare_2/compare.gif" width="900"' in section
    assert "![Second pair](./compare_2/compare.gif)" in (out / "gallery.md").read_text()
    gif(out / "compare" / "compare.gif", (1152, 544))
    write_pages(out, names, {}, layout=read_layout(sc, names))
    page = (out / "index.html").read_text()
    assert page.index('src="./compare/compare.gif"') < page.index('src="./compare_2/compare.gif"')


def test_a_critics_numbers_are_labelled_as_critic_values():
    rows = dict(headline_rows(summary("w", critic=True)))
    assert rows["mean critic f on real / on fake"] == "3.500 / 3.250 (gap 0.250)"
    assert "final objective (critic gap E f(x) − E f(G(z)))" in rows and "mean D on real / on fake" not in rows
    rows = dict(headline_rows(summary("w", critic=True, final_w1=0.3)))
    assert rows["mean critic f on real / on fake"] == "3.500 / 3.250 (gap 0.250; W1 from samples 0.300)"
    rows = dict(headline_rows(summary("p")))
    assert rows["mean D on real / on fake"] == "0.500 / 0.490" and "final objective" in rows


@pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (apt-get install chromium); .ci/run installs it")
def test_animations_at_natural_size_and_pairs_side_by_side_in_a_real_browser(tmp_path):
    playwright = pytest.importorskip("playwright.sync_api", reason="playwright-python is not installed")
    sc, out = tmp_path / "sc", tmp_path / "out"
    for name, size in (("a_game", (1036, 957)), ("b_game", (935, 561)), ("c_game", (800, 660)),
                       ("d_game", (935, 561)), ("e_game", (800, 660))):
        write(sc, name, tiny())
        rendered(out, name, size)
    gif(out / "compare" / "compare.gif", (1152, 544))
    (sc / "gallery.yaml").write_text(yaml.safe_dump(LAYOUT))
    names = [f.stem for f in scenario_files(sc)]
    write_pages(out, names, {}, layout=read_layout(sc, names))
    sizes, tops = {}, {}
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=[f for f in FLAGS if f != "--headless"])
        for width in (700, 1400, 2200):
            page = browser.new_page(viewport={"width": width, "height": 1000})
            page.goto((out / "index.html").as_uri())
            page.evaluate("() => Promise.all([...document.images].map(i => (i.loading = 'eager', i.decode())))")
            sizes[width] = page.evaluate("() => [...document.querySelectorAll('img.anim')].map("
                                         "i => [i.getAttribute('src'), i.naturalWidth, i.clientWidth])")
            tops[width] = page.evaluate("() => ['d_game', 'b_game'].map(n => document.getElementById(n).offsetTop)")
            page.close()
        browser.close()
    assert len(sizes[1400]) == 6 and {w for _, w, _ in sizes[1400]} == {1152, 1036, 935, 800}
    for wide in (1400, 2200):  # never scaled on a wide screen, the 1152-px compare.gif included
        assert all(natural == shown for _, natural, shown in sizes[wide]), sizes[wide]
    assert all(shown < natural and shown > 500 for _, natural, shown in sizes[700]), sizes[700]  # shrunk to fit
    assert tops[2200][0] == tops[2200][1]  # a pair side by side where both fit at natural size ...
    assert tops[1400][0] < tops[1400][1]  # ... one above the other where they do not
