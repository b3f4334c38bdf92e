"""gananim in docs builds: the Sphinx directive (gananim.sphinxext) and the MkDocs plugin
(gananim.mkdocs_plugin) on tiny sites with a page at the root and one in a sub-folder; the
tiny scenario of conftest trains and renders in about a second."""
from __future__ import annotations

import posixpath
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml

from gananim.builtin import FOLDER
from gananim.embed import scenario_path

from .conftest import tiny

sphinx_build = pytest.importorskip("sphinx.cmd.build")
pytest.importorskip("mkdocs")

MAGIC = {".gif": lambda b: b[:4] == b"GIF8", ".png": lambda b: b[:8] == b"\x89PNG\r\n\x1a\n",
         ".mp4": lambda b: b[4:8] == b"ftyp"}


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def write_tiny(folder: Path) -> Path:
    return write(folder / "tiny.yaml", yaml.safe_dump(tiny(record={"hessian": False},
                                                             render={"outputs": ["animation", "summary"]})))


class Media(HTMLParser):
    """(tag, attribute, url) of every <img src>, <video poster> and <source src> in a page."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[tuple[str, str, str]] = []

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if (tag, name) in {("img", "src"), ("video", "poster"), ("source", "src")}:
                self.urls.append((tag, name, value))


def media_of(page: Path) -> list[tuple[str, str, Path]]:
    """The page's media, each url resolved against the page's folder to a file."""
    parser = Media()
    parser.feed(page.read_text())
    return [(tag, name, page.parent / url) for tag, name, url in parser.urls]


def assert_real(path: Path) -> None:
    assert path.is_file(), path
    assert MAGIC[path.suffix](path.read_bytes()[:12]), f"{path} is not a {path.suffix} file"


def mtimes(cache: Path) -> dict[str, int]:
    return {str(p.relative_to(cache)): p.stat().st_mtime_ns for p in cache.rglob("*")
            if p.name in ("run.npz", "animation.gif", "animation.mp4", "summary.png")}


# the sub-folder page: an MP4 and a GIF, then the defaults of format both (the MP4 and summary.png)
SUB_MEDIA = [("video", "poster", ".png"), ("source", "src", ".mp4"), ("img", "src", ".gif"),
             ("video", "poster", ".png"), ("source", "src", ".mp4"), ("img", "src", ".png")]


# ---------------------------------------------------------------- scenario paths

def test_scenario_path_forms(tmp_path):
    page_dir = tmp_path / "docs" / "sub"
    page_dir.mkdir(parents=True)
    assert scenario_path("strong_discr", page_dir, tmp_path / "docs") == FOLDER / "strong_discr.yaml"
    assert scenario_path("../x.yaml", page_dir, tmp_path / "docs") == tmp_path / "docs" / "x.yaml"
    assert scenario_path("/s/x.yaml", page_dir, tmp_path / "docs") == tmp_path / "docs" / "s" / "x.yaml"
    local = write(page_dir / "strong_discr", "a file beside the page wins over the shipped name")
    assert scenario_path("strong_discr", page_dir, tmp_path / "docs") == local


# ---------------------------------------------------------------- Sphinx

ROOT_RST = """Root
====

.. toctree::

   sub/page

.. gananim:: tiny.yaml
   :outputs: animation.gif summary.png
   :format: both
   :width: 300px
"""

SUB_RST = """Sub
===

.. gananim:: /tiny.yaml
   :outputs: animation.mp4 animation.gif

.. gananim:: ../tiny.yaml
   :format: both
   :alt: the tiny game
"""


def sphinx(builder: str, src: Path, out: Path, *extra: str) -> str:
    warnings = out.parent / f"{out.name}-warnings.txt"
    code = sphinx_build.build_main(["-b", builder, "-q", "-w", str(warnings), *extra, str(src), str(out)])
    assert code == 0
    return warnings.read_text()


@pytest.fixture(scope="module")
def sphinx_site(tmp_path_factory):
    root = tmp_path_factory.mktemp("sphinx")
    src, cache = root / "src", root / "cache"
    write_tiny(src)
    write(src / "conf.py", f'extensions = ["gananim.sphinxext"]\ngananim_cache_dir = {str(cache)!r}\n')
    write(src / "index.rst", ROOT_RST)
    write(src / "sub" / "page.rst", SUB_RST)
    warnings = sphinx("html", src, root / "html")
    assert warnings == ""
    return root


def test_sphinx_html_media_resolve(sphinx_site):
    html = sphinx_site / "html"
    root = media_of(html / "index.html")
    assert [(tag, path.suffix) for tag, _, path in root] == [("img", ".gif"), ("img", ".png")]
    sub = media_of(html / "sub" / "page.html")
    assert [(tag, name, path.suffix) for tag, name, path in sub] == SUB_MEDIA
    for _, _, path in root + sub:
        assert_real(path)
        assert path.resolve().parent == (html / "_images").resolve()
    from PIL import Image

    with Image.open(root[0][2]) as im:
        assert im.n_frames > 1  # the animation, not its still
    page = (html / "sub" / "page.html").read_text()
    assert re.search(r'<video controls loop muted playsinline[^>]*><source src="\.\./_images/animation\.mp4" '
                     r'type="video/mp4"></video>', page)
    assert 'alt="the tiny game"' in page and 'style="width: 300px;"' in (html / "index.html").read_text()


def test_sphinx_latex_uses_stills(sphinx_site):
    src, tex_dir = sphinx_site / "src", sphinx_site / "latex"
    assert sphinx("latex", src, tex_dir) == ""
    tex = next(tex_dir.glob("*.tex")).read_text()
    graphics = re.findall(r"\\sphinxincludegraphics(?:\[[^]]*\])?\{\{([^}]*)\}(\.\w+)\}", tex)
    assert len(graphics) == 6  # root: animation, summary; sub: mp4, gif, mp4 (each its still), summary
    assert {ext for _, ext in graphics} == {".png"}
    assert ".gif" not in tex and ".mp4" not in tex
    for stem, ext in graphics:
        assert_real(tex_dir / f"{stem}{ext}")
    from PIL import Image

    gif = next((sphinx_site / "cache").rglob("animation.gif"))
    with Image.open(gif) as im, Image.open(gif.with_suffix(".png")) as still:
        assert still.size == im.size


def test_sphinx_second_build_reuses_cache(sphinx_site):
    cache = sphinx_site / "cache"
    before = mtimes(cache)
    assert len([k for k in before if k.endswith("run.npz")]) == 1  # every directive: one scenario, format both
    # -E: a fresh environment reads every page again, so each directive runs again
    assert sphinx("html", sphinx_site / "src", sphinx_site / "html2", "-E") == ""
    assert mtimes(cache) == before
    assert_real(sphinx_site / "html2" / "_images" / "animation.mp4")


def test_sphinx_errors_name_the_page(tmp_path):
    src = tmp_path / "src"
    write_tiny(src)
    write(src / "conf.py", f'extensions = ["gananim.sphinxext"]\ngananim_cache_dir = {str(tmp_path / "c")!r}\n')
    write(src / "index.rst", "Root\n====\n\n.. toctree::\n\n   sub/page\n")
    write(src / "sub" / "page.rst", "Sub\n===\n\n.. gananim:: nope.yaml\n\n.. gananim:: ../tiny.yaml\n"
                                    "   :outputs: hessian.png\n\n.. gananim:: ../tiny.yaml\n   :format: avi\n")
    warnings = sphinx("html", src, tmp_path / "html")
    page = str(src / "sub" / "page.rst")
    assert f"{page}:4: WARNING: gananim: {src / 'sub' / 'nope.yaml'}: no such file" in warnings
    assert f"{page}:6: WARNING: gananim: " in warnings and "'hessian.png' is not rendered" in warnings
    assert f"{page}:9: ERROR:" in warnings and '"avi" unknown' in warnings
    assert "Traceback" not in warnings
    assert not list((tmp_path / "c").rglob("run.npz"))  # nothing trained for a bad output name


# ---------------------------------------------------------------- MkDocs

ROOT_MD = """# Root

```gananim
scenario: tiny.yaml
outputs: animation.gif summary.png
width: 300px
```

The syntax, shown (a fence with another info string is left alone):

````markdown
```gananim
scenario: nope.yaml
```
````
"""

SUB_MD = """---
title: Sub
---
# Sub

```gananim
scenario: /tiny.yaml
outputs: [animation, animation.gif]
```

```gananim
../tiny.yaml
```
"""


def mkdocs_build(config_file: Path) -> None:
    from mkdocs.commands.build import build
    from mkdocs.config import load_config

    build(load_config(config_file=str(config_file)))


@pytest.fixture(scope="module")
def mkdocs_site(tmp_path_factory):
    root = tmp_path_factory.mktemp("mkdocs")
    write_tiny(root / "docs")
    write(root / "docs" / "index.md", ROOT_MD)
    write(root / "docs" / "sub" / "page.md", SUB_MD)
    write(root / "mkdocs.yml", "site_name: Tiny\nplugins:\n  - gananim:\n      cache_dir: cache\n      format: both\n")
    mkdocs_build(root / "mkdocs.yml")
    return root


def test_mkdocs_media_resolve(mkdocs_site):
    site = mkdocs_site / "site"
    root = media_of(site / "index.html")
    assert [(tag, path.suffix) for tag, _, path in root] == [("img", ".gif"), ("img", ".png")]
    sub = media_of(site / "sub" / "page" / "index.html")  # use_directory_urls: sub/page/
    assert [(tag, name, path.suffix) for tag, name, path in sub] == SUB_MEDIA
    for _, _, path in root + sub:
        assert_real(path)
        assert path.resolve().is_relative_to((site / "_gananim").resolve())
    assert "```gananim\nscenario: nope.yaml" in (site / "index.html").read_text().replace("&#96;", "`")


def test_mkdocs_second_build_reuses_cache(mkdocs_site):
    cache = mkdocs_site / "cache"
    before = mtimes(cache)
    assert len([k for k in before if k.endswith("run.npz")]) == 1
    mkdocs_build(mkdocs_site / "mkdocs.yml")
    assert mtimes(cache) == before
    assert_real(next((mkdocs_site / "site" / "_gananim").rglob("animation.mp4")))


@pytest.mark.parametrize("block, message", [
    ("scenario: nope.yaml", "sub/page.md:6: gananim: {docs}/sub/nope.yaml: no such file"),
    ("scenario: ../tiny.yaml\noutputs: hessian.png", "sub/page.md:6: gananim: "),
    ("scenario: ../tiny.yaml\nformt: gif", "sub/page.md:6: gananim: formt: unknown key (allowed: scenario,"),
    ("scenario: ../tiny.yaml\nformat: avi", "sub/page.md:6: gananim: format: must be one of gif, mp4, both"),
])
def test_mkdocs_errors_name_the_page(tmp_path, block, message):
    from mkdocs.exceptions import Abort, PluginError

    docs = tmp_path / "docs"
    write_tiny(docs)
    write(docs / "index.md", "# Root\n")
    write(docs / "sub" / "page.md", f"---\ntitle: Sub\n---\n# Sub\n\n```gananim\n{block}\n```\n")
    write(tmp_path / "mkdocs.yml", "site_name: Tiny\nplugins:\n  - gananim\n")
    with pytest.raises((PluginError, Abort)) as info:
        mkdocs_build(tmp_path / "mkdocs.yml")
    assert message.format(docs=docs) in str(info.value) or message.format(docs=docs) in str(info.value.__context__)


def test_mkdocs_unclosed_block():
    from gananim.mkdocs_plugin import blocks

    assert blocks("```python\n```gananim\n```\n\n```gananim\nx.yaml\n```\n") == [(4, 7, "", "x.yaml")]
    with pytest.raises(ValueError, match="^3: the ```gananim block is never closed"):
        blocks("# T\n\n```gananim\nx.yaml\n")
