"""gananim from Python and in notebooks: ``build`` (the command line's cached train-or-reuse,
render-or-reuse) and ``render`` return a ``Result`` that a notebook shows inline.

    import gananim
    res = gananim.build("strong_discr")          # a shipped name, a file, or a Scenario
    res                                          # in Jupyter: the animation, summary.png, the numbers
    res.summary["final_objective"]

    sc = gananim.load_scenario("scenarios/strong_discr.yaml").replace("training.d_steps", 5)
    gananim.build(sc, out="gallery")             # out/<name>/, reused while nothing changed

Caching is the CLI's (gananim.pipeline.build): a folder's run.npz is reused while the scenario's
training part, seed and versions are unchanged; its figures while the render settings and title
are unchanged too; ``force=True`` does both again.

What a notebook stores: the numbers as an HTML table, summary.png as a data URI, and the
animation inline only while it is small (``EMBED_LIMIT`` bytes, 1.5 MB); a bigger one is shown as
its last frame (a small PNG) with a link to the file, so a notebook of ten games stays a few
megabytes. ``Result.show(embed="inline" | "still" | "link")`` chooses by hand.
"""
from __future__ import annotations

import base64
import html
import io
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional, Union

if TYPE_CHECKING:
    from .run import Run
    from .scenario import Scenario

EMBED_LIMIT = 1_500_000  # bytes of animation a notebook holds inline (base64 adds a third)
STILL_WIDTH = 640  # pixels: the still shown instead of a bigger animation


@dataclass
class Result:
    """What a build made: the folder, whether the run was trained or reused, the summary's
    numbers (summary.json) and the files written. Shown inline by Jupyter (``_repr_html_``)."""

    name: str
    folder: Path
    trained: bool
    rendered: bool
    seconds: float
    summary: dict[str, Any] = field(default_factory=dict)
    embed: str = "auto"  # auto | inline | still | link (see the module docstring)

    @classmethod
    def of(cls, name: str, folder: Path, trained: bool, rendered: bool, seconds: float) -> "Result":
        folder = Path(folder)
        summary = json.loads((folder / "summary.json").read_text())
        return cls(name, folder, trained, rendered, seconds, summary)

    @property
    def files(self) -> dict[str, Path]:
        """The folder's files by name (animation.gif, summary.png, summary.json, run.npz, ...)."""
        return {p.name: p for p in sorted(self.folder.iterdir()) if p.is_file() and not p.name.startswith(".")}

    @property
    def animation(self) -> Optional[Path]:
        from .gallery import main_animation

        name = main_animation(self.folder)  # the gallery card's choice
        return None if name is None else self.folder / name

    def run(self) -> "Run":
        """The recorded run (run.npz), for your own plots."""
        from .run import Run

        return Run.load(self.folder / "run.npz")

    def show(self, embed: str = "auto") -> "Result":
        """The same result, displayed with another embedding."""
        if embed not in ("auto", "inline", "still", "link"):
            raise ValueError(f"embed must be auto, inline, still or link (got {embed!r})")
        return Result(self.name, self.folder, self.trained, self.rendered, self.seconds, self.summary, embed)

    def __repr__(self) -> str:
        how = "trained" if self.trained else "cached run"
        return f"Result({self.name!r}, folder={str(self.folder)!r}, {how}, {self.seconds:.1f}s)"

    def _repr_html_(self) -> str:
        e = html.escape
        title = self.summary.get("title", self.name)
        how = ("trained" if self.trained else "cached run") + (", rendered" if self.rendered else ", cached figures")
        parts = [f'<div class="gananim-result"><h3 style="margin:0.2em 0">{e(title)}</h3>',
                 f'<p style="margin:0.2em 0;color:#555">{e(str(self.folder))} ({e(how)}, {self.seconds:.1f} s)</p>']
        anim = self.animation
        if anim is not None:
            parts.append(_media(anim, self.embed))
        parts.append(numbers_table(self.summary))
        from .gallery import FIGURES

        for name in FIGURES:
            path = self.folder / name
            if path.is_file():
                parts.append(_media(path, "inline" if self.embed == "auto" else self.embed, width=720))
                break  # the first figure (summary or spread); the others are in the folder
        parts.append("</div>")
        return "".join(parts)


def numbers_table(summary: dict[str, Any]) -> str:
    """The gallery card's numbers (gallery.headline_rows) as an HTML table."""
    from .gallery import headline_rows

    e = html.escape
    rows = "".join(f'<tr><td style="text-align:left">{e(k)}</td><td style="text-align:left">{e(v)}</td></tr>'
                   for k, v in headline_rows(summary))
    return f"<table>{rows}</table>"


def _relative(path: Path) -> str:
    """A link a notebook server can follow: relative to the working folder when below it."""
    try:
        return Path(os.path.relpath(path.resolve(), Path.cwd())).as_posix()
    except ValueError:  # another drive
        return path.resolve().as_uri()


def _data_uri(data: bytes, mime: str) -> str:
    return f"data:{mime};base64,{base64.b64encode(data).decode()}"


def still_png(path: Path, width: int = STILL_WIDTH) -> bytes:
    """The animation's last frame (embed.last_frame) as a PNG at most `width` pixels wide."""
    from PIL import Image

    from .embed import last_frame

    frame = last_frame(path)
    if frame.width > width:
        frame = frame.resize((width, round(frame.height * width / frame.width)), Image.LANCZOS)
    buf = io.BytesIO()
    frame.save(buf, format="PNG", optimize=True)
    return buf.getvalue()


def _media(path: Path, embed: str, width: Optional[int] = None) -> str:
    e = html.escape
    size = path.stat().st_size
    mp4 = path.suffix == ".mp4"
    mime = "video/mp4" if mp4 else f"image/{path.suffix[1:]}"
    style = f' style="max-width:{width}px;width:100%"' if width else ' style="max-width:100%"'
    link = f'<a href="{e(_relative(path))}">{e(path.name)}</a>'
    if embed == "auto":
        embed = "inline" if size <= EMBED_LIMIT else ("link" if mp4 else "still")
    if embed == "inline":
        src = _data_uri(path.read_bytes(), mime)
        if mp4:
            return f'<video controls loop muted playsinline{style}><source src="{src}" type="video/mp4"></video>'
        return f'<img src="{src}" alt="{e(path.name)}"{style}>'
    if embed == "still" and not mp4:
        src = _data_uri(still_png(path), "image/png")
        return (f'<figure style="margin:0"><img src="{src}" alt="{e(path.name)}: last frame"{style}>'
                f'<figcaption>last frame; the animation ({size / 1e6:.1f} MB, not stored in the notebook): '
                f'{link}</figcaption></figure>')
    src = e(_relative(path))
    if mp4:
        return f'<video controls loop muted playsinline src="{src}"{style}></video><p>{link}</p>'
    return f'<img src="{src}" alt="{e(path.name)}"{style}><p>{link}</p>'


ScenarioLike = Union[str, os.PathLike, "Scenario"]


def build(scenario: ScenarioLike, out: Union[str, os.PathLike] = "gallery", *, force: bool = False,
          video: str = "gif", size: Optional[str] = None, quiet: bool = True) -> Result:
    """Train (or reuse) and render (or reuse) one scenario into out/<name>/ and return a Result.

    `scenario`: a file, a shipped scenario's bare name (``"strong_discr"``) or a Scenario (from
    ``load_scenario``, ``scenario_from_dict`` or ``Scenario.replace``; its folder is named by
    ``sc.name``). The cache and the checks are the command line's (``gananim render``): every
    problem is a ScenarioError or OutputError of one line."""
    from . import pipeline
    from .builtin import hint, resolve
    from .scenario import Scenario, ScenarioError

    if isinstance(scenario, Scenario):
        built = pipeline.build_scenario(scenario.checked(), out, force=force, video=video, quiet=quiet, size=size)
    else:
        path = resolve(scenario)
        try:
            built = pipeline.build(path, out, force=force, video=video, quiet=quiet, size=size)
        except ScenarioError as exc:
            if not path.exists():
                raise ScenarioError(f"{exc}{hint(scenario)}") from None
            raise
    return Result.of(built.name, built.folder, built.trained, built.rendered, built.seconds)


def render(what: Union["Run", ScenarioLike], out: Union[str, os.PathLike, None] = None, **options: Any) -> Result:
    """Render a Run into the folder `out` (nothing is cached: a Run is already trained), or
    build a scenario (file, shipped name or Scenario) like ``build`` into out/<name>/ (out
    defaults to "gallery")."""
    from .run import Run

    if isinstance(what, Run):
        import time

        from .renderer import render as draw

        if out is None:
            raise TypeError("render(run, out): a Run needs the folder to render into")
        start = time.perf_counter()
        draw(what, out, **options)
        return Result.of(what.meta.get("name", "run"), Path(out), False, True, time.perf_counter() - start)
    return build(what, "gallery" if out is None else out, **options)
